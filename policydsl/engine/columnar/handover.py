"""Columnar stage, handing rules over to the row executor: the derived values already computed.

In: the plan, the frames a columnar run lowered (`across.Frames`), the rules that run on the row
executor; out: the derived values those rules read that some frame computed, as the row
executor's store (`evaluate.Run.store`: (kind, name) -> (entity, period) -> value), so that the
row executor computes only what the columnar path could not (a sum of many ratios whose exact
denominators pass 64 bits, say), not the group aggregates beneath it again.

Only values whose history the grids hold (a lookback within the grids' depth, which the columnar
rules set) are handed over, and only at the data's periods (from its first period of that kind
on): each such value is the one the row executor would compute; other values, earlier periods, and
running totals, the row executor computes itself.
An unknown value is handed over without the facts it lacks; explanations re-evaluate on the row
executor from scratch (`ColumnarEvaluation.row_slice`) and name them.
"""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction

import polars as pl

from policydsl.engine.columnar import columns as C
from policydsl.engine.columnar.across import Frames
from policydsl.engine.columnar.dates import Span
from policydsl.engine.columnar.lowering import collect
from policydsl.engine.columnar.operators import ENTITY, PERIOD, Inexact, Num, Unsupported
from policydsl.engine.columnar.support import Analysis, rule_expressions
from policydsl.engine.plan import CompiledRule, Plan
from policydsl.language import ir
from policydsl.values import Percent, Unknown, normalise_number


def _direct(expr: ir.Expr) -> set[tuple[str, str]]:
    return {(n.entity, n.name) for n in ir.walk(expr) if isinstance(n, ir.Derived)}


def _lower(plan: Plan, frames: Frames, kind: str, name: str) -> bool:
    """Lower one value in each frame of its kind (its own period kind; for a static one, those made);
    whether it could be lowered in one at least."""
    value = plan.program.values[(kind, name)]
    lowered = False
    # a static value: in the frames of its kind that exist (those its readers' rules are evaluated in)
    kinds = [value.period_kind] if value.period_kind else [pk for (k, pk), _ in frames.made() if k == kind] or ["year"]
    for period_kind in kinds:
        made = frames.get(kind, period_kind)
        if made is None:
            continue
        try:
            made[1].lower(ir.Derived(entity=kind, name=name, type=value.type, span=value.span))
            lowered = True
        except (Unsupported, Inexact):
            continue
    return lowered


def values_to_hand_over(plan: Plan, frames: Frames, rules: Iterable[CompiledRule],
                        analysis: Analysis) -> set[tuple[str, str]]:
    """The values the row executor will ask for that a frame can give: those the rules read, and,
    for a value no frame can compute, those it reads in turn (the row executor computes it).
    `analysis`: what is known of the values whatever the data (the run's, shared by its runs)."""
    program = plan.program
    pending = set().union(*(_direct(e) for c in rules for e in rule_expressions(c.rule))) - set(plan.recursive)
    seen: set[tuple[str, str]] = set()
    given: set[tuple[str, str]] = set()
    while pending:
        key = pending.pop()
        seen.add(key)
        # only a value with a columnar form (`support`) whose history the grids hold (their depth
        # serves the columnar rules)
        if analysis.value_reason(key) is None and analysis.value_lookback(key) <= frames.depth \
                and _whole(key, frames, analysis) and _lower(plan, frames, *key):
            given.add(key)
        else:
            pending |= _direct(program.values[key].expr) - seen - set(plan.recursive)
    return given


def _whole(key: tuple[str, str], frames: Frames, analysis: Analysis) -> bool:
    """Whether the grids hold all the history the value reads at the selected period: with a
    period selected they start where the columnar rules stop reading (`Frames.furthest`)."""
    if frames.furthest is None:
        return True
    found = analysis.value_reach(key)
    return found is not None and found <= frames.furthest


def columns_of(lowering, names: Iterable[str]) -> list[pl.Expr]:
    """The columns holding the named derived values of a frame."""
    found = []
    for name in names:
        value = lowering.derived[name]
        found += [value.num, *([] if value.static else [value.den])] if isinstance(value, Num) else [value.expr]
    return found


def handed_names(frames: Frames, needed: set[tuple[str, str]], kind: str, period_kind: str) -> list[str]:
    made = frames.get(kind, period_kind)
    if made is None:
        return []
    return [n for n, v in made[1].derived.items() if (kind, n) in needed and not isinstance(v, Span)]


def seeded_values(plan: Plan, frames: Frames, needed: set[tuple[str, str]], periods: dict[str, list[int]],
                  computed: dict[tuple[str, str], pl.DataFrame]) -> dict[tuple[str, str], dict]:
    """The store the row executor starts from: the needed values from the tables the frames already
    computed (`computed`, per (kind, period kind): entity ids, @t and the value columns), else
    collected."""
    store: dict[tuple[str, str], dict] = {}
    for (kind, period_kind), (_grid, lowering) in frames.made():
        names = handed_names(frames, needed, kind, period_kind)
        if not names or not periods.get(period_kind):
            continue
        table = computed.get((kind, period_kind))
        if table is None:
            table = collect(frames.pending(kind, period_kind).filter(pl.col(PERIOD) >= periods[period_kind][0])
                            .select(C.CODE, PERIOD, *columns_of(lowering, names)), _grid.frame.height)
            table = table.with_columns(_grid.ids.gather(table[C.CODE]).alias(ENTITY))
        at = [(entity, C.period_of(t, period_kind)) for entity, t in zip(table[ENTITY], table[PERIOD])]
        for name in names:
            value = lowering.derived[name]
            percent = plan.program.values[(kind, name)].type.name == "percent"
            if isinstance(value, Num):
                nums = table[value.num.meta.output_name()].to_list()
                dens = [value.den] * len(nums) if value.static else table[value.den.meta.output_name()].to_list()
                items = [Unknown() if n is None or d is None
                         else _number(n, d, percent) for n, d in zip(nums, dens)]
            else:
                items = [Unknown() if v is None else v for v in table[value.expr.meta.output_name()].to_list()]
            store[(kind, name)] = dict(zip(at, items))
    return store


def _number(num: int, den: int, percent: bool) -> object:
    value = num if den == 1 else normalise_number(Fraction(num, den))
    return Percent(value) if percent else value
