"""Catalogue coverage: which catalogue rule is implemented where, and which scenario tests it.

Inputs: the rule catalogue (markdown), a loaded policy set and its scenario files. Output: one
row per catalogue rule id — its kind, the policy file and line of every rule, target or
deadline that `implements` it, the scenario cases that exercise it, or the reason it was left
out. A reason is written in a policy file as a comment line:

    # omitted zhoukou2017.2.3.3: the funding amounts are in 周发〔2012〕12号, not in the corpus

A case exercises a rule when one of its expected outcomes was decided by that rule, or when it
expects an outcome of that rule to be absent for an entity and period at which the rule was
evaluated. `render_markdown` writes docs/coverage.md.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import attrs

from policydsl.api import PolicySet
from policydsl.diagnostics import DataError
from policydsl.tools.scenarios import _matches, _read, validate

DOCUMENTS = ("zhoukou2017", "zhoukou2014", "henan2014", "xuchang2018", "kaifeng2014")
_ID = r"((?:" + "|".join(DOCUMENTS) + r")\.[A-Za-z0-9.]+)"
_OMITTED = re.compile(r"^\s*#\s*omitted\s+" + _ID + r"\s*:\s*(.+)$")


@attrs.frozen(kw_only=True)
class CatalogueRule:
    id: str
    kind: str  # DECISION, COMPUTE, META, TARGET, DEADLINE
    document: str

    @property
    def is_goal(self) -> bool:
        return self.kind in ("TARGET", "DEADLINE")


@attrs.frozen(kw_only=True)
class Row:
    rule: CatalogueRule
    implemented_at: tuple[str, ...]
    tested_by: tuple[str, ...]
    omitted: str | None


def _kind_near(text: str, default: str) -> str:
    for kind in ("COMPUTE", "TARGET", "DEADLINE"):
        if kind in text:
            return kind
    return default


class CatalogueError(Exception):
    """A rule catalogue that cannot be read; the message names the file and what is wrong."""


_SECTION, _NEXT = "## 4. Rules by document", "## 5."


def _rules_section(path: Path) -> str:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise CatalogueError(f"{path}: not UTF-8 text (byte {err.start}); the catalogue is a markdown file") from None
    except OSError as err:
        raise CatalogueError(f"{path}: cannot read: {err.strerror}") from None
    if not text.strip():
        raise CatalogueError(f"{path}: empty file; the catalogue is a markdown file with a section "
                             f"`{_SECTION}`")
    start = text.find(_SECTION)
    if start < 0:
        raise CatalogueError(f"{path}: no section `{_SECTION}` (the rules are read from it)")
    end = text.find(_NEXT, start)
    return text[start:end if end >= 0 else len(text)]


def catalogue_rules(path: str | Path) -> list[CatalogueRule]:
    """Every rule id of section 4 with its kind, in catalogue order.

    Ids come from section headings, from bold ids inside a section (sub-rules: a heading whose
    sub-rules carry letters is not itself a rule), and from the rows of target tables.
    """
    body = _rules_section(Path(path))
    found: dict[str, str] = {}
    for section in re.split(r"^#### ", body, flags=re.MULTILINE)[1:]:
        head, *lines = section.splitlines()
        heading_id = re.match(_ID, head)
        kind_match = re.search(r"\(([A-Z][A-Za-z /+:,-]*)\)\s*$", head)
        heading_kind = kind_match.group(1).split()[0].strip(":,") if kind_match else "DECISION"
        rules: list[tuple[str, str]] = []
        for line in lines:
            row = re.match(r"^\|\s*" + _ID + r"\s*\|", line)
            if row:
                last_cell = line.strip().strip("|").split("|")[-1]
                rules.append((row.group(1).rstrip("."), "DEADLINE" if "DEADLINE" in last_cell else "TARGET"))
                continue
            for bold in re.finditer(r"\*\*" + _ID + r"\*\*(.{0,40})", line):
                rules.append((bold.group(1).rstrip("."), _kind_near(bold.group(2), heading_kind)))
        if not rules and heading_id:
            rules.append((heading_id.group(1).rstrip("."), heading_kind))
        for rule_id, kind in rules:
            found.setdefault(rule_id, kind)
    if not found:
        raise CatalogueError(f"{path}: no rule ids in section `{_SECTION}` (expected headings such as "
                             "`#### zhoukou2017.2.5.3.d ...`)")
    return [CatalogueRule(id=i, kind=k, document=i.split(".")[0]) for i, k in found.items()]


def omissions(policy_paths: list[Path]) -> dict[str, str]:
    reasons = {}
    for folder in policy_paths:
        files = sorted(Path(folder).rglob("*.pol")) if Path(folder).is_dir() else [Path(folder)]
        for file in files:
            for line in file.read_text(encoding="utf-8").splitlines():
                match = _OMITTED.match(line)
                if match:
                    reasons[match.group(1).rstrip(".")] = match.group(2).strip()
    return reasons


def _relative(path: str, root: Path | None) -> str:
    if root is None:
        return path
    try:
        return str(Path(path).resolve().relative_to(root.resolve()))
    except ValueError:
        return path


def exercised(policies: PolicySet, files: list[Path], root: Path | None = None) -> dict[str, set[str]]:
    """Catalogue id -> the scenario cases (`file :: case`) that exercise it."""
    rules_by_name = {r.name: r for r in policies.program.rules}
    producers: dict[str, list] = {}
    for rule in policies.program.rules:
        for consequence in rule.consequences:
            producers.setdefault(consequence.outcome, []).append(rule)
    tested: dict[str, set[str]] = {}
    for file in files:
        content = _read(file)
        malformed = validate(content, file)[1]  # `policydsl test` reports those cases
        for case in (c for i, c in enumerate(content["cases"]) if i not in malformed):
            label = f"{_relative(str(file), root)} :: {case.get('name', '(unnamed)')}"
            try:
                result = policies.evaluate(case.get("facts", {}))
            except DataError:  # a broken case exercises nothing; `policydsl test` reports it
                continue
            for expected in case.get("expect", []):
                for decision in result.decisions:
                    if _matches(decision, expected):
                        tested.setdefault(decision.rule_id, set()).add(label)
            evaluated = {(r.rule, r.entity, str(r.period)) for r in result.evaluation.results}
            for absent in case.get("absent", []):
                for rule in producers.get(absent["outcome"], []):
                    if "target" in absent and rule.target != absent["target"]:
                        continue
                    if (rule.name, str(absent["entity"]), str(absent["period"])) in evaluated:
                        tested.setdefault(rules_by_name[rule.name].implements, set()).add(label)
    return tested


def coverage_rows(catalogue: list[CatalogueRule], policies: PolicySet, scenario_files: list[Path],
                  omitted: dict[str, str], root: Path | None = None) -> list[Row]:
    implemented: dict[str, list[str]] = {}
    for rule in policies.program.rules:
        where = f"{_relative(rule.span.path, root)}:{rule.span.line}"
        for key in {rule.implements, (rule.target or "").split("#")[0]} - {""}:
            if where not in implemented.setdefault(key, []):
                implemented[key].append(where)
    for policy in policies.program.policies.values():
        if policy.status_rule:
            implemented.setdefault(policy.status_rule, []).append(
                f"{_relative(policy.span.path, root)}:{policy.span.line}")
    tested = exercised(policies, scenario_files, root)
    return [Row(rule=rule, implemented_at=tuple(implemented.get(rule.id, ())),
                tested_by=tuple(sorted(tested.get(rule.id, ()))), omitted=omitted.get(rule.id))
            for rule in catalogue]


def render_markdown(rows: list[Row]) -> str:
    lines = ["# Catalogue coverage", "",
             "Generated by `policydsl coverage policies/ --catalogue ../shared/spec/rule-catalogue.md "
             "-o docs/coverage.md`; do not edit by hand. A rule is *tested* when a scenario case "
             "expects one of its outcomes, or expects one to be absent where the rule was evaluated.", ""]
    counts: Counter = Counter()
    for row in rows:
        group = "goal" if row.rule.is_goal else "rule"
        state = "tested" if row.implemented_at and row.tested_by else (
            "implemented" if row.implemented_at else ("omitted" if row.omitted else "missing"))
        counts[(row.rule.document, group, state)] += 1
    lines += ["| document | DECISION/COMPUTE/META: tested / implemented only / omitted / missing "
              "| TARGET/DEADLINE: tested / implemented only / omitted / missing |", "|---|---|---|"]
    for document in DOCUMENTS:
        cells = []
        for group in ("rule", "goal"):
            cells.append(" / ".join(str(counts[(document, group, s)])
                                    for s in ("tested", "implemented", "omitted", "missing")))
        lines.append(f"| {document} | {cells[0]} | {cells[1]} |")
    for document in DOCUMENTS:
        lines += ["", f"## {document}", "", "| rule | kind | implemented at | tested by | note |",
                  "|---|---|---|---|---|"]
        for row in (r for r in rows if r.rule.document == document):
            where = "<br>".join(row.implemented_at) or "—"
            tests = "<br>".join(row.tested_by) or "—"
            note = f"omitted: {row.omitted}" if row.omitted else ("" if row.implemented_at else "**missing**")
            lines.append(f"| {row.rule.id} | {row.rule.kind} | {where} | {tests} | {note} |")
    return "\n".join(lines) + "\n"
