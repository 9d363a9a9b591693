"""Columnar stage, typed cells to columns: a column of a frame as a typed file gives it (a Parquet
table: numbers as floats or Decimals, dates, texts...) and a fact's type in; the typed column the
columnar executor reads out (numbers as Int64 numerators over one denominator, percents as their
ratio, dates, booleans, texts), with the values the row loader gives each cell — or word that the
column needs the row loader (a cell it refuses), or has no columnar form (numbers too fine for
Int64 numerators).

One meaning: the row loader's own conversion (`cells.converter`, as `data.fact_converters` makes
it) is applied to each distinct value of the column, once; a missing cell is one the row loader
skips (null, an empty or blank text). The column is then the distinct values' conversions put in
place by one vectorised look-up, so a column of a few distinct values (ratings, towns, flags,
round amounts) costs a few conversions whatever its length. Columns Polars already holds as the
executor reads them (whole numbers, booleans) are not converted; the ids and periods are read as
the API's frames are (`frames_in.table_from_long`).
"""

from __future__ import annotations

import polars as pl

from policydsl.engine.cells import CellError, converter, is_blank
from policydsl.engine.columnar.columns import NUMERIC, KindTable, scaled
from policydsl.engine.columnar.frames_in import keys_read_directly, reads_directly, table_from_long
from policydsl.schema import EntitySchema
from policydsl.types import Type

NEEDS_ROWS = object()  # a cell the row loader must word (the conversion refuses it)
TOO_FINE = object()  # numbers whose common denominator or numerators pass Int64: the row executor reads them


# the types whose values the conversion is asked of (one by one, Python values as Polars gives them);
# a column of any other type (lists, structs, binary, times...) is the row loader's to convert or word
_CONVERTIBLE = (pl.Float32, pl.Float64, pl.Decimal, pl.String, pl.Boolean, pl.Date, pl.Datetime, pl.Null,
                pl.Categorical, pl.Enum)


def table_from_cells(frame: pl.DataFrame, schema: EntitySchema) -> KindTable | None:
    """The kind's table from a frame of a typed file's long rows, its columns named by facts; None
    when something needs the row loader (a cell it refuses or reports, a column of another type)."""
    if not keys_read_directly(frame, schema):
        return None
    converted, scales, too_fine = [], {}, []
    for name in frame.columns:
        fact = schema.facts.get(name)
        dtype = frame.schema[name]
        if fact is None or (reads_directly(dtype, fact.type) and dtype != pl.String):
            continue  # whole numbers, booleans: as the executor reads them (texts may need NFC, stripping...)
        if not (dtype.is_integer() or dtype.base_type() in _CONVERTIBLE):
            return None
        found = converted_column(frame[name], fact.type)
        if found is NEEDS_ROWS:
            return None
        if found is TOO_FINE:
            too_fine.append(name)  # kept as read for the checks of the rows, then left out (`table_from_long`)
            continue
        column, den = found
        converted.append(column)
        if fact.type.name in NUMERIC:
            scales[name] = den
    return table_from_long(frame.with_columns(converted), schema, scales, left_out=tuple(too_fine))


def converted_column(column: pl.Series, fact_type: Type) -> tuple[pl.Series, int] | object:
    """The column as the executor reads it, with its denominator (1 but for numbers); NEEDS_ROWS
    when the row loader's conversion refuses a cell, TOO_FINE for numbers without a columnar form."""
    if column.dtype.is_float() and _both_zeros(column):  # 0.0 and -0.0 print apart, but are one in a join
        return NEEDS_ROWS
    distinct = column.unique(maintain_order=True)
    try:
        cells = distinct.to_list()
    except Exception:  # noqa: BLE001  a value Python cannot hold (a date of year 10183...): the row loader words it
        return NEEDS_ROWS
    convert = converter(fact_type)
    values = []
    for value in cells:
        if is_blank(value):  # a cell the row loader skips
            values.append(None)
            continue
        try:
            values.append(convert(value))
        except CellError:
            return NEEDS_ROWS
    name = fact_type.name
    if name in NUMERIC:
        found = scaled([v if v is None or name != "percent" else v.ratio for v in values])
        if found is None:
            return TOO_FINE
        numerators, den = found
        placed = _placed(column, distinct, numerators.to_list(), pl.Int64)
        return NEEDS_ROWS if placed is None else (placed, den)
    dtype = pl.Boolean if name == "boolean" else pl.Date if name == "date" else pl.String
    placed = _placed(column, distinct, values, dtype)
    return NEEDS_ROWS if placed is None else (placed, 1)


def _both_zeros(column: pl.Series) -> bool:
    """Whether a float column holds 0.0 and -0.0 (their signs: 1 / ±0.0 is ±inf)."""
    signs = (1.0 / column.filter(column == 0)).sign().unique()
    return signs.len() > 1


def _placed(column: pl.Series, distinct: pl.Series, values: list, dtype) -> pl.Series | None:
    """Each cell's value: the value of its distinct cell (by position in `distinct`); None if a
    cell matched none (equality that the join and `unique` would see otherwise: the row loader
    then reads the column, cell by cell)."""
    codes = column.to_frame("cell").join(
        pl.DataFrame([distinct.alias("cell"), pl.int_range(0, distinct.len(), eager=True).alias("@code")]),
        on="cell", how="left", nulls_equal=True, maintain_order="left")["@code"]
    if codes.null_count():
        return None
    return pl.Series(column.name, values, dtype=dtype).gather(codes)
