"""Columnar stage, columns to the grid: a kind's checked table (`columns.KindTable`) in; the
kind laid out for one period kind on the dense (entity × period) grid the lowering expects out
(`lowering` module docstring; column names in `operators`).

Each row is put in its place by position (rows laid out period after period, every entity once
per block in code order, by arithmetic: `KindTable.blocks`; others by one scatter of row numbers):
numbers become Int64 numerators over one denominator per column (the least common multiple of the
column's denominators: a scaled integer; Fractions in, exact), with the bound of the column's
numerators.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs
import polars as pl

from policydsl.engine.columnar.columns import CODE, NUMERIC, KindTable, grid_positions, index_type, slots
from policydsl.engine.columnar.operators import ENTITY, EVALUATED, PERIOD, RECORD, ColumnInfo
from policydsl.schema import EntitySchema


def _typed(frame: pl.DataFrame, table: KindTable, schema: EntitySchema, names: list[str], prefix: str,
           rows: pl.Expr | None) -> tuple[list[pl.Expr], dict[str, ColumnInfo]]:
    """The named columns of `frame` under `prefix`, numbers as Int64 numerators, taken at `rows`
    (a row number per grid place; None: as they are), as expressions of the grid's one query, with
    what the lowering knows of each (the numerators' bounds: one query). An eager operation per
    column would cost more than the column on a province's few hundred rows."""
    present = set(frame.columns)
    names = [n for n in names if n in present]
    numeric = [n for n in names if schema.facts[n].type.name in NUMERIC]
    # the bound from each column's least and greatest value (no column of absolute values is made)
    extremes = frame.select([e for n in numeric for e in (pl.col(n).min().alias(f"{n}:min"),
                                                          pl.col(n).max().alias(f"{n}:max"))]).row(0) \
        if numeric else ()
    bounds = {n: max(abs(low or 0), abs(high or 0)) for n, low, high in zip(numeric, extremes[0::2], extremes[1::2])}
    infos = {prefix + n: ColumnInfo(den=table.scales.get(n, 1), bound=int(bounds[n]), numeric=True)
             if n in bounds else ColumnInfo() for n in names}
    columns = []
    for name in names:
        column = pl.lit(frame[name])
        column = column.cast(pl.Int64) if name in bounds else column
        columns.append((column if rows is None else column.gather(rows)).alias(prefix + name))
    return columns, infos


@attrs.frozen(kw_only=True)
class Grid:
    frame: pl.DataFrame  # @c, @t, @rec, @eval, f:<fact>, s:<static>; sorted by @c, @t
    columns: Mapping[str, ColumnInfo]
    start: int
    end: int
    entities: int
    ids: pl.Series  # the entity id of each code


def grid(table: KindTable, schema: EntitySchema, period_kind: str, lookback: int, data_periods: list[int],
         with_ids: bool = False, floor: int | None = None) -> Grid | None:
    """The kind on the dense (entity × period) grid of one period kind; None if it has no periods.

    The grid spans the data set's periods of that kind (all kinds together), less `lookback`
    periods before the first. An entity described by static attributes only has a record in every
    period and is evaluated at every period of the data (engine/evaluate.py, `has_record`). Each
    row finds its place by position (entity code × span + period), so the rows may come in any
    order and no key is joined. `floor`: no earlier period (a period selected reads no further
    back: `execute._window`). `with_ids`: each row also carries its entity's id as text
    (ENTITY), for frames that other kinds join by id (`across`)."""
    if not data_periods:
        return None
    rows = table.rows
    if table.blocks is not None and table.kind != period_kind:
        rows = rows.clear()  # whole blocks of the other period kind
    elif table.blocks is None and {p.kind for p in table.periods} != {period_kind}:
        rows = rows.filter(pl.col("@pk") == period_kind)
    static_only = ~table.periodic
    if rows.height == 0 and not static_only.any():
        return None
    start = min(data_periods) - lookback if floor is None else max(min(data_periods) - lookback, floor)
    end = max(data_periods)
    span = end - start + 1
    count = table.ids.len()
    size = count * span
    dtype = index_type(max(size, rows.height))
    index = pl.int_range(0, size, dtype=dtype)
    code = (index // span).cast(pl.Int32)
    at = (index % span + start).cast(pl.Int32)
    if table.blocks is not None and table.kind == period_kind:
        # whole blocks, one period each: the row of (code, t) is t's block × entities + code
        block_of = [None] * span
        for number, t in enumerate(table.blocks):
            if start <= t <= end:
                block_of[t - start] = number
        block = pl.lit(pl.Series(block_of, dtype=dtype)).gather(index % span)
        place, in_place = (block * count + code.cast(dtype)), False
    else:
        if floor is not None and rows.height and (rows[PERIOD].min() < start or rows[PERIOD].max() > end):
            rows = rows.filter(pl.col(PERIOD).is_between(start, end))  # the rows of the window
        slot = slots(grid_positions(rows[CODE], rows[PERIOD], span, start), size)
        # the rows are the grid already when every place is filled in order
        in_place = rows.height == size and slot.null_count() == 0 and slot.is_sorted()
        place = pl.lit(slot)
    periodic = [n for n, f in schema.facts.items() if f.period_kind == period_kind]
    statics = [n for n, f in schema.facts.items() if f.period_kind is None]
    # the grid in one query over its places (a place: the row there, or null)
    fact_columns, infos = _typed(rows, table, schema, periodic, "f:", None if in_place else pl.col("@place"))
    static_columns, static_infos = _typed(table.statics, table, schema, statics, "s:", code)
    infos.update(static_infos)
    record = pl.col("@place").is_not_null()
    evaluated = record
    if static_only.any():
        only_static = pl.lit(static_only).gather(code)
        in_data = at.is_in(pl.lit(pl.Series(data_periods, dtype=pl.Int32)).implode())
        evaluated, record = record | (only_static & in_data), record | only_static
    ids = [pl.lit(table.ids).gather(code).alias(ENTITY)] if with_ids else []
    frame = pl.select(place.alias("@place")).select(code.alias(CODE), at.alias(PERIOD), *fact_columns,
                                                   *static_columns, record.alias(RECORD), evaluated.alias(EVALUATED),
                                                   *ids)
    return Grid(frame=frame, columns=infos, start=start, end=end, entities=count, ids=table.ids)
