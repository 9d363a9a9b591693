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
import itertools
import json
import posixpath
import re
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree

import attrs

from policydsl.engine.cells import FormulaWithoutValue, ShownAsPercent, SpreadsheetError, is_blank
from policydsl.engine.csv_encoding import csv_encoding, undecodable_byte
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
    objects: list | None = None  # JSON: the list `rows` walks, for a reader that takes it whole


# ---- CSV --------------------------------------------------------------------------------
# (the encoding of a file, and where it stops being text: `csv_encoding`)

def csv_table(path: Path, report: Report, encoding: str | None = None) -> Table | None:
    source = str(path)
    if encoding is None:
        encoding = csv_encoding(path, report)
        if encoding is None:
            return None
    elif codecs.lookup(encoding).name == "utf-8":
        encoding = "utf-8-sig"
    handle = path.open(encoding=encoding, newline="", errors="strict")
    reader = csv.reader(handle)
    try:
        header = next(reader, None)
    except (UnicodeError, csv.Error) as err:  # UTF-16 without a BOM: a UnicodeError
        handle.close()
        report(_unreadable(path, err, encoding, row=1))
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
            except (UnicodeError, csv.Error) as err:
                report(_unreadable(path, err, encoding, row=line + 1))

    return Table(source=source, header=header, rows=rows())


def _unreadable(path: Path, err: Exception, encoding: str, row: int) -> DataIssue:
    """Why the CSV reader stopped at `row` (the line after the last it read). A byte that is not
    text is located afresh (`undecodable_byte`): Python decodes ahead of the reader, so the reader
    may not have reached that byte's row yet."""
    name = encoding.replace("-sig", "").upper()
    rest = "the rest of the file is not read"
    if isinstance(err, UnicodeDecodeError):
        first = undecodable_byte(path, encoding)
        if first is not None:
            return DataIssue(source=str(path), row=first.row, column=first.column,
                             message=f"{first.where()} is not {name} text; {rest}")
        return DataIssue(source=str(path), message=f"not {name} text ({err.reason}, byte 0x"
                         f"{err.object[err.start]:02X}); {rest}")
    if isinstance(err, UnicodeError):  # UTF-16 without a BOM
        return DataIssue(source=str(path), row=row, message=f"not {encoding.upper()} text ({err}); {rest}")
    return DataIssue(source=str(path), row=row, message=f"cannot read: {err}; {rest}")


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

    return Table(source=source, header=None, rows=each(), table=kind if in_mapping else None, objects=rows)


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
    sees the values Excel saved, the other the formulas and how each cell is shown. Nothing the
    reader leaves out goes unsaid: every other sheet that holds a value is reported, and so is
    every merged range holding a value (a workbook keeps it in the range's first cell only)."""
    source = str(path)
    try:
        import openpyxl
        from openpyxl.utils import get_column_letter

        values_book = formulas_book = None
        values_book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        formulas_book = openpyxl.load_workbook(path, read_only=True, data_only=False)
        values = values_book.worksheets[0].iter_rows()
        shown = formulas_book.worksheets[0].iter_rows()
        first = next(values, None)
        next(shown, None)
        _report_other_sheets(values_book.worksheets, source, report)
    except Exception as err:  # openpyxl raises many kinds for a damaged file; all mean "unreadable"
        for book in (values_book, formulas_book):
            if book is not None:
                book.close()
        report(DataIssue(source=source, message=f"cannot read the workbook: {type(err).__name__}: {err}"))
        return None
    try:
        merged = _merged_ranges(path)
    except Exception as err:  # noqa: BLE001  a package laid out otherwise: openpyxl read it, so its cells are read
        merged = []
        report(DataIssue(source=source, severity="warning", hint="unmerge any merged cells of the table",
                         message=f"merged cells could not be looked for ({type(err).__name__}: {err}); a merged "
                                 "range would be read in its first cell only"))
    if first is None:
        values_book.close()
        formulas_book.close()
        report(DataIssue(source=source, message="empty sheet (a header row is needed)"))
        return None
    header = tuple(str(c.value).strip() if c.value is not None else "" for c in first)
    merged_from_row = _merged_by_first_row(merged, len(header))

    def report_merged(number: int, cells: Sequence) -> None:
        for cells_merged, column in merged_from_row.get(number, ()):
            if not is_blank(cells[column]):  # a merge of blank cells loses nothing
                top_left = cells_merged.partition(":")[0]
                report(DataIssue(source=source, severity="warning", row=number, column=header[column] or None,
                                 message=f"cells {cells_merged} are merged: only {top_left} holds the value; "
                                         "the others are read as missing",
                                 hint="unmerge them and fill in each cell"))

    report_merged(1, header)

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
        if isinstance(value, (int, Decimal)) and shows_percent(getattr(value_cell, "number_format", None)):
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
                    report(DataIssue(source=source, row=number,
                                     message=f"cells beyond the last headed column ({get_column_letter(len(header))})"))
                report_merged(number, cells)
                yield number, cells[:len(header)]
        except Exception as err:  # a workbook damaged past its first rows
            report(DataIssue(source=source, message=f"cannot read the workbook: {type(err).__name__}: {err}"))
        finally:
            values_book.close()
            formulas_book.close()

    return Table(source=source, header=header, rows=rows())


def shows_percent(number_format: str | None) -> bool:
    r"""Whether Excel shows a number in this format multiplied by 100 (0.125 as 12.5%): it does for
    a `%` that is a code of the format, not literal text: not in "quotes", not after a backslash
    (`0.0"%"` and `0\%` show 12.5 as 12.5%), not the character after `_` (a space as wide as it)
    or `*` (it repeated to fill the cell), and not in [brackets] (a colour, a condition, a locale)."""
    literal_until = None  # the character ending the literal text being passed over
    escaped = False
    for char in number_format or "":
        if escaped:
            escaped = False
        elif literal_until is not None:
            literal_until = None if char == literal_until else literal_until
        elif char in "\\_*":
            escaped = True
        elif char in "\"[":
            literal_until = '"' if char == '"' else "]"
        elif char == "%":
            return True
    return False


_COUNTED_CELLS = 10_000  # the values of another sheet counted for its warning


def _report_other_sheets(sheets: Sequence, source: str, report: Report) -> None:
    """A warning for each sheet after the first that holds a value: a table is its workbook's first
    sheet, and rows on another sheet would otherwise be left out without a word."""
    first, *others = sheets
    for sheet in others:
        # the cells the sheet holds, not the rectangle its saved dimension claims (A1:XFD1048576
        # for a sheet formatted whole): read-only rows are padded out to that rectangle
        sheet.reset_dimensions()
        # counted up to a bound: a large raw-data sheet is not read to its end for a warning
        values = (value for row in sheet.iter_rows(values_only=True) for value in row if not is_blank(value))
        filled = sum(1 for _ in itertools.islice(values, _COUNTED_CELLS + 1))
        if filled:
            cells = (f"more than {_COUNTED_CELLS} non-empty cells" if filled > _COUNTED_CELLS
                     else f"{filled} non-empty cell{'s' if filled != 1 else ''}")
            report(DataIssue(source=source, severity="warning", hint="move its rows to the first sheet",
                             message=f"sheet `{sheet.title}` is not read: a table is the first sheet "
                                     f"(`{first.title}`); {cells}"))


_CELL_OR_RANGE = rb"[A-Za-z]+[0-9]+(?::[A-Za-z]+[0-9]+)?"
# `<mergeCell ref="B3:B4"/>`, perhaps with a namespace prefix, other attributes, single quotes
_MERGE_CELL = re.compile(rb"<(?:[\w.-]+:)?mergeCell\s[^>]*?\bref\s*=\s*[\"'](" + _CELL_OR_RANGE + rb")[\"']")


def _merged_ranges(path: Path) -> list[str]:
    """The merged ranges of a workbook's first sheet (`B3:B4`). openpyxl's read-only sheets do not
    give them (its full reader does, holding every cell in memory), so the sheet's XML is searched
    for its `<mergeCell ref="…">` elements: one pass over the bytes, a small part of the cost of
    parsing its cells (markup only: `<` in a cell's text is written `&lt;`)."""
    with zipfile.ZipFile(path) as archive, archive.open(_first_sheet_part(archive)) as xml:
        ranges, carried = [], b""
        while chunk := xml.read(_CHUNK):
            text = carried + chunk
            found = list(_MERGE_CELL.finditer(text)) if b"mergeCell" in text else []
            ranges += [match.group(1).decode("ascii").upper() for match in found]
            # an element cut by the chunk's end is searched again with the next chunk
            cut = text.rfind(b"<")
            carried = text[cut:] if cut >= (found[-1].end() if found else 0) else b""
    return ranges


def _merged_by_first_row(ranges: list[str], width: int) -> dict[int, list[tuple[str, int]]]:
    """Merged ranges of more than one cell that start within the headed columns, by their first
    row: (range, 0-based column of its first cell)."""
    from openpyxl.utils import range_boundaries

    by_row: dict[int, list[tuple[str, int]]] = {}
    for cells_merged in ranges:
        first_column, first_row, last_column, last_row = range_boundaries(cells_merged)
        if first_column <= width and (first_column, first_row) != (last_column, last_row):
            by_row.setdefault(first_row, []).append((cells_merged, first_column - 1))
    return by_row


def _first_sheet_part(archive: zipfile.ZipFile) -> str:
    """The zip member holding a workbook's first worksheet, found as openpyxl finds it: the
    package's office document (the workbook), then the first of its sheets whose relationship is a
    worksheet's (a chart sheet holds no cells)."""
    workbook = next(member for kind, member in _relationships(archive, "").values()
                    if kind.endswith("/officeDocument"))
    relationships = _relationships(archive, workbook)
    for element in ElementTree.fromstring(archive.read(workbook)).iter():
        if element.tag.rpartition("}")[2] == "sheet":
            # r:id, its prefix bound to the relationships namespace (a plain `id` is another attribute)
            rel_id = next((value for name, value in element.attrib.items()
                           if name.startswith("{") and name.rpartition("}")[2] == "id"), None)
            kind, member = relationships.get(rel_id, ("", ""))
            if kind.endswith("/worksheet") and member in archive.namelist():
                return member
    raise KeyError("the workbook has no worksheet")


def _relationships(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """A package part's relationships ("" for the package's own): id -> (type, zip member)."""
    folder, _, name = part.rpartition("/")
    root = ElementTree.fromstring(archive.read(posixpath.join(folder, "_rels", f"{name}.rels")))
    found = {}
    for relationship in root:
        target = relationship.get("Target", "")
        member = target[1:] if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        found[relationship.get("Id")] = (relationship.get("Type", ""), member)
    return found


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
