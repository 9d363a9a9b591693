"""A data folder read straight into columns (`engine/columnar/files.py`, `texts.py`) means what the
row loader reads: the same values (cell by cell, a hypothesis property against `cells.converter`),
the same records for whatever reads the kinds as rows, and the same errors and warnings, located —
a table with anything unusual goes through the row loader itself."""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
from decimal import Decimal
from fractions import Fraction

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import policydsl
from policydsl.diagnostics import DataError
from policydsl.engine.cells import CellError, converter, is_blank
from policydsl.engine.columnar import files, texts
from policydsl.engine.columnar.columns import scaled
from policydsl.engine.data import load_data
from policydsl.schema import EntitySchema, FactSchema
from policydsl.types import BOOLEAN, DATE, DECIMAL, INTEGER, MONEY, PERCENT, TEXT, enumeration
from policydsl.values import Percent, Period

GRADE = enumeration("grade", ("A", "B", "C", "D", "优"))
TYPES = {"decimal": DECIMAL, "integer": INTEGER, "money": MONEY, "percent": PERCENT, "text": TEXT,
         "grade": GRADE, "boolean": BOOLEAN, "date": DATE}
SCHEMAS = {
    "enterprise": EntitySchema(name="enterprise", label="企业", facts={
        "city": FactSchema(name="city", type=TEXT, period_kind=None, label="所在市"),
        "opened": FactSchema(name="opened", type=DATE, period_kind=None),
        "score": FactSchema(name="score", type=DECIMAL, period_kind="year", label="得分"),
        "staff": FactSchema(name="staff", type=INTEGER, period_kind="year"),
        "growth": FactSchema(name="growth", type=PERCENT, period_kind="year"),
        "grade": FactSchema(name="grade", type=GRADE, period_kind="year"),
        "listed": FactSchema(name="listed", type=BOOLEAN, period_kind="year"),
        "rank": FactSchema(name="rank", type=INTEGER, period_kind="quarter"),
    }),
    "zone": EntitySchema(name="zone", facts={"city": FactSchema(name="city", type=TEXT, period_kind=None)}),
}
HEADER = "id,period,city,opened,score,staff,growth,grade,listed,rank\n"


# ---- cells: the vectorised conversion is the converter's ---------------------------------------

def _exact(value):
    return Fraction(value.ratio) if isinstance(value, Percent) else value


def _expected(cells: list[str | None], fact_type):
    """What the row loader makes of each cell (None: missing), or NEEDS_ROWS."""
    convert, found = converter(fact_type), []
    for cell in cells:
        if cell is None or is_blank(cell):
            found.append(None)
            continue
        try:
            found.append(convert(cell))
        except CellError:
            return texts.NEEDS_ROWS
    return found


CLEAN_NUMBERS = st.one_of(
    st.from_regex(r"\A-?[0-9]{1,4}(\.[0-9]{1,4})?\Z", fullmatch=True),  # plain: most cells
    st.from_regex(r"\A-?[0-9]{1,3}\.[0-9]*[05]0*\Z", fullmatch=True),  # fives and zeros: fewer places
    st.from_regex(r"\A-?[0-9]{1,20}(\.[0-9]{0,20})?\Z", fullmatch=True),  # long: past Int64
    # 19 digits or so, still an Int64, of a value with few places (a percent adds 2 more)
    st.from_regex(r"\A-?[0-9]{1,3}\.[0-9]{0,2}0{13,18}\Z", fullmatch=True),
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
    st.sampled_from(["", " ", "  7 ", "1e3", "2.5E-2", "+4", "-0", "0.000", "5.0", "5.50", "12.5%", " 3% ",
                     "3.14159265358979323846", "-922337203685477580.7", "99999999999999999.99",
                     "0." + "0" * 29 + "1", "9" * 18, "-" + "9" * 18, "0.000000000001", "0.0000000000001"]))
BAD_NUMBERS = st.sampled_from(["1,5", "1 500", "NaN", "inf", "９", "1" * 31, "0." + "0" * 31 + "1", "1.2.3", "A"])
CLEAN_WORDS = st.one_of(
    st.text(alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Zs", "M")), max_size=6),
    st.sampled_from(["", " ", "A", " A", "A ", "B", "优", "Ａ", "e\u0301", "\u00e9", "开封市", "开封市\u3000",
                     "（一）", "true", "FALSE", "是", "否", "Yes", " n ", "2019-02-28", " 2020-01-01"]))
BAD_WORDS = st.sampled_from(["E", "maybe", "2019-02-30", "1899-12-31", "2019-2-3"])


def _cells(fact_type, clean: bool):
    good = CLEAN_NUMBERS if fact_type.name in texts.NUMERIC else CLEAN_WORDS
    if fact_type.name == "integer":
        good = st.one_of(st.from_regex(r"\A-?[0-9]{1,6}(\.0*)?\Z", fullmatch=True), good)
    elif fact_type.is_enum:
        good = st.one_of(st.sampled_from(list(fact_type.members) + [" A", "B ", "Ａ"]), good)
    elif fact_type.name in ("boolean", "date"):
        good = st.one_of(st.sampled_from(["true", "f", "否", "2020-02-29", "1900-01-01", "2199-12-31"]), good)
    bad = BAD_NUMBERS if fact_type.name in texts.NUMERIC else BAD_WORDS
    return st.lists(good | st.none(), max_size=10) if clean else \
        st.lists(st.one_of(good, bad, st.none()), min_size=1, max_size=6)


def _check_column(fact_type, cells):
    frame = pl.DataFrame({"x": pl.Series(cells, dtype=pl.String)})
    found = texts.typed_frames([(frame, {"x": fact_type})])[0]
    expected = _expected(cells, fact_type)
    if expected is texts.NEEDS_ROWS:
        assert found is texts.NEEDS_ROWS
        return
    assert found is not texts.NEEDS_ROWS
    columns, scales = found
    if fact_type.name in texts.NUMERIC:
        exact = [None if v is None else _exact(v) for v in expected]
        if "x" not in columns.columns:  # no columnar form: only where the row loader's values have none
            assert scaled(exact) is None
            return
        assert scaled(exact)[1] == scales["x"]
        assert [None if v is None else Fraction(v, scales["x"]) for v in columns["x"].to_list()] == exact
    else:
        assert columns["x"].to_list() == expected


@pytest.mark.parametrize("cells", [["5.000000000000000000"], ["50.00000000000000000"], ["5", "10", "2.000000000000000000"],
                                   ["-1.250000000000000000", "0"]])
@pytest.mark.parametrize("kind", ["decimal", "percent"])
def test_a_number_of_nineteen_digits_reads_as_the_converter_reads_it(kind, cells):
    # a percent's 19 digits have 20 places: its divisor passes 10^18 although the value is a plain 5 %
    _check_column(TYPES[kind], cells)


@pytest.mark.parametrize("kind", sorted(TYPES))
@given(data=st.data())
def test_a_column_of_texts_reads_as_the_row_loaders_converter_reads_each_cell(kind, data):
    _check_column(TYPES[kind], data.draw(_cells(TYPES[kind], clean=True)))


@pytest.mark.parametrize("kind", sorted(TYPES))
@given(data=st.data())
def test_a_column_with_a_cell_the_converter_refuses_needs_the_row_loader(kind, data):
    _check_column(TYPES[kind], data.draw(_cells(TYPES[kind], clean=False)))


def test_the_texts_read_as_themselves_are_nfc_stripped_and_compose_with_nothing():
    # every character of texts.PLAIN_RANGES: no canonical decomposition, no combining class, not
    # white space, and the second part of no canonical composition (so a text of them is NFC)
    second_parts = set()
    for code in range(0x110000):
        decomposition = unicodedata.decomposition(chr(code))
        if decomposition and not decomposition.startswith("<"):
            parts = decomposition.split()
            if len(parts) == 2:
                second_parts.add(int(parts[1], 16))
    for low, high in texts.PLAIN_RANGES:
        for code in range(low, high + 1):
            character = chr(code)
            assert unicodedata.category(character) != "Cn"
            assert not unicodedata.decomposition(character) or unicodedata.decomposition(character).startswith("<")
            assert unicodedata.combining(character) == 0 and not character.isspace()
            assert code not in second_parts
    plain = pl.Series(["开封市", "Ａ１", "a b", "「一」", " a", "a\u3000", "e\u0301", "\u3000开封"])
    assert plain.str.contains(texts.PLAIN_TEXT).to_list() == [True, True, True, True, False, False, False, False]


# ---- folders: the same data set, the same errors and warnings ---------------------------------

def _folder(tmp_path, files_: dict[str, str | bytes]):
    folder = tmp_path / "data"
    folder.mkdir(exist_ok=True)
    for name, content in files_.items():
        if isinstance(content, bytes):
            (folder / name).write_bytes(content)
        else:
            (folder / name).write_text(content, encoding="utf-8")
    return folder


def _same_as_the_row_loader(folder, direct: set[str], **options):
    rows = load_data(folder, SCHEMAS, **options)
    # every file read into columns, however small
    columns = files.read_columns(folder, SCHEMAS, row_loader_below_bytes=0, **options)
    assert [str(w) for w in columns.warnings] == [str(w) for w in rows.warnings]
    assert columns.periods() == rows.periods()
    assert set(columns.kinds._later) == direct  # read into columns (the others: by the row loader)
    for kind in SCHEMAS:
        mine, theirs = columns.entities(kind), rows.entities(kind)
        assert list(mine) == list(theirs)
        for entity, record in theirs.items():
            assert dict(mine[entity].static) == dict(record.static)
            assert list(mine[entity].periods) == list(record.periods)
            for period, row in record.periods.items():
                assert {k: (type(v), v) for k, v in mine[entity].periods[period].items()} == \
                    {k: (type(v), v) for k, v in row.items()}
    return columns


def _read_alike(folder, direct: set[str] | None):
    """The row loader's errors, word for word, or its records (`_same_as_the_row_loader`; `direct`
    None: whichever kinds the columns read)."""
    try:
        load_data(folder, SCHEMAS)
    except DataError as error:
        with pytest.raises(DataError) as found:
            files.read_columns(folder, SCHEMAS, row_loader_below_bytes=0)
        assert found.value.problems == error.problems
        return None
    if direct is None:
        direct = set(files.read_columns(folder, SCHEMAS, row_loader_below_bytes=0).kinds._later)
    return _same_as_the_row_loader(folder, direct)


GOOD = (HEADER
        + "E1,2019,开封市,2015-03-01,50.25,12,12.5,A,true,\n"
        + "E1,2020,开封市,,49.5,13,3%,B,否,\n"
        + "E1,2020-Q1,,,,,,,,2\n"
        + "E2,2019, 许昌市 ,,1e2,0,-1.50,优,FALSE,\n"
        + ",,,,,,,,,\n"
        + "E3,,郑州市,2001-01-31,,,,,,\n")


def test_a_plain_folder_reads_into_columns_with_the_row_loaders_values(tmp_path):
    data = _same_as_the_row_loader(_folder(tmp_path, {"enterprise.csv": GOOD, "zone.csv": "id,city\nZ1,开封市\n"}),
                                   {"enterprise", "zone"})
    table = data.tables["enterprise"]
    assert table.ids.to_list() == ["E1", "E2", "E3"] or sorted(table.ids.to_list()) == ["E1", "E2", "E3"]
    assert data.entities("enterprise")["E1"].periods[Period(2019)]["growth"] == Percent(Fraction(1, 8))
    assert data.entities("enterprise")["E2"].static["city"] == "许昌市"
    assert data.entities("enterprise")["E3"].static["opened"] == dt.date(2001, 1, 31)


def test_a_table_smaller_than_the_limit_is_read_by_the_row_loader_and_made_columns(tmp_path):
    folder = _folder(tmp_path, {"enterprise.csv": GOOD})
    size = (folder / "enterprise.csv").stat().st_size
    by_rows = files.read_columns(folder, SCHEMAS, row_loader_below_bytes=size + 1)
    by_columns = files.read_columns(folder, SCHEMAS, row_loader_below_bytes=size)
    assert set(by_rows.kinds._loaded) == {"enterprise"} and not by_rows.kinds._later
    assert set(by_columns.kinds._later) == {"enterprise"} and not by_columns.kinds._loaded
    assert set(files.read_columns(folder, SCHEMAS).kinds._loaded) == {"enterprise"}  # the default limit
    assert by_rows.periods() == by_columns.periods()
    # the scope check asks the records where they are made (one entity at a time), else the columns
    assert by_rows.entity_values("enterprise", ("city",)) is None
    assert by_columns.entity_values("enterprise", ("city",))[0] == 3
    assert by_rows.entities("enterprise") == by_columns.entities("enterprise")
    for name in ("rows", "statics"):
        assert getattr(by_rows.tables["enterprise"], name).columns == getattr(by_columns.tables["enterprise"],
                                                                              name).columns


NOTHING_READ = {"enterprise": frozenset()}


@pytest.mark.parametrize("files_, direct, required", [
    ({"enterprise.csv": GOOD.replace("id,period,city", "id,period,所在市")}, {"enterprise"}, None),  # a label
    ({"enterprise.csv": "id,period,city,extra\nE1,2019,开封市,x\n"}, set(), NOTHING_READ),  # an unknown column
    ({"enterprise.csv": "id,period,city,,staff\nE1,2019,开封市,x,1\n"}, set(), NOTHING_READ),  # no header
    ({"enterprise.csv": "id,period,city,城市\nE1,2019,开封市,开封市\n"}, set(), NOTHING_READ),  # name and label
    ({"enterprise.csv": "id,period,city,score\nE1,2019,开封市,1\n", "enterprise.json": "[]"}, set(), NOTHING_READ),
    ({"enterprise.csv": GOOD, "enterprises.csv": "id\n"}, {"enterprise"}, None),  # a file of no kind: listed
    ({"enterprise.csv": HEADER + "E1,2019,,,1,2,3,A,true,\n\n\nE2,2019,,,1,2,3,A,true,\n"}, {"enterprise"}, None),
    ({"enterprise.csv": "\ufeff" + GOOD}, {"enterprise"}, None),
    ({"enterprise.csv": "id,period,city\nE1,2019,开封市\n"}, {"enterprise"}, NOTHING_READ),  # columns left out
])
def test_what_the_row_loader_reports_is_reported_and_the_rest_reads_into_columns(tmp_path, files_, direct,
                                                                                 required):
    _same_as_the_row_loader(_folder(tmp_path, files_), direct, required=required)


@pytest.mark.parametrize("content, by_polars", [
    (GOOD.replace("\n", "\r\n"), True),  # CRLF line ends
    (GOOD + "\n\n,,,,,,,,,\n   \n\u3000,\u3000,,,,,,,,\n\x1c,,,,,,,,,\n", True),  # blank lines of every sort: skipped
    (GOOD.replace("开封市,2015", '"开封市",2015'), False),  # quoted: the reader's own way
    (GOOD.replace("E2,2019, 许昌市 ,", "E2,2019,\"许昌,市\","), False),  # a comma inside quotes
    (GOOD.replace("\n", "\r", 1), False),  # a lone carriage return: a line end to the reader
    (GOOD + "E4,2019,,,1," + "9" * 140_000 + ",,,,\n", False),  # a field past the reader's limit
])
def test_a_csv_reads_as_the_row_loaders_reader_reads_it_or_through_that_reader(tmp_path, content, by_polars):
    if by_polars:  # past the size from which Polars reads a file
        content += ",,,,,,,,,\n" * (files._POLARS_BYTES // 10)
    folder = _folder(tmp_path, {"enterprise.csv": content})
    facts = [column for column in HEADER.strip().split(",")]
    assert (files._polars_texts(folder / "enterprise.csv", len(facts), facts, None) is not None) == by_polars
    _read_alike(folder, {"enterprise"})


def test_a_gb18030_table_reads_into_columns(tmp_path):
    folder = _folder(tmp_path, {"enterprise.csv": GOOD.encode("gb18030")})
    _same_as_the_row_loader(folder, {"enterprise"})
    _same_as_the_row_loader(folder, {"enterprise"}, encoding="gb18030")


BAD_ROWS = [
    "E1,2019,,,1.5.1,,,,,\n",  # not a number
    "E1,2019,,,1,2.5,,,,\n",  # not a whole number
    "E1,2019,,,,,,E,,\n",  # not a member
    "E1,2019,,,,,,,maybe,\n",  # not a boolean
    "E1,2019,,2019-02-30,,,,,,\n",  # not a date of the calendar
    "E1,2019,,,1,,,,,\n" "E1,2019,,,2,,,,,\n",  # two rows of one entity and period
    "E1,2019,开封市,,,,,,,\n" "E1,2020,许昌市,,,,,,,\n",  # static attributes that disagree
    "E1,2019,,,,,,,,3\n",  # a quarterly fact in a yearly row
    "E1,,,,1,,,,,\n",  # a yearly fact without a period
    "E1,19,,,,,,,,\n",  # not a period
    ",2019,,,1,,,,,\n",  # no id
    "E1,2019,,,1e400,,,,,\n",  # out of range
    "E1,2019,,,0.00000000000001,,,,,\n" "E2,,,,0.5,,,,,\n",  # no period, in a column too fine for Int64
]


@pytest.mark.parametrize("rows", [
    *BAD_ROWS,
    "E1,2019,,,1,,,,\n",  # a ragged row: too few cells
    "E1,2019,,,1,,,,,,\n",  # too many
    "E1,2019,,\x00,1,,,,,\n",  # a NUL
])
def test_bad_data_is_the_row_loaders_located_error(tmp_path, rows):
    folder = _folder(tmp_path, {"enterprise.csv": HEADER + "E0,2019,,,1,,,,,\n" + rows})
    with pytest.raises(DataError) as expected:
        load_data(folder, SCHEMAS)
    with pytest.raises(DataError) as found:
        files.read_columns(folder, SCHEMAS, row_loader_below_bytes=0)
    assert found.value.problems == expected.value.problems


def test_a_missing_column_the_policies_read_is_the_row_loaders_error(tmp_path):
    folder = _folder(tmp_path, {"enterprise.csv": "id,period,city\nE1,2019,开封市\n"})
    required = {"enterprise": frozenset({"city", "score"})}
    with pytest.raises(DataError) as expected:
        load_data(folder, SCHEMAS, required)
    with pytest.raises(DataError) as found:
        files.read_columns(folder, SCHEMAS, required, row_loader_below_bytes=0)
    assert found.value.problems == expected.value.problems
    _same_as_the_row_loader(folder, {"enterprise"}, required={"enterprise": frozenset({"city"})})


def test_numbers_too_fine_for_int64_leave_the_column_to_the_row_executor(tmp_path):
    rows = "".join(f"E{i},2019,,,0.{'0' * i}1,,,,,\n" for i in range(14))  # a common denominator of 10^14
    data = _same_as_the_row_loader(_folder(tmp_path, {"enterprise.csv": HEADER + rows}), {"enterprise"})
    assert "score" not in data.tables["enterprise"].rows.columns
    assert data.entities("enterprise")["E13"].periods[Period(2019)]["score"] == Fraction(1, 10 ** 14)


# ---- the command line and the API --------------------------------------------------------------

def test_the_columnar_command_line_reads_the_province_into_columns_and_prints_the_row_executors_json(capsys):
    from policydsl.cli import main

    for executor in ("row", "columnar"):
        assert main(["eval", "policies/", "--data", "examples/province", "--period", "2016", "--format", "json",
                     "--executor", executor]) == 0
    row, columnar = capsys.readouterr().out.split("\n}\n", 1)
    assert row + "\n}\n" == columnar


def test_the_api_reads_into_columns_and_explains_from_the_records_it_makes_when_asked():
    policies = policydsl.load("policies/")
    data = policies.load_data("examples/province", executor="columnar")
    assert isinstance(data, files.ColumnarData)
    assert "enterprise" in data.kinds._later and "enterprise" not in data.kinds._loaded  # no records made yet
    result = policies.evaluate(data, executor="columnar", period="2016")
    row = policies.evaluate(policies.load_data("examples/province"), period="2016")
    assert result.decisions == row.decisions
    decision = next(d for d in row.decisions if d.entity_kind == "industrial_zone")
    assert result.explain(decision.entity, decision.outcome, "2016") == \
        row.explain(decision.entity, decision.outcome, "2016")
    # the row executor reads it too
    assert policies.evaluate(data, period="2016").decisions == row.decisions
    with pytest.raises(ValueError, match="unknown executor"):
        policies.load_data("examples/province", executor="col")


def test_scope_warnings_are_the_same_from_columns_as_from_records(tmp_path, policy_from_text, monkeypatch):
    monkeypatch.setattr(files, "ROW_LOADER_BYTES", 0)  # this small table read into columns all the same
    policies = policy_from_text("""
policy demo
entity enterprise
  static city: text
  yearly grade: A | B
scope enterprise: city = "开封市" and grade in {A}
rule r
  implements demo.1
  cite "一" "…"
  for enterprise
  when grade = A
  then flagged
outcome flagged "标记" is sanction
""")
    rows = "id,period,city,grade\nE1,2019,kaifeng,A\nE1,2020,kaifeng,B\nE2,2019,开封市,B\nE3,,郑州市,\n"
    folder = _folder(tmp_path, {"enterprise.csv": rows})
    by_rows, by_columns = policies.load_data(folder), policies.load_data(folder, executor="columnar")
    assert [str(w) for w in by_columns.warnings] == [str(w) for w in by_rows.warnings]
    assert any("matches none of the 3 enterprise entities" in str(w) for w in by_rows.warnings)
    assert not by_columns.kinds._loaded  # answered from the columns
    (tmp_path / "good").mkdir()
    good = _folder(tmp_path / "good", {"enterprise.csv": rows.replace("E2,2019,开封市,B", "E2,2019,开封市,A")})
    assert policies.load_data(good, executor="columnar").warnings == policies.load_data(good).warnings == ()


def test_a_table_with_a_header_and_no_rows_is_a_warning_on_both_loaders(tmp_path):
    folder = _folder(tmp_path, {"enterprise.csv": GOOD, "zone.csv": "id,city\n"})
    columns = _same_as_the_row_loader(folder, {"enterprise"})
    assert [str(w) for w in columns.warnings] == [f"{folder / 'zone.csv'}: the table of `zone` has a header and no rows"]
    pl.DataFrame({"id": [], "city": []}, schema={"id": pl.String, "city": pl.String}).write_parquet(folder / "zone.parquet")
    (folder / "zone.csv").unlink()
    columns = _same_as_the_row_loader(folder, {"enterprise"})
    assert [str(w) for w in columns.warnings] == [
        f"{folder / 'zone.parquet'}: the table of `zone` has a header and no rows"]


# ---- JSON and Excel tables: their cells typed once per distinct cell (`rows_in`) -----------------

def _objects(csv_text: str) -> list[dict]:
    """A CSV text's rows as JSON objects (an empty cell left out, a blank row left out)."""
    header, *rows = [line.split(",") for line in csv_text.splitlines()]
    return [{key: cell for key, cell in zip(header, row) if cell != ""} for row in rows if any(row)]


def _json(objects: list[dict]) -> str:
    """JSON text of rows whose Decimals are JSON numbers written as the Decimal prints."""
    def cell(value):
        return str(value) if isinstance(value, Decimal) else json.dumps(value, ensure_ascii=False)
    return "[" + ", ".join("{" + ", ".join(f"{json.dumps(key, ensure_ascii=False)}: {cell(value)}"
                                           for key, value in row.items()) + "}" for row in objects) + "]"


def _workbook(folder, name: str, rows: list[list]):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    folder.mkdir(exist_ok=True)
    book.save(folder / name)
    return folder


def _sheet_rows(csv_text: str) -> list[list]:
    return [[cell if cell != "" else None for cell in line.split(",")] for line in csv_text.splitlines()]


TYPED_OBJECTS = [  # the same data set as GOOD, with JSON's numbers and booleans where a JSON writer puts them
    {"id": "E1", "period": 2019, "city": "开封市", "opened": "2015-03-01", "score": Decimal("50.25"), "staff": 12,
     "growth": Decimal("12.5"), "grade": "A", "listed": True},
    {"id": "E1", "period": "2020", "city": "开封市", "score": Decimal("49.5"), "staff": 13, "growth": "3%",
     "grade": "B", "listed": "否", "opened": None},
    {"id": "E1", "period": "2020-Q1", "rank": 2},
    {"id": "E2", "period": 2019, "所在市": " 许昌市 ", "score": Decimal("1E+2"), "staff": 0, "growth": Decimal("-1.50"),
     "grade": "优", "listed": False},
    {"id": "E3", "city": "郑州市", "opened": "2001-01-31"},
    {"id": 7, "period": 2019, "staff": 1},
]


@pytest.mark.parametrize("form", ["texts", "typed", "mapping"])
def test_a_json_table_reads_into_columns_with_the_row_loaders_values(tmp_path, form):
    if form == "texts":
        folder = _folder(tmp_path, {"enterprise.json": json.dumps(_objects(GOOD), ensure_ascii=False)})
    else:
        rows = _json(TYPED_OBJECTS)
        folder = _folder(tmp_path, {"enterprise.json": rows if form == "typed" else f'{{"enterprise": {rows}}}'})
    data = _same_as_the_row_loader(folder, {"enterprise"})
    assert data.entities("enterprise")["E2"].static["city"] == "许昌市"


def test_an_excel_table_reads_into_columns_with_the_row_loaders_values(tmp_path):
    rows = _sheet_rows(GOOD)
    rows[2][6] = 0.03  # a number Excel shows as a percent, below
    folder = _workbook(tmp_path / "data", "enterprise.xlsx", rows)
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.load_workbook(folder / "enterprise.xlsx")
    book.active["G3"].number_format = "0.0%"
    book.active["D2"].value = dt.datetime(2015, 3, 1)
    book.save(folder / "enterprise.xlsx")
    data = _same_as_the_row_loader(folder, {"enterprise"})
    assert data.entities("enterprise")["E1"].periods[Period(2020)]["growth"] == Percent(Fraction(3, 100))
    assert data.entities("enterprise")["E1"].static["opened"] == dt.date(2015, 3, 1)




@pytest.mark.parametrize("rows", BAD_ROWS)
@pytest.mark.parametrize("form", ["json", "xlsx"])
def test_bad_json_and_excel_rows_are_the_row_loaders_located_errors(tmp_path, rows, form):
    text = HEADER + "E0,2019,,,1,,,,,\n" + rows
    folder = _folder(tmp_path, {"enterprise.json": json.dumps(_objects(text), ensure_ascii=False)}) \
        if form == "json" else _workbook(tmp_path / "data", "enterprise.xlsx", _sheet_rows(text))
    with pytest.raises(DataError) as expected:
        load_data(folder, SCHEMAS)
    with pytest.raises(DataError) as found:
        files.read_columns(folder, SCHEMAS, row_loader_below_bytes=0)
    assert found.value.problems == expected.value.problems


@pytest.mark.parametrize("objects, direct", [
    ([{"id": "E1", "period": "2019", "得分": "5"}], True),  # a label for a key
    ([{"id": "E1", "period": "2019", "scroe": "5"}], False),  # an unknown key: warned of, with a hint
    ([{"id": "E1", "period": "2019", "extra": None}], False),  # an unknown key, even blank
    ([{"id": "E1", "period": "2019", "score": "5", "得分": "5"}], False),  # by name and by label: agree
    ([{"id": "E1", "period": "2019", "score": "5", "得分": "6"}], False),  # ... disagree: an error
    ([{"id": "E1", "period": "2019"}, ["E2", "2019"]], False),  # a row that is not an object
    ([{"id": "E1", "period": "2019"}, {}], False),  # an empty object: no id
    ([{"id": True, "period": "2019"}], False),  # a boolean id
    ([{"id": "E1", "period": "2019", "staff": True}], False),  # a boolean for a number
    ([{"id": "E1", "period": "2019", "listed": 1}, {"id": "E2", "period": "2019", "listed": True}], True),
    ([{"id": "E1", "period": "2019", "city": 1}, {"id": "E2", "period": "2019", "city": True}], False),
    ([{"id": "E1", "period": "2019", "grade": ["A"]}], False),  # a list
    ([], False),  # no rows
])
def test_json_rows_the_row_loader_must_word_are_read_by_it(tmp_path, objects, direct):
    folder = _folder(tmp_path, {"enterprise.json": json.dumps(objects, ensure_ascii=False)})
    if _read_alike(folder, {"enterprise"} if direct else set()) is None:
        assert not direct  # an error


def test_json_cells_equal_in_value_but_written_otherwise_keep_their_writing(tmp_path):
    rows = ", ".join(f'{{"id": "E{n}", "period": 2019, "city": {city}, "score": {city}, "listed": {flag}}}'
                     for n, (city, flag) in enumerate([("1.0", 1), ("1", "true"), ("1.00", 0), ("-0.0", "false"),
                                                       ("0", 1), ('"1.0"', "true")]))
    data = _same_as_the_row_loader(_folder(tmp_path, {"enterprise.json": f"[{rows}]"}), {"enterprise"})
    assert [data.entities("enterprise")[f"E{n}"].static["city"] for n in range(6)] == \
        ["1.0", "1", "1.00", "-0.0", "0", "1.0"]


@pytest.mark.parametrize("form", ["json", "xlsx"])
def test_json_and_excel_numbers_too_fine_for_int64_leave_the_column_to_the_row_executor(tmp_path, form):
    text = HEADER + "".join(f"E{i},2019,,,0.{'0' * i}1,,,,,\n" for i in range(14))
    folder = _folder(tmp_path, {"enterprise.json": json.dumps(_objects(text))}) if form == "json" else \
        _workbook(tmp_path / "data", "enterprise.xlsx", _sheet_rows(text))
    data = _same_as_the_row_loader(folder, {"enterprise"})
    assert "score" not in data.tables["enterprise"].rows.columns
    assert data.entities("enterprise")["E13"].periods[Period(2019)]["score"] == Fraction(1, 10 ** 14)


def test_a_json_key_written_twice_is_the_row_loaders_to_word(tmp_path):
    folder = _folder(tmp_path, {"enterprise.json": '[{"id": "E1", "period": "2019", "staff": 1, "staff": 1}]'})
    data = _same_as_the_row_loader(folder, set())
    assert any("key written more than once" in str(w) for w in data.warnings)


def test_a_sheet_the_reader_words_a_row_of_is_read_again_by_the_row_loader_and_said_once(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    folder = _workbook(tmp_path / "data", "enterprise.xlsx", _sheet_rows(GOOD))
    book = openpyxl.load_workbook(folder / "enterprise.xlsx")
    book.active.merge_cells("C2:C3")  # a merged range holding a value: a warning for its row
    book.create_sheet("notes")["A1"] = "a note"  # another sheet with a value: a warning before any row
    book.save(folder / "enterprise.xlsx")
    data = _same_as_the_row_loader(folder, set())
    assert len(data.warnings) == 2


# cells as a JSON writer (or the API) gives them: mostly what each fact reads, of every JSON type,
# sometimes anything at all (a boolean for a number, a list, a blank text...)
WILD_CELLS = st.one_of(
    st.none(), st.booleans(), st.integers(-10**20, 10**20), st.lists(st.just("A"), max_size=1),
    st.decimals(allow_nan=False, allow_infinity=False, places=3).filter(lambda d: abs(d) < 10**12),
    st.sampled_from([Decimal("1.0"), Decimal("-0.0"), Decimal("1E+2"), Decimal("2019.0"), "", " ", " A", "x",
                     "2019-Q1", "12.5%", "1.0", "开封市\u3000"]))
NUMBER_CELLS = st.one_of(st.integers(-10**6, 10**6), st.sampled_from([0, 1, 7, Decimal("1.0"), Decimal("1"),
                         Decimal("0.5"), Decimal("-0.0"), Decimal("1E+2"), "3", " 4 ", "2.50", "1e3", None]),
                         st.decimals(allow_nan=False, allow_infinity=False, places=2).filter(lambda d: abs(d) < 10**9))
FACT_CELLS = {
    "city": st.sampled_from(["开封市", " 开封市", "许昌市", 1, Decimal("1.0"), Decimal("1.50"), Decimal("1.5"), "1.0",
                             "e\u0301", None]),
    "得分": NUMBER_CELLS, "score": NUMBER_CELLS, "growth": st.one_of(NUMBER_CELLS, st.sampled_from(["3%", " 12.5% "])),
    "staff": st.one_of(st.integers(0, 10**4), st.sampled_from([Decimal("3.0"), "5", None])),
    "opened": st.sampled_from(["2015-03-01", "2019-02-28 ", None]),
    "grade": st.sampled_from(["A", "B", " C", "优", "Ａ", None]),
    "listed": st.sampled_from([True, False, 1, 0, "是", "false", " T ", None]),
}


def _row_strategy():
    ids = st.one_of(st.integers(0, 40).map(lambda n: f"E{n}"), st.integers(0, 40), st.sampled_from([" E1", "E1"]))
    periods = st.sampled_from([2019, 2020, "2019", " 2020 ", "2018", None])
    facts = st.fixed_dictionaries({}, optional={name: st.one_of(cells, WILD_CELLS) if name == "city" else
                                                st.one_of(*[cells] * 12, WILD_CELLS)
                                                for name, cells in FACT_CELLS.items()})
    return st.builds(lambda key, period, cells: {"id": key, **({} if period is None else {"period": period}), **cells},
                     ids, periods, facts)


@settings(max_examples=400)
@given(st.lists(_row_strategy(), min_size=1, max_size=12))
def test_json_rows_of_any_cells_read_as_the_row_loader_reads_them(objects):
    """Either loader's errors, or the same records: the columns never read a cell otherwise."""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as place:
        _read_alike(_folder(Path(place), {"enterprise.json": _json(objects)}), None)
