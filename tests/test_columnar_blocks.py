"""Frames laid out period after period (every entity once per block, in the same order: what
`long_from_wide` writes) are put on the grid by arithmetic and their static attributes read block
by block; they decide exactly as the row executor, whatever the blocks' order, a period missing
between blocks (G4: it breaks a streak), a period selected, statics given on one block or
several (agreeing, or not: then the row loader's message)."""

from __future__ import annotations

import polars as pl
import pytest
from conftest import ROOT
from test_properties import load_text

import policydsl
from policydsl.diagnostics import DataError
from policydsl.engine.columnar.frames_in import tables_from_frames
from policydsl.engine.columnar.lowering import PLANNED
from policydsl.values import Period

W1 = ROOT / "bench" / "peers" / "w1.pol"
HISTORIES = {7: "DDAD", 8: "ADDD", 9: "DCDD", 10: "BBBB"}


def _blocks(years: list[int]) -> pl.DataFrame:
    """One block per year, in the order given; the ratings of HISTORIES (2017..2020)."""
    return pl.concat([pl.DataFrame({"id": list(HISTORIES), "period": [str(year)] * len(HISTORIES),
                                    "rating": [h[year - 2017] for h in HISTORIES.values()]})
                      for year in years])


def _columnar_decides_as_rows(policy_set, kind: str, frame: pl.DataFrame, period: str | None = None):
    """The columnar result over the frame, after checking its decisions equal the row executor's
    over the frame's rows."""
    columnar = policy_set.evaluate({kind: frame}, period=period, executor="columnar")
    assert columnar.decisions == policy_set.evaluate({kind: frame.to_dicts()}, period=period).decisions
    return columnar


@pytest.mark.parametrize("years", [
    [2017, 2018, 2019, 2020],  # in order
    [2020, 2017, 2019, 2018],  # blocks in any order
    [2017, 2018, 2020],  # 2019 missing for everyone: the streak restarts in 2020
    [2018, 2020],
])
@pytest.mark.parametrize("period", [None, "2020"])
def test_blocks_of_periods_decide_as_the_row_executor(years, period):
    w1 = policydsl.load(W1)
    frame = _blocks(years)
    table = tables_from_frames({"enterprise": frame}, w1.program.entities)[0]["enterprise"]
    assert table.blocks == tuple(years)  # the layout is recognised, so the arithmetic path runs
    _columnar_decides_as_rows(w1, "enterprise", frame, period)


def test_a_block_of_static_rows_leaves_the_rows_to_the_general_path(tmp_path):
    w1 = policydsl.load(W1)
    frame = pl.concat([_blocks([2019, 2020]), pl.DataFrame({"id": list(HISTORIES), "period": [None] * 4,
                                                           "rating": [None] * 4}, schema_overrides={"period": pl.String, "rating": pl.String})])
    table = tables_from_frames({"enterprise": frame}, w1.program.entities)[0]["enterprise"]
    assert table.blocks is None
    _columnar_decides_as_rows(w1, "enterprise", frame)


ZONES = """
policy zones
  issued 2010-01-01
entity zone
  group by city
  static city: text
  yearly score: integer
outcome above "高" is measure
rule above implements zones.1 cite "1" for zone when score > group_mean(score) then above
"""


def _zones(cities_2019, cities_2020):
    return pl.DataFrame({"id": ["a", "b", "c", "a", "b", "c"], "period": ["2019"] * 3 + ["2020"] * 3,
                         "city": cities_2019 + cities_2020, "score": [1, 2, 3, 3, 2, 1]})


@pytest.mark.parametrize("cities_2019,cities_2020", [
    (["X", "X", "Y"], [None, None, None]),  # on one block
    ([None, None, None], ["X", "X", "Y"]),
    (["X", None, "Y"], [None, "X", "Y"]),  # spread over both, agreeing
])
def test_static_attributes_read_block_by_block(tmp_path, cities_2019, cities_2020):
    policy_set = load_text(tmp_path, ZONES)
    frame = _zones(cities_2019, cities_2020)
    columnar = _columnar_decides_as_rows(policy_set, "zone", frame)
    assert sorted((d.entity, str(d.period)) for d in columnar.decisions) == [("a", "2020"), ("b", "2019")]  # c is alone in Y


def test_static_attributes_disagreeing_between_blocks_get_the_row_loaders_message(tmp_path):
    policy_set = load_text(tmp_path, ZONES)
    with pytest.raises(DataError, match="city"):
        policy_set.evaluate({"zone": _zones(["X", "X", "Y"], [None, "Z", None])}, executor="columnar")


QUARTERS = """
policy quarters
  issued 2010-01-01
entity firm
  quarterly grade: integer
  yearly size: integer
outcome slipping "滑" is measure
outcome large "大" is measure
rule slipping implements quarters.1 cite "1" for firm when streak(grade < 2) >= 2 then slipping
rule large implements quarters.2 cite "2" for firm when size > 5 then large
"""


@pytest.mark.parametrize("quarters,outcomes", [
    (["2019-Q4", "2020-Q1", "2020-Q2"], {"slipping"}),
    (["2020-Q2", "2019-Q4"], set()),  # 2020-Q1 missing: no streak of two
])
def test_blocks_of_quarters_decide_as_the_row_executor(tmp_path, quarters, outcomes):
    policy_set = load_text(tmp_path, QUARTERS)
    grades = {"2019-Q4": [1, 3], "2020-Q1": [1, 1], "2020-Q2": [0, 1]}
    frame = pl.concat([pl.DataFrame({"id": ["f", "g"], "period": [q, q], "grade": grades[q]}) for q in quarters])
    table = tables_from_frames({"firm": frame}, policy_set.program.entities)[0]["firm"]
    assert table.blocks is not None and table.kind == "quarter"  # no yearly rows: the yearly rule has none
    columnar = _columnar_decides_as_rows(policy_set, "firm", frame)
    assert {d.outcome for d in columnar.decisions} == outcomes


def test_batches_of_a_wide_table_with_integer_ids_decide_as_one_run():
    from policydsl.engine.columnar.batches import evaluate_batches

    w1 = policydsl.load(W1)
    wide = pl.DataFrame({"enterprise_id": list(range(40)),
                         **{f"r{y}": ["ABCD"[(i * (y - 2013) + i // 3) % 4] for i in range(40)]
                            for y in (2017, 2018, 2019, 2020)}})
    long = policydsl.long_from_wide(wide, id_column="enterprise_id",
                                    periods={str(y): f"r{y}" for y in (2017, 2018, 2019, 2020)}, fact="rating")
    whole = w1.evaluate({"enterprise": long}, period="2020", executor="columnar")
    batches = list(evaluate_batches(w1.plan, {"enterprise": long}, kind="enterprise", batch_rows=30,
                                    period=Period.parse("2020")))
    assert len(batches) > 3
    assert sorted(pair for b in batches for pair in b.active_outcomes("enterprise")) == \
        sorted(whole.active_outcomes("enterprise"))
    assert {e for b in batches for e, _ in b.active_outcomes("enterprise")} == {str(i) for i in range(40)}


def test_integer_ids_are_their_text_in_decisions_explanations_and_tables():
    w1 = policydsl.load(W1)
    frame = _blocks([2018, 2019, 2020])
    assert frame.schema["id"] == pl.Int64
    columnar = w1.evaluate({"enterprise": frame}, period="2020", executor="columnar")
    row = w1.evaluate({"enterprise": [{**r, "id": str(r["id"])} for r in frame.to_dicts()]}, period="2020")
    assert columnar.decisions == row.decisions
    assert {d.entity for d in columnar.decisions} == {"7", "8", "9", "10"}
    assert sorted(columnar.active_table("enterprise")["entity"].to_list()) == ["10", "7", "8", "9"]
    assert columnar.outcomes_by_entity("enterprise", "2020")["entity"].to_list() == ["7", "8", "9", "10"]
    why = columnar.explain("8", "exit", "2020")
    assert why.entity == "8" and why == row.explain("8", "exit", "2020")


def test_a_run_leaves_no_grid_to_the_cyclic_garbage_collector():
    # each frame's lowering refers back to the run's Frames: released at the end of the run, the
    # grids go at once, not when Python's cycle collector next runs (batches, services)
    import gc

    from policydsl.engine.columnar.across import Frames
    from policydsl.engine.columnar.lowering import FrameLowering

    w1 = policydsl.load(W1)
    frame = _blocks([2018, 2019, 2020])
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        result = w1.evaluate({"enterprise": frame}, period="2020", executor="columnar")
        assert result.decisions
        del result
        gc.collect()
        assert not [o for o in gc.garbage if isinstance(o, (Frames, FrameLowering))]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()


MISSING = """
policy missing
  issued 2010-01-01
entity zone
  static city: text
  yearly score: integer
outcome unreported "未报" is measure
rule unreported implements missing.1 cite "1" for zone when is_missing(score) then unreported
"""


def test_blocks_without_a_periodic_column_still_give_each_entity_its_records(tmp_path):
    # the rows carry no periodic fact at all: each (entity, period) is still a record, at which
    # the rule is evaluated (score missing: unreported)
    policy_set = load_text(tmp_path, MISSING)
    frame = pl.DataFrame({"id": ["a", "b", "a", "b"], "period": ["2019", "2019", "2020", "2020"],
                          "city": ["X", "Y", None, None]})
    columnar = _columnar_decides_as_rows(policy_set, "zone", frame)
    assert len(columnar.decisions) == 4


CHANGES = """
policy changes
  issued 2010-01-01
entity zone
  yearly score: integer
outcome rose "升" is measure
rule rose implements changes.1 cite "1" for zone when change(score) > 0 then rose
"""


@pytest.mark.parametrize("years", [[2017, 2018, 2019, 2020], [2020, 2019, 2017], [2018, 2020]])
def test_a_selected_period_starts_the_grid_inside_the_blocks(tmp_path, years):
    # `change` reads one year back: for 2020 the grid spans 2019-2020 only, the other blocks unread
    policy_set = load_text(tmp_path, CHANGES)
    scores = {2017: [5, 1], 2018: [1, 2], 2019: [2, 2], 2020: [3, 1]}
    frame = pl.concat([pl.DataFrame({"id": ["a", "b"], "period": [str(y)] * 2, "score": scores[y]}) for y in years])
    columnar = _columnar_decides_as_rows(policy_set, "zone", frame, "2020")
    assert [d.entity for d in columnar.decisions] == (["a"] if 2019 in years else [])


def test_two_blocks_of_one_period_are_a_duplicate_with_the_row_loaders_message(tmp_path):
    policy_set = load_text(tmp_path, CHANGES)
    frame = pl.DataFrame({"id": ["a", "b", "a", "b"], "period": ["2020"] * 4, "score": [1, 2, 3, 4]})
    with pytest.raises(DataError, match="duplicate row for `a` in 2020"):
        policy_set.evaluate({"zone": frame}, executor="columnar")


def test_an_integer_id_column_with_a_gap_gets_the_row_loaders_message(tmp_path):
    policy_set = load_text(tmp_path, CHANGES)
    frame = pl.DataFrame({"id": [1, None, 1, 2], "period": ["2019", "2019", "2020", "2020"], "score": [1, 2, 3, 4]})
    with pytest.raises(DataError, match="missing id"):
        policy_set.evaluate({"zone": frame}, executor="columnar")


WALKS = """
policy walks
  issued 2000-01-01
entity firm
  yearly grade: integer
outcome held "持" is measure
outcome first "首" is measure
outcome rose "升" is measure
outcome low_before "低" is measure
outcome often "常" is measure
value run for firm = streak(grade >= 2)
rule held implements walks.1 cite "1" for firm when run >= 3 then held
rule first implements walks.2 cite "2" for firm when first_time(grade = 4) then first
rule rose implements walks.3 cite "3" for firm when change(grade) >= 2 then rose
rule low_before implements walks.4 cite "4" for firm when previous(grade, 2) = 1 then low_before
rule often implements walks.5 cite "5" for firm when count_periods(grade >= 3, 4) >= 2 then often
rule zero implements walks.6 cite "6" for firm when grade = 0 then low_before, often
"""


def _walk_blocks(years: list[int], firms: int) -> pl.DataFrame:
    """One block per year, every firm in each; some grades unknown."""
    def grade(firm: int, year: int) -> int | None:
        value = (firm * 7 + year * 3 + firm * year) % 11
        return None if value == 10 else value % 5

    ids = [f"f{n}" for n in range(firms)]
    return pl.concat([pl.DataFrame({"id": ids, "period": [str(year)] * firms,
                                    "grade": [grade(n, year) for n in range(firms)]},
                                   schema={"id": pl.String, "period": pl.String, "grade": pl.Int64})
                      for year in years])


@pytest.mark.parametrize("years", [
    list(range(2005, 2018)),  # 13 periods: four doubling steps of a walk
    [2017, *range(2005, 2011), *range(2012, 2017)],  # blocks in any order, 2011 missing for everyone
])
@pytest.mark.parametrize("period", [None, "2017", "2012"])
def test_long_block_histories_walk_as_the_row_executor(tmp_path, years, period):
    """Every history walk over many blocks (unknown grades among them) decides as the row
    executor: the grid steps back one period's rows at a time, so a slip of one row would
    read another entity's history."""
    policy_set = load_text(tmp_path, WALKS)
    frame = _walk_blocks(years, 23)
    assert tables_from_frames({"firm": frame}, policy_set.program.entities)[0]["firm"].blocks is not None
    columnar = policy_set.evaluate({"firm": frame}, period=period, executor="columnar")
    row = policy_set.evaluate({"firm": frame.to_dicts()}, period=period)
    assert columnar.decisions == row.decisions
    if period is None:  # the data reaches every rule
        assert {d.outcome for d in row.decisions} == {"held", "first", "rose", "low_before", "often"}
    assert len(row.decisions) >= 5


def test_a_large_frame_decides_its_rules_without_payload_rule_by_rule_as_the_row_executor(tmp_path):
    """From `lowering.PLANNED` rows a frame's rules without payload take their fired rows out one
    rule at a time (below, one unpivoting query): the same decisions, two outcomes of one rule
    included."""
    policy_set = load_text(tmp_path, WALKS)
    frame = _walk_blocks(list(range(2005, 2018)), 800)
    assert frame.height >= PLANNED
    _columnar_decides_as_rows(policy_set, "firm", frame)


STATIC_WALKS = """
policy walks
  in_force_from 2010-01-01

entity firm
  static city: text
  yearly x: integer

entity zone
  yearly y: integer

outcome s2 is measure
outcome s1 is measure
outcome ft is measure
outcome pv is measure
outcome cp is measure

rule r1 implements walks.1 cite "1" "x" for firm when streak(city = "A") >= 2 then s2
rule r2 implements walks.2 cite "2" "x" for firm when streak(city = "A") = 1 then s1
rule r3 implements walks.3 cite "3" "x" for firm when first_time(city = "A") then ft
rule r4 implements walks.4 cite "4" "x" for firm when is_missing(previous(x)) then pv
rule r5 implements walks.5 cite "5" "x" for firm when count_periods(city = "A", 3) >= 2 then cp
"""


@pytest.mark.parametrize("years", [[2018, 2019], [2018, 2020]])  # the data's periods: in a row, or with a gap
@pytest.mark.parametrize("period", [None, "2018", "2020"])
def test_an_entity_of_static_attributes_only_has_records_in_the_datas_periods_and_no_other(tmp_path, years, period):
    # history walks over its static facts stop before the data's first period and at a gap (G4),
    # as on the row executor (`Run.has_record`); the grid looks back further than the data
    policies = load_text(tmp_path, STATIC_WALKS)
    data = {"firm": [{"id": "E1", "city": "A"}],
            "zone": [{"id": "Z1", "period": str(year), "y": 1} for year in years]}
    if period is not None and int(period) not in years:
        return
    row = policies.evaluate(data, period=period).decisions
    first = Period(int(period)) if period else Period(years[0])  # a streak of one there (also after the gap)
    assert {(d.period, d.outcome) for d in row if d.status == "active"} >= {(first, "s1")}
    assert policies.evaluate(data, period=period, executor="columnar").decisions == row
