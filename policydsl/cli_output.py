"""The command line's output options: `eval`'s filters and exports, `graph`'s selection.

`cli.py` registers these options with one call each and hands the parsed arguments here;
the rendering itself is in `render/decisions.py` (tables, CSV, xlsx) and `engine/graph.py` (`select`).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Iterable, Sequence

import networkx as nx

from policydsl import render
from policydsl.diagnostics import did_you_mean
from policydsl.engine import graph as graph_stage
from policydsl.engine.evaluate import Decision
from policydsl.language.resolve import OUTCOME_KINDS
from policydsl import output_files


class OptionError(Exception):
    """A filter naming something the loaded policies do not have; the CLI exits 2."""


def _names(values: Iterable[str] | None) -> list[str]:
    """Repeatable options that also take comma-separated lists: --outcome a,b --outcome c."""
    return [name.strip() for value in values or () for name in value.split(",") if name.strip()]


def add_filter_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kind", action="append", metavar="|".join(OUTCOME_KINDS),
                        help="only this kind of outcome (repeatable, or comma-separated)")
    parser.add_argument("--outcome", action="append", help="only this outcome (repeatable, or comma-separated)")
    parser.add_argument("--policy", dest="only_policy", action="append", metavar="POLICY",
                        help="only decisions of this policy (repeatable, or comma-separated)")


def _check(names: Sequence[str], known: Iterable[str], what: str) -> None:
    known = sorted(set(known))
    for name in names:
        if name not in known:
            hint = did_you_mean(name, known)
            raise OptionError(f"unknown {what} `{name}`" + (f"; {hint}" if hint else f" (known: {', '.join(known)})"))


def filter_decisions(args, program, decisions: Sequence[Decision]) -> list[Decision]:
    """Apply --kind, --outcome and --policy."""
    return select_decisions(program, decisions, kinds=_names(args.kind), outcomes=_names(args.outcome),
                            policies=_names(args.only_policy))


def select_decisions(program, decisions: Sequence[Decision], *, kinds: Sequence[str] = (),
                     outcomes: Sequence[str] = (), policies: Sequence[str] = ()) -> list[Decision]:
    """The decisions of the chosen kinds, outcomes and policies (all when none is chosen); a name
    the policies do not have is an error, not an empty result (a typo must not look like "none")."""
    _check(kinds, OUTCOME_KINDS, "kind of outcome")
    _check(outcomes, program.outcomes, "outcome")
    _check(policies, program.policies, "policy")
    return [d for d in decisions
            if (not kinds or d.outcome_kind in kinds) and (not outcomes or d.outcome in outcomes)
            and (not policies or d.policy in policies)]


def terminal_width() -> int:
    """The terminal's width (COLUMNS wins); 120 when the output is not a terminal."""
    return shutil.get_terminal_size((120, 24)).columns


def fit_terminal(text: str, stream) -> str:
    """Text wrapped to the terminal's width when the stream is a terminal; as it is otherwise
    (a file or a pipe keeps whole lines for grep)."""
    isatty = getattr(stream, "isatty", None)
    return render.wrap_lines(text, terminal_width()) if isatty and isatty() else text


def write_decisions(args, policies, decisions: Sequence[Decision], *, warnings: Sequence = ()) -> None:
    """`eval`'s output in the chosen format, to standard output or `-o FILE`."""
    chosen = filter_decisions(args, policies.program, decisions)
    if args.format == "xlsx":
        if not args.output:
            raise OptionError("--format xlsx writes a file: give -o FILE.xlsx")
        render.decisions_xlsx(chosen, args.output)
        return
    if args.format == "json":
        text = render.decisions_json(chosen, warnings=warnings) + "\n"
    elif args.format == "csv":
        text = render.decisions_csv(chosen)
    else:
        shown = chosen if args.all else [d for d in chosen if d.status == "active"]
        width = terminal_width() if not args.output else 120
        text = render.decisions_table(shown, width=width, entity_order=tuple(policies.program.entities)) + "\n"
    if args.output:
        output_files.write_text(args.output, text, newline="")
    else:
        sys.stdout.write(text)


def add_graph_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--policy", dest="only_policy", action="append", metavar="POLICY",
                        help="only the rules of this policy and what they read (repeatable)")
    parser.add_argument("--outcome", action="append", help="only what decides this outcome (repeatable)")
    parser.add_argument("--depth", type=_depth, help="at most this many steps upstream of an outcome")


def _depth(text: str) -> int:
    try:
        depth = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if depth < 1:
        raise argparse.ArgumentTypeError("the depth is at least 1 (an outcome and its rules)")
    return depth


def graph_part(args, compiled) -> nx.DiGraph:
    """The part of the dependency graph `graph` draws: facts no rule reads are always left out."""
    outcomes, policies = _names(args.outcome), _names(args.only_policy)
    _check(outcomes, compiled.program.outcomes, "outcome")
    _check(policies, compiled.program.policies, "policy")
    return graph_stage.select(compiled.graph, policies=policies, outcomes=outcomes, depth=args.depth)
