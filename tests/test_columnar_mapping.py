"""The API's mapping `{kind: rows or frame}` on the columnar executor reads and reports as the
row executor does: a key naming no kind is a warning with "did you mean" (its rows would
otherwise vanish without a word), once; and what runs on the row executor inside a columnar run
(a rule whose payload has fields) and an explanation of a columnar decision read every kind of
the mapping, the ones given as frames and the ones given as rows alike."""

from __future__ import annotations

import polars as pl
import pytest

import policydsl

POLICY = """
policy two
  title "t"
  issued 2015-01-01
  in_force_from 2015-01-01
entity firm "企业"
  yearly a "甲": integer
entity zone "区"
  yearly b "乙": integer
outcome flagged "标记" is sanction
outcome zone_flagged "区标记" is sanction
outcome counted "计" is eligibility with fields (n: integer)
rule firm_rule
  implements two.r1 cite "一" "一"
  for firm
  when a > 1
  then flagged
rule zone_rule
  implements two.r2 cite "二" "二"
  for zone
  when b > 1
  then zone_flagged
rule firm_counted
  implements two.r3 cite "三" "三"
  for firm
  when a > 1
  then counted with (n = a)
"""


@pytest.fixture
def two(tmp_path):
    path = tmp_path / "two.pol"
    path.write_text(POLICY, encoding="utf-8")
    return policydsl.load(path)


def _data(firms_as_frame: bool, zones_as_frame: bool) -> dict:
    firms = pl.DataFrame({"id": ["f1"], "period": ["2019"], "a": [2]})
    zones = pl.DataFrame({"id": ["z1"], "period": ["2019"], "b": [2]})
    return {"firm": firms if firms_as_frame else firms.to_dicts(),
            "zone": zones if zones_as_frame else zones.to_dicts(),
            "zones": [{"id": "z2", "period": "2019", "b": 5}]}


@pytest.mark.parametrize("frames", [(True, True), (True, False), (False, False)], ids=["frames", "mixed", "rows"])
@pytest.mark.parametrize("executor", ["row", "columnar"])
def test_a_key_naming_no_kind_is_reported_with_the_nearest_kind(two, executor, frames):
    result = two.evaluate(_data(*frames), executor=executor)
    unknown = [w for w in result.warnings if "zones" in w.message]
    assert [(w.message, w.hint, w.severity) for w in unknown] == [
        ("unknown entity kind `zones`; its rows are not read", "did you mean `zone`?", "warning")]
    assert sorted((d.entity, d.outcome) for d in result.decisions) == [
        ("f1", "counted"), ("f1", "flagged"), ("z1", "zone_flagged")]


@pytest.mark.parametrize("frames", [(True, True), (True, False), (False, True)], ids=["frames", "mixed", "mixed2"])
def test_an_explanation_of_a_columnar_decision_reads_every_kind_of_the_mapping(two, frames):
    result = two.evaluate(_data(*frames), executor="columnar")
    assert result.explain("f1", "flagged", "2019").status == "active"
    assert result.explain("z1", "zone_flagged", "2019").status == "active"


SCOPED = """
policy scoped
  title "t"
  issued 2015-01-01
  in_force_from 2015-01-01
  scope firm: city = "周口市"
entity firm "企业"
  static city "所在市": text
  yearly a "甲": integer
outcome flagged "标记" is sanction
rule firm_rule
  implements scoped.r1 cite "一" "一"
  for firm
  when a > 1
  then flagged
"""


@pytest.mark.parametrize("as_frame", [False, True])
def test_a_mapping_is_checked_alike_on_both_executors_scope_warnings_and_strict(policy_from_text, as_frame):
    """Data saying `zhoukou` where the scope says 周口市 (no rule of the policy applies: the warning
    is the only sign of it) and a misspelt column: the same warnings from both executors, and
    under `strict` the same DataError (the columnar executor ignored `strict` on a mapping and
    lost the scope warning)."""
    policy_set = policy_from_text(SCOPED)
    rows = [{"id": "F1", "period": "2017", "city": "zhoukou", "a": 3, "scroe": 1}]
    data = {"firm": pl.DataFrame(rows) if as_frame else rows}
    found = {executor: [str(w) for w in policy_set.evaluate(data, executor=executor).warnings]
             for executor in ("row", "columnar")}
    assert found["row"] == found["columnar"]
    assert any("周口市" in w and "zhoukou" in w for w in found["row"]) and any("scroe" in w for w in found["row"])
    for executor in ("row", "columnar"):
        with pytest.raises(policydsl.DataError) as raised:
            policy_set.evaluate(data, executor=executor, strict=True)
        assert [str(i) for i in raised.value.issues] == found["row"]


def test_a_frame_read_into_columns_decides_and_explains_with_a_scope_checked(policy_from_text):
    policy_set = policy_from_text(SCOPED)
    frame = pl.DataFrame({"id": ["F1", "F2"], "period": ["2017", "2017"], "city": ["周口市", "周口市"], "a": [3, 1]})
    result = policy_set.evaluate({"firm": frame}, executor="columnar")
    assert result.warnings == () and [(d.entity, d.outcome) for d in result.decisions] == [("F1", "flagged")]
    assert result.explain("F1", "flagged", "2017").status == "active"


@pytest.mark.parametrize("executor", ["row", "columnar"])
def test_a_lazy_frame_is_refused_naming_what_it_is(policy_from_text, executor):
    policy_set = policy_from_text(POLICY)
    with pytest.raises(policydsl.DataError, match=r"not a LazyFrame \(collect it first"):
        policy_set.evaluate({"firm": pl.LazyFrame({"id": ["F1"], "period": ["2017"], "a": [2]})}, executor=executor)


def test_a_long_list_of_rows_is_read_into_columns_and_decides_as_the_row_executor(two):
    """From `frames_in.ROW_LOADER_OBJECTS` rows on, a kind's list of rows is typed once per distinct
    cell (`rows_in`), not row by row: the same decisions and explanations as the row executor's."""
    from policydsl.engine.columnar import frames_in
    from policydsl.engine.columnar.files import read_mapping

    firms = [{"id": f"f{n}", "period": 2015 + n % 5, "a": n % 4} for n in range(frames_in.ROW_LOADER_OBJECTS)]
    firms += [{"id": n, "period": "2016", "a": "3"} for n in range(20)]  # whole-number ids, a number as text
    data = {"firm": firms, "zone": [{"id": "z1", "period": "2019", "b": 2}]}
    read = read_mapping(data, two.program.entities)
    assert "firm" in read.kinds._later and "zone" in read.kinds._loaded  # the short list: the row loader
    columnar, row = two.evaluate(data, executor="columnar"), two.evaluate(data)
    assert columnar.decisions == row.decisions and len(row.decisions) > 500
    assert columnar.explain("7", "counted", "2016") == row.explain("7", "counted", "2016")
    bad = {"firm": firms + [{"id": "f1", "period": 2016, "a": 2.5}]}
    with pytest.raises(policydsl.DataError) as by_columns:
        two.evaluate(bad, executor="columnar")
    with pytest.raises(policydsl.DataError) as by_rows:
        two.evaluate(bad)
    assert by_columns.value.problems == by_rows.value.problems


@pytest.mark.parametrize("as_frame", [False, True])
def test_a_kind_read_into_columns_is_rows_for_the_no_rows_warning(two, as_frame):
    """The other kinds given as empty lists: the data still has rows (the columnar read said it had
    none, and under `strict` refused it)."""
    from policydsl.engine.columnar import frames_in

    firms = [{"id": f"f{n}", "period": 2019, "a": 2} for n in range(frames_in.ROW_LOADER_OBJECTS)]
    data = {"firm": pl.DataFrame(firms) if as_frame else firms, "zone": []}
    row, columnar = two.evaluate(data, strict=True), two.evaluate(data, executor="columnar", strict=True)
    assert columnar.warnings == row.warnings == () and columnar.decisions == row.decisions


@pytest.mark.parametrize("executor", ["row", "columnar"])
def test_a_whole_number_past_what_python_prints_is_out_of_range_not_a_crash(two, executor):
    """An int of 5,000 digits (`str` refuses past 4,300): the located error, also on a duplicate row
    (the columnar read converts the cell before it finds the duplicate)."""
    from policydsl.engine.columnar import frames_in

    padding = [{"id": f"f{n}", "period": 2019, "a": 1} for n in range(frames_in.ROW_LOADER_OBJECTS)]
    for rows in ([{"id": "f", "period": 2019, "a": 10 ** 5000}],
                 [{"id": "f", "period": 2019}, {"id": "f", "period": 2019, "a": 10 ** 5000}]):
        with pytest.raises(policydsl.DataError) as raised:
            two.evaluate({"firm": padding + rows}, executor=executor)
        assert "out of range" in str(raised.value) or "duplicate row" in str(raised.value)


@pytest.mark.parametrize("executor", ["row", "columnar"])
def test_a_whole_number_past_what_python_prints_is_refused_in_any_cell_with_its_location(tmp_path, executor):
    """Past 4,300 digits `str` of an int raises: as an id, a period, a text, a date, a flag or a
    member it was a traceback (or Python's own words); it is a located refusal now."""
    from policydsl.engine.cells import CellError, convert, entity_id, parse_period
    from policydsl.types import BOOLEAN, DATE, TEXT

    huge = 10 ** 5000
    refusals = [(lambda: entity_id(huge), "an id is at most 200 characters, not about 5000 digits"),
                (lambda: entity_id(10 ** 250), "an id is at most 200 characters, not 251"),
                (lambda: parse_period(huge), "is not a period"),
                *((lambda t=t: convert(huge, t), f"a whole number of about 5000 digits is not {t}")
                  for t in (TEXT, DATE, BOOLEAN))]
    for refused, words in refusals:
        with pytest.raises(CellError, match=words):
            refused()
    path = tmp_path / "t.pol"
    path.write_text('policy t\n  issued 2015-01-01\nentity firm\n  yearly note: text\noutcome o "o" is measure\n'
                    'rule r implements t.1 cite "1" for firm when note = "x" then o\n', encoding="utf-8")
    policy_set = policydsl.load(path)
    for row in ({"id": huge, "period": 2019}, {"id": "f", "period": 2019, "note": huge}):
        with pytest.raises(policydsl.DataError, match="5000 digits"):
            policy_set.evaluate({"firm": [row]}, executor=executor)


@pytest.mark.parametrize("arrow", ["table", "record batch"])
def test_arrow_tables_are_read_as_the_row_loader_reads_their_rows(two, arrow):
    """The API takes Arrow tables and record batches directly (read through Polars): the row
    executor's decisions, and the row loader's located error for a bad cell."""
    frame = pl.DataFrame({"id": ["f1", "f2", "f3"], "period": ["2019", "2019", "2020"], "a": [2, 1, 5]})

    def as_arrow(rows: pl.DataFrame):
        table = rows.to_arrow()
        return table if arrow == "table" else table.to_batches()[0]

    columnar = two.evaluate({"firm": as_arrow(frame)}, executor="columnar")
    assert columnar.decisions == two.evaluate({"firm": frame.to_dicts()}).decisions
    assert two.evaluate({"firm": as_arrow(frame)}).decisions == columnar.decisions  # the row executor too
    bad = frame.with_columns(pl.Series("a", ["2", "x", "5"]))
    with pytest.raises(policydsl.DataError) as by_arrow:
        two.evaluate({"firm": as_arrow(bad)}, executor="columnar")
    with pytest.raises(policydsl.DataError) as by_rows:
        two.evaluate({"firm": bad.to_dicts()})
    assert by_arrow.value.problems == by_rows.value.problems and "row 2" in by_arrow.value.problems[0]
