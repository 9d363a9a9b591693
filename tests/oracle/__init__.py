"""The test oracle: an independent, slow, obvious evaluator that every executor is checked against.

What it shares with `policydsl/`, exactly: the front end only —
`policydsl.language.build` (parsing `.pol` files into `ast.Module`s), `policydsl.language.ast`
(the nodes it walks), `policydsl.language.goals.lower_goals` via `resolve` (targets, deadlines
and scopes lowered to ordinary rules), and the declarations of the resolved `ir.Program`:
entity schemas (facts, their period kinds, the group attribute), each rule's name, catalogue id,
clause, target, period kind and the AST of its condition and payloads, each value's AST and
policy, outcomes, combinations (their levels) and each policy's metadata (dates, status rule).

Everything with a meaning is its own: operators and Kleene logic (`logic`), periods and
calendar arithmetic (`calendar`), name lookup, parameters and tables (evaluated from their AST),
references, history walks, group membership and aggregates (`interpreter`), rule results,
combination (ladders, highest-only) and document status (`outcomes`). It reads the data rows
itself (no `policydsl.engine.data`), and never imports `policydsl.engine`, `policydsl.values`
or the IR's expressions.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import NamedTuple

from oracle.calendar import Period
from oracle.interpreter import Data, Interpreter
from oracle.outcomes import Decided, combined, document_statuses, rule_outcomes

from policydsl.language.build import build
from policydsl.language.goals import lower_goals
from policydsl.language.ir import Program


class Answer(NamedTuple):
    """What the oracle says: every derived value, every rule result, every decision."""

    values: dict[tuple[str, str, str, Period], object]  # (kind, name, entity, period)
    results: dict[tuple[str, str, str, Period], object]  # (rule, kind, entity, period)
    decisions: list[Decided]


def oracle_answer(program: Program, paths: list[Path], rows: dict[str, list[dict]],
                  as_of: dt.date | None = None) -> Answer:
    """The oracle's answer for the data, every period evaluated on its last day or, as of a
    day, the periods ended by then evaluated on that day."""
    built = build(paths)
    modules = lower_goals(built.modules).modules
    data = Data(rows, program)
    interpreter = Interpreter(program, modules, data, as_of)
    values = {}
    for (kind, name), value in sorted(program.values.items()):
        for entity in data.entities(kind):
            for period in data.periods(kind, entity):
                if period.kind == (value.period_kind or "year") or value.period_kind is None:
                    values[(kind, name, entity, period)] = interpreter.derived(kind, name, entity, period)
    results, fired = rule_outcomes(program, interpreter)
    decisions = combined(program, fired + document_statuses(program, data.all_periods(), as_of))
    return Answer(values=values, results=results, decisions=decisions)


__all__ = ["Answer", "Decided", "Period", "oracle_answer"]
