"""The data stage: JSON files and folders of CSV/JSON/xlsx tables, validated against the schema."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policydsl.engine.data import dataset_from_mapping, load_data
from policydsl.diagnostics import DataError
from policydsl.schema import EntitySchema, FactSchema
from policydsl.types import BOOLEAN, DATE, DECIMAL, INTEGER, PERCENT, TEXT, enumeration
from policydsl.values import Percent, Period

GRADE = enumeration("grade", ("A", "B", "C", "D"))
SCHEMAS = {"enterprise": EntitySchema(name="enterprise", group="zone", facts={
    "zone": FactSchema(name="zone", type=TEXT, period_kind=None),
    "opened": FactSchema(name="opened", type=DATE, period_kind=None),
    "performance_class": FactSchema(name="performance_class", type=GRADE, period_kind="year"),
    "output": FactSchema(name="output", type=DECIMAL, period_kind="year"),
    "staff": FactSchema(name="staff", type=INTEGER, period_kind="year"),
    "growth": FactSchema(name="growth", type=PERCENT, period_kind="year"),
    "listed": FactSchema(name="listed", type=BOOLEAN, period_kind="year"),
    "quarter_staff": FactSchema(name="quarter_staff", type=INTEGER, period_kind="quarter"),
})}
HEADER = "id,period,zone,opened,performance_class,output,staff,growth,listed,quarter_staff\n"


def write_csv(tmp_path, body: str, header: str = HEADER):
    folder = tmp_path / "data"
    folder.mkdir(exist_ok=True)
    (folder / "enterprise.csv").write_text(header + body, encoding="utf-8")
    return folder


def problems_of(call) -> list[str]:
    with pytest.raises(DataError) as caught:
        call()
    return list(caught.value.problems)


def test_csv_folder_is_read_with_types_and_periods(tmp_path):
    folder = write_csv(tmp_path, "E1,2019,Z,2015-03-01,D,0.1,12,12.5%,是,\nE1,2019-Q3,Z,,,,,,,4\n")
    record = load_data(folder, SCHEMAS).entities("enterprise")["E1"]
    assert record.static == {"zone": "Z", "opened": __import__("datetime").date(2015, 3, 1)}
    assert record.periods[Period(2019)] == {"performance_class": "D", "output": Fraction(1, 10), "staff": 12,
                                            "growth": Percent.shown_as(Fraction(25, 2)), "listed": True}
    assert record.periods[Period(2019, 3)] == {"quarter_staff": 4}


def test_decimals_are_exact_from_json(tmp_path):
    path = tmp_path / "d.json"
    path.write_text('{"enterprise": [{"id": "E1", "period": "2019", "output": 0.1}, '
                    '{"id": "E1", "period": "2020", "output": 0.2}]}', encoding="utf-8")
    record = load_data(path, SCHEMAS).entities("enterprise")["E1"]
    assert record.periods[Period(2019)]["output"] + record.periods[Period(2020)]["output"] == Fraction(3, 10)


def test_xlsx_table_is_read(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    folder = tmp_path / "data"
    folder.mkdir()
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER.strip().split(","))
    sheet.append(["E1", "2019", "Z", None, "A", 3.5, 7, None, True, None])
    book.save(folder / "enterprise.xlsx")
    record = load_data(folder, SCHEMAS).entities("enterprise")["E1"]
    assert record.periods[Period(2019)] == {"performance_class": "A", "output": Fraction(7, 2), "staff": 7,
                                            "listed": True}


def test_static_only_rows_and_conflicting_static_values(tmp_path):
    rows = {"enterprise": [{"id": "E1", "zone": "Z"}, {"id": "E1", "period": "2019", "zone": "Z"}]}
    assert dataset_from_mapping(rows, SCHEMAS).entities("enterprise")["E1"].static["zone"] == "Z"
    rows["enterprise"].append({"id": "E1", "period": "2020", "zone": "Y"})
    problems = problems_of(lambda: dataset_from_mapping(rows, SCHEMAS))
    assert problems == ['<data>: enterprise row 3, column zone: `E1` has zone "Y" here but "Z" at '
                        "<data>: enterprise row 1"]


def test_missing_column_is_named_with_a_suggestion(tmp_path):
    folder = write_csv(tmp_path, "E1,2019,Z,,A,1,1,1,true,\n",
                       header=HEADER.replace("performance_class", "performance_clas"))
    problems = problems_of(lambda: load_data(folder, SCHEMAS))
    assert problems == [f"{folder / 'enterprise.csv'}: missing column `performance_class` of `enterprise` "
                        "(did you mean `performance_clas`?)"]


def test_wrong_type_names_file_row_and_column(tmp_path):
    folder = write_csv(tmp_path, "E1,2019,Z,,A,1,1,1,true,\nE2,2019,Z,,B,lots,1.5,1,maybe,\n")
    problems = problems_of(lambda: load_data(folder, SCHEMAS))
    path = folder / "enterprise.csv"
    assert problems == [f'{path}: row 3, column output: "lots" is not a number',
                        f'{path}: row 3, column staff: "1.5" is not a whole number',
                        f'{path}: row 3, column listed: "maybe" is not true/false']


def test_unknown_enumeration_value(tmp_path):
    folder = write_csv(tmp_path, "E1,2019,Z,,E,1,1,1,true,\n")
    assert problems_of(lambda: load_data(folder, SCHEMAS)) == [
        f'{folder / "enterprise.csv"}: row 2, column performance_class: unknown value "E"; '
        "expected one of A, B, C, D"]


def test_duplicate_id_and_period(tmp_path):
    folder = write_csv(tmp_path, "E1,2019,Z,,A,1,1,1,true,\nE1,2019,Z,,B,1,1,1,true,\n")
    path = folder / "enterprise.csv"
    assert problems_of(lambda: load_data(folder, SCHEMAS)) == [
        f"{path}: row 3: duplicate row for `E1` in 2019 (first at {path}: row 2)"]


def test_fact_of_the_wrong_period_kind(tmp_path):
    folder = write_csv(tmp_path, "E1,2019-Q1,Z,,A,,,,,\n")
    assert problems_of(lambda: load_data(folder, SCHEMAS)) == [
        f"{folder / 'enterprise.csv'}: row 2, column performance_class: `performance_class` is a yearly "
        "fact, but the row's period 2019-Q1 is a quarter"]


def test_bad_period_and_missing_id(tmp_path):
    folder = write_csv(tmp_path, "E1,2019Q1,Z,,A,,,,,\n,2019,Z,,A,,,,,\n")
    path = folder / "enterprise.csv"
    assert problems_of(lambda: load_data(folder, SCHEMAS)) == [
        f"{path}: row 2, column period: `2019Q1` is not a period: write a year (2017) or a quarter (2017-Q3)",
        f"{path}: row 3, column id: missing id"]


def test_empty_cell_is_a_missing_fact(tmp_path):
    folder = write_csv(tmp_path, "E1,2019,Z,,,,,,,\n")
    assert load_data(folder, SCHEMAS).entities("enterprise")["E1"].periods[Period(2019)] == {}


def test_unknown_kinds_and_undeclared_columns_are_ignored():
    rows = {"enterprise": [{"id": "E1", "period": "2019", "remark": "x"}], "other": [{"id": 1}]}
    assert set(dataset_from_mapping(rows, SCHEMAS).kinds) == {"enterprise"}


def test_misspelt_json_key_is_reported():
    problems = problems_of(lambda: dataset_from_mapping(
        {"enterprise": [{"id": "E1", "period": "2019", "perfomance_class": "A"}]}, SCHEMAS))
    assert problems == ["<data>: missing column `performance_class` of `enterprise` "
                        "(did you mean `perfomance_class`?)"]


def test_invalid_json_names_line_and_column(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"enterprise": [\n  {"id": "E1",}\n]}', encoding="utf-8")
    [problem] = problems_of(lambda: load_data(path, SCHEMAS))
    assert problem.startswith(f"{path}: invalid JSON at line 2, column 15")


def test_missing_path_and_empty_folder(tmp_path):
    assert problems_of(lambda: load_data(tmp_path / "nope", SCHEMAS)) == [f"{tmp_path / 'nope'}: no such data file or folder"]
    assert "no table for any declared entity kind" in problems_of(lambda: load_data(tmp_path, SCHEMAS))[0]


def test_a_kind_in_two_files_is_read_together_with_a_warning(tmp_path):
    folder = write_csv(tmp_path, "E1,2019,Z,,A,,,,,\n")
    (folder / "enterprise.json").write_text('[{"id": "E2", "period": "2019", "zone": "Y"}]', encoding="utf-8")
    dataset = load_data(folder, SCHEMAS)
    assert set(dataset.entities("enterprise")) == {"E1", "E2"}
    [warning] = [str(w) for w in dataset.warnings]
    assert "`enterprise` is in 2 files (enterprise.csv, enterprise.json)" in warning


def test_a_folder_read_for_policies_that_declare_no_kind_says_so(tmp_path):
    (tmp_path / "enterprise.csv").write_text("id,period\nE1,2019\n", encoding="utf-8")
    [problem] = problems_of(lambda: load_data(tmp_path, {}))
    assert problem.endswith("(the policies declare no entity kind: there is nothing to read the data for)")


def test_booleans_are_not_numbers():
    problems = problems_of(lambda: dataset_from_mapping(
        {"enterprise": [{"id": "E1", "period": "2019", "staff": True}]}, SCHEMAS))
    assert problems == ["<data>: enterprise row 1, column staff: True is a boolean, not a number"]


@settings(max_examples=40, deadline=None)
@given(st.permutations([{"id": f"E{i % 3}", "period": str(2015 + i // 3), "performance_class": "ABCD"[i % 4],
                         "staff": i} for i in range(9)]))
def test_row_order_does_not_change_the_dataset(rows):
    original = sorted(rows, key=lambda r: (r["id"], r["period"]))
    assert dataset_from_mapping({"enterprise": rows}, SCHEMAS) == dataset_from_mapping(
        {"enterprise": original}, SCHEMAS)


def test_the_generated_province_loads_for_all_shipped_policies():
    from conftest import ROOT

    import policydsl

    policies = policydsl.load(ROOT / "policies")
    dataset = policies.load_data(ROOT / "examples" / "province")
    assert len(dataset.entities("enterprise")) == 300 and len(dataset.entities("industrial_zone")) == 25
    assert {"enterprise", "industrial_zone", "service_zone", "cadre", "project", "city"} <= set(dataset.kinds)


def test_a_fact_headed_twice_is_read_from_the_column_that_gives_it(tmp_path):
    """Blank under the first heading, given under the second: the value was dropped, with only the
    header's "rows must agree" warning to show for it."""
    folder = write_csv(tmp_path, "E1,2019,Z,,,,,,,,0.1\nE2,2019,Z,,,0.2,,,,,\nE3,2019,Z,,,0.3,,,,,0.3\n",
                       header=HEADER.rstrip("\n") + ",output\n")
    dataset = load_data(folder, SCHEMAS)
    outputs = {e: r.periods[Period.parse("2019")].get("output") for e, r in dataset.entities("enterprise").items()}
    assert outputs == {"E1": Fraction(1, 10), "E2": Fraction(1, 5), "E3": Fraction(3, 10)}
