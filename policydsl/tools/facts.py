"""The authoritative fact list: what a data set supplies, and what the engine computes.

In: a checked program (the declarations of `policies/`), and optionally the shared data
dictionary (`../shared/spec/data-dictionary.md`), which this list extends and must not
contradict. Out: `FactList` (plain data) and its markdown (`docs/facts.md`, kept current by a
test), written by `policydsl facts policies/ -o docs/facts.md`.

For each entity kind: every input fact (a column of the kind's table) with its periods, type and
label, marked when the data dictionary does not list it; then every derived value computed from
the rows of other kinds (an aggregate across kinds, `count(enterprise via zone where …)`), with its
expression. A dictionary fact that the engine now computes (from other kinds' rows or from the
entity's own facts) is listed as such — a data set need not (and cannot usefully) supply it.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import attrs

from policydsl.language import ir
from policydsl import output_files

PERIODS = {None: "static", "year": "yearly", "quarter": "quarterly"}


@attrs.frozen(kw_only=True)
class InputFact:
    kind: str
    name: str
    periods: str  # static, yearly, quarterly
    type: str
    label: str | None
    in_dictionary: bool


@attrs.frozen(kw_only=True)
class ComputedFact:
    kind: str
    name: str
    label: str | None
    expression: str
    declared_at: str  # the policy file
    replaces_dictionary_fact: bool


@attrs.frozen(kw_only=True)
class FactList:
    inputs: tuple[InputFact, ...]
    computed: tuple[ComputedFact, ...]
    dictionary: str | None  # the dictionary compared with, as given


DEFAULT_DICTIONARY = "../shared/spec/data-dictionary.md"


class DictionaryError(ValueError):
    """The data dictionary asked for cannot be read (an input error)."""


def dictionary_facts(path: Path) -> set[tuple[str, str]]:
    """(kind, fact) for every row of the data dictionary's per-kind tables."""
    try:
        text = path.read_text(encoding="utf-8")
    except IsADirectoryError:
        raise DictionaryError(f"{path}: a folder, not the data dictionary (a markdown file)") from None
    except OSError as err:
        raise DictionaryError(f"{path}: cannot read the data dictionary: {err.strerror}") from None
    except UnicodeDecodeError as err:
        raise DictionaryError(f"{path}: the data dictionary is not UTF-8 text (byte {err.start})") from None
    found, kind = set(), None
    for line in text.splitlines():
        heading = re.match(r"^## (\w+)\s*$", line)
        if heading:
            kind = heading.group(1)
            continue
        row = re.match(r"^\| `(\w+)` \|", line)
        if row and kind:
            found.add((kind, row.group(1)))
    return found


def _reads_members(program: ir.Program, key: tuple[str, str], memo: dict) -> bool:
    """Whether a derived value aggregates across kinds, itself or through the values it reads."""
    if key not in memo:
        memo[key] = False  # a running total reads itself: not a reason by itself
        memo[key] = any(isinstance(node, ir.Members) or (
            isinstance(node, ir.Derived) and _reads_members(program, (node.entity, node.name), memo))
            for node in ir.walk(program.values[key].expr))
    return memo[key]


def fact_list(program: ir.Program, dictionary: Path | None = None, root: Path | None = None) -> FactList:
    known = dictionary_facts(dictionary) if dictionary is not None else None
    inputs = tuple(
        InputFact(kind=kind, name=name, periods=PERIODS[fact.period_kind], type=str(fact.type), label=fact.label,
                  in_dictionary=known is None or (kind, name) in known)
        for kind in sorted(program.entities) for name, fact in sorted(program.entities[kind].facts.items()))
    computed, memo = [], {}
    for (kind, name), value in sorted(program.values.items()):
        # a dictionary fact the engine computes is listed even from the entity's own facts
        # (a project's `newly_started`, from its construction date), or users would still supply it
        if not (_reads_members(program, (kind, name), memo) or (known is not None and (kind, name) in known)):
            continue
        path = Path(value.span.path)
        if root is not None and path.is_absolute() and path.is_relative_to(root):
            path = path.relative_to(root)
        computed.append(ComputedFact(
            kind=kind, name=name, label=value.label, expression=program.source_text(value.source.span) + (
                f" when {program.source_text(value.source_when.span)}" if value.source_when is not None else ""),
            declared_at=path.as_posix(),
            replaces_dictionary_fact=known is not None and (kind, name) in known))
    return FactList(inputs=inputs, computed=tuple(computed), dictionary=str(dictionary) if dictionary else None)


def _cell(text: str | None) -> str:
    return (text or "").replace("|", "\\|")


def render_markdown(facts: FactList) -> str:
    if facts.dictionary is None:
        compared = ["", "*Not compared with the data dictionary: none was read.*"]
    else:
        compared = []
    lines = ["# Facts: what a data set supplies, what the engine computes", "",
             "Generated from the declarations in `policies/` by `policydsl facts policies/ -o docs/facts.md`",
             "(a test keeps it current). It extends the shared data dictionary",
             "(`../shared/spec/data-dictionary.md`) and does not contradict it: a fact the dictionary does not",
             "list is marked *added*; a dictionary fact that the engine computes from the rows of other kinds is",
             "listed under *computed* and need not be supplied. Each kind is one table: `id`, `period`, then",
             "its input facts (`ref KIND` holds the id of an entity of that kind).", *compared, ""]
    replaced = [c for c in facts.computed if c.replaces_dictionary_fact]
    if replaced:
        lines += ["## Dictionary facts the engine computes", "",
                  "| kind | fact | computed as | declared in |", "| --- | --- | --- | --- |"]
        lines += [f"| {c.kind} | `{c.name}` | `{_cell(c.expression)}` | {c.declared_at} |" for c in replaced]
        lines.append("")
    for kind in sorted({f.kind for f in facts.inputs} | {c.kind for c in facts.computed}):
        lines += [f"## {kind}", "", "| input fact | periods | type | label | |", "| --- | --- | --- | --- | --- |"]
        for fact in (f for f in facts.inputs if f.kind == kind):
            mark = "" if fact.in_dictionary else "added"
            lines.append(f"| `{fact.name}` | {fact.periods} | {_cell(fact.type)} | {_cell(fact.label)} | {mark} |")
        mine = [c for c in facts.computed if c.kind == kind]
        if mine:
            lines += ["", "| computed by the engine | label | expression | declared in |",
                      "| --- | --- | --- | --- |"]
            lines += [f"| `{c.name}` | {_cell(c.label)} | `{_cell(c.expression)}` | {c.declared_at} |" for c in mine]
        lines.append("")
    return "\n".join(lines)


def add_command(commands) -> None:
    parser = commands.add_parser("facts", help="the fact list: input facts per kind, and what is computed")
    parser.add_argument("policy", nargs="+", help=".pol file or folder")
    parser.add_argument("--dictionary", help="the shared data dictionary this list extends; default: "
                                             f"{DEFAULT_DICTIONARY}, when there is one")
    parser.add_argument("-o", "--output", type=output_files.output_path, help="file to write (default: standard output)")


def run_command(args: argparse.Namespace, policies) -> str:
    dictionary = Path(args.dictionary or DEFAULT_DICTIONARY)
    if args.dictionary is None and not dictionary.exists():  # no dictionary asked for, none beside: said
        print(f"note: no data dictionary at {DEFAULT_DICTIONARY}: the list is not compared with one "
              "(give --dictionary PATH)", file=sys.stderr)
        dictionary = None
    facts = fact_list(policies.program, dictionary, root=Path.cwd())
    text = render_markdown(facts)
    if args.output:
        output_files.write_text(args.output, text)
        return ""
    return text
