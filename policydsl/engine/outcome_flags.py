"""Result view, decisions as one row per entity: an evaluation (row or columnar) and a kind and
period in; a Polars frame out (`Result.outcomes_by_entity`).

The frame has the column `entity` (or the caller's `id_column`: the id as text, as everywhere) and one Boolean column per
outcome that a rule of the kind can produce (and any other outcome an active decision of the kind
carries), named by the outcome, in name order: true where the entity has an active decision of
that outcome at the period, false otherwise — also for an entity with no record at the period
(it has no decision there). One row per entity of the kind in the data, in the order the
evaluation numbered them (the data's order for the layouts `long_from_wide` writes; sort when the
order matters). A report wanting labels per entity (a set of outcomes, a joined text) writes them
from these columns in one expression, as a hand-written query would, instead of grouping the
(entity, outcome) pairs of `active_table`.

From a columnar run the flags are scattered by entity code straight from its decision table
(`result.ColumnarEvaluation.light`), without a text per decision; decisions the row executor made
within it (row-executed rules, combined cases) are placed by id.
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from policydsl.values import Period


def _outcome_names(plan, kind: str, extra: Iterable[str]) -> list[str]:
    produced = {q.outcome for c in plan.rules if c.rule.entity == kind for q in c.rule.consequences}
    return sorted(produced | set(extra))


def _false(count: int) -> pl.Series:
    """`count` times false, without a query (a province's kinds are small: a query each would
    cost more than the column)."""
    return pl.Series([False], dtype=pl.Boolean).new_from_index(0, count) if count else pl.Series([], dtype=pl.Boolean)


def _frame(ids: pl.Series, outcomes: list[str], flags: dict[str, pl.Series], id_column: str) -> pl.DataFrame:
    if id_column in outcomes:
        raise ValueError(f"`{id_column}` is the name of an outcome: pass another `id_column` for the ids")
    count = ids.len()
    columns = [ids.cast(pl.String).alias(id_column)]
    for name in outcomes:
        columns.append(flags.get(name, _false(count)).alias(name))
    return pl.DataFrame(columns)


def _scatter(flags: dict[str, pl.Series], count: int, outcome: str, codes: pl.Series) -> None:
    current = flags.get(outcome)
    if current is None:
        current = _false(count)
    flags[outcome] = current.scatter(codes, True) if codes.len() else current


def from_columnar(evaluation, kind: str, period: Period, id_column: str = "entity") -> pl.DataFrame:
    """The flags of a `ColumnarEvaluation` (decision table by entity code, plus its materialised
    decisions)."""
    from policydsl.engine.columnar.columns import CODE, period_index
    from policydsl.engine.columnar.operators import PERIOD

    ids = evaluation.ids.get(kind)
    if ids is None:
        ids = pl.Series("entity", [], dtype=pl.String)
    count = ids.len()
    flags: dict[str, pl.Series] = {}
    table = evaluation.light.get(kind)
    extra: set[str] = set()
    if table is not None and table.height:
        # Series operations, not queries: a few per outcome whatever the size
        taken = table["superseded_by"].is_null() & (table[PERIOD] == period_index(period)) \
            & (table["@pk"] == period.kind)
        codes, outcomes = table[CODE].filter(taken), table["outcome"].filter(taken)
        # the table's rows come from the kind's rules: one comparison per outcome they produce
        for outcome in _outcome_names(evaluation.plan, kind, ()):
            _scatter(flags, count, outcome, codes.filter(outcomes == outcome))
    others = [(d.entity, d.outcome) for d in evaluation.materialised
              if d.entity_kind == kind and d.status == "active" and d.period == period]
    if others:
        position = {entity: code for code, entity in enumerate(ids.cast(pl.String).to_list())}
        unknown = sorted({entity for entity, _ in others if entity not in position})
        if unknown:  # an entity only the row executor decided: a row of its own
            ids = pl.concat([ids.cast(pl.String), pl.Series(ids.name, unknown, dtype=pl.String)])
            position.update({entity: count + i for i, entity in enumerate(unknown)})
            flags = {name: pl.concat([column, pl.repeat(False, len(unknown), dtype=pl.Boolean, eager=True)])
                     for name, column in flags.items()}
            count = ids.len()
        for outcome in sorted({o for _, o in others}):
            extra.add(outcome)
            codes = pl.Series([position[e] for e, o in others if o == outcome], dtype=pl.Int64)
            _scatter(flags, count, outcome, codes)
    return _frame(ids, _outcome_names(evaluation.plan, kind, extra), flags, id_column)


def from_decisions(plan, entities: Iterable[str], decisions, kind: str, period: Period,
                   id_column: str = "entity") -> pl.DataFrame:
    """The flags from `Decision` objects (the row executor), over the given entities in order."""
    ids = pl.Series("entity", list(entities), dtype=pl.String)
    position = {entity: code for code, entity in enumerate(ids.to_list())}
    chosen = [(d.entity, d.outcome) for d in decisions
              if d.entity_kind == kind and d.status == "active" and d.period == period]
    flags: dict[str, pl.Series] = {}
    for outcome in sorted({o for _, o in chosen}):
        _scatter(flags, ids.len(), outcome, pl.Series([position[e] for e, o in chosen if o == outcome],
                                                     dtype=pl.Int64))
    return _frame(ids, _outcome_names(plan, kind, {o for _, o in chosen}), flags, id_column)
