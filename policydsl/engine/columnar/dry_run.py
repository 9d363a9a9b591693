"""Columnar stage, compile time: the rules the lowering refuses whatever the data — a `Plan` in,
per rule that falls back, the lowering's own reason out.

`support.columnar_support` says from the IR which rules have no columnar form. Some refusals
come from the lowering itself, from the shape of the numbers an expression makes: an aggregate or
a rank over a quotient by a column (`group_mean(tax / staff)`: its rows have their own
denominators, with no exact Int64 sum). Those hold for every data set, so they are found here, as
the executor would find them, by lowering every rule (whatever its policy's dates: the refusals
do not depend on them) over a data set with one entity of each kind, with a record in one year and
its quarters, every fact missing: no bound can overflow on it and no column is missing, so the only
refusals are the ones that depend on nothing but the plan. What depends on the data — an
intermediate that could pass 2**62 on its numbers (`operators.Inexact`), a column it lacks (numbers
too fine for Int64), rows of a period kind it has none of — is found at run time, and the result says
so (`ColumnarEvaluation.fallbacks`).

`policydsl dump --stage plan` prints both.
"""

from __future__ import annotations

from collections.abc import Mapping

from policydsl.engine.columnar.execute import RUN_TIME, evaluate_columnar
from policydsl.engine.columnar.support import Analysis
from policydsl.engine.plan import Plan
from policydsl.schema import ABSENT, Dataset, EntityRecord, Row
from policydsl.values import Period

_YEAR = 2020  # any year: the dates of the policies are not asked (`every_rule`)


def lowering_fallbacks(plan: Plan, analysis: Analysis | None = None) -> Mapping[str, str]:
    """Per rule the lowering refuses on any data (the rules `support` refuses aside), its reason."""
    analysis = Analysis(plan) if analysis is None else analysis
    evaluation = evaluate_columnar(plan, _empty_data(plan), analysis=analysis, every_rule=True)
    return {name: reason.removeprefix(RUN_TIME) for name, reason in evaluation.fallbacks.items()
            if reason.startswith(RUN_TIME)}


def _empty_data(plan: Plan) -> Dataset:
    """One entity of every kind, with a record in a year and each of its quarters, and no fact."""
    periods = [Period(_YEAR, quarter) for quarter in range(5)]
    kinds = {}
    for kind, schema in plan.program.entities.items():
        periodic = [name for name, fact in schema.facts.items() if fact.period_kind is not None]
        static = [name for name, fact in schema.facts.items() if fact.period_kind is None]
        positions = {name: index for index, name in enumerate(periodic)}
        missing = (ABSENT,) * len(periodic) + (0, 0)  # (the row loader's source and line, read by messages)
        kinds[kind] = {"·": EntityRecord(id="·", static=Row({name: i for i, name in enumerate(static)},
                                                               (ABSENT,) * len(static)),
                                         periods={period: Row(positions, missing) for period in periods})}
    return Dataset(kinds=kinds)
