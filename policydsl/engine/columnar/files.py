"""Columnar stage, files to columns: `--data` (a folder of tables, or a JSON file) in; per entity
kind a `columns.KindTable` out, inside a `ColumnarData` — a `Dataset` whose records the row
loader makes only for the kinds something reads as rows (a rule left to the row executor, an
explanation), when it first does.

A CSV table is read with the row loader's own reader (`tables.csv_table`: encodings, BOM, blank
rows, ragged rows), its cells gathered into text columns and typed by `texts.typed_column`
(the row loader's cell conversion, vectorised where provably the same). A table that is anything
but plain goes through the row loader (`data.load_kind`), so that every error and warning is its
own, located by file, row and column: a header that is unknown, blank, repeated or missing (a
label is fine), a cell the conversion refuses, a row the reader reports, a row without an id, a
period that is not one, two rows of one entity and period, static attributes that disagree,
several tables of one kind. A Parquet table is read by Polars, typed by `cells_in` (the row
loader's converter, once per distinct value), or through the row loader on any doubt. A JSON table
(a kind's list of objects, in its own file or in a JSON data file) and an Excel sheet are typed by
`rows_in` as their rows are read (the row loader's conversions, once per distinct cell), or through
the row loader on any doubt. Tables under `ROW_LOADER_BYTES` (CSV), `PARQUET_ROW_LOADER_BYTES`,
`JSON_ROW_LOADER_BYTES` or `XLSX_ROW_LOADER_BYTES` go through the row loader (their records then
become columns as `columns.tables_from_dataset` makes them).

Problems found before any row is read, and the order in which they are reported, are the row
loader's (`data.read_tables`, then the kinds in name order).
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator, Mapping
from fractions import Fraction
from pathlib import Path

import attrs
import polars as pl

from policydsl.diagnostics import DataError
from policydsl.engine import data as data_stage
from policydsl.engine import tables as readers
from policydsl.engine.cells import column_name, header_names, is_blank
from policydsl.engine.columnar import frames_in, rows_in, texts
from policydsl.engine.columnar.cells_in import table_from_cells
from policydsl.engine.columnar.columns import CODE, MAX_ID_LENGTH, KindTable, period_of, table_from_typed, \
    tables_from_dataset
from policydsl.engine.columnar.operators import PERIOD
from policydsl.engine.columnar.texts import NUMERIC
from policydsl.engine.progress import NO_PROGRESS, Progress
from policydsl.schema import ABSENT, Dataset, EntityRecord, EntitySchema, Row
from policydsl.types import Type
from policydsl.values import Percent, Period, normalise_number

_CHUNK_ROWS = 65_536  # rows gathered as Python texts at a time (memory), then one frame of text columns
# below this size a CSV table is read by the row loader, then made columns (`read_columns`). Measured
# on the province (tables of 2.5-690 KB, 5,600 rows in all; bench/README.md): reading every table
# into columns cost 0.17 s of CPU and faulted in 36 MiB of Polars' library, against 0.085 s for the
# row loader and 0.025 s to make its records columns; from about this size on the typed
# conversion costs less than the row loader per file (a 20 MB table: 0.78 against 2.50 s)
ROW_LOADER_BYTES = 256 * 1024
# ... and a Parquet table: its row loader makes a Python value of every cell before converting it, so
# the columns cost less from a few thousand cells on (measured on the province's tables written as
# Parquet: 200-480 rows, 3-4 KB, read faster by the row loader; 1,000 rows of 55 columns, 38 KB, even;
# 2,400 rows of 31 columns, 38 KB, in half the CPU as columns; 153,600 rows, 200 KB, 0.7 s against 8.7 s)
PARQUET_ROW_LOADER_BYTES = 32 * 1024
# ... a JSON file (typed once per distinct cell by `rows_in`: measured on the province's tables written
# as JSON lists, CPU of `read_columns`: industrial_zone.json, 1,000 rows of 40 keys, 644 KB, even; 24
# keys of 2,400 rows, 2.3 MB, 48 against 65 ms; 24,000 rows 0.56 against 0.79 s; tables under 100 KB
# in twice the row loader's time) — the size of the file, which may hold other kinds too
JSON_ROW_LOADER_BYTES = 256 * 1024
# ... and an Excel workbook, where reading the cells costs most of either way (the province's tables
# as .xlsx: 10 KB even, 31 KB 113 against 117-166 ms, 95 KB 0.44 against 0.53 s, 271 KB 1.47 against 1.65 s)
XLSX_ROW_LOADER_BYTES = 16 * 1024
_ID_TYPE = Type(name="text")


class _OnDemand(Mapping):
    """The records of each kind: those the row loader made while reading, the others made by it
    when first asked for (`load(kind)`)."""

    def __init__(self, loaded: dict[str, Mapping[str, EntityRecord]], later: Mapping[str, object]):
        self._loaded = loaded
        self._later = later  # kind -> a callable making its records

    def __getitem__(self, kind: str) -> Mapping[str, EntityRecord]:
        found = self._loaded.get(kind)
        if found is None:
            if kind not in self._later:
                raise KeyError(kind)
            found = self._loaded[kind] = self._later[kind]()
        return found

    def made(self, kind: str) -> bool:
        """Whether the kind's records are made (read by the row loader, or asked for)."""
        return kind in self._loaded

    def __iter__(self) -> Iterator[str]:
        return iter(sorted({*self._loaded, *self._later}))

    def __len__(self) -> int:
        return len({*self._loaded, *self._later})


@attrs.frozen(kw_only=True)
class ColumnarData(Dataset):
    """A data set read into columns (`tables`, what the columnar executor reads); as a `Dataset`
    its records are made by the row loader when first read (`_OnDemand`)."""

    tables: Mapping[str, KindTable] = attrs.field(factory=dict, eq=False, repr=False)
    schemas: Mapping[str, EntitySchema] = attrs.field(factory=dict, eq=False, repr=False)  # read for these kinds
    data_periods: tuple[Period, ...] = ()

    def periods(self) -> list[Period]:
        return list(self.data_periods)

    def entity_values(self, kind: str, facts: tuple[str, ...]) -> tuple[int, list[dict[str, set[str]]]] | None:
        """`scope_check`'s question from the columns: per entity of the kind, the texts of each fact
        (its static attribute, or its values in every period); None when a fact is not held as
        text (its text is its Python value's: the records answer), or when the kind's records are made
        (they answer one entity at a time, and the question stops at the first in scope)."""
        table = self.tables.get(kind)
        if table is None:
            return 0, []
        if isinstance(self.kinds, _OnDemand) and self.kinds.made(kind):
            return None
        count = table.ids.len()
        found = [{fact: set() for fact in facts} for _ in range(count)]
        for fact in facts:
            static = self.schemas[kind].facts[fact].period_kind is None
            frame = table.statics if static else table.rows
            if fact not in frame.columns or frame.schema[fact] != pl.String:
                return None
            if static:
                codes = pl.int_range(0, count, dtype=pl.Int64, eager=True)
            elif table.blocks is not None:  # laid out period after period: a row's code is its place in its block
                codes = pl.int_range(0, frame.height, dtype=pl.Int64, eager=True) % max(count, 1)
            else:
                codes = frame[CODE]
            given = pl.DataFrame({"@c": codes, "@v": frame[fact]}).drop_nulls().unique()
            for code, text in given.iter_rows():
                found[code][fact].add(text)
        return count, found


class _Report(data_stage.Issues):
    """The load's problems; while `aside` is a list, what is reported goes there instead (the
    rows of a table being read into columns: any problem sends the table to the row loader, which
    reports it again, in its place)."""

    def __init__(self):
        super().__init__()
        self.aside: list | None = None

    def __call__(self, issue) -> None:
        if self.aside is not None:
            self.aside.append(issue)
        else:
            super().__call__(issue)


def read_columns(path: str | Path, schemas: Mapping[str, EntitySchema],
                 required: Mapping[str, frozenset[str]] | None = None, *, encoding: str | None = None,
                 computed: Mapping[str, frozenset[str]] | None = None,
                 row_loader_below_bytes: int | None = None, progress: Progress = NO_PROGRESS) -> ColumnarData:
    """`data.load_data`'s contract (the same errors and warnings, in the same order), read into
    columns. A file of fewer than `row_loader_below_bytes` bytes (default `ROW_LOADER_BYTES` for a
    CSV, `PARQUET_ROW_LOADER_BYTES` for a Parquet table, `JSON_ROW_LOADER_BYTES` and
    `XLSX_ROW_LOADER_BYTES`) is read by the row loader and its records made columns
    (`columns.tables_from_dataset`): on a table that small the typed conversion's fixed cost per
    column and query is more than the row loader's per cell. `progress` hears of each kind read."""
    path = Path(path)
    limits = {".csv": ROW_LOADER_BYTES, ".parquet": PARQUET_ROW_LOADER_BYTES, ".json": JSON_ROW_LOADER_BYTES,
              ".xlsx": XLSX_ROW_LOADER_BYTES} if row_loader_below_bytes is None \
        else dict.fromkeys((".csv", ".parquet", ".json", ".xlsx"), row_loader_below_bytes)
    report = _Report()
    found = data_stage.read_tables(path, schemas, report, encoding)
    progress.start("reading data", len(found), "kinds")
    # the plain CSV tables as text columns, typed all at once (`texts.typed_frames`); any problem
    # leaves the kind to the row loader, which then reports it in its place
    texts_of: dict[str, pl.DataFrame] = {}
    # the plain Parquet tables as Polars reads them (typed by `cells_in.table_from_cells` below)
    frames_of: dict[str, pl.DataFrame] = {}
    # JSON and Excel tables typed as their rows are read (`rows_in`); None: the row loader reads them
    cells_of: dict[str, KindTable | None] = {}
    for kind in sorted(found):
        wanted = None if required is None else required.get(kind, frozenset())
        first = found[kind][0]
        if len(found[kind]) == 1 and first.objects is not None and \
                Path(first.source).stat().st_size >= limits[".json"]:  # (the file: it may hold other kinds)
            cells_of[kind] = rows_in.table_from_objects(first.objects, schemas[kind])
        elif _plain_header(found[kind], schema=schemas[kind], required=wanted) and \
                Path(first.source).stat().st_size >= limits[_suffix(first)]:
            if _suffix(first) == ".csv":
                frame = _text_frame(first, schemas[kind], report, encoding)
                texts_of[kind] = frame  # None: read, refused
            elif _suffix(first) == ".xlsx":
                cells_of[kind] = _sheet_table(first, schemas[kind], report)
            else:
                frame = _parquet_frame(first, schemas[kind])
                if frame is not None:
                    frames_of[kind] = frame
    readable = {kind: frame for kind, frame in texts_of.items() if frame is not None}
    typed = dict(zip(readable, texts.typed_frames([(frame, _types(schemas[kind])) for kind, frame in readable.items()])))
    # of the texts, the ids and periods are read again (`_table`), and the numbers with no columnar
    # form stand in for themselves in the checks of the rows; the rest is let go
    readable = {kind: frame.select([c for c in frame.columns if c in ("id", "period") or (
                    typed[kind] is not texts.NEEDS_ROWS and c not in typed[kind][0].columns)])
                for kind, frame in readable.items()}
    loaded: dict[str, Mapping[str, EntityRecord]] = {}
    direct: dict[str, KindTable] = {}
    later = {}
    for kind in sorted(found):
        table = _table(readable[kind], typed[kind], schemas[kind]) if kind in readable else \
            table_from_cells(frames_of[kind], schemas[kind]) if kind in frames_of else cells_of.get(kind)
        if table is not None:
            direct[kind] = table
            later[kind] = _records_of(table, schemas[kind]) if _complete(table, schemas[kind]) else \
                _reader(kind, found[kind][0], schemas[kind], required, computed, encoding)
        else:
            tables = found[kind]
            if kind in texts_of:  # its rows were read: again, for the row loader
                tables = [readers.csv_table(Path(tables[0].source), report, encoding)]
            elif kind in cells_of and tables[0].objects is None:  # a sheet read: again, without what it
                tables = [_sheet_again(Path(tables[0].source), report)]  # said before its rows (said once)
            loaded[kind] = data_stage.load_kind(kind, [t for t in tables if t is not None], schemas[kind], report,
                                                required, computed)
        progress.advance()
    if not any(loaded.values()) and not any(t.ids.len() for t in direct.values()) and not report.errors:
        report(data_stage.no_rows(path))
    report.raise_if_errors()
    tables = {**tables_from_dataset(Dataset(kinds=loaded), {k: s for k, s in schemas.items() if k not in direct}),
              **direct}
    periods = sorted(set().union(*(t.periods for t in tables.values())))
    return ColumnarData(kinds=_OnDemand(loaded, later), warnings=report.warnings, tables=tables, schemas=schemas,
                        data_periods=tuple(periods))


def read_mapping(mapping: Mapping[str, object], schemas: Mapping[str, EntitySchema],
                 computed: Mapping[str, frozenset[str]] | None = None) -> ColumnarData:
    """The API's mapping `{kind: rows, or a Polars/Arrow frame}` read into columns as `read_columns`
    reads a folder (`frames_in.tables_from_frames`: the same checks and located errors as the row
    loader's), as a `ColumnarData`: so that the API checks it as it checks any data set (its scope
    warnings, `strict`) before the columnar executor evaluates it. The records of a kind read
    straight into columns are made by the row loader from its rows when first asked for."""
    tables, loaded = frames_in.tables_from_frames(mapping, schemas, computed)
    read = dict(loaded.kinds) if loaded is not None else {}
    later = {kind: _frame_reader(kind, mapping[kind], schemas, computed) for kind in tables if kind not in read}
    tables = {**tables_from_dataset(Dataset(kinds={}), {k: s for k, s in schemas.items() if k not in tables}),
              **tables}
    warnings = (*data_stage.unknown_kinds(mapping, schemas), *(loaded.warnings if loaded is not None else ()))
    periods = sorted(set().union(*(t.periods for t in tables.values())))
    return ColumnarData(kinds=_OnDemand(read, later), warnings=tuple(warnings), tables=tables, schemas=schemas,
                        data_periods=tuple(periods))


def _frame_reader(kind: str, frame, schemas: Mapping[str, EntitySchema], computed):
    """The row loader's records of a frame read into columns, for whatever reads it as rows. It
    reported nothing when the columns were read, so anything it reports now is a bug: an error."""
    def load() -> dict[str, EntityRecord]:
        dataset = data_stage.dataset_from_mapping(frames_in.rows_of({kind: frame}), schemas, computed=computed)
        if dataset.warnings:
            raise DataError([str(w) for w in dataset.warnings], issues=tuple(dataset.warnings))
        return dict(dataset.entities(kind))
    return load


def _types(schema: EntitySchema) -> dict[str, Type]:
    return {"id": _ID_TYPE, **{name: fact.type for name, fact in schema.facts.items()}}


def _suffix(table: readers.Table) -> str:
    return Path(table.source).suffix.lower()


def _plain_header(tables: list[readers.Table], *, schema: EntitySchema, required: frozenset[str] | None) -> bool:
    """Whether the kind is one CSV, Parquet or Excel table whose header names an id and every fact the
    policies read, each column a fact (by name or label) once: anything else is the row loader's
    to word."""
    if len(tables) != 1 or tables[0].header is None or _suffix(tables[0]) not in (".csv", ".parquet", ".xlsx"):
        return False
    names = header_names(schema)
    facts = [column_name(header, schema, names).fact if header else None for header in tables[0].header]
    if None in facts or len(set(facts)) != len(facts) or "id" not in facts:
        return False
    return not ((set(schema.facts) if required is None else required) - set(facts))


def _complete(table: KindTable, schema: EntitySchema) -> bool:
    """Whether the table holds a column of every fact (none is too fine for Int64 numerators)."""
    held = set(table.rows.columns) | set(table.statics.columns)
    return all(name in held for name in schema.facts)


def _records_of(table: KindTable, schema: EntitySchema):
    """The row loader's records of a table read into columns, made from its columns (the values
    are the row loader's: `texts`), for whatever reads the kind as rows: the same `EntityRecord`s
    and `Row`s, entities in id order, each entity's periods in the order of the file."""
    def records() -> dict[str, EntityRecord]:
        periodic = [f for f in schema.facts.values() if f.period_kind is not None]
        static = [f for f in schema.facts.values() if f.period_kind is None]
        positions = {f.name: i for i, f in enumerate(periodic)}
        static_positions = {f.name: i for i, f in enumerate(static)}
        ids = table.ids.to_list()
        rows = table.rows
        if table.blocks is not None:  # period after period: a row's entity is its place in its block
            width = max(len(ids), 1)
            codes = [number % width for number in range(rows.height)]
            times = [table.blocks[number // width] for number in range(rows.height)]
            kinds = [table.kind] * rows.height
        else:
            codes, times, kinds = rows[CODE].to_list(), rows[PERIOD].to_list(), rows["@pk"].to_list()
        values = [_python_values(rows[f.name], f.type, table.scales.get(f.name, 1)) for f in periodic]
        statics = [_python_values(table.statics[f.name], f.type, table.scales.get(f.name, 1)) for f in static]
        periods: list[dict[Period, Row]] = [{} for _ in ids]
        tail = (0, 0)  # after a row's values, the row loader's (source, line): read by its messages only
        for code, t, pk, row in zip(codes, times, kinds, zip(*values) if values else [()] * rows.height):
            if t is not None:
                periods[code][period_of(t, pk)] = Row(positions, row + tail)
        static_rows = list(zip(*statics)) if statics else [()] * len(ids)
        return {ids[code]: EntityRecord(id=ids[code], static=Row(static_positions, static_rows[code]),
                                        periods=periods[code])
                for code in sorted(range(len(ids)), key=ids.__getitem__)}
    return records


def _python_values(column: pl.Series, fact_type: Type, den: int) -> list:
    """A column's values as the row loader holds them (ABSENT where missing): exact numbers (an int
    when whole), percents, texts, booleans, dates."""
    items = column.to_list()
    if fact_type.name == "percent":
        return [ABSENT if v is None else Percent(normalise_number(Fraction(v, den))) for v in items]
    if fact_type.name in NUMERIC:
        if den == 1:
            return [ABSENT if v is None else v for v in items]
        return [ABSENT if v is None else normalise_number(Fraction(v, den)) for v in items]
    return [ABSENT if v is None else v for v in items]


def _reader(kind: str, found: readers.Table, schema: EntitySchema, required, computed, encoding: str | None):
    """The row loader's records of a table read into columns, for whatever reads it as rows. It
    reported nothing when the columns were read, so anything it reports now is a bug: an error."""
    path = Path(found.source)

    def load() -> dict[str, EntityRecord]:
        report = _Report()
        if found.objects is not None:  # the JSON list, parsed once
            table = readers.json_table(kind, found.objects, found.source, report, in_mapping=found.table is not None)
        elif path.suffix.lower() == ".xlsx":
            table = _sheet_again(path, report)
        else:
            table = readers.csv_table(path, report, encoding) if path.suffix.lower() == ".csv" else \
                readers.parquet_table(path, report)
        records = data_stage.load_kind(kind, [table] if table is not None else [], schema, report, required,
                                       computed)
        if report.errors or report.warnings:
            raise DataError([str(i) for i in (*report.errors, *report.warnings)], issues=tuple(report.errors))
        return records
    return load


def _sheet_table(table: readers.Table, schema: EntitySchema, report: _Report) -> KindTable | None:
    """An Excel table's kind table (`rows_in.table_from_sheet`), or None when the reader reported a
    problem with a row (the row loader reads the sheet again and reports it) or the rows need the
    row loader."""
    names = header_names(schema)
    facts = [column_name(header, schema, names).fact for header in table.header]
    report.aside = []
    try:
        found = rows_in.table_from_sheet(facts, table.rows, schema)
        if report.aside:
            return None
    finally:
        report.aside = None
    return found


def _sheet_again(path: Path, report: _Report) -> readers.Table | None:
    """The workbook opened again for the row loader: what the reader says before the rows (other
    sheets, merged cells of the header) was said the first time; what it says of the rows is said now."""
    report.aside = []
    try:
        table = readers.xlsx_table(path, report)
    finally:
        report.aside = None
    return table


def _text_frame(table: readers.Table, schema: EntitySchema, report: _Report, encoding: str | None
                ) -> pl.DataFrame | None:
    """The table's rows as text columns named by their facts, or None when the reader reported a
    problem with a row (the row loader reads the table again and reports it). Polars reads the
    file where it provably reads it as the row loader's reader does (`_polars_texts`); else that
    reader does, row by row."""
    names = header_names(schema)
    facts = [column_name(header, schema, names).fact for header in table.header]
    report.aside = []
    try:
        frame = _polars_texts(Path(table.source), len(table.header), facts, encoding)
        if frame is not None:
            next(table.rows, None)  # the reader's file, opened to read the header: closed
            table.rows.close()
            return frame
        chunks, chunk = [], []
        for _, cells in table.rows:  # blank rows skipped, ragged rows reported, as the row loader reads
            chunk.append(cells)
            if len(chunk) == _CHUNK_ROWS:
                chunks.append(_frame_of(chunk, facts))
                chunk = []
        if chunk or not chunks:
            chunks.append(_frame_of(chunk, facts))
        if report.aside:
            return None
    finally:
        report.aside = None
    return pl.concat(chunks, rechunk=False) if len(chunks) > 1 else chunks[0]


_BOM = b"\xef\xbb\xbf"
# from this size on Polars reads a CSV (below it Python's csv module costs less: about 20 µs a row
# against Polars' fixed cost per file and column; measured on the province's tables, 13 KB-690 KB)
_POLARS_BYTES = 256 * 1024
# a text the row loader may skip as blank: Polars' white space and the separators Python's
# `str.isspace` counts too (each candidate is then asked of Python itself)
_MAYBE_BLANK = r"\A[\s\x1c-\x1f]*\z"


def _polars_texts(path: Path, width: int, facts: list[str], encoding: str | None) -> pl.DataFrame | None:
    """The CSV's data rows as text columns, read by Polars, when that is provably what the row
    loader's reader (`tables.csv_table`: Python's csv module) reads: UTF-8 (a BOM skipped), no
    quote character (so a field is the text between two commas), no carriage return but in a CRLF
    line end, every line the reader does not skip as blank with `width` fields; rows whose every
    cell is blank left out, as the reader's caller leaves them. None otherwise."""
    if encoding is not None and codecs.lookup(encoding).name != "utf-8":
        return None
    if path.stat().st_size < _POLARS_BYTES:
        return None  # a small file: the reader's cost per row is less than Polars' per file and column
    data = path.read_bytes()
    if data.startswith(_BOM):
        data = data[len(_BOM):]
    if b'"' in data or b"\x00" in data or data.count(b"\r") != data.count(b"\r\n"):
        return None  # quoting, a NUL (the reader refuses it), a lone carriage return (a line end to it)
    commas, lines = width - 1, data.split(b"\n")
    if max(map(len, lines)) > csv.field_size_limit() or \
            any(line.count(b",") != commas for line in lines if line.replace(b",", b"").strip()):
        return None  # a ragged row (or one blank only to Python), a field past the reader's limit
    try:
        frame = pl.read_csv(data, has_header=True, infer_schema=False, quote_char=None, separator=",",
                            encoding="utf8", empty_string_is_null=True, raise_if_empty=False)
    except pl.exceptions.PolarsError:
        return None  # not UTF-8, or anything else Polars reads otherwise
    if frame.width != width:
        return None
    frame.columns = facts
    if frame.height == 0:
        return frame
    # the rows the reader's caller skips: every cell blank (empty, or white space to Python)
    every = pl.concat([frame[c] for c in facts], rechunk=False)
    candidates = every.filter(every.str.contains(_MAYBE_BLANK)).unique()
    blank = [text for text in candidates.to_list() if is_blank(text)]
    if not blank:
        return frame.filter(~pl.all_horizontal(pl.all().is_null()))
    blank_cells = [pl.col(c).is_null() | pl.col(c).is_in(pl.lit(pl.Series(blank, dtype=pl.String)).implode())
                   for c in facts]
    return frame.filter(~pl.all_horizontal(blank_cells))


def _parquet_frame(table: readers.Table, schema: EntitySchema) -> pl.DataFrame | None:
    """A Parquet table as Polars reads it, its columns named by their facts; None when Polars
    cannot read it (the row loader then reads it again, and reports why)."""
    names = header_names(schema)
    try:
        frame = pl.read_parquet(table.source, glob=False)  # a file, never a pattern
    except Exception:  # noqa: BLE001  (Polars' errors for a damaged file vary: the row loader words them)
        return None
    if tuple(frame.columns) != table.header:
        return None
    return readers.floats_as_printed(frame).rename({header: column_name(header, schema, names).fact for header in table.header})


def _frame_of(rows: list[list[str]], facts: list[str]) -> pl.DataFrame:
    columns = list(zip(*rows)) if rows else [()] * len(facts)
    return pl.DataFrame([pl.Series(fact, column, dtype=pl.String) for fact, column in zip(facts, columns)])


def _table(frame: pl.DataFrame, typed, schema: EntitySchema) -> KindTable | None:
    """The kind's table from its text columns and their typed columns (`texts.typed_frames`; ids
    and periods as the row loader reads them), or None when the row loader must read it."""
    if typed is texts.NEEDS_ROWS or frame.height == 0:
        return None
    ids = frame["id"]
    unusual = ids.filter(~ids.str.contains(texts.PLAIN_TEXT)).unique().to_list()
    if ids.str.len_chars().max() > MAX_ID_LENGTH or any(is_blank(text) for text in unusual):
        return None  # a blank or overlong id: the row loader's error
    period = frame["period"] if "period" in frame.columns else pl.Series("period", [None] * frame.height,
                                                                          dtype=pl.String)
    blanks = [text for text in period.filter(~period.str.contains(texts.PLAIN_TEXT)).unique().to_list()
              if text is not None and is_blank(text)]
    # a row with a blank period gives static attributes only, as the row loader reads it
    if blanks:
        period = period.set(period.is_in(pl.Series(blanks, dtype=pl.String).implode()), None)
    columns, scales = typed
    left_out = [name for name in frame.columns if name not in ("id", "period")]  # numbers too fine: as written
    return table_from_typed(columns.with_columns(period.alias("period"), *(frame[name] for name in left_out)),
                            schema, scales, ids_read=True, left_out=tuple(left_out))
