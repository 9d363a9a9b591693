"""Reading data files row by row: CSV, JSON, Excel (.xlsx) and Parquet, streamed.

In: a path (and, for CSV, an encoding or None to detect it). Out: a `Table` whose `rows` is an
iterator over (row number, cells), so a large file is never held in memory whole; cells are a
sequence aligned to `header` (CSV, Excel, Parquet) or a mapping (JSON rows). Problems go to the
`report` callback as `DataIssue`s and the reader goes on where it can. Cell values are left as
found (text, JSON values, Excel values) — typing them is `cells.convert`'s job — except that
Excel cells carry how they were shown (`ShownAsPercent`, `FormulaWithoutValue`,
`SpreadsheetError`).

Rows are numbered as a person finds them: in CSV and Excel the header is row 1, so the first
data row is row 2; in JSON, rows are counted from 1 within the kind's list.
"""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path

import attrs

from policydsl.engine.cells import FormulaWithoutValue, ShownAsPercent, SpreadsheetError, is_blank
from policydsl.schema import DataIssue

Report = Callable[[DataIssue], None]
_CHUNK = 1 << 20
_PARQUET_BATCH = 65_536  # rows of a Parquet file made Python values at a time


@attrs.frozen(kw_only=True)
class Table:
    source: str
    header: tuple[str, ...] | None  # None: rows are mappings (JSON)
    rows: Iterator[tuple[int, Sequence | Mapping]]
    table: str | None = None  # the entity kind named inside a JSON mapping


# ---- CSV --------------------------------------------------------------------------------

def detect_encoding(path: Path) -> str | None:
    """UTF-8 (a BOM is skipped) if the whole file decodes strictly as UTF-8, else GB18030 if it
    decodes as that (the encoding Chinese government spreadsheets export), else None."""
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)("strict")
        try:
            with path.open("rb") as handle:
                while chunk := handle.read(_CHUNK):
                    decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return encoding
        except UnicodeDecodeError:
            continue
    return None


def csv_table(path: Path, report: Report, encoding: str | None = None) -> Table | None:
    source = str(path)
    if encoding is None:
        encoding = detect_encoding(path)
        if encoding is None:
            report(DataIssue(source=source, message="not UTF-8 or GB18030 text",
                             hint="give the file's encoding with --encoding"))
            return None
    elif codecs.lookup(encoding).name == "utf-8":
        encoding = "utf-8-sig"
    handle = path.open(encoding=encoding, newline="", errors="strict")
    reader = csv.reader(handle)
    try:
        header = next(reader, None)
    except (UnicodeError, csv.Error) as err:  # UTF-16 without a BOM: a UnicodeError
        handle.close()
        report(DataIssue(source=source, row=1, message=_csv_problem(err, encoding)))
        return None
    if header is None:
        handle.close()
        report(DataIssue(source=source, message="empty file (a header row is needed)"))
        return None
    header = tuple(h.strip() for h in header)

    def rows() -> Iterator[tuple[int, Sequence]]:
        with handle:
            line = 1
            try:
                for cells in reader:
                    line = reader.line_num
                    if not any(c.strip() for c in cells):
                        continue
                    if len(cells) != len(header):
                        report(DataIssue(source=source, row=line,
                                         message=f"{len(cells)} cells, but the header has {len(header)}"))
                        continue
                    yield line, cells
            except (UnicodeError, csv.Error) as err:  # UTF-16 without a BOM: a UnicodeError
                report(DataIssue(source=source, row=line + 1, message=_csv_problem(err, encoding)))

    return Table(source=source, header=header, rows=rows())


def _csv_problem(err: Exception, encoding: str) -> str:
    if isinstance(err, UnicodeDecodeError):
        return f"not {encoding.replace('-sig', '').upper()} text; the rest of the file is not read"
    if isinstance(err, UnicodeError):
        return f"not {encoding.upper()} text ({err}); the rest of the file is not read"
    return f"cannot read: {err}; the rest of the file is not read"


# ---- JSON -------------------------------------------------------------------------------

class JsonObject(dict):
    """A JSON object that remembers keys written more than once (JSON parsers keep the last)."""

    __slots__ = ("repeated",)

    def __init__(self, pairs: list[tuple[str, object]]):
        super().__init__()
        self.repeated: dict[str, list[object]] = {}
        for key, value in pairs:
            if key in self:
                self.repeated.setdefault(key, [self[key]]).append(value)
            self[key] = value


def _json_int(text: str) -> int | Decimal:
    # Python refuses to convert integers over 4,300 digits; the range check reports them.
    return int(text) if len(text) <= 40 else Decimal(text)


UNREADABLE = object()  # what read_json returns for a file it could not parse (after reporting why)


def read_json(path: Path, report: Report) -> object:
    """The parsed content of a JSON file (numbers exact), or UNREADABLE after reporting why not."""
    try:
        with path.open("rb") as handle:
            data = handle.read()
        return json.loads(data.decode("utf-8-sig"), parse_float=Decimal, parse_int=_json_int,
                          parse_constant=Decimal, object_pairs_hook=JsonObject)
    except json.JSONDecodeError as err:
        report(DataIssue(source=str(path), message=f"invalid JSON at line {err.lineno}, column {err.colno}: {err.msg}"))
    except UnicodeDecodeError:
        report(DataIssue(source=str(path), message="not UTF-8 text (JSON files are UTF-8)"))
    except RecursionError:
        report(DataIssue(source=str(path), message="JSON nested too deeply"))
    except OSError as err:
        report(DataIssue(source=str(path), message=f"cannot read: {err.strerror}"))
    return UNREADABLE


def json_table(kind: str, rows: object, source: str, report: Report, in_mapping: bool = True) -> Table | None:
    """The rows of one kind: a list of objects."""
    if not isinstance(rows, list):
        lazy = type(rows).__name__ == "LazyFrame"  # a query, not yet its rows
        report(DataIssue(source=source, message=f"`{kind}` must be a list of rows, not {_json_kind(rows)}",
                         hint="collect it first: `frame.collect()`" if lazy else None))
        return None

    def each() -> Iterator[tuple[int, Mapping]]:
        for number, row in enumerate(rows, start=1):
            if not isinstance(row, Mapping):
                report(DataIssue(source=source, table=kind if in_mapping else None, row=number,
                                 message=f"a row must be an object, not {_json_kind(row)}"))
                continue
            yield number, row

    return Table(source=source, header=None, rows=each(), table=kind if in_mapping else None)


def _json_kind(value: object) -> str:
    """What a value is, in JSON's words (or, for a value no JSON parser makes, its type's name)."""
    if value is None:
        return "null"
    found = {dict: "an object", JsonObject: "an object", list: "a list", str: "text", bool: "a boolean"}.get(type(value))
    if found is None:
        found = "a number" if isinstance(value, (int, float, Decimal)) else f"a {type(value).__name__}"
    return found


# ---- Excel ------------------------------------------------------------------------------

def xlsx_table(path: Path, report: Report) -> Table | None:
    """The first sheet, its first row the header. Two read-only passes run side by side: one
    sees the values Excel saved, the other the formulas and how each cell is shown."""
    try:
        import openpyxl
        from openpyxl.utils import get_column_letter

        values_book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        formulas_book = openpyxl.load_workbook(path, read_only=True, data_only=False)
        values = values_book.worksheets[0].iter_rows()
        shown = formulas_book.worksheets[0].iter_rows()
        first = next(values, None)
        next(shown, None)
    except Exception as err:  # openpyxl raises many kinds for a damaged file; all mean "unreadable"
        report(DataIssue(source=str(path), message=f"cannot read the workbook: {type(err).__name__}: {err}"))
        return None
    if first is None:
        report(DataIssue(source=str(path), message="empty sheet (a header row is needed)"))
        return None
    header = tuple(str(c.value).strip() if c.value is not None else "" for c in first)

    def cell(value_cell, shown_cell, column: int, row: int) -> object:
        value = value_cell.value
        formula = getattr(shown_cell, "value", None)
        where = f"{get_column_letter(column)}{row}"
        if getattr(shown_cell, "data_type", None) == "f" or (isinstance(formula, str) and formula.startswith("=")):
            if value is None:
                return FormulaWithoutValue(formula=str(formula), cell=where)
        if getattr(value_cell, "data_type", None) == "e":
            return SpreadsheetError(code=str(value), cell=where)
        if isinstance(value, bool) or value is None:
            return value
        if isinstance(value, float):
            value = Decimal(repr(value)) if value == value and abs(value) != float("inf") else value
        if isinstance(value, (int, Decimal)) and "%" in (getattr(value_cell, "number_format", "") or ""):
            return ShownAsPercent(value=value, cell=where)
        return value

    def rows() -> Iterator[tuple[int, Sequence]]:
        try:
            for number, (value_row, shown_row) in enumerate(zip(values, shown), start=2):
                cells = [cell(v, s, i, number) for i, (v, s) in enumerate(zip(value_row, shown_row), start=1)]
                if all(is_blank(c) for c in cells):
                    continue
                cells += [None] * (len(header) - len(cells))
                if len(cells) > len(header) and any(not is_blank(c) for c in cells[len(header):]):
                    report(DataIssue(source=str(path), row=number,
                                     message=f"cells beyond the last headed column ({get_column_letter(len(header))})"))
                yield number, cells[:len(header)]
        except Exception as err:  # a workbook damaged past its first rows
            report(DataIssue(source=str(path), message=f"cannot read the workbook: {type(err).__name__}: {err}"))
        finally:
            values_book.close()
            formulas_book.close()

    return Table(source=str(path), header=header, rows=rows())


# ---- Parquet ----------------------------------------------------------------------------

def parquet_table(path: Path, report: Report) -> Table | None:
    """A Parquet file's rows, read by Polars (a dependency already: no pyarrow needed) in batches
    of `_PARQUET_BATCH` rows; cells are Polars' Python values (int, float, Decimal, str, bool,
    date...), numbered as in a spreadsheet (the first data row is row 2). The path is a file's, never
    a pattern (`glob=False`: a folder named `data[1]` must not read `data1`)."""
    import polars as pl  # only here: the row path imports Polars only for a Parquet table

    try:
        header = tuple(pl.read_parquet_schema(path))
    except Exception as err:  # Polars' errors for a damaged file vary (ComputeError, OSError...)
        report(DataIssue(source=str(path), message=f"cannot read: {err}"))
        return None

    def rows() -> Iterator[tuple[int, Sequence]]:
        number = 1
        try:
            for batch in pl.scan_parquet(path, glob=False).collect_batches(chunk_size=_PARQUET_BATCH):
                for row in floats_as_printed(batch).iter_rows():
                    number += 1
                    yield number, row
        except Exception as err:  # as above
            report(DataIssue(source=str(path), message=f"cannot read: {err}"))

    return Table(source=str(path), header=header, rows=rows())


def floats_as_printed(frame):
    """A Polars frame whose 32-bit float columns hold the decimals they print as: a Float32 0.3 is
    the binary fraction 0.30000001192092896 once it is a Python float, but 0.3 is what every tool
    shows and what the data contract reads (a typed file's float is the decimal it prints as).
    Polars writes each as its shortest text, which is then read as a 64-bit float."""
    import polars as pl

    narrow = [pl.col(name).cast(pl.String).cast(pl.Float64) for name, dtype in frame.schema.items()
              if dtype == pl.Float32]
    return frame.with_columns(narrow) if narrow else frame


READERS = {".csv": csv_table, ".xlsx": xlsx_table, ".parquet": parquet_table}
