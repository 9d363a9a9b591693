"""Columnar stage, frames to columns: long rows as a typed frame gives them (the API's Polars
DataFrames and Arrow tables; a Parquet table's whole-number, boolean, id and period columns, for
`cells_in`) in; one `KindTable` per kind out, or word that the rows need the row loader.

The checks are vectorised, each text once per distinct value with the data stage's own cell rules
(ids, periods, enumeration members, texts; duplicates and disagreeing static attributes by
position: `columns.table_from_typed`); a list of rows is typed by `rows_in`. Any problem sends the table through the data stage's own
validation (`engine/data.py`), so that the messages — file, row, column — are exactly the row
loader's; so does a column whose type has no direct columnar form (text digits, floats, dates).

`long_from_wide` reshapes a wide table (one column per period) into long rows.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from policydsl.diagnostics import did_you_mean
from policydsl.engine import data as data_stage
from policydsl.engine.cells import CellError, convert, is_blank
from policydsl.engine.tables import floats_as_printed
from policydsl.engine.columnar import rows_in
from policydsl.engine.columnar.columns import MAX_NUMERATOR, NUMERIC, PLAIN_TEXT, KindTable, period_columns, \
    table_from_typed, tables_from_dataset
from policydsl.schema import Dataset, EntitySchema

# from this many rows on, a list of rows is typed once per distinct cell (`rows_in`); below, the row
# loader costs less (the province's tables as lists, CPU: 1,000 rows of 40 keys 18 against 22 ms, 200
# rows 11 against 8; 300 rows of 24 keys 6 against 9 ms, 100 rows 4 against 5)
ROW_LOADER_OBJECTS = 500
# the type of a column that holds nulls only, per fact type (numbers: Int64 numerators)
_EMPTY = {"integer": pl.Int64, "decimal": pl.Int64, "money": pl.Int64, "percent": pl.Int64, "boolean": pl.Boolean,
          "date": pl.Date}


def is_frame(value: object) -> bool:
    return isinstance(value, pl.DataFrame) or type(value).__module__.startswith("pyarrow")


def as_frame(value: object) -> pl.DataFrame:
    """A Polars DataFrame or an Arrow table as a DataFrame, 32-bit floats as they print
    (`tables.floats_as_printed`)."""
    return floats_as_printed(value if isinstance(value, pl.DataFrame) else pl.from_arrow(value))


def keys_read_directly(frame: pl.DataFrame, schema: EntitySchema) -> bool:
    """Whether the frame's id and period columns are read without the row loader, and every other
    column is a fact by its name."""
    if "id" not in frame.columns or "period" not in frame.columns:
        return False
    if any(c not in schema.facts and c not in ("id", "period") for c in frame.columns):
        return False  # a label for a header, or an unknown column: the row loader maps or reports it
    if not (frame.schema["id"] == pl.String or frame.schema["id"].is_integer()):
        return False  # a float or boolean id is an error the row loader words
    return frame.schema["period"] in (pl.String, pl.Null) or frame.schema["period"].is_integer() \
        or isinstance(frame.schema["period"], pl.Enum)


def reads_directly(dtype, fact_type) -> bool:
    """Whether a column of this type holds the fact as the executor reads it (no conversion):
    whole numbers for numbers, booleans, texts for texts, enumerations and references. Percents
    (12.5 means 12.5 %: the ratio 1/8), dates and every other type need the row loader's conversion."""
    if fact_type.name == "percent":
        return False
    if fact_type.name in NUMERIC:
        return dtype.is_integer() or dtype == pl.Null
    if fact_type.name == "boolean":
        return dtype in (pl.Boolean, pl.Null)
    if fact_type.is_enum or fact_type.is_reference or fact_type.name == "text":
        return dtype in (pl.String, pl.Null)
    return False


def _direct(frame: pl.DataFrame, schema: EntitySchema) -> bool:
    """Whether every column has a type the columnar path reads without the row loader."""
    return keys_read_directly(frame, schema) and all(
        reads_directly(frame.schema[name], fact.type) for name, fact in schema.facts.items() if name in frame.columns)


def _reads_as_itself(values: pl.Series, fact_type) -> bool:
    """Whether every distinct text of a column is what the data stage's `convert` makes of it (not
    blank, no spaces at the ends, NFC; for an enumeration, a member). Checked once per distinct text."""
    distinct = values.drop_nulls().unique()
    if fact_type.is_enum:
        return bool(distinct.is_in(pl.Series(list(fact_type.members), dtype=pl.String).implode()).all())
    for text in distinct.filter(~distinct.str.contains(PLAIN_TEXT)).to_list():
        try:
            if is_blank(text) or convert(text, fact_type) != text:
                return False
        except CellError:
            return False
    return True


def enumerated(values: pl.Series, members) -> pl.Series | None:
    """An enumeration's column as a Polars Enum (a small integer per row: cheap to compare and to
    move), or None when a value is not a member as written (the row loader words it). The
    categories are in code-point order, so that an ordering of two values is Python's."""
    try:
        return values.cast(pl.Enum(sorted(members)))
    except pl.exceptions.InvalidOperationError:
        return None


def table_from_frame(frame: pl.DataFrame, schema: EntitySchema) -> KindTable | None:
    """The kind's table from a frame of the API's long rows whose columns are named by facts, or
    None when something needs the row loader: a type it converts (`_direct`), or rows it reports."""
    return table_from_long(frame, schema) if _direct(frame, schema) else None


def table_from_long(frame: pl.DataFrame, schema: EntitySchema, scales: Mapping[str, int] | None = None,
                    left_out: tuple[str, ...] = ()) -> KindTable | None:
    """The kind's table from a frame of long rows whose keys are read directly (`keys_read_directly`)
    and whose facts are typed as the executor reads them (numbers as numerators over `scales`; texts
    checked here), or None when something needs the row loader. The columns `left_out` (numbers
    with no columnar form, as read), and whole numbers past `MAX_NUMERATOR`, take part in the checks
    of the rows (a fact on a row of the other period kind, statics that disagree) and are then left
    out of the table: the rules reading them run on the row executor."""
    if frame.height == 0 or frame["id"].null_count():
        return None
    periods = period_columns(frame["period"])
    if periods is None:
        return None
    times, kinds, found = periods
    typed, too_large = {}, list(left_out)
    for name, fact in schema.facts.items():
        if name not in frame.columns or name in left_out:
            continue
        dtype = frame.schema[name]
        if dtype == pl.Null:  # a column of nulls only (as exports write one): the type the executor reads
            typed[name] = frame[name].cast(_EMPTY.get(fact.type.name, pl.String))
            continue
        if fact.type.name in NUMERIC and dtype.is_integer():
            low, high = frame[name].min(), frame[name].max()
            if max(abs(low or 0), abs(high or 0)) > MAX_NUMERATOR:
                too_large.append(name)  # as `scaled` leaves it: the rules reading it run on the row executor
            elif dtype != pl.Int64:
                typed[name] = frame[name].cast(pl.Int64)
            continue
        if dtype != pl.String:
            continue
        if fact.type.is_enum:
            typed[name] = enumerated(frame[name], fact.type.members)
            if typed[name] is None:
                return None
        elif not _reads_as_itself(frame[name], fact.type):
            return None
    if typed:
        frame = frame.with_columns(typed.values())
    return table_from_typed(frame, schema, scales, times_found=periods, left_out=tuple(too_large))


def tables_from_frames(mapping: Mapping[str, object], schemas: Mapping[str, EntitySchema],
                       computed: Mapping[str, frozenset[str]] | None = None
                       ) -> tuple[dict[str, KindTable], Dataset | None]:
    """Long tables per kind from the API's input, and the Dataset of the kinds the row loader read
    (with its warnings; None when it read none).

    Kinds given as lists of rows are typed once per distinct cell (`rows_in`) from
    `ROW_LOADER_OBJECTS` rows on; shorter lists, lists `rows_in` refuses, and frames that fail a
    vectorised check or need a conversion, go through `data.dataset_from_mapping` (which raises its located `DataError` on bad data;
    `computed` names the derived values, whose columns are not read).
    """
    direct: dict[str, KindTable] = {}
    through_rows: dict[str, object] = {}
    for kind, value in mapping.items():
        if kind not in schemas:
            continue
        if isinstance(value, list) and len(value) >= ROW_LOADER_OBJECTS:
            table = rows_in.table_from_objects(value, schemas[kind])
            if table is not None:
                direct[kind] = table
                continue
        if is_frame(value):
            frame = as_frame(value)
            table = table_from_frame(frame, schemas[kind])
            if table is not None:
                direct[kind] = table
                continue
            value = frame.to_dicts()
        through_rows[kind] = value
    if not through_rows and direct:
        return direct, None
    dataset = data_stage.dataset_from_mapping(through_rows, schemas, computed=computed,
                                              rows_elsewhere=any(t.ids.len() for t in direct.values()))
    direct.update({k: t for k, t in tables_from_dataset(dataset, schemas).items() if k in through_rows})
    return direct, dataset


def rows_of(mapping: Mapping[str, object]) -> dict[str, object]:
    """The mapping with every frame turned into rows, for the row executor."""
    return {kind: as_frame(v).to_dicts() if is_frame(v) else v for kind, v in mapping.items()}


def long_from_wide(frame, *, id_column: str, periods: Mapping[str, str], fact: str) -> pl.DataFrame:
    """Reshape a wide table (one column per period of one fact) into long rows.

        long_from_wide(df, id_column="enterprise_id", periods={"2019": "r2019", "2020": "r2020"},
                       fact="rating")  ->  id, period, rating
    Other columns of the wide table are static attributes and repeat on every row. The ids keep
    their type (the engine reads a whole number as its decimal text, as the row loader does). The rows come
    period after period (each period's block holds the ids in the wide table's order; the blocks
    share the wide table's columns rather than copy them), and `period` is an enumeration of the
    periods given, so that the columnar executor reads the layout and the periods without hashing.
    """
    frame = as_frame(frame)
    missing = [c for c in (id_column, *periods.values()) if c not in frame.columns]
    if missing:
        hint = did_you_mean(missing[0], frame.columns)
        raise ValueError(f"long_from_wide: the wide table has no column `{missing[0]}`" + (f"; {hint}" if hint else "")
                         + f" (its columns: {', '.join(frame.columns)})")
    others = [c for c in frame.columns if c not in set(periods.values()) and c != id_column]
    ids = frame[id_column].alias("id")  # as given: whole numbers are read as their text
    period_type = pl.Enum(list(periods))
    # each block of Series as they are (a query would copy them); its period one value repeated
    blocks = [pl.DataFrame([ids, pl.Series("period", [period], dtype=period_type).new_from_index(0, frame.height),
                            frame[column].alias(fact), *(frame[c] for c in others)])
              for period, column in periods.items()]
    # columns of one fact in types that differ (a period all blank reads as Null): their common type
    how = "vertical" if len({frame.schema[c] for c in periods.values()}) < 2 else "vertical_relaxed"
    return pl.concat(blocks, how=how, rechunk=False) if blocks else \
        pl.DataFrame([ids.clear(), pl.Series("period", [], dtype=period_type), pl.Series(fact, [])])
