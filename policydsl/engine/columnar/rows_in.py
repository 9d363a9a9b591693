"""Columnar stage, rows of Python cells to columns: the rows of a JSON table (objects: key → value,
as `tables.read_json` parses them, or as the API is given them) or of an Excel sheet (cells aligned
to its header, as `tables.xlsx_table` reads them), and the kind's schema, in; the kind's
`columns.KindTable` out — or None when the row loader must read the rows (it then words what is
wrong, located by file, row and column, as it always has).

One meaning: a cell means what the row loader makes of it. Each distinct cell of a column is
converted once by the row loader's own functions — `cells.entity_id` for ids, `cells.parse_period`
for periods, `cells.converter` for facts (`data.KindLoader._row` is the reference) — and the rows'
checks run on whole columns in `columns.table_from_typed`, as for a CSV table's texts: a periodic
fact on a row without a period or of the other period kind, two rows of one entity and period,
static attributes that disagree. A number column too fine for Int64 numerators takes part in
those checks and is then left out (the rules reading it run on the row executor, on the row
loader's records). Anything else unusual — a key or header that is no fact's name or label, a key
written twice, a fact given twice in a row, a row that is not an object, a blank id, a cell the
conversion refuses, a type with no column — gives None: the row loader reads the table instead, so that every message is its own.

Distinct cells are told apart by type as well as value (`True` is not `1`, the Decimal `1.0` is
not `1`, `-0.0` is not `0.0`); a cell of a type not listed in `_key` is converted on its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal

import polars as pl

from policydsl.engine.cells import CellError, ShownAsPercent, column_name, converter, entity_id, header_names, \
    is_blank, is_skipped, parse_period
from policydsl.engine.columnar.columns import KindTable, scaled, table_from_typed
from policydsl.engine.columnar.texts import NUMERIC
from policydsl.schema import EntitySchema
from policydsl.types import Type

_MISS = object()
_REFUSED = object()  # a cell the row loader must word
_BY_VALUE = (str, int, bool)  # told apart by type and value (True == 1: the type keeps them apart)
_BY_TEXT = (float, Decimal, dt.date, dt.datetime, dt.time)  # by type and repr (-0.0, 1.0 against 1)
# cells of these types never equal one of another type: a cell is its own key (no bool: True == 1)
_SELF_KEYED = frozenset({str, int, type(None)})


def table_from_sheet(facts: Sequence[str], rows: Iterable[tuple[int, Sequence]], schema: EntitySchema
                     ) -> KindTable | None:
    """The kind's table from a sheet's rows (number, cells aligned to the header) whose header names
    `facts` — each column a fact, once, `id` among them (`files._plain_header`)."""
    columns: list[list] = [[] for _ in facts]
    height = 0
    for _, cells in rows:
        height += 1
        for column, cell in zip(columns, cells):
            column.append(cell)
    return _table(dict(zip(facts, columns)), height, schema)


def table_from_objects(rows: Sequence, schema: EntitySchema) -> KindTable | None:
    """The kind's table from a list of JSON objects (or the API's mappings), keys naming facts."""
    if not all(isinstance(row, Mapping) and not getattr(row, "repeated", None) for row in rows):
        return None  # a row that is not an object, a key written twice: the row loader's to word
    names = header_names(schema)
    keys_of: dict[str, list] = {}  # each fact's keys: its name, its label, or both (in different rows)
    for key in set().union(*rows):
        keys_of.setdefault(column_name(str(key), schema, names).fact, []).append(key)
    if None in keys_of:
        return None  # an unknown key: the row loader warns of it (and of a fact it may misspell)
    if any(sum(key in row for key in keys) > 1 for keys in keys_of.values() if len(keys) > 1 for row in rows):
        return None  # a fact by its name and its label in one row: the row loader compares them
    # a key a row leaves out is a missing cell, as null is
    return _table({fact: [row.get(keys[0]) for row in rows] if len(keys) == 1 else
                   [next((row[key] for key in keys if key in row), None) for row in rows]
                   for fact, keys in keys_of.items()}, len(rows), schema)


def _table(given: Mapping[str, list], height: int, schema: EntitySchema) -> KindTable | None:
    """The kind's table from its cells by fact (a fact not given: missing on every row)."""
    if height == 0 or "id" not in given:
        return None
    ids = _each(given["id"], _id)
    periods = _each(given["period"], _period) if "period" in given else [None] * height
    if ids is None or periods is None:
        return None
    series = [pl.Series("id", ids, dtype=pl.String), pl.Series("period", periods, dtype=pl.String)]
    scales: dict[str, int] = {}
    left_out = []
    for name, fact in schema.facts.items():
        column = _column(given.get(name), height, fact.type)
        if column is None:
            return None
        values, den = column
        series.append(values.alias(name))
        if den is None:
            left_out.append(name)
        elif fact.type.name in NUMERIC:
            scales[name] = den
    return table_from_typed(pl.DataFrame(series), schema, scales, ids_read=True, left_out=tuple(left_out))


def _id(raw: object) -> object:
    if is_blank(raw):
        return _REFUSED  # "missing id"
    try:
        return entity_id(raw)
    except CellError:
        return _REFUSED


def _period(raw: object) -> object:
    """The period's text as `columns.period_columns` reads it back (None: a row of static
    attributes), as the row loader parses the cell."""
    if is_blank(raw):
        return None
    try:
        period = parse_period(raw.strip() if isinstance(raw, str) else raw)
    except CellError:
        return _REFUSED
    return str(period)


def _column(cells: list | None, height: int, fact_type: Type) -> tuple[pl.Series, int | None] | None:
    """A fact's column as the executor reads it (numbers as numerators, with their denominator),
    or None when the row loader must read the table. Numbers too fine for Int64 numerators come
    as their exact values' texts (denominator None): they stand in for the column in the checks
    of the rows, and are then left out (the rules reading them run on the row executor)."""
    name = fact_type.name
    if name in NUMERIC:
        dtype = pl.Int64
    elif name in ("boolean", "date"):
        dtype = pl.Boolean if name == "boolean" else pl.Date
    elif fact_type.is_enum or fact_type.is_reference or name == "text":
        dtype = pl.String
    else:
        return None  # a type with no columnar form
    if cells is None:
        return pl.Series([None] * height, dtype=dtype), 1
    convert = converter(fact_type)

    def value(raw: object) -> object:
        if is_skipped(raw):
            return None  # a cell the row loader skips
        try:
            found = convert(raw)
        except CellError:
            return _REFUSED
        return found.ratio if name == "percent" else found

    values = _each(cells, value)
    if values is None:
        return None
    if name not in NUMERIC:
        return pl.Series(values, dtype=dtype), 1
    found = scaled(values)
    if found is None:
        return pl.Series([None if v is None else str(v) for v in values], dtype=pl.String), None
    return found


def _each(cells: list, convert: Callable[[object], object]) -> list | None:
    """`convert` of every cell, asked once per distinct cell; None when it refuses one."""
    if set(map(type, cells)) <= _SELF_KEYED:  # (most columns) each cell tells itself from the others
        known = {cell: convert(cell) for cell in set(cells)}
        if _REFUSED in known.values():
            return None
        return list(map(known.__getitem__, cells))
    known = {}
    values = []
    for cell in cells:
        key = _key(cell)
        found = known.get(key, _MISS) if key is not None else _MISS
        if found is _MISS:
            found = convert(cell)
            if found is _REFUSED:
                return None
            if key is not None:
                known[key] = found
        values.append(found)
    return values


def _key(cell: object) -> object:
    """What tells a cell from another for its conversion (None: convert it on its own)."""
    kind = type(cell)
    if kind is str:
        return cell
    if cell is None or kind in _BY_VALUE:
        return kind, cell
    if kind in _BY_TEXT:
        return kind, repr(cell)
    if kind is ShownAsPercent and type(cell.value) in _BY_TEXT + _BY_VALUE:
        # its conversion reads the value alone (the cell's address words a refusal: the row loader's)
        return kind, type(cell.value), repr(cell.value)
    return None
