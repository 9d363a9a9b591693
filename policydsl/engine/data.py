"""The data stage: tables in, a typed `Dataset` out (or a `DataError` naming file, row, column).

Input is a JSON file `{"<entity kind>": [{"id": …, "period": …, <facts>}]}`, or a folder with
one table per entity kind: `<kind>.csv`, `<kind>.json` (a list of rows, or the mapping form),
`<kind>.xlsx` (first sheet, header row) or `<kind>.parquet` (needs pyarrow). A row without a
period carries static attributes only; static attributes may also repeat on periodic rows, and
must agree. An empty cell or null is a missing fact (unknown to the evaluator). Kinds and
columns no policy declares are ignored, but a declared fact with no column at all is an error.

Rows are numbered as a person finds them: in CSV and Excel the header is row 1, so the first
data row is row 2; in JSON, rows are counted from 1 within the kind's list.
All problems of a load are collected before one `DataError` is raised.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import unicodedata
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path

import attrs

from policydsl.diagnostics import DataError, did_you_mean
from policydsl.schema import Dataset, EntityRecord, EntitySchema, FactSchema
from policydsl.types import Type
from policydsl.values import Percent, Period, to_number

MAX_PROBLEMS = 50
_TRUE = {"true", "1", "yes", "是", "y", "t"}
_FALSE = {"false", "0", "no", "否", "n", "f"}


@attrs.frozen(kw_only=True)
class _Row:
    where: str  # "path: row N"
    cells: Mapping[str, object]


@attrs.frozen(kw_only=True)
class _Table:
    source: str
    columns: frozenset[str]
    rows: tuple[_Row, ...]
    tabular: bool = True  # CSV, Excel, Parquet: every declared fact needs a column


class _Problems:
    def __init__(self):
        self.items: list[str] = []

    def add(self, message: str) -> None:
        self.items.append(message)

    def raise_if_any(self) -> None:
        if self.items:
            extra = len(self.items) - MAX_PROBLEMS
            shown = self.items[:MAX_PROBLEMS] + ([f"... and {extra} more"] if extra > 0 else [])
            raise DataError(shown)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def _convert(value: object, fact_type: Type) -> object:
    """A typed value, or raise ValueError with a message for the person fixing the data."""
    if fact_type.is_enum:
        text = unicodedata.normalize("NFC", str(value).strip())
        if text not in fact_type.members:
            raise ValueError(f'unknown value "{text}"; expected one of {", ".join(fact_type.members)}')
        return text
    name = fact_type.name
    if name == "boolean":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError(f'"{value}" is not true/false')
    if name in ("integer", "decimal", "money", "percent"):
        if isinstance(value, bool):
            raise ValueError(f"{value} is a boolean, not a number")
        text = str(value).strip().replace(",", "")
        if name == "percent" and text.endswith("%"):
            text = text[:-1]
        try:
            number = to_number(Decimal(text)) if not isinstance(value, int) else value
        except (InvalidOperation, ValueError):
            raise ValueError(f'"{value}" is not a number') from None
        if name == "integer" and not isinstance(number, int):
            raise ValueError(f'"{value}" is not a whole number')
        return _percent_or_number(number, name)
    if name == "date":
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value).strip())
        except ValueError:
            raise ValueError(f'"{value}" is not a date (write YYYY-MM-DD)') from None
    return unicodedata.normalize("NFC", str(value).strip())


def _percent_or_number(number, type_name: str) -> object:
    """A percent column holds the number shown before `%`: a cell 12.5 (or "12.5%") is 12.5 %."""
    return Percent.shown_as(number) if type_name == "percent" else number


# ---- reading tables ---------------------------------------------------------------------

def _json_rows(kind: str, rows: object, source: str, problems: _Problems) -> _Table | None:
    if not isinstance(rows, list):
        problems.add(f"{source}: `{kind}` must be a list of rows")
        return None
    read, columns = [], set()
    for index, row in enumerate(rows, start=1):
        if not isinstance(row, Mapping):
            problems.add(f"{source}: {kind} row {index}: a row must be an object")
            continue
        columns |= set(row)
        read.append(_Row(where=f"{source}: {kind} row {index}", cells=dict(row)))
    return _Table(source=source, columns=frozenset(columns), rows=tuple(read), tabular=False)


def _load_json(path: Path, problems: _Problems) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    except json.JSONDecodeError as err:
        problems.add(f"{path}: invalid JSON at line {err.lineno}, column {err.colno}: {err.msg}")
    except UnicodeDecodeError:
        problems.add(f"{path}: not UTF-8 text")
    except OSError as err:
        problems.add(f"{path}: cannot read: {err.strerror}")
    return None


def _csv_table(path: Path, problems: _Problems) -> _Table | None:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                problems.add(f"{path}: empty file (a header row is needed)")
                return None
            header = [h.strip() for h in header]
            rows = []
            for line, cells in enumerate(reader, start=2):
                if not any(c.strip() for c in cells):
                    continue
                if len(cells) != len(header):
                    problems.add(f"{path}: row {line}: {len(cells)} cells, but the header has {len(header)}")
                    continue
                rows.append(_Row(where=f"{path}: row {line}", cells=dict(zip(header, cells))))
    except UnicodeDecodeError:
        problems.add(f"{path}: not UTF-8 text")
        return None
    except (OSError, csv.Error) as err:
        problems.add(f"{path}: cannot read: {err}")
        return None
    return _Table(source=str(path), columns=frozenset(header), rows=tuple(rows))


def _xlsx_table(path: Path, problems: _Problems) -> _Table | None:
    try:
        import openpyxl

        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        lines = list(sheet.iter_rows(values_only=True))
        workbook.close()
    except Exception as err:  # openpyxl raises many kinds for a damaged file; all mean "unreadable"
        problems.add(f"{path}: cannot read the workbook: {err}")
        return None
    if not lines:
        problems.add(f"{path}: empty sheet (a header row is needed)")
        return None
    header = [str(h).strip() if h is not None else "" for h in lines[0]]
    rows = []
    for number, cells in enumerate(lines[1:], start=2):
        if all(_blank(c) for c in cells):
            continue
        values = {h: (c if not isinstance(c, float) else Decimal(repr(c))) for h, c in zip(header, cells) if h}
        rows.append(_Row(where=f"{path}: row {number}", cells=values))
    return _Table(source=str(path), columns=frozenset(h for h in header if h), rows=tuple(rows))


def _parquet_table(path: Path, problems: _Problems) -> _Table | None:
    try:
        import pyarrow.parquet as parquet
    except ImportError:
        problems.add(f"{path}: reading Parquet needs the pyarrow package (pip install pyarrow)")
        return None
    try:
        table = parquet.read_table(path)
    except Exception as err:  # pyarrow's errors for a damaged file vary by version
        problems.add(f"{path}: cannot read: {err}")
        return None
    columns = table.column_names
    rows = [_Row(where=f"{path}: row {i + 2}", cells=row) for i, row in enumerate(table.to_pylist())]
    return _Table(source=str(path), columns=frozenset(columns), rows=tuple(rows))


def _folder_tables(folder: Path, kinds: Iterable[str], problems: _Problems) -> dict[str, list[_Table]]:
    readers = {".csv": _csv_table, ".xlsx": _xlsx_table, ".parquet": _parquet_table}
    tables: dict[str, list[_Table]] = {}
    for kind in kinds:
        for path in sorted(folder.glob(f"{kind}.*")):
            if path.suffix == ".json":
                content = _load_json(path, problems)
                if isinstance(content, Mapping):
                    content = content.get(kind, [])
                table = _json_rows(kind, content, str(path), problems) if content is not None else None
            elif path.suffix in readers:
                table = readers[path.suffix](path, problems)
            else:
                continue
            if table is not None:
                tables.setdefault(kind, []).append(table)
    return tables


# ---- validating -------------------------------------------------------------------------

def _build(tables: Mapping[str, list[_Table]], schemas: Mapping[str, EntitySchema],
           problems: _Problems, required: Mapping[str, frozenset[str]] | None = None) -> Dataset:
    kinds: dict[str, dict[str, EntityRecord]] = {}
    for kind in sorted(tables):
        schema = schemas[kind]
        for table in tables[kind]:
            _check_columns(kind, schema, table, problems, None if required is None else required.get(kind, frozenset()))
        static: dict[str, dict[str, tuple[object, str]]] = {}
        periods: dict[str, dict[Period, dict[str, object]]] = {}
        seen: dict[tuple[str, Period], str] = {}
        for table in tables[kind]:
            for row in table.rows:
                _read_row(kind, schema, row, static, periods, seen, problems)
        kinds[kind] = {
            entity: EntityRecord(id=entity, static={k: v for k, (v, _) in static.get(entity, {}).items()},
                                 periods=periods.get(entity, {}))
            for entity in sorted(set(static) | set(periods))}
    return Dataset(kinds=kinds)


def _check_columns(kind: str, schema: EntitySchema, table: _Table, problems: _Problems,
                   required: frozenset[str] | None) -> None:
    """Tables must have a column for every fact the policies read (every declared fact when the
    caller does not say); in JSON rows an absent key is a missing fact, but a key that looks
    like a misspelt fact name is reported."""
    undeclared = table.columns - set(schema.facts) - {"id", "period"}
    if table.tabular and "id" not in table.columns:
        problems.add(f"{table.source}: missing column `id`")
    for fact in schema.facts:
        if fact in table.columns:
            continue
        hint = did_you_mean(fact, undeclared)
        if (table.tabular and (required is None or fact in required)) or hint:
            problems.add(f"{table.source}: missing column `{fact}` of `{kind}`" + (f" ({hint})" if hint else ""))


def _read_row(kind: str, schema: EntitySchema, row: _Row, static: dict, periods: dict, seen: dict,
              problems: _Problems) -> None:
    cells = row.cells
    if _blank(cells.get("id")):
        problems.add(f"{row.where}, column id: missing id")
        return
    entity = unicodedata.normalize("NFC", str(cells["id"]).strip())
    period = None
    if not _blank(cells.get("period")):
        try:
            period = Period.parse(str(cells["period"]))
        except ValueError as err:
            problems.add(f"{row.where}, column period: {err}")
            return
        if (entity, period) in seen:
            problems.add(f"{row.where}: duplicate row for `{entity}` in {period} (first at {seen[(entity, period)]})")
            return
        seen[(entity, period)] = row.where
    values: dict[str, object] = {}
    for name, fact in schema.facts.items():
        raw = cells.get(name)
        if _blank(raw):
            continue
        try:
            value = _convert(raw, fact.type)
        except ValueError as err:
            problems.add(f"{row.where}, column {name}: {err}")
            continue
        if fact.period_kind is None:
            _static_value(entity, name, value, row.where, static, problems)
        elif period is None:
            problems.add(f"{row.where}, column {name}: `{name}` is a {_kind_word(fact)} fact, "
                         "but the row has no period")
        elif period.kind != fact.period_kind:
            problems.add(f"{row.where}, column {name}: `{name}` is a {_kind_word(fact)} fact, "
                         f"but the row's period {period} is a {period.kind}")
        else:
            values[name] = value
    if period is not None:
        periods.setdefault(entity, {})[period] = values
    else:
        static.setdefault(entity, {})


def _kind_word(fact: FactSchema) -> str:
    return "yearly" if fact.period_kind == "year" else "quarterly"


def _static_value(entity: str, name: str, value: object, where: str, static: dict, problems: _Problems) -> None:
    known = static.setdefault(entity, {})
    if name in known and known[name][0] != value:
        problems.add(f"{where}, column {name}: `{entity}` has {name} \"{value}\" here but "
                     f"\"{known[name][0]}\" at {known[name][1]}")
        return
    known.setdefault(name, (value, where))


# ---- entry points -----------------------------------------------------------------------

def dataset_from_mapping(mapping: Mapping[str, object], schemas: Mapping[str, EntitySchema],
                         source: str = "<data>") -> Dataset:
    """Validate in-memory rows (the parsed JSON form) against the schemas."""
    problems = _Problems()
    if not isinstance(mapping, Mapping):
        raise DataError([f"{source}: data must map entity kinds to lists of rows"])
    tables = {}
    for kind, rows in mapping.items():
        if kind in schemas:
            table = _json_rows(kind, rows, source, problems)
            if table is not None:
                tables[kind] = [table]
    problems.raise_if_any()
    dataset = _build(tables, schemas, problems)
    problems.raise_if_any()
    return dataset


def load_data(path: str | Path, schemas: Mapping[str, EntitySchema],
              required: Mapping[str, frozenset[str]] | None = None) -> Dataset:
    """Read a JSON file or a folder of tables and validate it against the schemas.

    `required` names, per entity kind, the facts a table must have a column for (the facts the
    loaded policies read); by default every declared fact."""
    path = Path(path)
    problems = _Problems()
    if path.is_dir():
        tables = _folder_tables(path, schemas, problems)
        if not tables and not problems.items:
            problems.add(f"{path}: no table for any declared entity kind "
                         f"(expected files like {', '.join(f'{k}.csv' for k in sorted(schemas)[:3])})")
    elif path.is_file():
        content = _load_json(path, problems)
        tables = {}
        if content is not None and not isinstance(content, Mapping):
            problems.add(f"{path}: the JSON must be an object mapping entity kinds to lists of rows")
        elif content is not None:
            for kind, rows in content.items():
                if kind in schemas:
                    table = _json_rows(kind, rows, str(path), problems)
                    if table is not None:
                        tables[kind] = [table]
    else:
        raise DataError([f"{path}: no such data file or folder"])
    problems.raise_if_any()
    dataset = _build(tables, schemas, problems, required)
    problems.raise_if_any()
    return dataset
