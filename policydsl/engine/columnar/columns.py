"""Columnar stage, data to columns: a `Dataset`, or long rows already typed, in; one `KindTable`
(long frame) per entity kind out.

Long rows are the contract (`id`, `period`, one column per fact; a row without a period carries
static attributes). `tables_from_dataset` makes the tables of a validated `Dataset` (the CLI's
`--data` read by the row loader, scenario facts); `table_from_typed` those of long rows whose
columns are typed as the executor reads them (the readers of files and frames, `texts`,
`cells_in`, `frames_in`, end there), checking the rows by position: periods, facts on rows of
the other period kind, two rows of one entity and period, static attributes that disagree.

Entities are numbered within their kind (`KindTable.ids`; `entity_codes`), so that laying rows
on the grid, combining decisions and filtering work on integers; ids come back as text only for
the decisions asked for.

The next stage, `grid`, lays each kind on the dense (entity × period) grid.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping

import attrs
import polars as pl

from policydsl.engine.columnar.operators import ENTITY, PERIOD
from policydsl.engine.cells import MAX_ID_LENGTH, CellError, is_blank, nfc, parse_period
from policydsl.schema import Dataset, EntitySchema, columns_of
from policydsl.values import Period

NUMERIC = frozenset({"integer", "decimal", "money", "percent"})  # a percent as its ratio (ops)
MAX_SCALE = 10 ** 12  # a column needing a larger common denominator stays on the row executor
CODE = "@c"  # an entity's number within its kind (Int32): its position in `KindTable.ids`; periods are Int32 too


def period_index(period: Period) -> int:
    return period.year * 4 + period.quarter - 1 if period.quarter else period.year


@functools.lru_cache(maxsize=4096)
def period_of(index: int, period_kind: str) -> Period:
    """The period of a grid index (one object per period: a run reads back thousands of rows over a
    few periods, and periods are immutable)."""
    return Period(index // 4, index % 4 + 1) if period_kind == "quarter" else Period(index)


@attrs.frozen(kw_only=True)
class KindTable:
    """One entity kind in long form, its entities numbered: an entity's code is its position in `ids`."""

    ids: pl.Series  # String: every entity of the kind
    rows: pl.DataFrame  # @c (code), @pk ("year"/"quarter"), @t, one column per periodic fact; a row per record
    # (with `blocks`: the fact columns alone)
    statics: pl.DataFrame  # one column per static attribute, one row per entity, in code order (no column: empty)
    periodic: pl.Series  # Boolean per entity: whether it has a row with a period (else: statics only)
    periods: frozenset[Period]  # the periods of its rows
    scales: Mapping[str, int] = attrs.field(factory=dict)  # numeric columns stored as numerators: their denominator
    # rows laid out period after period, every entity once per block in code order (as
    # `long_from_wide` writes them): each block's period index, so that `grid` finds a row's place
    # by arithmetic, and `rows` holds the facts alone (no @c, @pk, @t; the input's period column
    # shared as @period), all of period kind `kind`;
    # None: any other layout
    blocks: tuple[int, ...] | None = None
    kind: str | None = None

    def with_ids(self) -> pl.DataFrame:
        """The static attributes with each entity's id (ENTITY)."""
        return pl.DataFrame([self.ids, *self.statics.get_columns()])


MAX_NUMERATOR = 2 ** 62  # a larger numerator in the data: the column stays on the row executor


def scaled(values: list) -> tuple[pl.Series, int] | None:
    """Exact numbers as Int64 numerators over their least common denominator (None: too fine)."""
    # an int is its own numerator over 1; the common denominator from the distinct ones
    denominators = {v.denominator for v in values if v is not None}
    den = 1
    for each in denominators:
        den = math.lcm(den, each)
        if den > MAX_SCALE:
            return None
    # each numerator scaled by the integer den / its denominator: exact, no Fraction made
    nums = [None if v is None else v.numerator * (den // v.denominator) for v in values]
    present = [v for v in nums if v is not None]
    if present and max(max(present), -min(present)) > MAX_NUMERATOR:
        return None
    return pl.Series(nums, dtype=pl.Int64), den


def _column_values(values: list, fact_type, scales: dict[str, int], name: str) -> pl.Series | None:
    if fact_type.name in NUMERIC:
        if fact_type.name == "percent":
            values = [None if v is None else v.ratio for v in values]
        found = scaled(values)
        if found is None:
            return None  # rules reading it run on the row executor
        scales[name] = found[1]
        return found[0]
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
        entities = sorted(records)
        periodic = [f for f in schema.facts.values() if f.period_kind is not None]
        static = [f for f in schema.facts.values() if f.period_kind is None]
        scales: dict[str, int] = {}
        entries = [(code, period, row) for code, entity in enumerate(entities)
                   for period, row in records[entity].periods.items()]
        periods = {period for _, period, _ in entries}
        index_of = {period: period_index(period) for period in periods}
        columns = {CODE: pl.Series([e[0] for e in entries], dtype=pl.Int32),
                   "@pk": pl.Series([e[1].kind for e in entries], dtype=pl.String),
                   PERIOD: pl.Series([index_of[e[1]] for e in entries], dtype=pl.Int32)}
        given = columns_of([e[2] for e in entries], [fact.name for fact in periodic])
        for fact in periodic:
            series = _column_values(given[fact.name], fact.type, scales, fact.name)
            if series is not None:
                columns[fact.name] = series
        static_columns = {}
        given = columns_of([records[e].static for e in entities], [fact.name for fact in static])
        for fact in static:
            series = _column_values(given[fact.name], fact.type, scales, fact.name)
            if series is not None:
                static_columns[fact.name] = series
        tables[kind] = KindTable(ids=pl.Series(ENTITY, entities, dtype=pl.String), rows=pl.DataFrame(columns),
                                 statics=pl.DataFrame(static_columns),
                                 periodic=pl.Series([bool(records[e].periods) for e in entities], dtype=pl.Boolean),
                                 periods=frozenset(periods), scales=scales)
    return tables


# printable ASCII without spaces at either end: a text that reads as itself (NFC, not blank, stripped)
PLAIN_TEXT = r"^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$"


def _ids_read_as_themselves(ids: pl.Series) -> bool:
    """The distinct ids as the data stage reads them: text (NFC, stripped, not blank, at most 200
    characters) or whole numbers (their decimal text)."""
    if ids.dtype.is_integer():
        return True
    if ids.len() and ids.str.len_chars().max() > MAX_ID_LENGTH:
        return False
    return all(not is_blank(text) and nfc(text) == text
               for text in ids.filter(~ids.str.contains(PLAIN_TEXT)).to_list())


def entity_codes(ids: pl.Series) -> tuple[pl.Series | None, pl.Series, tuple[str, int] | None]:
    """(each row's entity code, the distinct ids in code order, the layout found), for an id
    column without nulls. The layout is ("periods", entities per block: each row's code is then
    its position modulo that, made by `_codes` where needed; None here), ("entities", rows per
    entity) or None.

    Rows laid out period after period (the same ids in the same order in every block, as a wide
    table unpivoted) or entity after entity (each entity's rows together, blocks of one size) are
    numbered by position, which costs a comparison with a shifted copy; any other layout by a hash
    join with the sorted distinct ids."""
    count = ids.len()
    dtype = pl.Int32
    if count == 0:
        return pl.Series([], dtype=dtype), ids, None
    again = (ids == ids[0]).arg_true()  # the rows of the first entity
    width = again[1] if again.len() > 1 else count
    if count % width == 0 and (width == count or (ids.slice(width) == ids.slice(0, count - width)).all()):
        head = ids.slice(0, width)
        if head.n_unique() == width:
            return None, head, ("periods", width)  # each row's code: its position modulo width (`_codes`)
    block = again.len()
    if again[-1] == block - 1 and count % block == 0:
        starts = ids.ne_missing(ids.shift(1))
        heads = ids.gather(pl.int_range(0, count, block, dtype=pl.Int64, eager=True))
        if (starts == (pl.int_range(0, count, dtype=dtype, eager=True) % block == 0)).all() \
                and heads.n_unique() == heads.len():
            return pl.int_range(0, count, dtype=dtype, eager=True) // block, heads, ("entities", block)
    distinct = ids.unique().sort()
    numbered = pl.DataFrame({"id": distinct, CODE: pl.int_range(0, distinct.len(), dtype=dtype, eager=True)})
    codes = pl.DataFrame({"id": ids}).join(numbered, on="id", how="left", maintain_order="left")[CODE]
    return codes, distinct, None


def _block_periods(times: _Times, layout: tuple[str, int] | None) -> tuple[int | None, ...] | None:
    """For rows laid out period after period: each block's period (None: a block of static
    attributes only), when every block holds one period and no period comes twice; else None.
    Read on the small codes of the period column (one distinct value per block)."""
    if layout is None or layout[0] != "periods":
        return None
    size, codes = layout[1], times.codes
    if codes.len() // size > 64:
        return None
    found: list[int | None] = []
    for start in range(0, codes.len(), size):
        block = codes.slice(start, size)
        if block.null_count() == size:
            found.append(None)  # rows of static attributes
            continue
        if block.null_count() or block.min() != block.max() or times.of_code(block.min()) in found:
            return None
        found.append(times.of_code(block.min()))
    return tuple(found)


def _codes(codes: pl.Series | None, count: int, layout: tuple[str, int] | None) -> pl.Series:
    """Each row's entity code (`entity_codes`: made here for rows laid out period after period)."""
    if codes is not None:
        return codes
    return pl.int_range(0, count, dtype=pl.Int32, eager=True) % layout[1]


def _one_row_per_period(times: _Times, layout: tuple[str, int] | None) -> bool:
    """Whether the layout alone shows that no entity has two rows in one period: blocks of one
    period each, every period once; or each entity's periods rising. False: not shown (check)."""
    if layout is None:
        return False
    shape, size = layout
    if shape == "periods":
        return _block_periods(times, layout) is not None
    at = times.rows()
    rising = (at.diff() > 0).fill_null(False) | (pl.int_range(0, at.len(), eager=True) % size == 0)
    return bool(rising.all())


@attrs.frozen
class _Times:
    """A period column read through its distinct values: `codes` (a small integer per row) index
    `lookup` (each distinct value's period index), so that a layout check reads the small codes and
    `rows` makes each row's period index (Int32) only when it is needed."""

    codes: pl.Series
    lookup: pl.Series  # Int32, null: not a period (no such code is used by a row)

    def rows(self) -> pl.Series:
        return self.lookup.gather(self.codes)

    def of_code(self, code: int | None) -> int | None:
        return None if code is None else self.lookup[code]


def period_columns(column: pl.Series) -> tuple[_Times, pl.Series | str, frozenset[Period]] | None:
    """(each row's period index, its period kind (one for all rows: a str), the periods), when every
    distinct period reads as one (the data stage's `parse_period`); None otherwise (blank, not a
    period, out of range: the row loader words it). The column is read through an
    enumeration of its distinct values, so each row costs a small-integer lookup."""
    if not isinstance(column.dtype, pl.Enum):
        distinct = column.drop_nulls().unique()
        if distinct.dtype != pl.String:
            distinct = distinct.cast(pl.String)
            column = column.cast(pl.String)
        column = column.cast(pl.Enum(distinct.sort().to_list()))
    categories = column.dtype.categories.to_list()
    codes = column.to_physical()
    found: dict[int, Period] = {}
    for code in codes.drop_nulls().unique().to_list():
        text = categories[code]
        if is_blank(text):
            return None  # a row without a period: the row loader reads it as static attributes
        try:
            found[code] = parse_period(text.strip())
        except CellError:
            return None
    lookup = [None] * len(categories)
    for code, period in found.items():
        lookup[code] = period_index(period)
    times = _Times(codes=codes, lookup=pl.Series(lookup, dtype=pl.Int32))
    kinds = {p.kind for p in found.values()}
    if len(kinds) > 1:
        kind_of = [None] * len(categories)
        for code, period in found.items():
            kind_of[code] = period.kind
        return times, pl.Series(kind_of, dtype=pl.String).gather(codes), frozenset(found.values())
    return times, next(iter(kinds), "year"), frozenset(found.values())


def index_type(size: int):
    return pl.Int32 if size < 2 ** 31 else pl.Int64


def slots(positions: pl.Series, size: int) -> pl.Series:
    """For each of `size` places, the row whose position it is (null: none); rows sharing a
    position leave fewer places filled than there are rows."""
    dtype = index_type(positions.len())
    filled = pl.repeat(None, size, dtype=dtype, eager=True)
    return filled.scatter(positions, pl.int_range(0, positions.len(), dtype=dtype, eager=True))


def grid_positions(codes: pl.Series, times: pl.Series, span: int, low: int) -> pl.Series:
    """code × span + (time − low): each row's place on a grid of `span` periods from `low`."""
    dtype = index_type(codes.len() * span if codes.len() else 1)
    return pl.select((codes.cast(dtype) * span + (times.cast(dtype) - low))).to_series()


def _duplicated(codes: pl.Series, times: pl.Series, count: int) -> bool:
    """Whether two rows share an entity and a period."""
    if times.len() == 0:
        return False
    low, high = times.min(), times.max()
    span = high - low + 1
    positions = grid_positions(codes, times, span, low)
    if count * span <= 4 * times.len() + 1024:
        return slots(positions, count * span).null_count() != count * span - times.len()
    return positions.n_unique() != times.len()


def _statics(frame: pl.DataFrame, codes: pl.Series, count: int, names: list[str],
             layout: tuple[str, int] | None = None) -> pl.DataFrame | None:
    """One row per entity of its static attributes (from whichever rows give them); None when two
    rows of one entity disagree (the row loader names both). Rows laid out period after period
    are read block by block (each block is every entity in code order): no scatter."""
    if layout is not None and layout[0] == "periods":
        return _statics_by_block(frame, layout[1], names)
    if not names:
        return pl.DataFrame()
    # per entity each attribute's value (from any row giving it) and how many distinct values it has,
    # in one query; every entity in code order (an entity whose rows give none: null)
    grouped = frame.lazy().select(*names, codes.alias(CODE)).group_by(CODE).agg(
        *(pl.col(name).drop_nulls().first() for name in names),
        *(pl.col(name).drop_nulls().n_unique().alias(f"{name}@n") for name in names))
    found = pl.LazyFrame({CODE: pl.int_range(0, count, dtype=codes.dtype, eager=True)}) \
        .join(grouped, on=CODE, how="left", maintain_order="left").collect()
    if (found.select(pl.max_horizontal(pl.col(f"{name}@n").max() for name in names)).item() or 0) > 1:
        return None
    return found.select(names)


def _statics_by_block(frame: pl.DataFrame, width: int, names: list[str]) -> pl.DataFrame | None:
    """`_statics` for blocks of `width` rows, each every entity in code order: a block that gives
    the attribute at all is a column of it; two such blocks must agree where both give it."""
    columns = []
    for name in names:
        values = frame[name]
        given = [part for part in (values.slice(start, width) for start in range(0, values.len(), width))
                 if part.null_count() < width]
        if not given:
            column = pl.repeat(None, width, dtype=values.dtype, eager=True)
        elif len(given) == 1:
            column = given[0]
        else:
            column = pl.select(pl.coalesce([pl.lit(part) for part in given])).to_series()
            if any((part.is_not_null() & part.ne(column)).any() for part in given):
                return None
        columns.append(column.alias(name))
    return pl.DataFrame(columns)


def table_from_typed(frame: pl.DataFrame, schema: EntitySchema, scales: Mapping[str, int] | None = None,
                     times_found=None, ids_read: bool = False, left_out: tuple[str, ...] = ()) -> KindTable | None:
    """The kind's table from a frame of long rows whose fact columns are typed as the columnar
    executor reads them (numbers as numerators over `scales`; the ids as they read, checked here
    unless `ids_read`: converted already), or None when
    the rows need the row loader: a period that is not one, a periodic fact on a row without a
    period or of the other period kind, two rows of one entity and period, static attributes that
    disagree. The columns `left_out` (numbers with no columnar form, in a stand-in whose equal
    values are equal, as read or as text) take part in these checks and are then left out of the
    table: the rules reading them run on the row executor."""
    table = _table_from_typed(frame, schema, scales, times_found, ids_read)
    if table is None or not left_out:
        return table
    return attrs.evolve(table, rows=table.rows.drop(left_out, strict=False),
                        statics=table.statics.drop(left_out, strict=False),
                        scales={name: den for name, den in table.scales.items() if name not in left_out})


def _table_from_typed(frame: pl.DataFrame, schema: EntitySchema, scales: Mapping[str, int] | None,
                      times_found, ids_read: bool) -> KindTable | None:
    if frame.height == 0 or frame["id"].null_count():
        return None
    periods = times_found if times_found is not None else period_columns(frame["period"])
    if periods is None:
        return None
    times, kinds, found = periods
    periodic = [n for n, f in schema.facts.items() if f.period_kind is not None and n in frame.columns]
    statics = [n for n, f in schema.facts.items() if f.period_kind is None and n in frame.columns]
    every_row_periodic = times.codes.null_count() == 0
    # a periodic fact given on a row without a period, or of the other period kind: one query
    wrong = []
    for name in periodic:
        wanted = schema.facts[name].period_kind
        if every_row_periodic and isinstance(kinds, str) and kinds == wanted:
            continue
        if isinstance(kinds, str) and kinds != wanted:
            wrong.append(pl.col(name).is_not_null())
        else:
            elsewhere = pl.lit(times.codes.is_null()) if isinstance(kinds, str) else \
                pl.lit(times.codes.is_null() | (kinds != wanted))
            wrong.append(pl.col(name).is_not_null() & elsewhere)
    if wrong and frame.select(pl.any_horizontal(wrong).any()).item():
        return None
    codes, ids, layout = entity_codes(frame["id"])
    if not ids_read and not _ids_read_as_themselves(ids):
        return None
    count = ids.len()
    static_frame = _statics(frame, codes, count, statics, layout)
    if static_frame is None:
        return None
    blocks = _block_periods(times, layout)
    if blocks is not None and every_row_periodic and isinstance(kinds, str):
        # whole blocks of one period each: the grid places the rows by arithmetic, so the rows
        # keep only their facts (no code, no period index per row); no duplicate is possible
        # (the period column rides along, shared, so that the rows keep their number when no
        # periodic fact is given: each is still a record)
        # (the columns themselves: a select would copy them to align their pieces)
        rows = pl.DataFrame([frame["period"].alias("@period"), *(frame[n] for n in periodic)])
        return KindTable(ids=ids.cast(pl.String).alias(ENTITY), rows=rows, statics=static_frame,
                         periodic=pl.repeat(True, count, dtype=pl.Boolean, eager=True), periods=found,
                         blocks=blocks, kind=kinds, scales=dict(scales or {}))
    codes, at = _codes(codes, frame.height, layout), times.rows()
    with_period = at.is_not_null()
    rows = pl.DataFrame([codes.alias(CODE), at.alias(PERIOD), *(frame[n] for n in periodic)])
    if isinstance(kinds, str):
        rows = rows.with_columns(pl.lit(kinds).alias("@pk"))
    else:
        rows = rows.with_columns(kinds.alias("@pk"))
    if not with_period.all():
        rows = rows.filter(with_period)
    for kind in {p.kind for p in found} if not _one_row_per_period(times, layout) else ():
        part = rows if len({p.kind for p in found}) == 1 else rows.filter(pl.col("@pk") == kind)
        if _duplicated(part[CODE], part[PERIOD], count):
            return None
    if every_row_periodic:
        has_rows = pl.repeat(True, count, dtype=pl.Boolean, eager=True)
    else:
        has_rows = pl.repeat(False, count, dtype=pl.Boolean, eager=True)
        has_rows = has_rows.scatter(rows[CODE], True) if rows.height else has_rows
    return KindTable(ids=ids.cast(pl.String).alias(ENTITY), rows=rows.select(CODE, "@pk", PERIOD, *periodic),
                     statics=static_frame, periodic=has_rows, periods=found, scales=dict(scales or {}))
