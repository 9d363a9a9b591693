"""A Parquet table means what the row loader reads (`engine/tables.py`, Polars' Parquet reader), read
straight into columns (`engine/columnar/cells_in.py`) or through the row loader: the same values,
records, warnings and located errors, whatever types the file gives its columns (whole numbers,
floats, Decimals, texts, booleans, dates, date-times, categoricals) — a hypothesis property over
generated tables, good and bad."""

from __future__ import annotations

import datetime as dt
import decimal
import json
from fractions import Fraction

from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import policydsl
from policydsl.cli import main
from policydsl.diagnostics import DataError
from policydsl.engine.columnar import files
from policydsl.engine.data import load_data
from policydsl.values import Percent, Period
from tests.test_columnar_files import NOTHING_READ, SCHEMAS, _same_as_the_row_loader


def _write(tmp_path, frame: pl.DataFrame, name: str = "enterprise.parquet"):
    folder = tmp_path / "data"
    folder.mkdir(exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    frame.write_parquet(folder / name)
    return folder


# a table as a pandas or Polars export writes it: floats for decimals and percents, dates, booleans
EXPORTED = pl.DataFrame({
    "id": ["E1", "E1", "E2", "E3", "E2"],
    "period": ["2019", "2020", "2019", None, "2020-Q1"],
    "city": ["开封市", "开封市", " 许昌市 ", "郑州市", None],
    "opened": [dt.date(2015, 3, 1), None, None, dt.date(2001, 1, 31), None],
    "score": [50.25, 49.5, 100.0, None, None],
    "staff": [12, 13, 0, None, None],
    "growth": [12.5, 3.0, -1.5, None, None],
    "grade": pl.Series(["A", "B", "优", None, None], dtype=pl.Categorical),
    "listed": [True, False, False, None, None],
    "rank": [None, None, None, None, 2],
})


def test_an_exported_parquet_table_reads_into_columns_with_the_row_loaders_values(tmp_path):
    data = _same_as_the_row_loader(_write(tmp_path, EXPORTED), {"enterprise"})
    records = data.entities("enterprise")
    assert records["E1"].periods[Period(2019)]["score"] == Fraction(201, 4)
    assert records["E1"].periods[Period(2019)]["growth"] == Percent(Fraction(1, 8))
    assert records["E2"].static["city"] == "许昌市"
    assert records["E3"].static["opened"] == dt.date(2001, 1, 31)
    table = data.tables["enterprise"]
    assert table.scales["score"] == 4 and table.rows["score"].dtype == pl.Int64


def test_blank_texts_are_missing_cells_and_the_table_still_reads_into_columns(tmp_path):
    frame = pl.DataFrame({"id": ["E1", "E2", "E3"], "period": ["2019", "2019", "2019"],
                          "score": ["1.5", "", "   "], "grade": ["A", "\u3000", None]})
    data = _same_as_the_row_loader(_write(tmp_path, frame), {"enterprise"}, required=NOTHING_READ)
    assert data.tables["enterprise"].rows["score"].to_list() == [3, None, None]
    assert "score" not in data.entities("enterprise")["E2"].periods[Period(2019)]


def test_the_row_loader_reads_a_parquet_table_as_the_same_csv_without_pyarrow(tmp_path):
    csv = tmp_path / "csv"
    csv.mkdir()
    (csv / "enterprise.csv").write_text("id,period,city,score,grade\nE1,2019,开封市,0.1,A\nE2,2019,许昌市,2,优\n",
                                        encoding="utf-8")
    folder = _write(tmp_path, pl.DataFrame({"id": ["E1", "E2"], "period": [2019, 2019], "city": ["开封市", "许昌市"],
                                            "score": [0.1, 2.0], "grade": ["A", "优"]}))
    assert load_data(folder, SCHEMAS, NOTHING_READ).entities("enterprise") == \
        load_data(csv, SCHEMAS, NOTHING_READ).entities("enterprise")


@pytest.mark.parametrize("column, values, message", [
    ("grade", ["A", "E"], 'row 3, column grade: unknown value "E"'),
    ("score", [1.0, float("nan")], "row 3, column score"),
    ("staff", [1.5, 2.0], "row 2, column staff"),
    ("opened", ["2019-01-01", "2019-02-30"], "row 3, column opened"),
    ("listed", [1.0, 0.0], "row 2, column listed"),
])
def test_a_bad_cell_of_a_parquet_table_is_the_row_loaders_located_error(tmp_path, column, values, message):
    frame = pl.DataFrame({"id": ["E1", "E2"], "period": [2019, 2019], column: values}, strict=False)
    folder = _write(tmp_path, frame)
    with pytest.raises(DataError) as expected:
        load_data(folder, SCHEMAS, NOTHING_READ)
    with pytest.raises(DataError) as found:
        files.read_columns(folder, SCHEMAS, NOTHING_READ, row_loader_below_bytes=0)
    assert found.value.problems == expected.value.problems
    assert any("enterprise.parquet" in p and message in p for p in found.value.problems), found.value.problems


def test_a_column_of_another_type_or_numbers_too_fine_go_to_the_row_loader_and_row_executor(tmp_path):
    lists = pl.DataFrame({"id": ["E1"], "period": [2019], "city": [["a", "b"]]})
    with pytest.raises(DataError) as expected:
        load_data(_write(tmp_path, lists), SCHEMAS, NOTHING_READ)
    with pytest.raises(DataError) as found:
        files.read_columns(_write(tmp_path, lists), SCHEMAS, NOTHING_READ, row_loader_below_bytes=0)
    assert found.value.problems == expected.value.problems
    fine = pl.DataFrame({"id": [f"E{i}" for i in range(14)], "period": [2019] * 14,
                         "score": [decimal.Decimal(f"0.{'0' * i}1") for i in range(14)]})
    data = _same_as_the_row_loader(_write(tmp_path, fine), {"enterprise"}, required=NOTHING_READ)
    assert "score" not in data.tables["enterprise"].rows.columns
    assert data.entities("enterprise")["E13"].periods[Period(2019)]["score"] == Fraction(1, 10 ** 14)


def test_a_folder_named_like_a_pattern_reads_its_own_files_only(tmp_path):
    folder = tmp_path / "data[1]"
    folder.mkdir()
    pl.DataFrame({"id": ["E1"], "period": [2019], "staff": [1]}).write_parquet(folder / "enterprise.parquet")
    (tmp_path / "data1").mkdir()  # what `data[1]` matches as a glob pattern
    pl.DataFrame({"id": ["X"], "period": [2019], "staff": [2]}).write_parquet(tmp_path / "data1" / "enterprise.parquet")
    assert list(load_data(folder, SCHEMAS, NOTHING_READ).entities("enterprise")) == ["E1"]
    assert list(files.read_columns(folder, SCHEMAS, NOTHING_READ, row_loader_below_bytes=0).entities("enterprise")) \
        == ["E1"]


def test_a_date_python_cannot_hold_is_the_row_loaders_error_not_a_traceback(tmp_path):
    days = (dt.date(2019, 1, 1) - dt.date(1970, 1, 1)).days
    frame = pl.DataFrame({"id": ["E1", "E2"], "period": [2019, 2019],
                          "opened": pl.Series([days, 3_000_000], dtype=pl.Int32).cast(pl.Date)})
    folder = _write(tmp_path, frame)  # 3,000,000 days after 1970: the year 10183
    with pytest.raises(DataError) as expected:
        load_data(folder, SCHEMAS, NOTHING_READ)
    with pytest.raises(DataError) as found:
        files.read_columns(folder, SCHEMAS, NOTHING_READ, row_loader_below_bytes=0)
    assert found.value.problems == expected.value.problems


@pytest.mark.parametrize("rank", [
    pl.Series("rank", [None, 2 ** 63 - 1], dtype=pl.Int64),  # past the numerators' bound
    pl.Series("rank", [None, 1e20], dtype=pl.Float64),  # no columnar form (10^20 as an exact numerator)
])
def test_a_number_left_to_the_row_executor_is_still_checked_against_its_rows(tmp_path, rank):
    """A quarterly fact on a yearly row is the row loader's error even when its column is left out
    of the columns (numbers past Int64 numerators): it used to be dropped first, silently."""
    folder = _write(tmp_path, pl.DataFrame({"id": ["E1", "E2"], "period": ["2019", "2020"], "rank": rank}))
    with pytest.raises(DataError) as expected:
        load_data(folder, SCHEMAS, NOTHING_READ)
    with pytest.raises(DataError) as found:
        files.read_columns(folder, SCHEMAS, NOTHING_READ, row_loader_below_bytes=0)
    assert found.value.problems == expected.value.problems
    assert "quarterly fact" in found.value.problems[0]


@pytest.fixture(scope="module")
def province_frames():
    root = Path(__file__).resolve().parent.parent
    return {table.stem: pl.read_csv(table, infer_schema_length=None)
            for table in sorted((root / "examples" / "province").glob("*.csv"))}


FIRST = pl.int_range(pl.len()) == 0
UNUSUAL = {  # (kind, column) -> the column's new value
    ("service_zone", "service_value_added"):  # past Int64, in an unsigned column
        pl.when(FIRST).then(pl.lit(2 ** 63, dtype=pl.UInt64)).otherwise(pl.col("service_value_added").cast(pl.UInt64)),
    ("industrial_zone", "fixed_asset_investment"):  # past the numerators' 2**62 (and summed per city)
        pl.when(pl.col("fixed_asset_investment").is_not_null()).then(pl.lit(2 ** 62 + 1)),
    ("industrial_zone", "provincial_top10_fastest"): pl.lit(None, dtype=pl.Null),  # a boolean, no value at all
    ("tax_payment", "enterprise"): pl.lit(None, dtype=pl.Null),  # a reference, no value at all
}


@pytest.mark.parametrize("kind, column", list(UNUSUAL))
def test_unusual_whole_number_and_empty_columns_decide_as_on_the_row_executor(tmp_path, monkeypatch, province_frames,
                                                                              kind, column):
    """In a Parquet table and in the API's frames: a whole-number column past the numerators' bound
    leaves its rules to the row executor (as a CSV's does), a column of nulls only (Polars' Null
    type, as exports write it) is read as the executor's type, both without a traceback."""
    monkeypatch.setattr(files, "PARQUET_ROW_LOADER_BYTES", 0)
    policy_set = policydsl.load(Path(__file__).resolve().parent.parent / "policies")
    frames = dict(province_frames)
    frames[kind] = frames[kind].with_columns(UNUSUAL[(kind, column)].alias(column))
    folder = tmp_path / "province"
    folder.mkdir()
    for name, frame in frames.items():
        frame.write_parquet(folder / f"{name}.parquet")
    expected = policydsl.decisions_json(policy_set.evaluate(policy_set.load_data(folder)).decisions)
    data = policy_set.load_data(folder, executor="columnar")
    assert kind in data.kinds._later  # read straight into columns
    assert policydsl.decisions_json(policy_set.evaluate(data, executor="columnar").decisions) == expected
    given = {name: frame for name, frame in frames.items()}
    assert policydsl.decisions_json(policy_set.evaluate(given, executor="columnar").decisions) == \
        policydsl.decisions_json(policy_set.evaluate(given).decisions)


# ---- generated tables ----------------------------------------------------------------------------

_TEXTS = st.sampled_from(["A", "B", "优", "E", "", "  ", " A ", "开封市", "1", "0.5", "12.5%", "true", "否",
                          "2019-01-01", "2019-13-01", "e\u0301", "x" * 3])
_NUMBERS = st.one_of(st.integers(-10 ** 6, 10 ** 6), st.sampled_from([0, 1, -1, 2 ** 62, 2 ** 63 - 1]))
_FLOATS = st.one_of(st.floats(allow_nan=True, allow_infinity=True, width=64),
                    st.sampled_from([0.1, 0.25, -0.0, 1e16, 1e-7, 123456.789, 2.5]))
_DECIMALS = st.decimals(min_value=-10 ** 6, max_value=10 ** 6, places=3, allow_nan=False)
_DATES = st.dates(min_value=dt.date(900, 1, 1), max_value=dt.date(3100, 12, 31))
_DATETIMES = st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2030, 12, 31))
# (values, the Polars type of the column)
_COLUMNS = st.one_of(
    st.tuples(st.just(_NUMBERS), st.just(pl.Int64)), st.tuples(st.just(_FLOATS), st.just(pl.Float64)),
    st.tuples(st.just(_DECIMALS), st.just(pl.Decimal(20, 3))), st.tuples(st.just(_TEXTS), st.just(pl.String)),
    st.tuples(st.just(st.booleans()), st.just(pl.Boolean)), st.tuples(st.just(_DATES), st.just(pl.Date)),
    st.tuples(st.just(_DATETIMES), st.just(pl.Datetime("us"))),
    st.tuples(st.just(_TEXTS), st.just(pl.Categorical)))
_FACTS = ["city", "opened", "score", "staff", "growth", "grade", "listed", "rank"]
_WHOLE_FLOATS = st.integers(-10 ** 6, 10 ** 6).map(float)
_FINE_FLOATS = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
# per fact, columns a file would hold for it (the values the row loader takes, mostly)
_FITTING = {
    "city": [(st.sampled_from(["开封市", "许昌市", " 郑州市 ", "e\u0301", "A"]), pl.String),
             (st.sampled_from(["开封市", "许昌市"]), pl.Categorical), (st.integers(0, 9), pl.Int64)],
    "opened": [(st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2030, 1, 1)), pl.Date),
               (st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2030, 1, 1)),
                pl.Datetime("us")), (st.sampled_from(["2019-01-01", " 2020-02-29"]), pl.String)],
    "score": [(_FINE_FLOATS, pl.Float64), (_DECIMALS, pl.Decimal(20, 3)), (_NUMBERS, pl.Int64),
              (st.sampled_from(["1.5", "-2", "1e2", " 3 "]), pl.String)],
    "staff": [(_WHOLE_FLOATS, pl.Float64), (st.integers(-10 ** 6, 10 ** 6).map(decimal.Decimal), pl.Decimal(20, 0)),
              (_NUMBERS, pl.Int64)],
    "growth": [(_FINE_FLOATS, pl.Float64), (_NUMBERS, pl.Int64), (_DECIMALS, pl.Decimal(20, 3)),
               (st.sampled_from(["12.5%", "3", "-0.5%"]), pl.String)],
    "grade": [(st.sampled_from(["A", "B", "优", " C "]), pl.String), (st.sampled_from(["A", "D"]), pl.Categorical)],
    "listed": [(st.booleans(), pl.Boolean), (st.sampled_from(["true", "否", "FALSE"]), pl.String)],
    "rank": [(st.integers(0, 50), pl.Int64)],
}
_STATIC = {"city", "opened"}


@st.composite
def parquet_tables(draw) -> pl.DataFrame:
    """Long rows of a few entities: mostly what the row loader reads (fitting columns, one value of a
    static attribute per entity, distinct periods), sometimes not (any column, any period, blank ids)."""
    keys = draw(st.lists(st.tuples(st.sampled_from(["E1", "E2", "E3"]), st.sampled_from(["2019", "2020", "2021"])),
                         min_size=1, max_size=8, unique=True))
    ids, periods = [k[0] for k in keys], [k[1] for k in keys]
    if draw(st.integers(0, 4)) == 0:  # a bad id or period now and then
        at = draw(st.integers(0, len(keys) - 1))
        ids[at] = draw(st.sampled_from(["", " E4", "E1"]))
        periods[at] = draw(st.sampled_from(["", None, "19", "2020-Q1", " 2019"]))
    columns = {"id": pl.Series(ids, dtype=pl.String), "period": pl.Series(periods, dtype=pl.String)}
    for fact in draw(st.lists(st.sampled_from(_FACTS), unique=True, max_size=6)):
        fitting = draw(st.integers(0, 5)) > 0
        values, dtype = draw(st.sampled_from(_FITTING[fact])) if fitting else draw(_COLUMNS)
        if fact in _STATIC and fitting:  # one value per entity
            per_entity = {e: draw(st.one_of(st.none(), values)) for e in sorted(set(ids))}
            cells = [per_entity[e] for e in ids]
        else:
            cells = draw(st.lists(st.one_of(st.none(), values), min_size=len(ids), max_size=len(ids)))
        try:
            columns[fact] = pl.Series(cells, dtype=dtype)
        except (TypeError, ValueError, OverflowError, decimal.InvalidOperation, pl.exceptions.PolarsError):
            continue  # Polars holds no such column
    return pl.DataFrame(columns)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(frame=parquet_tables())
def test_a_generated_parquet_table_means_what_the_row_loader_reads(tmp_path, frame):
    folder = _write(tmp_path, frame)
    try:
        expected = load_data(folder, SCHEMAS, NOTHING_READ)
    except DataError as error:
        with pytest.raises(DataError) as found:
            files.read_columns(folder, SCHEMAS, NOTHING_READ, row_loader_below_bytes=0)
        assert found.value.problems == error.problems
        event("refused")
        return
    direct = set(files.read_columns(folder, SCHEMAS, NOTHING_READ, row_loader_below_bytes=0).kinds._later)
    event("read into columns" if direct else "read by the row loader")
    data = _same_as_the_row_loader(folder, direct, required=NOTHING_READ)
    assert [str(w) for w in data.warnings] == [str(w) for w in expected.warnings]


def test_the_province_in_parquet_decides_as_its_csv_on_both_executors(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(files, "PARQUET_ROW_LOADER_BYTES", 0)  # every table straight into columns, however small
    folder = tmp_path / "province"
    folder.mkdir()
    root = Path(__file__).resolve().parent.parent
    for table in sorted((root / "examples" / "province").glob("*.csv")):
        pl.read_csv(table, infer_schema_length=None).write_parquet(folder / f"{table.stem}.parquet")
    outputs = []
    for data, executor in [(root / "examples" / "province", "row"), (folder, "row"), (folder, "columnar")]:
        assert main(["eval", str(root / "policies"), "--data", str(data), "--format", "json",
                     "--executor", executor]) == 0
        outputs.append(json.loads(capsys.readouterr().out))
    assert outputs[0] == outputs[1] == outputs[2]


def test_a_32_bit_float_is_the_decimal_it_prints_as_in_parquet_and_in_frames(tmp_path):
    """A Float32 0.3 is 0.3 (as Polars, pandas and Arrow show it), not the binary fraction
    0.30000001192092896 its Python float holds: read as a Parquet table straight into columns
    and by the row loader, and as a frame given to either executor."""
    frame = pl.DataFrame({"id": ["E1", "E1"], "period": ["2019", "2020"],
                          "score": pl.Series([0.3, 123456.79], dtype=pl.Float32),
                          "growth": pl.Series([12.5, 0.1], dtype=pl.Float32)})
    blank = {"city": pl.String, "opened": pl.Date, "staff": pl.Int64, "grade": pl.String, "listed": pl.Boolean,
             "rank": pl.Int64}
    whole = frame.with_columns(pl.lit(None, dtype).alias(name) for name, dtype in blank.items())
    data = _same_as_the_row_loader(_write(tmp_path, whole), {"enterprise"})
    periods = data.entities("enterprise")["E1"].periods
    assert periods[Period(2019)] == {"score": Fraction(3, 10), "growth": Percent(Fraction(1, 8))}
    assert periods[Period(2020)] == {"score": Fraction(12345679, 100), "growth": Percent(Fraction(1, 1000))}
    policy = tmp_path / "p.pol"
    policy.write_text('policy p\n  in_force_from 2010-01-01\nentity enterprise "企业"\n  yearly score: decimal\n'
                      'outcome low "低" is sanction\nrule r\n  implements p.r\n  cite "r"\n  for enterprise\n'
                      '  when score <= 0.3\n  then low\n', encoding="utf-8")
    policy_set = policydsl.load(policy)
    for executor in ("row", "columnar"):
        found = policy_set.evaluate({"enterprise": frame.select("id", "period", "score")}, executor=executor)
        assert [(d.period, d.outcome) for d in found.decisions] == [(Period(2019), "low")], executor


def test_a_text_fact_of_floats_zero_and_minus_zero_reads_as_the_row_loader_reads_it(tmp_path):
    """0.0 and -0.0 print apart ("0.0", "-0.0") but are one value to a join: the columnar reader gave
    every such cell the first one's text, and the two executors' JSON differed."""
    frame = pl.DataFrame({"id": ["E1", "E2", "E3"], "period": ["2019"] * 3, "city": [-0.0, 0.0, 1.5]})
    data = _same_as_the_row_loader(_write(tmp_path, frame), set(), required=NOTHING_READ)  # by the row loader
    assert [data.entities("enterprise")[e].static["city"] for e in ("E1", "E2", "E3")] == ["-0.0", "0.0", "1.5"]
