"""Columnar stage, data to columns: a `Dataset`, or tables of long rows, in; typed frames out.

Long rows are the contract (`id`, `period`, one column per fact; a row without a period carries
static attributes). Two ways in:

- `tables_from_dataset`: a validated `Dataset` (the CLI's `--data`, scenario facts) becomes one
  long frame per entity kind;
- `tables_from_frames`: Polars DataFrames or Arrow tables given to the API are checked with
  vectorised expressions (ids, periods, duplicates, enumeration members, column types). Any
  problem sends the table through the data stage's own validation (`engine/data.py`), so that
  the messages — file, row, column — are exactly the row loader's; so does a column whose type
  has no direct columnar form (text digits, floats, dates).

`long_from_wide` reshapes a wide table (one column per period) into long rows.

`grid` then lays one kind out for one period kind on the dense grid the lowering expects
(`lowering` module docstring): numbers become Int64 numerators over one denominator per column
(the least common multiple of the column's denominators: a scaled integer; Fractions in, exact),
with the bound of the column's numerators.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from fractions import Fraction

import attrs
import polars as pl

from policydsl.engine import data as data_stage
from policydsl.engine.columnar.lowering import ENTITY, PERIOD, RECORD, ColumnInfo
from policydsl.schema import Dataset, EntitySchema
from policydsl.values import Period

NUMERIC = frozenset({"integer", "decimal", "money", "percent"})  # a percent as its ratio (ops)
MAX_SCALE = 10 ** 12  # a column needing a larger common denominator stays on the row executor


def period_index(period: Period) -> int:
    return period.year * 4 + period.quarter - 1 if period.quarter else period.year


def period_of(index: int, period_kind: str) -> Period:
    return Period(index // 4, index % 4 + 1) if period_kind == "quarter" else Period(index)


@attrs.frozen(kw_only=True)
class KindTable:
    """One entity kind in long form: periodic rows (`@id`, `@t`, `@pk`, facts) and statics."""

    rows: pl.DataFrame  # @id, @pk ("year"/"quarter"), @t, one column per periodic fact
    statics: pl.DataFrame  # @id, one column per static attribute (every entity of the kind)
    scales: Mapping[str, int] = attrs.field(factory=dict)  # numeric columns stored as numerators: their denominator


def _scaled(values: list) -> tuple[pl.Series, int] | None:
    """Exact numbers as Int64 numerators over their least common denominator (None: too fine)."""
    den = 1
    for v in values:
        if isinstance(v, Fraction):
            den = math.lcm(den, v.denominator)
            if den > MAX_SCALE:
                return None
    nums = [None if v is None else int(v * den) for v in values]
    if any(v is not None and abs(v) > 2 ** 62 for v in nums):
        return None
    return pl.Series(nums, dtype=pl.Int64), den


def _column_values(values: list, fact_type, scales: dict[str, int], name: str) -> pl.Series | None:
    if fact_type.name in NUMERIC:
        if fact_type.name == "percent":
            values = [None if v is None else v.ratio for v in values]
        scaled = _scaled(values)
        if scaled is None:
            return None  # rules reading it run on the row executor
        scales[name] = scaled[1]
        return scaled[0]
    if fact_type.name == "boolean":
        return pl.Series(values, dtype=pl.Boolean)
    if fact_type.is_enum or fact_type.is_reference or fact_type.name == "text":
        return pl.Series(values, dtype=pl.String)
    if fact_type.name == "date":
        return pl.Series(values, dtype=pl.Date)
    return None


def tables_from_dataset(dataset: Dataset, schemas: Mapping[str, EntitySchema]) -> dict[str, KindTable]:
    tables = {}
    for kind, schema in schemas.items():
        records = dataset.entities(kind)
        periodic = [f for f in schema.facts.values() if f.period_kind is not None]
        static = [f for f in schema.facts.values() if f.period_kind is None]
        ids, kinds, times, scales = [], [], [], {}
        cells: dict[str, list] = {f.name: [] for f in periodic}
        for entity in sorted(records):
            for period, row in records[entity].periods.items():
                ids.append(entity)
                kinds.append(period.kind)
                times.append(period_index(period))
                for fact in periodic:
                    cells[fact.name].append(row.get(fact.name))
        columns = {ENTITY: pl.Series(ids, dtype=pl.String), "@pk": pl.Series(kinds, dtype=pl.String),
                   PERIOD: pl.Series(times, dtype=pl.Int64)}
        for fact in periodic:
            series = _column_values(cells[fact.name], fact.type, scales, fact.name)
            if series is not None:
                columns[fact.name] = series
        static_columns = {ENTITY: pl.Series(sorted(records), dtype=pl.String)}
        for fact in static:
            series = _column_values([records[e].static.get(fact.name) for e in sorted(records)], fact.type,
                                    scales, fact.name)
            if series is not None:
                static_columns[fact.name] = series
        tables[kind] = KindTable(rows=pl.DataFrame(columns), statics=pl.DataFrame(static_columns), scales=scales)
    return tables


# ---- frames given to the API ---------------------------------------------------------------

_PERIOD_PATTERN = r"^\d{4}(-Q[1-4])?$"


def is_frame(value: object) -> bool:
    return isinstance(value, pl.DataFrame) or type(value).__module__.startswith("pyarrow")


def as_frame(value: object) -> pl.DataFrame:
    return value if isinstance(value, pl.DataFrame) else pl.from_arrow(value)


def _direct(frame: pl.DataFrame, schema: EntitySchema) -> bool:
    """Whether every column has a type the columnar path reads without the row loader."""
    if "id" not in frame.columns or "period" not in frame.columns:
        return False
    for name, fact in schema.facts.items():
        if name not in frame.columns:
            continue
        dtype = frame.schema[name]
        if fact.type.name == "percent":
            return False  # 12.5 means 12.5 %: the row loader converts it to its ratio
        if fact.type.name in NUMERIC and not (dtype.is_integer() or dtype == pl.Null):
            return False
        if fact.type.name == "boolean" and dtype not in (pl.Boolean, pl.Null):
            return False
        if (fact.type.is_enum or fact.type.is_reference or fact.type.name == "text") \
                and dtype not in (pl.String, pl.Null):
            return False
        if not (fact.type.name in NUMERIC or fact.type.name in ("boolean", "text") or fact.type.is_enum
                or fact.type.is_reference):
            return False  # dates, percents: the row loader converts them
    return True


def _clean(frame: pl.DataFrame, schema: EntitySchema) -> bool:
    """Vectorised checks for what the row loader would report; True if none applies."""
    ids = pl.col("id").cast(pl.String)
    text = pl.col("period").cast(pl.String)
    checks = [ids.is_null() | (ids.str.strip_chars() == "") | (ids != ids.str.strip_chars()),
              text.is_not_null() & ~text.str.contains(_PERIOD_PATTERN)]
    for name, fact in schema.facts.items():
        if name not in frame.columns:
            continue
        if fact.type.is_enum:
            checks.append(pl.col(name).is_not_null() & ~pl.col(name).is_in(list(fact.type.members)))
        if fact.type.is_enum or fact.type.is_reference or fact.type.name == "text":
            value = pl.col(name)
            checks.append(value.is_not_null() & ((value.str.strip_chars() == "") | (value != value.str.strip_chars())))
        if fact.period_kind is not None:  # a periodic fact on a row without a period, or of the other kind
            quarterly = text.str.contains("-Q")
            wrong = text.is_null() | (quarterly if fact.period_kind == "year" else ~quarterly)
            checks.append(pl.col(name).is_not_null() & wrong)
    found = frame.select(pl.any_horizontal(checks).any()).item()
    if found:
        return False
    periodic = frame.filter(pl.col("period").is_not_null())
    if periodic.select(pl.struct(pl.col("id").cast(pl.String), pl.col("period").cast(pl.String))
                       .is_duplicated().any()).item():
        return False
    statics = [n for n, f in schema.facts.items() if f.period_kind is None and n in frame.columns]
    if statics:
        disagree = frame.group_by(pl.col("id").cast(pl.String)).agg(
            [pl.col(n).drop_nulls().n_unique().alias(n) for n in statics])
        if disagree.select(pl.any_horizontal([pl.col(n) > 1 for n in statics]).any()).item():
            return False
    return True


def _table_from_frame(frame: pl.DataFrame, schema: EntitySchema) -> KindTable:
    text = pl.col("period").cast(pl.String)
    quarterly = text.str.contains("-Q")
    year = text.str.slice(0, 4).cast(pl.Int64)
    index = pl.when(quarterly).then(year * 4 + text.str.slice(6, 1).cast(pl.Int64) - 1).otherwise(year)
    periodic = [n for n, f in schema.facts.items() if f.period_kind is not None and n in frame.columns]
    rows = frame.filter(pl.col("period").is_not_null()).select(
        pl.col("id").cast(pl.String).alias(ENTITY),
        pl.when(quarterly).then(pl.lit("quarter")).otherwise(pl.lit("year")).alias("@pk"),
        index.alias(PERIOD), *periodic)
    statics = [n for n, f in schema.facts.items() if f.period_kind is None and n in frame.columns]
    static_frame = (frame.group_by(pl.col("id").cast(pl.String).alias(ENTITY))
                    .agg([pl.col(n).drop_nulls().first() for n in statics]).sort(ENTITY))
    return KindTable(rows=rows, statics=static_frame)


def tables_from_frames(mapping: Mapping[str, object], schemas: Mapping[str, EntitySchema]
                       ) -> tuple[dict[str, KindTable], Dataset | None]:
    """Long tables per kind from the API's input; the Dataset too if the row loader was needed.

    Kinds given as lists of rows, and frames that fail a vectorised check or need a conversion,
    go through `data.dataset_from_mapping` (which raises its located `DataError` on bad data).
    """
    direct: dict[str, KindTable] = {}
    through_rows: dict[str, object] = {}
    for kind, value in mapping.items():
        if kind not in schemas:
            continue
        if is_frame(value):
            frame = as_frame(value)
            if _direct(frame, schemas[kind]) and _clean(frame, schemas[kind]):
                direct[kind] = _table_from_frame(frame, schemas[kind])
                continue
            value = frame.to_dicts()
        through_rows[kind] = value
    dataset = None
    if through_rows or not direct:
        dataset = data_stage.dataset_from_mapping(through_rows, schemas)
        direct.update({k: t for k, t in tables_from_dataset(dataset, schemas).items() if k in through_rows})
    return direct, dataset


def rows_of(mapping: Mapping[str, object]) -> dict[str, object]:
    """The mapping with every frame turned into rows, for the row executor."""
    return {kind: as_frame(v).to_dicts() if is_frame(v) else v for kind, v in mapping.items()}


def long_from_wide(frame, *, id_column: str, periods: Mapping[str, str], fact: str) -> pl.DataFrame:
    """Reshape a wide table (one column per period of one fact) into long rows.

        long_from_wide(df, id_column="enterprise_id", periods={"2019": "r2019", "2020": "r2020"},
                       fact="rating")  ->  id, period, rating
    Other columns of the wide table are static attributes and repeat on every row.
    """
    frame = as_frame(frame)
    by_column = {column: period for period, column in periods.items()}
    others = [c for c in frame.columns if c not in by_column and c != id_column]
    long = frame.unpivot(index=[id_column, *others], on=list(by_column), variable_name="period", value_name=fact)
    return long.select(pl.col(id_column).cast(pl.String).alias("id"),
                       pl.col("period").replace_strict(by_column, return_dtype=pl.String),
                       pl.col(fact), *others)


# ---- the dense grid --------------------------------------------------------------------------

def _typed(frame: pl.DataFrame, table: KindTable, schema: EntitySchema, names: list[str], prefix: str
           ) -> tuple[list[pl.Series], dict[str, ColumnInfo]]:
    columns, infos = [], {}
    for name in names:
        if name not in frame.columns:
            continue
        series = frame[name]
        if schema.facts[name].type.name in NUMERIC:
            series = series.cast(pl.Int64)
            bound = series.abs().max()
            info = ColumnInfo(den=table.scales.get(name, 1), bound=int(bound or 0), numeric=True)
        else:
            info = ColumnInfo()
        columns.append(series.alias(prefix + name))
        infos[prefix + name] = info
    return columns, infos


@attrs.frozen(kw_only=True)
class Grid:
    frame: pl.DataFrame  # @id, @t, @rec, f:<fact>, s:<static>; sorted by @id, @t
    columns: Mapping[str, ColumnInfo]
    start: int
    end: int
    entities: int


EVALUATED = "@eval"  # the rows rules are evaluated at


def grid(table: KindTable, schema: EntitySchema, period_kind: str, lookback: int, data_periods: list[int]
         ) -> Grid | None:
    """The kind on the dense (entity × period) grid of one period kind; None if it has no periods.

    The grid spans the data set's periods of that kind (all kinds together), less `lookback`
    periods before the first. An entity described by static attributes only has a record in every
    period and is evaluated at every period of the data (engine/evaluate.py, `has_record`)."""
    rows = table.rows.filter(pl.col("@pk") == period_kind)
    if not data_periods:
        return None
    start = min(data_periods) - lookback
    end = max(data_periods)
    periodic = [n for n, f in schema.facts.items() if f.period_kind == period_kind]
    statics = [n for n, f in schema.facts.items() if f.period_kind is None]
    fact_columns, infos = _typed(rows, table, schema, periodic, "f:")
    static_columns, static_infos = _typed(table.statics, table, schema, statics, "s:")
    infos.update(static_infos)
    entity_ids = table.statics[ENTITY]
    static_only = entity_ids.filter(~entity_ids.is_in(table.rows[ENTITY].unique()))
    if rows.height == 0 and not len(static_only):
        return None
    base = (pl.DataFrame([entity_ids]).with_columns(pl.int_ranges(start, end + 1, dtype=pl.Int64).alias(PERIOD))
            .explode(PERIOD))
    facts = pl.DataFrame([rows[ENTITY], rows[PERIOD], *fact_columns]).with_columns(pl.lit(True).alias(RECORD))
    frame = base.join(facts, on=[ENTITY, PERIOD], how="left", maintain_order="left")
    if static_columns:
        frame = frame.join(pl.DataFrame([table.statics[ENTITY], *static_columns]), on=ENTITY, how="left",
                           maintain_order="left")
    only_static = pl.col(ENTITY).is_in(static_only.to_list()) if len(static_only) else pl.lit(False)
    frame = frame.with_columns(
        (pl.col(RECORD).fill_null(False) | (only_static & pl.col(PERIOD).is_in(data_periods))).alias(EVALUATED),
        (pl.col(RECORD).fill_null(False) | only_static).alias(RECORD))
    return Grid(frame=frame, columns=infos, start=start, end=end, entities=len(entity_ids))
