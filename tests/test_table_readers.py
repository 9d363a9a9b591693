"""The table readers (`engine/tables.py`, `engine/csv_encoding.py`) read what a person sees, or say
why not, located: an Excel number format's literal `%` does not scale the number, a workbook's other
sheets and merged cells are reported rather than dropped, a UTF-8 file with a stray byte is refused
rather than read as GB18030 mojibake, and a byte that is not text is named at its own row."""

from __future__ import annotations

import random
import re
from fractions import Fraction
from pathlib import Path

import pytest

from policydsl.diagnostics import DataError
from policydsl.engine import tables
from policydsl.engine.columnar import files
from policydsl.engine.data import load_data
from policydsl.schema import EntitySchema, FactSchema
from policydsl.types import DECIMAL, PERCENT, TEXT
from policydsl.values import Percent, Period

openpyxl = pytest.importorskip("openpyxl")

SCHEMAS = {"enterprise": EntitySchema(name="enterprise", facts={
    "zone": FactSchema(name="zone", type=TEXT, period_kind=None),
    "score": FactSchema(name="score", type=DECIMAL, period_kind="year"),
    "growth": FactSchema(name="growth", type=PERCENT, period_kind="year"),
})}
HEADER = ["id", "period", "zone", "score", "growth"]


def problems_of(call) -> list[str]:
    with pytest.raises(DataError) as caught:
        call()
    return list(caught.value.problems)


def _workbook(folder: Path, *rows, formats=None, merged=(), sheets=None) -> Path:
    """enterprise.xlsx: HEADER and `rows` on the first sheet; `sheets` more sheets {title: rows}."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "data"
    for row in (HEADER, *rows):
        sheet.append(list(row))
    for cell, number_format in (formats or {}).items():
        sheet[cell].number_format = number_format
    for cells in merged:
        sheet.merge_cells(cells)
    for title, more in (sheets or {}).items():
        other = book.create_sheet(title)
        for row in more:
            other.append(list(row))
    folder.mkdir(exist_ok=True)
    book.save(folder / "enterprise.xlsx")
    return folder / "enterprise.xlsx"


# ---- Excel: a percent sign that is literal text --------------------------------------------

@pytest.mark.parametrize("number_format, scaled", [
    ("0%", True), ("0.00%", True), ("[Red]0.0%", True), ("0.0%;[Red]-0.0%", True), ("#,##0.0%", True),
    ('0.0"%"', False), ("0\\%", False), ('"%"0', False), ("[Red]0.0", False), ("[$%-804]0.0", False),
    ("0_%", False), ("0*%", False), ('"100\\"0%', True), ("General", False), ("@", False), ("0.00", False),
    ("", False), (None, False),
])
def test_excel_format_scales_by_100_only_for_a_percent_sign_that_is_a_format_code(number_format, scaled):
    assert tables.shows_percent(number_format) is scaled


def test_excel_literal_percent_sign_shows_the_number_unscaled_and_is_no_percentage_format(tmp_path):
    folder = tmp_path / "data"
    _workbook(folder, ["E1", "2019", None, 12.5, 12.5], ["E2", "2019", None, 8, 8],
              ["E3", "2019", None, 1, 0.05],
              formats={"D2": '0.0"%"', "E2": '0.0"%"', "D3": "0\\%", "E3": "0\\%", "E4": "0.0%"})
    entities = load_data(folder, SCHEMAS, required={}).entities("enterprise")
    assert entities["E1"].periods[Period(2019)] == {"score": Fraction(25, 2),
                                                    "growth": Percent.shown_as(Fraction(25, 2))}
    assert entities["E2"].periods[Period(2019)] == {"score": 8, "growth": Percent.shown_as(8)}
    assert entities["E3"].periods[Period(2019)]["growth"] == Percent.shown_as(5)  # a true percentage format


# ---- Excel: what the reader leaves out is reported ------------------------------------------

def test_excel_sheets_after_the_first_holding_values_are_reported_as_not_read(tmp_path):
    folder = tmp_path / "data"
    path = _workbook(folder, ["E1", "2019", "Z1", 50, None],
                     sheets={"2020": [HEADER, ["E1", "2020", "Z1", 60, None]], "empty": [],
                             "one": [[None, "x"]]})
    dataset = load_data(folder, SCHEMAS, required={})
    assert [str(w) for w in dataset.warnings] == [
        f"{path}: sheet `2020` is not read: a table is the first sheet (`data`); 9 non-empty cells "
        "(move its rows to the first sheet)",
        f"{path}: sheet `one` is not read: a table is the first sheet (`data`); 1 non-empty cell "
        "(move its rows to the first sheet)"]
    assert list(dataset.entities("enterprise")["E1"].periods) == [Period(2019)]


def test_excel_merged_cells_holding_a_value_are_reported_as_read_only_in_their_first_cell(tmp_path):
    folder = tmp_path / "data"
    path = _workbook(folder, ["E1", "2019", "Z1", 50, None], ["E1", "2020", None, None, 3],
                     ["E2", "2019", None, 1, None], ["E3", "2019", None, None, None],
                     # a score shown for two years; growth over two columns past the header; blank cells
                     merged=["D2:D3", "E3:F3", "C4:C5", "H2:H5"])
    dataset = load_data(folder, SCHEMAS, required={})
    assert [str(w) for w in dataset.warnings] == [
        f"{path}: row 2, column score: cells D2:D3 are merged: only D2 holds the value; the others are read "
        "as missing (unmerge them and fill in each cell)",
        f"{path}: row 3, column growth: cells E3:F3 are merged: only E3 holds the value; the others are read "
        "as missing (unmerge them and fill in each cell)"]
    assert dataset.entities("enterprise")["E1"].periods[Period(2020)] == {"growth": Percent.shown_as(3)}


def test_excel_merged_ranges_are_found_when_the_sheet_is_searched_in_small_chunks(tmp_path, monkeypatch):
    path = _workbook(tmp_path / "data", *[["E1", str(2000 + year), "Z", year, None] for year in range(20)],
                     merged=["A2:A3", "C2:C21", "B5:B6"])
    expected = tables._merged_ranges(path)
    assert sorted(expected) == ["A2:A3", "B5:B6", "C2:C21"]
    for size in (1, 2, 7, 13, 64):  # every element cut somewhere by a chunk's end
        monkeypatch.setattr(tables, "_CHUNK", size)
        assert tables._merged_ranges(path) == expected


# ---- CSV: encodings -------------------------------------------------------------------------

CSV_ROWS = "".join(f"E{i},2019,东区,{i}\n" for i in range(6)) + "E9,2019,西区,9\n"


def _chinese_of_the_policies() -> str:
    policies = Path(__file__).resolve().parents[1] / "policies"
    text = "".join(path.read_text(encoding="utf-8") for path in sorted(policies.rglob("*.pol")))
    return "".join(re.findall(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+", text))


def _utf8_characters_of_3_or_4_bytes(data: bytes) -> int:
    return len(re.findall("[\u0800-\ud7ff\ue000-\U0010ffff]", data.decode("utf-8", "surrogateescape")))


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def test_csv_utf8_but_for_a_stray_byte_is_refused_and_gb18030_chinese_still_read(tmp_path):
    data = ("id,period,zone,score\n" + CSV_ROWS).encode("utf-8").replace(b"E9,", b"E9\xb7A,")  # cp1252 '·'
    (tmp_path / "enterprise.csv").write_bytes(data)
    assert problems_of(lambda: load_data(tmp_path, SCHEMAS, required={})) == [
        f"{tmp_path / 'enterprise.csv'}: row 8, column id: byte 0xB7 (character 3 of the cell) is not UTF-8: "
        "the file is UTF-8 except for this byte (fix it or give --encoding)"]
    # GB18030 text read as UTF-8 makes a character of 3 or 4 bytes now and then, by chance: never
    # so many that a file of Chinese text (from the policies, cut at random) is taken for UTF-8
    chinese, chance = _chinese_of_the_policies(), random.Random(20240501)
    assert len(chinese) > 10_000
    wide_by_chance = 0
    for number in range(300):
        texts = []
        for _ in range(chance.choice([1, 2, 3, 5, 10, 30])):
            start, length = chance.randrange(len(chinese) - 40), chance.choice([2, 3, 4, 6, 10, 40])
            texts.append(chinese[start:start + length])
        content = "id,zone\n" + "".join(f"E{i},{text}\n" for i, text in enumerate(texts))
        data = content.encode("gb18030")
        if data.isascii() or _is_utf8(data):
            continue  # a few characters of GB18030 that are UTF-8 too: read as UTF-8, as ever
        path = tmp_path / f"gb{number}.csv"
        path.write_bytes(data)
        issues = []
        table = tables.csv_table(path, issues.append)
        assert not issues and [cells[1] for _, cells in table.rows] == texts
        wide_by_chance += _utf8_characters_of_3_or_4_bytes(path.read_bytes())
    assert wide_by_chance > 50  # the rule's margin was tried


def test_csv_utf8_with_several_stray_bytes_is_refused_counting_them(tmp_path):
    # 东 followed by a cp1252 é in six rows: 14 characters of 3 bytes (东区 six times, 西区), 6 stray bytes
    data = ("id,period,zone,score\n" + CSV_ROWS).encode("utf-8").replace("东".encode(), "东".encode() + b"\xe9")
    (tmp_path / "enterprise.csv").write_bytes(data)
    assert problems_of(lambda: load_data(tmp_path, SCHEMAS, required={})) == [
        f"{tmp_path / 'enterprise.csv'}: row 2, column zone: byte 0xE9 (character 2 of the cell) is not "
        "UTF-8: the file is UTF-8 except for this byte and 5 more (fix them or give --encoding)"]


def _with_a_bad_byte_in_row(rows: int, bad_row: int) -> bytes:
    """A CSV of `rows` data rows, ASCII, with the byte 0xFF in the zone of row `bad_row`."""
    lines = ["id,period,zone,score"] + [f"E{i:05d},2019,Z1,{i % 100}.5" for i in range(rows)]
    lines[bad_row - 1] = lines[bad_row - 1].replace("Z1", "Z\xff1")
    return ("\n".join(lines) + "\n").encode("latin-1")


def test_csv_byte_not_text_in_the_given_encoding_is_named_at_its_own_row(tmp_path):
    (tmp_path / "enterprise.csv").write_bytes(_with_a_bad_byte_in_row(1000, 601))
    assert problems_of(lambda: load_data(tmp_path, SCHEMAS, required={}, encoding="utf-8")) == [
        f"{tmp_path / 'enterprise.csv'}: row 601, column zone: byte 0xFF (character 2 of the cell) is not "
        "UTF-8 text; the rest of the file is not read"]


def test_csv_neither_utf8_nor_gb18030_names_the_row_column_and_byte(tmp_path):
    (tmp_path / "enterprise.csv").write_bytes(_with_a_bad_byte_in_row(1000, 601))
    assert problems_of(lambda: load_data(tmp_path, SCHEMAS, required={})) == [
        f"{tmp_path / 'enterprise.csv'}: row 601, column zone: byte 0xFF (character 2 of the cell) is not "
        "UTF-8 text, and the file is not GB18030 text either (give the file's encoding with --encoding)"]


def test_csv_byte_not_text_in_the_header_names_its_header_cell(tmp_path):
    (tmp_path / "enterprise.csv").write_bytes(b"id,period,zo\xffne\nE1,2019,Z\n")
    assert problems_of(lambda: load_data(tmp_path, SCHEMAS, required={}, encoding="utf-8")) == [
        f"{tmp_path / 'enterprise.csv'}: row 1: byte 0xFF (character 3 of header cell 3) is not UTF-8 text; "
        "the rest of the file is not read"]


@pytest.mark.parametrize("data, encoding, message", [
    (_with_a_bad_byte_in_row(30_000, 20_001), "utf-8",
     "row 20001, column zone: byte 0xFF (character 2 of the cell) is not UTF-8 text; the rest of the file is "
     "not read"),
    (_with_a_bad_byte_in_row(30_000, 20_001), None,
     "row 20001, column zone: byte 0xFF (character 2 of the cell) is not UTF-8 text, and the file is not "
     "GB18030 text either (give the file's encoding with --encoding)"),
    (("id,period,zone,score\n" + CSV_ROWS * 3000).encode("utf-8") + "E,2019,\xb7,1\n".encode("latin-1"), None,
     "row 21002, column zone: byte 0xB7 (character 1 of the cell) is not UTF-8: the file is UTF-8 except for "
     "this byte (fix it or give --encoding)"),
], ids=["encoding-given", "neither-utf8-nor-gb18030", "utf8-but-a-stray-byte"])
def test_csv_bytes_not_text_are_the_same_located_error_from_the_columnar_reader(tmp_path, data, encoding,
                                                                                 message):
    (tmp_path / "enterprise.csv").write_bytes(data)
    assert len(data) > files._POLARS_BYTES  # a size Polars would read
    expected = [f"{tmp_path / 'enterprise.csv'}: {message}"]
    assert problems_of(lambda: load_data(tmp_path, SCHEMAS, required={}, encoding=encoding)) == expected
    assert problems_of(lambda: files.read_columns(tmp_path, SCHEMAS, required={}, encoding=encoding,
                                                  row_loader_below_bytes=0)) == expected


def test_a_large_other_sheet_is_counted_to_a_bound_and_a_merge_scan_that_fails_is_a_warning(tmp_path, monkeypatch):
    from policydsl.engine import tables

    monkeypatch.setattr(tables, "_COUNTED_CELLS", 5)
    folder = tmp_path / "data"
    path = _workbook(folder, ["E1", "2019", "Z1", 50, None],
                     sheets={"raw": [HEADER, *(["E1", str(2000 + i), "Z1", 1, None] for i in range(10))]})

    def broken(_path):
        raise KeyError("xl/worksheets/_rels/sheet1.xml.rels")
    monkeypatch.setattr(tables, "_merged_ranges", broken)
    warnings = [str(w) for w in load_data(folder, SCHEMAS, required={}).warnings]
    assert any("sheet `raw` is not read" in w and "more than 5 non-empty cells" in w for w in warnings)
    assert any("merged cells could not be looked for" in w for w in warnings)
