"""Columnar stage, columns to the grid: a kind's checked table (`columns.KindTable`) in; the
kind laid out for one period kind on the dense (period × entity) grid the lowering expects out
(`lowering` module docstring; column names in `operators`).

Each row is put in its place by position (rows laid out period after period, every entity once
per block in code order, are the grid already: `KindTable.blocks`; others by one scatter of row
numbers): numbers become Int64 numerators over one denominator per column (the least common
multiple of the column's denominators: a scaled integer; Fractions in, exact), with the bound of
the column's numerators.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import attrs
import polars as pl

from policydsl.engine.columnar.columns import CODE, NUMERIC, KindTable, index_type, slots
from policydsl.engine.columnar.operators import ENTITY, EVALUATED, PERIOD, RECORD, ColumnInfo
from policydsl.schema import EntitySchema

SMALL_GRID = 65_536  # rows: below this a grid is made one piece per column


Placing = Callable[[list[tuple[pl.Series, bool]]], list[pl.Series]]  # (column, as Int64?) -> on the grid


def _typed(frame: pl.DataFrame, table: KindTable, schema: EntitySchema, names: list[str], prefix: str,
           place: Placing) -> tuple[list[pl.Series], dict[str, ColumnInfo]]:
    """The named columns of `frame` under `prefix`, numbers as Int64 numerators, put in their
    places on the grid by `place`, with what the lowering knows of each (the numerators' bounds,
    from each column's least and greatest value in one query: no column of absolute values)."""
    present = set(frame.columns)
    names = [n for n in names if n in present]
    numeric = [n for n in names if schema.facts[n].type.name in NUMERIC]
    extremes = frame.select([e for n in numeric for e in (pl.col(n).min().alias(f"{n}:min"),
                                                          pl.col(n).max().alias(f"{n}:max"))]).row(0) \
        if numeric else ()
    bounds = {n: max(abs(low or 0), abs(high or 0)) for n, low, high in zip(numeric, extremes[0::2], extremes[1::2])}
    infos = {prefix + n: ColumnInfo(den=table.scales.get(n, 1), bound=int(bounds[n]), numeric=True)
             if n in bounds else ColumnInfo() for n in names}
    placed = place([(frame[name], name in bounds) for name in names])
    return [column.alias(prefix + name) for name, column in zip(names, placed)], infos


def _cast(columns: list[tuple[pl.Series, bool]]) -> list[pl.Series]:
    return [column.cast(pl.Int64) if numeric else column for column, numeric in columns]


@attrs.frozen(kw_only=True)
class Grid:
    frame: pl.DataFrame  # @c, @t, f:<fact>, s:<static>, @rec, @eval (@id): period after period
    columns: Mapping[str, ColumnInfo]
    start: int
    end: int
    entities: int  # the rows of one period: a history walk steps back by this many rows per period
    ids: pl.Series  # the entity id of each code


def _repeated(column: pl.Series, times: int) -> pl.Series:
    """The column once per period, its buffers shared (no copy)."""
    return pl.concat([column] * times, rechunk=False) if times > 1 else column


def _per_period(values: list, count: int, dtype) -> pl.Series:
    """One value per period, on each of the period's `count` rows (each a value repeated: no query)."""
    distinct = pl.Series(values, dtype=dtype)
    return pl.concat([distinct.new_from_index(i, count) for i in range(len(values))], rechunk=False)


def grid(table: KindTable, schema: EntitySchema, period_kind: str, lookback: int, data_periods: list[int],
         with_ids: bool = False, floor: int | None = None) -> Grid | None:
    """The kind on the dense (period × entity) grid of one period kind; None if it has no periods.

    The grid spans the data set's periods of that kind (all kinds together), less `lookback`
    periods before the first; the place of (entity code c, period t) is (t − start) × entities + c:
    period after period, every entity in code order in each (the layout `long_from_wide` writes).
    So a table in that layout is the grid already (each period's block is a slice of its rows, no
    copy; its static attributes and the codes are one column shared by every period), and any
    other layout finds each row's place by one scatter of row numbers (rows in any order, no key
    joined). An entity described by static attributes only has a record, and is evaluated, in every
    period of the data and in no other (engine/evaluate.py, `has_record`). `floor`: no earlier
    period (a period selected reads no further back: `execute._window`). `with_ids`: each row also
    carries its entity's id as text (ENTITY), for frames that other kinds join by id (`across`)."""
    if not data_periods:
        return None
    rows = table.rows
    blocks = table.blocks if table.blocks is not None and table.kind == period_kind else None
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
    periods = range(start, end + 1)
    if blocks is not None:
        # whole blocks, one period each: the grid's period t is the slice of t's block (or nothing)
        block_of = {t: number for number, t in enumerate(blocks) if start <= t <= end}

        def place(columns: list[tuple[pl.Series, bool]]) -> list[pl.Series]:
            return [pl.concat([column.slice(block_of[t] * count, count) if t in block_of
                               else pl.Series([None], dtype=column.dtype).new_from_index(0, count)
                               for t in periods], rechunk=False) for column in _cast(columns)]
        record = _per_period([t in block_of for t in periods], count, pl.Boolean)
    else:
        if floor is not None and rows.height and (rows[PERIOD].min() < start or rows[PERIOD].max() > end):
            rows = rows.filter(pl.col(PERIOD).is_between(start, end))  # the rows of the window
        size = count * span
        dtype = index_type(max(size, rows.height))
        positions = rows.select((pl.col(PERIOD).cast(dtype) - start) * count + pl.col(CODE).cast(dtype)).to_series()
        slot = slots(positions, size)
        # the rows are the grid already when every place is filled in order
        in_place = rows.height == size and slot.null_count() == 0 and slot.is_sorted()

        def place(columns: list[tuple[pl.Series, bool]]) -> list[pl.Series]:
            if in_place or not columns:
                return _cast(columns)
            # every column in one query over the places (an eager gather per column would cost more
            # than the column on a province's few hundred rows)
            return pl.select(pl.lit(slot).alias("@place")).select(
                (pl.lit(column).cast(pl.Int64) if numeric else pl.lit(column)).gather(pl.col("@place"))
                for column, numeric in columns).get_columns()
        record = slot.is_not_null()
    periodic = [n for n, f in schema.facts.items() if f.period_kind == period_kind]
    statics = [n for n, f in schema.facts.items() if f.period_kind is None]
    fact_columns, infos = _typed(rows, table, schema, periodic, "f:", place)
    static_columns, static_infos = _typed(table.statics, table, schema, statics, "s:",
                                          lambda columns: [_repeated(c, span) for c in _cast(columns)])
    infos.update(static_infos)
    evaluated = record
    if static_only.any():
        only_static = _repeated(static_only, span)
        in_data = _per_period([t in set(data_periods) for t in periods], count, pl.Boolean)
        # a record in every period of the data and in no other (`evaluate.Run.has_record`): not in
        # the periods looked back over, nor in a period no kind has, so a walk stops there (G4)
        record = evaluated = record | (only_static & in_data)
    codes = _repeated(pl.int_range(0, count, dtype=pl.Int32, eager=True), span)
    ids = [_repeated(table.ids, span).alias(ENTITY)] if with_ids else []
    frame = pl.DataFrame([codes.alias(CODE), _per_period(list(periods), count, pl.Int32).alias(PERIOD),
                          *fact_columns, *static_columns, record.alias(RECORD), evaluated.alias(EVALUATED), *ids])
    if frame.height < SMALL_GRID:
        frame = frame.rechunk()  # a few hundred rows in many pieces: one piece each is cheaper to compute on
    return Grid(frame=frame, columns=infos, start=start, end=end, entities=count, ids=table.ids)
