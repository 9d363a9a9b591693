"""The data contract: every input reaches the engine or is reported, located, with "did you mean".

Each case of issue 6's list of data dropped in silence or read wrongly is pinned here: unknown
kinds, null and {}, unknown or misspelt columns, duplicate headers and keys, files that match no
kind, numbers (no guessed separators, Infinity/NaN/out of range), Excel percent formats and
formula cells, encodings (UTF-8 with and without BOM, GB18030), Chinese labels as headers.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest

from policydsl.diagnostics import DataError
from policydsl.engine.data import dataset_from_mapping, load_data
from policydsl.schema import EntitySchema, FactSchema
from policydsl.types import DATE, DECIMAL, INTEGER, PERCENT, TEXT, enumeration
from policydsl.values import Percent, Period

GRADE = enumeration("grade", ("A", "B", "C", "D"))
SCHEMAS = {
    "enterprise": EntitySchema(name="enterprise", label="企业", facts={
        "city": FactSchema(name="city", type=TEXT, period_kind=None, label="所在市"),
        "opened": FactSchema(name="opened", type=DATE, period_kind=None, label="投产日期"),
        "score": FactSchema(name="score", type=DECIMAL, period_kind="year", label="得分"),
        "staff": FactSchema(name="staff", type=INTEGER, period_kind="year"),
        "growth": FactSchema(name="growth", type=PERCENT, period_kind="year", label="增速"),
        "grade": FactSchema(name="grade", type=GRADE, period_kind="year"),
    }),
    "industrial_zone": EntitySchema(name="industrial_zone", facts={
        "city": FactSchema(name="city", type=TEXT, period_kind=None)}),
}


def problems_of(call) -> list[str]:
    with pytest.raises(DataError) as caught:
        call()
    return list(caught.value.problems)


def folder_with(tmp_path, files: dict[str, str | bytes]):
    folder = tmp_path / "data"
    folder.mkdir(exist_ok=True)
    for name, content in files.items():
        target = folder / name
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    return folder


def warnings_of(dataset) -> list[str]:
    return [str(w) for w in dataset.warnings]


CSV = "id,period,city,score\nE1,2019,开封市,50\n"


# ---- kinds and files ------------------------------------------------------------------------

def test_unknown_entity_kind_in_json_is_a_warning_with_did_you_mean():
    dataset = dataset_from_mapping({"enterprises": [{"id": "E1"}], "enterprise": [{"id": "E2"}]}, SCHEMAS)
    assert warnings_of(dataset) == ["<data>: unknown entity kind `enterprises`; its rows are not read "
                                    "(did you mean `enterprise`?)"]


def test_unknown_kind_is_an_error_under_strict(tmp_path):
    import policydsl

    path = tmp_path / "d.json"
    path.write_text('{"firms": [{"id": "E1"}], "enterprise": [{"id": "E2", "city": "开封市"}]}', encoding="utf-8")
    policy = tmp_path / "p.pol"
    policy.write_text("entity enterprise\n  static city: text\n", encoding="utf-8")
    policies = policydsl.load(policy)
    assert "unknown entity kind `firms`" in str(policies.load_data(path).warnings[0])
    with pytest.raises(DataError, match="unknown entity kind `firms`"):
        policies.load_data(path, strict=True)


@pytest.mark.parametrize("content, message", [
    ("null", "the data must be an object mapping entity kinds to lists of rows, not null"),
    ("{}", "the data has no rows for any declared entity kind"),
    ("[]", "the data must be an object mapping entity kinds to lists of rows, not a list"),
    ('{"enterprise": null}', "`enterprise` must be a list of rows, not null"),
])
def test_null_empty_and_misshapen_json_files_are_errors(tmp_path, content, message):
    path = tmp_path / "d.json"
    path.write_text(content, encoding="utf-8")
    assert problems_of(lambda: load_data(path, SCHEMAS)) == [f"{path}: {message}"]


def test_files_that_match_no_kind_are_listed_and_not_merged(tmp_path):
    folder = folder_with(tmp_path, {"enterprise.csv": CSV, "firm.old.csv": CSV.replace("E1", "E9"),
                                    "enterprise.old.csv": CSV.replace("E1", "E8"),
                                    "industrial_zones.csv": "id,city\nZ1,开封市\n", "notes.txt": "x",
                                    ".hidden": "x"})
    dataset = load_data(folder, SCHEMAS, required={})
    assert set(dataset.entities("enterprise")) == {"E1"} and not dataset.entities("industrial_zone")
    listed = warnings_of(dataset)
    assert len(listed) == 4 and all("not read: the name matches no entity kind" in w for w in listed)
    assert any("industrial_zones.csv" in w and "(did you mean `industrial_zone.csv`?)" in w for w in listed)
    assert any("enterprise.old.csv" in w for w in listed) and any("firm.old.csv" in w for w in listed)


def test_a_kind_file_of_an_unknown_format_is_listed(tmp_path):
    folder = folder_with(tmp_path, {"enterprise.csv": CSV, "enterprise.txt": CSV})
    [warning] = warnings_of(load_data(folder, SCHEMAS, required={}))
    assert "enterprise.txt" in warning and "`.txt` is not a table format" in warning


# ---- columns and keys -----------------------------------------------------------------------

def test_unknown_column_is_a_warning_naming_file_row_column_and_did_you_mean(tmp_path):
    folder = folder_with(tmp_path, {"enterprise.csv": "id,period,city,score,scroe_note\nE1,2019,开封市,50,x\n"})
    assert warnings_of(load_data(folder, SCHEMAS, required={})) == [
        f"{folder / 'enterprise.csv'}: row 1, column scroe_note: unknown column of `enterprise`; its values are "
        "not read"]
    folder = folder_with(tmp_path, {"enterprise.csv": "id,period,city,score,staf\nE1,2019,开封市,50,3\n"})
    [warning] = warnings_of(load_data(folder, SCHEMAS, required={}))
    assert warning.endswith("column staf: unknown column of `enterprise`; its values are not read "
                            "(did you mean `staff`?)")


def test_a_column_spelled_differently_in_some_json_rows_is_reported_per_row():
    rows = [{"id": "E1", "period": "2019", "score": 90}, {"id": "E2", "period": "2019", "scroe": 95},
            {"id": "E3", "period": "2019", "scroe": 80}]
    dataset = dataset_from_mapping({"enterprise": rows}, SCHEMAS)
    assert warnings_of(dataset) == ["<data>: enterprise row 2, column scroe: unknown column of `enterprise`; its "
                                    "value is not read (and in 1 more row) (did you mean `score`?)"]
    assert "score" not in dataset.entities("enterprise")["E2"].periods[Period(2019)]


def test_a_key_misspelt_in_every_row_is_a_missing_column_error():
    problems = problems_of(lambda: dataset_from_mapping({"enterprise": [{"id": "E1", "period": "2019",
                                                                         "scroe": 1}]}, SCHEMAS))
    assert problems == ["<data>: missing column `score` of `enterprise` (did you mean `scroe`?)"]


def test_duplicate_header_warns_and_disagreeing_values_are_errors(tmp_path):
    folder = folder_with(tmp_path, {"enterprise.csv": "id,period,score,score\nE1,2019,50,50\n"})
    [warning] = warnings_of(load_data(folder, SCHEMAS, required={}))
    assert "row 1, column score: `score` is headed 2 times (columns C, D); rows must agree" in warning
    folder = folder_with(tmp_path, {"enterprise.csv": "id,period,score,得分\nE1,2019,50,60\n"})
    assert problems_of(lambda: load_data(folder, SCHEMAS, required={})) == [
        f"{folder / 'enterprise.csv'}: row 2, column score: the columns headed `score` disagree: 50, 60"]


def test_duplicate_json_keys_warn_when_equal_and_are_errors_when_not(tmp_path):
    path = tmp_path / "d.json"
    path.write_text('{"enterprise": [{"id": "E1", "period": "2019", "score": 5, "score": 5}]}', encoding="utf-8")
    assert warnings_of(load_data(path, SCHEMAS, required={})) == [
        f"{path}: enterprise row 1, column score: key written more than once"]
    path.write_text('{"enterprise": [{"id": "E1", "period": "2019", "score": 5, "score": 6}]}', encoding="utf-8")
    assert problems_of(lambda: load_data(path, SCHEMAS, required={})) == [
        f"{path}: enterprise row 1, column score: key written more than once with different values: 5, 6"]
    path.write_text('{"enterprise": [], "enterprise": [{"id": "E1"}]}', encoding="utf-8")
    assert "entity kind `enterprise` is written 2 times" in problems_of(lambda: load_data(path, SCHEMAS))[0]


def test_headers_may_be_the_declared_chinese_labels(tmp_path):
    folder = folder_with(tmp_path, {"enterprise.csv": "id,period,所在市,得分,增速,投产日期\nE1,2019,开封市,50,12.5%,2015-03-01\n"})
    record = load_data(folder, SCHEMAS, required={"enterprise": frozenset({"city", "score"})}).entities(
        "enterprise")["E1"]
    assert record.static == {"city": "开封市", "opened": dt.date(2015, 3, 1)}
    assert record.periods[Period(2019)] == {"score": 50, "growth": Percent(Fraction(1, 8))}


# ---- numbers and dates ------------------------------------------------------------------------

@pytest.mark.parametrize("raw", ["1,5", "1,500", "1 500", "1_500", "1，5"])
def test_no_thousands_separator_is_guessed(raw):
    [problem] = problems_of(lambda: dataset_from_mapping(
        {"enterprise": [{"id": "E1", "period": "2019", "score": raw}]}, SCHEMAS))
    assert problem.startswith(f'<data>: enterprise row 1, column score: "{raw}" is not a number: separators')


@pytest.mark.parametrize("raw", ["Infinity", "inf", "-inf", "NaN", "nan"])
def test_infinity_and_nan_text_are_located_errors(raw):
    [problem] = problems_of(lambda: dataset_from_mapping(
        {"enterprise": [{"id": "E1", "period": "2019", "score": raw}]}, SCHEMAS))
    assert problem == f'<data>: enterprise row 1, column score: "{raw}" is not a finite number'


@pytest.mark.parametrize("literal", ["Infinity", "-Infinity", "NaN", "1e999999", "1" * 5000, "1e-99"])
def test_non_finite_and_out_of_range_json_numbers_are_located_errors(tmp_path, literal):
    path = tmp_path / "d.json"
    path.write_text('{"enterprise": [{"id": "E1", "period": "2019", "score": %s}]}' % literal, encoding="utf-8")
    [problem] = problems_of(lambda: load_data(path, SCHEMAS, required={}))
    assert problem.startswith(f"{path}: enterprise row 1, column score: ")
    assert "not a finite number" in problem or "out of range" in problem or "is not a number" in problem


@pytest.mark.parametrize("value", [float("inf"), float("nan"), 10 ** 40])
def test_python_numbers_out_of_range_are_located_errors(value):
    [problem] = problems_of(lambda: dataset_from_mapping(
        {"enterprise": [{"id": "E1", "period": "2019", "score": value}]}, SCHEMAS))
    assert problem.startswith("<data>: enterprise row 1, column score: ")


@pytest.mark.parametrize("raw, message", [
    ("0001-01-01", "0001-01-01 is out of range (dates from 1900 to 2199)"),
    ("9999-12-31", "9999-12-31 is out of range (dates from 1900 to 2199)"),
    ("2019-02-30", '"2019-02-30" is not a date of the calendar'),
    ("20190101", '"20190101" is not a date (write YYYY-MM-DD)'),
])
def test_dates_out_of_range_are_located_errors(raw, message):
    assert problems_of(lambda: dataset_from_mapping({"enterprise": [{"id": "E1", "opened": raw}]}, SCHEMAS)) == [
        f"<data>: enterprise row 1, column opened: {message}"]


@pytest.mark.parametrize("raw", ["0000", "9999-Q4", "1066"])
def test_periods_out_of_range_are_located_errors(raw):
    [problem] = problems_of(lambda: dataset_from_mapping({"enterprise": [{"id": "E1", "period": raw}]}, SCHEMAS))
    assert problem.startswith("<data>: enterprise row 1, column period: ") and "out of range" in problem


def test_exact_decimals_and_exponents_are_read():
    rows = [{"id": "E1", "period": "2019", "score": "1.5e2", "growth": "0.1"}]
    row = dataset_from_mapping({"enterprise": rows}, SCHEMAS).entities("enterprise")["E1"].periods[Period(2019)]
    assert row == {"score": 150, "growth": Percent(Fraction(1, 1000))}


def test_a_percent_value_is_taken_as_itself_for_a_percent_fact_and_refused_for_a_number():
    rows = [{"id": "E1", "period": "2019", "growth": Percent(Fraction(6, 25))}]
    row = dataset_from_mapping({"enterprise": rows}, SCHEMAS).entities("enterprise")["E1"].periods[Period(2019)]
    assert row == {"growth": Percent(Fraction(6, 25))}  # 24 %, not 0.24 % and not an error
    rows = [{"id": "E1", "period": "2019", "score": Percent(Fraction(6, 25))}]
    assert problems_of(lambda: dataset_from_mapping({"enterprise": rows}, SCHEMAS)) == [
        "<data>: enterprise row 1, column score: 24% is a percent, but the fact is decimal"]


# ---- Excel ----------------------------------------------------------------------------------

def _workbook(folder, header, *rows, formats=None):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    for cell, number_format in (formats or {}).items():
        sheet[cell].number_format = number_format
    folder.mkdir(exist_ok=True)
    book.save(folder / "enterprise.xlsx")
    return folder / "enterprise.xlsx"


def test_excel_percent_cell_means_what_it_shows_for_a_percent_fact(tmp_path):
    _workbook(tmp_path / "data", ["id", "period", "growth"], ["E1", "2019", 0.125], formats={"C2": "0.0%"})
    row = load_data(tmp_path / "data", SCHEMAS, required={}).entities("enterprise")["E1"].periods[Period(2019)]
    assert row == {"growth": Percent(Fraction(1, 8))} and str(row["growth"]) == "12.5%"


def test_excel_percent_cell_for_another_type_is_an_error_naming_the_cell(tmp_path):
    path = _workbook(tmp_path / "data", ["id", "period", "score"], ["E1", "2019", 0.125], formats={"C2": "0%"})
    assert problems_of(lambda: load_data(tmp_path / "data", SCHEMAS, required={})) == [
        f"{path}: row 2, column score: cell C2 is formatted as a percentage (12.5%) but the fact is decimal: "
        "format the cell as a number, or declare the fact percent"]


def test_excel_formula_without_a_cached_value_is_an_error_naming_the_cell(tmp_path):
    path = _workbook(tmp_path / "data", ["id", "period", "score", "staff"], ["E1", "2019", "=1+1", "=D3"])
    problems = problems_of(lambda: load_data(tmp_path / "data", SCHEMAS, required={}))
    assert problems == [
        f"{path}: row 2, column score: cell C2 holds the formula =1+1 without a computed value (open and save "
        "the workbook in a spreadsheet program, or paste the values)",
        f"{path}: row 2, column staff: cell D2 holds the formula =D3 without a computed value (open and save "
        "the workbook in a spreadsheet program, or paste the values)"]


def test_excel_dates_and_numbers_are_read(tmp_path):
    _workbook(tmp_path / "data", ["id", "period", "opened", "score"], ["E1", 2019, dt.datetime(2015, 3, 1), 0.1])
    record = load_data(tmp_path / "data", SCHEMAS, required={}).entities("enterprise")["E1"]
    assert record.static == {"opened": dt.date(2015, 3, 1)}
    assert record.periods[Period(2019)] == {"score": Fraction(1, 10)}


# ---- encodings ------------------------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_in_utf8_with_or_without_bom_and_gb18030_is_detected(tmp_path, encoding):
    folder = folder_with(tmp_path, {"enterprise.csv": "id,所在市,得分,period\nE1,开封市,50,2019\n".encode(encoding)})
    record = load_data(folder, SCHEMAS, required={}).entities("enterprise")["E1"]
    assert record.static == {"city": "开封市"} and record.periods[Period(2019)] == {"score": 50}


def test_csv_encoding_may_be_given(tmp_path):
    folder = folder_with(tmp_path, {"enterprise.csv": "id,city\nE1,開封市\n".encode("big5")})
    assert load_data(folder, SCHEMAS, required={}, encoding="big5").entities("enterprise")["E1"].static == {
        "city": "開封市"}
    assert problems_of(lambda: load_data(folder, SCHEMAS, encoding="klingon")) == [
        "unknown encoding `klingon` (for example utf-8, gb18030, gbk)"]


def test_binary_csv_is_a_located_error(tmp_path):
    folder = folder_with(tmp_path, {"enterprise.csv": bytes(range(256)) * 4})
    [problem] = problems_of(lambda: load_data(folder, SCHEMAS))
    assert problem.startswith(f"{folder / 'enterprise.csv'}: ")


def test_a_column_named_after_a_computed_value_is_reported_as_computed(tmp_path):
    folder = folder_with(tmp_path, {"enterprise.csv": "id,period,score,score_rank\nE1,2019,50,1\n"})
    dataset = load_data(folder, SCHEMAS, required={}, computed={"enterprise": frozenset({"score_rank"})})
    assert warnings_of(dataset) == [f"{folder / 'enterprise.csv'}: row 1, column score_rank: `score_rank` is a value "
                                    "the policies compute for `enterprise`, not a fact; its values are not read"]


class _NamedFloat(float):
    """A float of another library: its repr names its type, as numpy's `np.float64(0.3)` does."""

    def __repr__(self) -> str:
        return f"lib.float64({float.__repr__(self)})"


def test_a_float_of_another_type_is_the_decimal_it_prints_as_for_numbers_and_texts():
    rows = [{"id": "E1", "period": "2019", "score": _NamedFloat(0.3), "growth": _NamedFloat(12.5),
             "city": _NamedFloat(0.5)}]
    found = dataset_from_mapping({"enterprise": rows}, SCHEMAS).entities("enterprise")["E1"]
    assert found.periods[Period(2019)] == {"score": Fraction(3, 10), "growth": Percent(Fraction(1, 8))}
    assert found.static == {"city": "0.5"}


def test_numpy_numbers_are_read_as_they_print():
    np = pytest.importorskip("numpy")
    rows = [{"id": "E1", "period": "2019", "score": np.float64(0.3), "staff": np.int64(7),
             "growth": np.float32(0.3)}]
    row = dataset_from_mapping({"enterprise": rows}, SCHEMAS).entities("enterprise")["E1"].periods[Period(2019)]
    assert row == {"score": Fraction(3, 10), "staff": 7, "growth": Percent(Fraction(3, 1000))}


def test_binary_cells_are_utf8_text_or_a_located_error():
    rows = [{"id": "E1", "period": "2019", "city": "开封市".encode(), "score": b"1.5"}]
    found = dataset_from_mapping({"enterprise": rows}, SCHEMAS).entities("enterprise")["E1"]
    assert found.static == {"city": "开封市"} and found.periods[Period(2019)] == {"score": Fraction(3, 2)}
    with pytest.raises(DataError, match=r"row 1, column city: binary data that is not UTF-8 text"):
        dataset_from_mapping({"enterprise": [{"id": "E1", "period": "2019", "city": b"\xff\xfe"}]}, SCHEMAS)


def test_an_id_is_text_or_a_whole_number_never_another_number_respelled():
    """`7.0` (a JSON decimal), a Decimal 7.00 (a typed column's) or 1e2 would be entities "7.0",
    "7.00", "1E+2" that no reference to 7 names: refused, located; a whole number of any library
    is its decimal text; binary UTF-8 is its text."""
    from decimal import Decimal

    for bad in (Decimal("7.0"), Decimal("7.00"), Decimal("1e2"), Fraction(7), 7.0, True, [7]):
        with pytest.raises(DataError, match=r"row 1, column id: an id is text or a whole number"):
            dataset_from_mapping({"enterprise": [{"id": bad, "period": "2019"}]}, SCHEMAS)
    found = dataset_from_mapping({"enterprise": [{"id": b"E1", "period": "2019"}, {"id": 7, "period": "2019"}]},
                                 SCHEMAS).entities("enterprise")
    assert sorted(found) == ["7", "E1"]
    with pytest.raises(DataError, match=r"row 1, column id: an id is at most 200 characters, not 201"):
        dataset_from_mapping({"enterprise": [{"id": "E" * 201, "period": "2019"}]}, SCHEMAS)


def test_a_reference_is_read_as_an_id_is():
    from decimal import Decimal

    from policydsl.types import reference

    schemas = {"firm": EntitySchema(name="firm", facts={
        "zone": FactSchema(name="zone", type=reference("zone"), period_kind=None)}),
        "zone": EntitySchema(name="zone", facts={})}
    found = dataset_from_mapping({"firm": [{"id": "F1", "zone": 7}, {"id": "F2", "zone": b"Z1"}]}, schemas)
    assert found.entities("firm")["F1"].static == {"zone": "7"} and found.entities("firm")["F2"].static == {"zone": "Z1"}
    for bad in (Decimal("7.00"), 7.0):
        with pytest.raises(DataError, match=r"row 1, column zone: an id is text or a whole number"):
            dataset_from_mapping({"firm": [{"id": "F1", "zone": bad}]}, schemas)


def test_a_whole_fraction_is_a_whole_number():
    rows = [{"id": "E1", "period": "2019", "staff": Fraction(6, 2), "score": Fraction(3, 10)}]
    row = dataset_from_mapping({"enterprise": rows}, SCHEMAS).entities("enterprise")["E1"].periods[Period(2019)]
    assert row == {"staff": 3, "score": Fraction(3, 10)} and type(row["staff"]) is int


def test_a_date_time_with_a_time_of_day_and_a_boolean_for_text_are_refused_not_respelled():
    """A Parquet or Excel date-time at midnight is its day; 13:00 would be cut to its day without a
    word, and JSON `true` for a text fact would be the text "True"."""
    ok = [{"id": "E1", "opened": dt.datetime(2015, 3, 1)}]
    assert dataset_from_mapping({"enterprise": ok}, SCHEMAS).entities("enterprise")["E1"].static == {
        "opened": dt.date(2015, 3, 1)}
    with pytest.raises(DataError, match=r"column opened: 2015-03-01 13:00:00 has a time of day"):
        dataset_from_mapping({"enterprise": [{"id": "E1", "opened": dt.datetime(2015, 3, 1, 13)}]}, SCHEMAS)
    with pytest.raises(DataError, match=r"column city: a bool is not text"):
        dataset_from_mapping({"enterprise": [{"id": "E1", "city": True}]}, SCHEMAS)


def test_periods_are_written_in_ascii_digits_and_a_bad_percent_is_quoted_as_written():
    for period in ("٢٠١٥", "２０１６"):
        with pytest.raises(DataError, match="is not a period"):
            dataset_from_mapping({"enterprise": [{"id": "E1", "period": period}]}, SCHEMAS)
    with pytest.raises(DataError, match=r'column growth: "12.5%%" is not a number'):
        dataset_from_mapping({"enterprise": [{"id": "E1", "period": "2019", "growth": "12.5%%"}]}, SCHEMAS)


def test_an_id_column_headed_in_capitals_is_named_in_the_error_and_its_rows_are_not_each_reported(tmp_path):
    (tmp_path / "enterprise.csv").write_text("ID,period,score\nE1,2019,1\nE2,2019,2\n", encoding="utf-8")
    with pytest.raises(DataError) as raised:
        load_data(tmp_path, SCHEMAS, required={"enterprise": frozenset({"score"})})
    assert any("missing column `id`" in p and "did you mean `ID`?" in p for p in map(str, raised.value.problems))
    assert not any("missing id" in str(p) for p in raised.value.problems)


def test_a_whole_decimal_with_no_places_is_an_id_and_only_text_or_numbers_are_text():
    from decimal import Decimal

    found = dataset_from_mapping({"enterprise": [{"id": Decimal("7"), "period": "2019"}]}, SCHEMAS)
    assert list(found.entities("enterprise")) == ["7"]
    with pytest.raises(DataError, match=r"an id is text or a whole number, not Decimal 7.0"):
        dataset_from_mapping({"enterprise": [{"id": Decimal("7.0"), "period": "2019"}]}, SCHEMAS)
    for value in (dt.date(2015, 3, 1), dt.datetime(2015, 3, 1)):
        with pytest.raises(DataError, match=r"column city: a (date|datetime) is not text"):
            dataset_from_mapping({"enterprise": [{"id": "E1", "city": value}]}, SCHEMAS)
    found = dataset_from_mapping({"enterprise": [{"id": "E1", "city": 12}]}, SCHEMAS)
    assert found.entities("enterprise")["E1"].static == {"city": "12"}


def test_a_numpy_boolean_is_not_text():
    np = pytest.importorskip("numpy")
    with pytest.raises(DataError, match=r"column city: a bool_? is not text"):
        dataset_from_mapping({"enterprise": [{"id": "E1", "city": np.bool_(True)}]}, SCHEMAS)


def test_a_numpy_datetime64_is_the_day_it_holds_and_a_time_of_day_or_a_month_is_refused():
    np = pytest.importorskip("numpy")
    for day in (np.datetime64("2015-03-01"), np.datetime64("2015-03-01T00:00:00"), np.datetime64("2015-03-01", "ns")):
        found = dataset_from_mapping({"enterprise": [{"id": "E1", "opened": day}]}, SCHEMAS)
        assert found.entities("enterprise")["E1"].static == {"opened": dt.date(2015, 3, 1)}
    for value, message in ((np.datetime64("2015-03-01T13:00"), "has a time of day"),
                           (np.datetime64("2015-03-01T00:00:00.000000001"), "has a time of day"),
                           (np.datetime64("2015-03"), "is not a date"), (np.datetime64("NaT"), "is not a date")):
        [problem] = problems_of(lambda: dataset_from_mapping({"enterprise": [{"id": "E1", "opened": value}]}, SCHEMAS))
        assert problem.startswith("<data>: enterprise row 1, column opened: 2015-03" if value == value else
                                  "<data>: enterprise row 1, column opened: NaT") and message in problem, problem


def test_a_number_given_twice_agrees_by_its_value_and_a_disagreement_is_written_as_json(tmp_path):
    """50 and 50.0 for a number were "different values: 50, Decimal('50.0')" (an error, in Python's words)."""
    path = tmp_path / "d.json"
    path.write_text('{"enterprise": [{"id": "E1", "period": "2019", "score": 50, "score": 50.0, "得分": 5e1}]}',
                    encoding="utf-8")
    dataset = load_data(path, SCHEMAS, required={})
    assert dataset.entities("enterprise")["E1"].periods[Period.parse("2019")]["score"] == 50
    assert warnings_of(dataset) == [f"{path}: enterprise row 1, column score: key written more than once"]
    path.write_text('{"enterprise": [{"id": "E1", "period": "2019", "score": 50.0, "score": "五十"}]}', encoding="utf-8")
    assert problems_of(lambda: load_data(path, SCHEMAS, required={}))[0] == \
        f'{path}: enterprise row 1, column score: key written more than once with different values: "五十", 50.0'
    path.write_text('{"enterprise": [{"id": "E1", "city": "7", "city": 7.0}]}', encoding="utf-8")
    assert "different values: \"7\", 7.0" in problems_of(lambda: load_data(path, SCHEMAS, required={}))[0]


def test_a_lone_surrogate_in_an_id_or_a_text_is_a_located_error(tmp_path):
    """JSON's `\\ud800` is no character: no output, log or file could hold it (the service's log writer died on one)."""
    path = tmp_path / "d.json"
    path.write_text('{"enterprise": [{"id": "E\\ud8001", "period": "2019", "city": "a\\udfffb"}]}', encoding="utf-8")
    problems = problems_of(lambda: load_data(path, SCHEMAS, required={}))
    assert problems == [f'{path}: enterprise row 1, column id: "E\\ud8001" holds a lone surrogate (\\ud800), '
                        "which is no character"]
    path.write_text('{"enterprise": [{"id": "E1", "period": "2019", "city": "a\\udfffb"}]}', encoding="utf-8")
    assert "holds a lone surrogate (\\udfff)" in problems_of(lambda: load_data(path, SCHEMAS, required={}))[0]


def test_two_columns_headed_for_one_number_agree_by_value_as_json_keys_do(tmp_path):
    folder = folder_with(tmp_path, {"enterprise.csv": "id,period,score,得分\nE1,2019,50,50.0\n"})
    dataset = load_data(folder, SCHEMAS, required={})
    assert dataset.entities("enterprise")["E1"].periods[Period.parse("2019")]["score"] == 50
