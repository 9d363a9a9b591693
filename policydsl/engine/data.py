"""The data stage: tables in, a typed `Dataset` out (or a `DataError` naming file, row, column).

Input is a JSON file `{"<entity kind>": [{"id": …, "period": …, <facts>}]}`, or a folder with
one table per entity kind, named `<kind>.<ext>` exactly: `<kind>.csv` (UTF-8 with or without
BOM, or GB18030; or the encoding given), `<kind>.json` (a list of rows, or the mapping form),
`<kind>.xlsx` (first sheet, header row) or `<kind>.parquet` (read by Polars). A row without a
period carries static attributes only; static attributes may also repeat on periodic rows, and
must agree. An empty cell or null is a missing fact (unknown to the evaluator). A header may be
a fact's name or its declared label (`所在市`).

The contract: every input reaches the engine or is reported. Errors (a value that cannot be
read, a fact the policies read with no column, a duplicate row...) stop the load with one
`DataError` listing them all; what is read but not used — a file that matches no kind, an
unknown kind or column, a repeated header or key whose values agree — is a warning carried by
`Dataset.warnings` (an error when the caller is strict). Cell rules live in `cells.py`, the
file readers in `tables.py`; tables are streamed row by row into a compact `Dataset`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path

from policydsl.diagnostics import DataError, did_you_mean
from policydsl.engine import tables as readers
from policydsl.engine.progress import NO_PROGRESS, Progress
from policydsl.engine.cells import CellError, column_name, converter, entity_id, file_kind, header_names, is_blank, \
    is_skipped, parse_period
from policydsl.schema import ABSENT, DataIssue, Dataset, EntityRecord, EntitySchema, Row
from policydsl.values import Period

MAX_PROBLEMS = 50
_MISS = object()


class Issues:
    """Collects a load's problems: errors (the first MAX_PROBLEMS kept, the rest counted) and
    warnings, repeated ones (the same unknown key in many rows) merged into one."""

    def __init__(self):
        self.errors: list[DataIssue] = []
        self.more_errors = 0
        self._warnings: dict[tuple, list] = {}

    def __call__(self, issue: DataIssue) -> None:
        if issue.severity == "warning":
            self.warn(issue)
        elif len(self.errors) < MAX_PROBLEMS:
            self.errors.append(issue)
        else:
            self.more_errors += 1

    def warn(self, issue: DataIssue) -> None:
        key = (issue.source, issue.table, issue.column, issue.message)
        if key in self._warnings:
            self._warnings[key][1] += 1
        else:
            self._warnings[key] = [issue, 0]

    @property
    def warnings(self) -> tuple[DataIssue, ...]:
        found = []
        for issue, more in self._warnings.values():
            if more:
                issue = DataIssue(source=issue.source, table=issue.table, row=issue.row, column=issue.column,
                                  severity="warning", hint=issue.hint,
                                  message=f"{issue.message} (and in {more} more row{'s' if more > 1 else ''})")
            found.append(issue)
        return tuple(found)

    def raise_if_errors(self) -> None:
        if self.errors:
            shown = [str(e) for e in self.errors]
            if self.more_errors:
                shown.append(f"... and {self.more_errors} more")
            raise DataError(shown, issues=tuple(self.errors), warnings=self.warnings)


def fact_converters(schema: EntitySchema) -> dict[str, Callable[[object], object]]:
    """Per fact of an entity kind, the loader's own conversion of one non-blank cell: the typed,
    exact value, or a `CellError` with the message the loader reports (`cells.convert`; built
    once per kind, so that readers and the single decision accept and refuse the same values)."""
    return {name: converter(fact.type) for name, fact in schema.facts.items()}


class _Entity:
    __slots__ = ("static", "static_where", "periods")

    def __init__(self, size: int):
        self.static: list = [ABSENT] * size
        self.static_where: list = [None] * size
        self.periods: dict[Period, Row] = {}


class KindLoader:
    """Streams the tables of one entity kind into compact records, reporting as it goes."""

    def __init__(self, kind: str, schema: EntitySchema, report: Issues, required: frozenset[str] | None,
                 computed: frozenset[str] = frozenset()):
        self.kind, self.schema, self.report, self.required = kind, schema, report, required
        self.computed = computed
        self.names = header_names(schema)
        periodic = [f for f in schema.facts.values() if f.period_kind is not None]
        static = [f for f in schema.facts.values() if f.period_kind is None]
        self.positions = {f.name: i for i, f in enumerate(periodic)}
        self.static_positions = {f.name: i for i, f in enumerate(static)}
        self.converters = fact_converters(schema)
        self.entities: dict[str, _Entity] = {}
        self.sources: list[str] = []
        self._ids: dict[object, str] = {}
        self._periods: dict[object, Period | str] = {}
        self._json_keys: dict[str, object] = {}

    # ---- tables -----------------------------------------------------------------------------
    def read(self, table: readers.Table) -> None:
        source = len(self.sources)
        self.sources.append(table.source)
        if table.header is None:
            self._read_json(table, source)
        else:
            self._read_tabular(table, source)

    def _read_tabular(self, table: readers.Table, source: int) -> None:
        columns: list[tuple[str, str, int]] = []  # (fact, header as written, index)
        by_fact: dict[str, list[int]] = {}
        unknown: dict[str, str | None] = {}
        blank_headers = []
        for index, header in enumerate(table.header):
            if header == "":
                blank_headers.append(index)
                continue
            name = column_name(header, self.schema, self.names)
            if name.fact is None:
                unknown[header] = name.hint
                continue
            by_fact.setdefault(name.fact, []).append(index)
            columns.append((name.fact, header, index))
        for header, hint in unknown.items():
            self.report(DataIssue(source=table.source, row=1, column=header, severity="warning",
                                  hint=None if header in self.computed else hint,
                                  message=self._unknown(header, "values are")))
        repeated = {fact: at for fact, at in by_fact.items() if len(at) > 1}
        for fact, at in repeated.items():
            self.report(DataIssue(source=table.source, row=1, column=table.header[at[0]], severity="warning",
                                  message=f"`{fact}` is headed {len(at)} times (columns "
                                          f"{', '.join(_column_letter(i) for i in at)}); rows must agree"))
        if "id" not in by_fact:  # its rows name no entity: not read (an error per row would say it again)
            self.report(DataIssue(source=table.source, message="missing column `id`", hint=did_you_mean("id", unknown)))
        for fact in self.schema.facts:
            if fact not in by_fact and (self.required is None or fact in self.required):
                hint = did_you_mean(fact, unknown)
                self.report(DataIssue(source=table.source, message=f"missing column `{fact}` of `{self.kind}`",
                                      hint=hint))
        first_of = {fact: at[0] for fact, at in by_fact.items()}
        id_at, period_at = first_of.get("id"), first_of.get("period")
        facts = [(fact, header, index) for fact, header, index in columns
                 if fact not in ("id", "period") and index == first_of[fact]]
        checks = [(fact, at) for fact, at in repeated.items()]
        if id_at is None:
            return
        rows = 0
        for line, cells in table.rows:
            rows += 1
            for index in blank_headers:
                if not is_blank(cells[index]):
                    self.report(DataIssue(source=table.source, row=line, column=_column_letter(index),
                                          severity="warning", message="a value in a column without a header is not read"))
            for fact, at in checks:
                given = [i for i in at if not is_blank(cells[i])]
                values = {str(cells[i]).strip() for i in given}
                if len(values) > 1 and not self._agree(fact, [cells[i] for i in given]):  # 50 and 50.0 agree
                    self.report(DataIssue(source=table.source, row=line, column=fact,
                                          message=f"the columns headed `{fact}` disagree: {', '.join(sorted(values))}"))
                elif given and given[0] != at[0]:  # blank in the first column, given in another: read it
                    cells = list(cells)
                    cells[at[0]] = cells[given[0]]
            self._row(source, None, line, None if id_at is None else cells[id_at],
                      None if period_at is None else cells[period_at],
                      [(fact, header, cells[index]) for fact, header, index in facts])
        if not rows:  # a header and nothing under it: most often an export that stopped short
            self.report(DataIssue(source=table.source, severity="warning",
                                  message=f"the table of `{self.kind}` has a header and no rows"))

    def _read_json(self, table: readers.Table, source: int) -> None:
        keys = self._json_keys
        for number, row in table.rows:
            cells = []
            for key, raw in row.items():
                fact = keys.get(key, _MISS)
                if fact is _MISS:
                    name = column_name(str(key), self.schema, self.names)
                    fact = keys[key] = name.fact if name.fact else name
                if not isinstance(fact, str):
                    if not is_blank(raw):
                        self.report(DataIssue(source=table.source, table=table.table, row=number, column=str(key),
                                              severity="warning", hint=fact.hint,
                                              message=self._unknown(str(key), "value is")))
                    continue
                cells.append((fact, str(key), raw))
            for key, values in getattr(row, "repeated", {}).items():
                fact = keys.get(key)
                same = self._agree(fact if isinstance(fact, str) else None, values)
                self.report(DataIssue(source=table.source, table=table.table, row=number, column=str(key),
                                      severity="warning" if same else "error",
                                      message="key written more than once" + (
                                          "" if same else
                                          f" with different values: {', '.join(sorted({_shown(v) for v in values}))}")))
            seen = {fact for fact, _, _ in cells}
            if len(seen) < len(cells):  # a fact given both by name and by label
                self._disagreeing(cells, table, number)
            by_fact = {fact: raw for fact, _, raw in cells}
            self._row(source, table.table, number, by_fact.get("id"), by_fact.get("period"),
                      [c for c in cells if c[0] not in ("id", "period")])

    def _unknown(self, header: str, what: str) -> str:
        if header in self.computed:
            return f"`{header}` is a value the policies compute for `{self.kind}`, not a fact; its {what} not read"
        return f"unknown column of `{self.kind}`; its {what} not read"

    def _agree(self, fact: str | None, values) -> bool:
        """Whether values given twice for one fact say the same: as the fact reads them (50 and 50.0
        for a number; for text, as written), else as written."""
        if len({repr(v) for v in values}) == 1:
            return True
        convert = self.converters.get(fact) if fact is not None else None
        if convert is None:
            return False
        try:
            read = [None if is_blank(v) else convert(v) for v in values]
        except CellError:
            return False
        return all(r == read[0] and type(r) is type(read[0]) for r in read)

    def _disagreeing(self, cells, table: readers.Table, number: int) -> None:
        values: dict[str, list] = {}
        for fact, _, raw in cells:
            values.setdefault(fact, []).append(raw)
        for fact, found in values.items():
            if len(found) > 1 and not self._agree(fact, found):
                self.report(DataIssue(source=table.source, table=table.table, row=number, column=fact,
                                      message=f"`{fact}` is given twice (by name and label) with different values"))

    # ---- rows ---------------------------------------------------------------------------------
    def _row(self, source: int, table: str | None, line: int, raw_id: object, raw_period: object,
             cells: list[tuple[str, str, object]]) -> None:
        def problem(message: str, column: str | None = None) -> None:
            self.report(DataIssue(source=self.sources[source], table=table, row=line, column=column, message=message))

        entity = self._ids.get(raw_id) if isinstance(raw_id, (str, int)) and not isinstance(raw_id, bool) else None
        if entity is None:
            if is_blank(raw_id):
                return problem("missing id", "id")
            try:
                entity = sys.intern(entity_id(raw_id))
            except CellError as err:
                return problem(str(err), "id")
            if isinstance(raw_id, (str, int)) and len(self._ids) < 1_000_000:
                self._ids[raw_id] = entity
        record = self.entities.get(entity)
        if record is None:
            record = self.entities[entity] = _Entity(len(self.static_positions))
        period = None
        if not is_blank(raw_period):
            key = raw_period if isinstance(raw_period, (str, int)) and not isinstance(raw_period, bool) else None
            period = self._periods.get(key) if key is not None else None
            if period is None:
                try:
                    period = parse_period(raw_period.strip() if isinstance(raw_period, str) else raw_period)
                except CellError as err:
                    period = str(err)
                if key is not None:
                    self._periods[key] = period
            if isinstance(period, str):
                return problem(period, "period")
            if period in record.periods:
                first = record.periods[period]._values
                return problem(f"duplicate row for `{entity}` in {period} "
                               f"(first at {self._where(first[-2], table, first[-1])})")
        values = [ABSENT] * len(self.positions)
        for fact, header, raw in cells:
            if is_skipped(raw):
                continue
            try:
                value = self.converters[fact](raw)
            except CellError as err:
                problem(str(err), header)
                continue
            position = self.positions.get(fact)
            if position is None:
                self._static(record, entity, fact, header, value, source, table, line)
            elif period is None:
                problem(f"`{fact}` is a {_kind_word(self.schema, fact)} fact, but the row has no period", header)
            elif period.kind != self.schema.facts[fact].period_kind:
                problem(f"`{fact}` is a {_kind_word(self.schema, fact)} fact, but the row's period {period} "
                        f"is a {period.kind}", header)
            else:
                values[position] = value
        if period is not None:
            values += (source, line)
            record.periods[period] = Row(self.positions, tuple(values))

    def _static(self, record: _Entity, entity: str, fact: str, header: str, value: object, source: int,
                table: str | None, line: int) -> None:
        position = self.static_positions[fact]
        known = record.static[position]
        if known is ABSENT:
            record.static[position] = value
            record.static_where[position] = (source, line)
        elif known != value:
            first_source, first_line = record.static_where[position]
            self.report(DataIssue(source=self.sources[source], table=table, row=line, column=header,
                                  message=f"`{entity}` has {fact} \"{value}\" here but \"{known}\" at "
                                          f"{self._where(first_source, table, first_line)}"))

    def _where(self, source: int, table: str | None, line: int) -> str:
        return str(DataIssue(source=self.sources[source], table=table, row=line, message="")).removesuffix(": ")

    def finish(self, json_tables: bool) -> dict[str, EntityRecord]:
        if json_tables:  # a fact no row names, while some unknown key looks like it: misspelt everywhere
            unknown = [k for k, v in self._json_keys.items() if not isinstance(v, str)]
            named = {v for v in self._json_keys.values() if isinstance(v, str)}
            for fact in self.schema.facts:
                hint = None if fact in named else did_you_mean(fact, unknown)
                if hint:
                    self.report(DataIssue(source=self.sources[-1], message=f"missing column `{fact}` of "
                                          f"`{self.kind}`", hint=hint))
        return {entity: EntityRecord(id=entity, static=Row(self.static_positions, tuple(e.static)),
                                     periods=e.periods)
                for entity, e in sorted(self.entities.items())}


def _kind_word(schema: EntitySchema, fact: str) -> str:
    return "yearly" if schema.facts[fact].period_kind == "year" else "quarterly"


def _column_letter(index: int) -> str:
    letters, index = "", index + 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


# ---- inputs -------------------------------------------------------------------------------

def _mapping_tables(content: object, source: str, schemas: Mapping[str, EntitySchema],
                    report: Issues) -> dict[str, list[readers.Table]]:
    """The tables of the JSON mapping form `{kind: [rows]}`; other kinds are reported."""
    if not isinstance(content, Mapping):
        report(DataIssue(source=source, message="the data must be an object mapping entity kinds to lists of rows, "
                                               f"not {readers._json_kind(content)}"))
        return {}
    for key, values in getattr(content, "repeated", {}).items():
        report(DataIssue(source=source, message=f"entity kind `{key}` is written "
                                                                   f"{len(values)} times; merge its rows into one list"))
    tables: dict[str, list[readers.Table]] = {}
    for kind, rows in content.items():
        if kind in schemas:
            table = readers.json_table(kind, rows, source, report)
            if table is not None:
                tables[kind] = [table]
    for issue in unknown_kinds(content, schemas, source):
        report(issue)
    return tables


def unknown_kinds(mapping: Mapping[str, object], schemas: Mapping[str, EntitySchema],
                  source: str = "<data>") -> list[DataIssue]:
    """A warning per key of the mapping form that names no declared entity kind (a misspelled
    kind's rows would otherwise vanish without a word); every executor reports these."""
    return [DataIssue(source=source, severity="warning", hint=did_you_mean(str(kind), schemas),
                      message=f"unknown entity kind `{kind}`; its rows are not read")
            for kind in mapping if kind not in schemas]


def _folder_tables(folder: Path, schemas: Mapping[str, EntitySchema], report: Issues,
                   encoding: str | None) -> dict[str, list[readers.Table]]:
    tables: dict[str, list[readers.Table]] = {}
    files: dict[str, list[str]] = {}  # the files read for each kind
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):
            continue  # hidden files (.DS_Store, editor files) are no one's data
        if path.is_dir():
            report(DataIssue(source=str(path), severity="warning", message="a folder inside the data folder is not read"))
            continue
        kind, hint = file_kind(path.name, schemas)
        if kind is None:
            report(DataIssue(source=str(path), severity="warning", hint=hint,
                             message="not read: the name matches no entity kind (a table is named "
                                     "`<kind>.csv`, `.json`, `.xlsx` or `.parquet`)"))
            continue
        suffix = path.suffix.lower()
        if suffix == ".json":
            content = readers.read_json(path, report)
            if isinstance(content, Mapping):
                found = _mapping_tables(content, str(path), {kind: schemas[kind]}, report).get(kind, [])
            else:
                found = [readers.json_table(kind, content, str(path), report, in_mapping=False)] \
                    if content is not readers.UNREADABLE else []
        elif suffix == ".csv":
            found = [readers.csv_table(path, report, encoding)]
        else:
            found = [readers.READERS[suffix](path, report)]
        tables.setdefault(kind, []).extend(t for t in found if t is not None)
        files.setdefault(kind, []).append(path.name)
    for kind, names in files.items():
        if len(names) > 1:  # one table per kind is the contract: a second is most often last year's export
            report(DataIssue(source=str(folder), table=kind, severity="warning",
                             message=f"`{kind}` is in {len(names)} files ({', '.join(names)}): their rows are "
                                     "read together as one table",
                             hint="keep one file per entity kind"))
    return tables


def _build(tables: Mapping[str, list[readers.Table]], schemas: Mapping[str, EntitySchema], report: Issues,
           required: Mapping[str, frozenset[str]] | None,
           computed: Mapping[str, frozenset[str]] | None = None, progress: Progress = NO_PROGRESS) -> Dataset:
    kinds = {}
    for kind in sorted(tables):
        kinds[kind] = load_kind(kind, tables[kind], schemas[kind], report, required, computed)
        progress.advance()
    return Dataset(kinds=kinds)


def load_kind(kind: str, tables: list[readers.Table], schema: EntitySchema, report: Issues,
              required: Mapping[str, frozenset[str]] | None,
              computed: Mapping[str, frozenset[str]] | None = None) -> dict[str, EntityRecord]:
    """The records of one entity kind from its tables, its problems reported as they are found."""
    loader = KindLoader(kind, schema, report, None if required is None else required.get(kind, frozenset()),
                        (computed or {}).get(kind, frozenset()))
    for table in tables:
        loader.read(table)
    return loader.finish(any(t.header is None for t in tables))


def _finish(dataset: Dataset, report: Issues) -> Dataset:
    report.raise_if_errors()
    return Dataset(kinds=dataset.kinds, warnings=report.warnings)


def _shown(value: object) -> str:
    """A JSON value as its file writes it (50.0, "text", true), not as Python's repr."""
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, (int, Decimal)):
        return str(value)
    return json.dumps(value, ensure_ascii=False, default=str)


# ---- entry points -----------------------------------------------------------------------

def dataset_from_mapping(mapping: Mapping[str, object], schemas: Mapping[str, EntitySchema],
                         source: str = "<data>", *, computed: Mapping[str, frozenset[str]] | None = None,
                         rows_elsewhere: bool = False) -> Dataset:
    """Validate in-memory rows (the parsed JSON form) against the schemas.

    `computed` names, per kind, the derived values of the policies: a column so named is reported
    as computed, not as unknown. `rows_elsewhere`: the mapping is part of the data, other kinds of
    which have rows (read into columns): its having none is no cause for a warning."""
    report = Issues()
    tables = _mapping_tables(mapping, source, schemas, report)
    report.raise_if_errors()
    dataset = _build(tables, schemas, report, None, computed)
    if not any(dataset.kinds.values()) and not report.errors and not rows_elsewhere:
        report(DataIssue(source=source, severity="warning", message="no rows for any declared entity kind"))
    return _finish(dataset, report)


def load_data(path: str | Path, schemas: Mapping[str, EntitySchema],
              required: Mapping[str, frozenset[str]] | None = None, *, encoding: str | None = None,
              computed: Mapping[str, frozenset[str]] | None = None, progress: Progress = NO_PROGRESS) -> Dataset:
    """Read a JSON file or a folder of tables and validate it against the schemas.

    `required` names, per entity kind, the facts a table must have a column for (the facts the
    loaded policies read); by default every declared fact. `encoding` is for CSV files (default:
    UTF-8, with or without BOM, else GB18030). `progress` hears of each kind read."""
    path = Path(path)
    report = Issues()
    tables = read_tables(path, schemas, report, encoding)
    progress.start("reading data", len(tables), "kinds")
    dataset = _build(tables, schemas, report, required, computed, progress)
    if not any(dataset.kinds.values()) and not report.errors:
        report(no_rows(path))
    return _finish(dataset, report)


def read_tables(path: Path, schemas: Mapping[str, EntitySchema], report: Issues,
                encoding: str | None) -> dict[str, list[readers.Table]]:
    """The tables of `--data` by kind, their rows not yet read; DataError on a problem found before
    any row is (a missing path, no table for any kind, a file that cannot be read)."""
    if encoding is not None:
        _check_encoding(encoding)
    if path.is_dir():
        tables = _folder_tables(path, schemas, report, encoding)
        if not tables and not report.errors:
            expected = (f"(expected files like {', '.join(f'{k}.csv' for k in sorted(schemas)[:3])})" if schemas
                        else "(the policies declare no entity kind: there is nothing to read the data for)")
            report(DataIssue(source=str(path), message=f"no table for any declared entity kind {expected}"))
    elif path.is_file():
        content = readers.read_json(path, report)
        tables = _mapping_tables(content, str(path), schemas, report) if content is not readers.UNREADABLE else {}
    else:
        raise DataError([f"{path}: no such data file or folder"])
    report.raise_if_errors()
    return tables


def no_rows(path: Path) -> DataIssue:
    return DataIssue(source=str(path), message="the data has no rows for any declared entity kind")


def _check_encoding(encoding: str) -> None:
    import codecs
    import io

    try:
        codecs.lookup(encoding)
    except LookupError:
        raise DataError([f"unknown encoding `{encoding}` (for example utf-8, gb18030, gbk)"]) from None
    try:  # as `open` does: a codec of bytes to bytes (hex, base64) or of text to text (rot13) reads no text
        io.TextIOWrapper(io.BytesIO(b""), encoding=encoding)
    except LookupError:
        raise DataError([f"`{encoding}` is not a text encoding (for example utf-8, gb18030, gbk)"]) from None
