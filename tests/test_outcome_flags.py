"""`Result.outcomes_by_entity`: the active decisions of a kind at a period as one row per entity,
a Boolean column per outcome — the same from both executors, ladders applied (a superseded
decision is not the entity's outcome), decisions the row executor made inside a columnar run
included, every entity of the kind a row (none: all false), integer ids as their text."""

from __future__ import annotations

import polars as pl
import pytest
from conftest import ROOT
from test_properties import load_text

import policydsl

W1 = ROOT / "bench" / "peers" / "w1.pol"


def _w1_long():
    wide = pl.DataFrame({"enterprise_id": [1, 2, 3, 4, 5],
                         "r2018": ["D", "D", "A", "C", "B"], "r2019": ["D", "D", "A", "C", "D"],
                         "r2020": ["D", "A", "D", "C", "D"]})
    return policydsl.long_from_wide(wide, id_column="enterprise_id",
                                    periods={"2018": "r2018", "2019": "r2019", "2020": "r2020"}, fact="rating")


def _as_sets(frame: pl.DataFrame) -> dict[str, set[str]]:
    outcomes = [c for c in frame.columns if c != "entity"]
    return {row["entity"]: {o for o in outcomes if row[o]} for row in frame.iter_rows(named=True)}


@pytest.mark.parametrize("executor", ["row", "columnar"])
def test_each_entity_gets_its_active_outcomes_with_ladders_applied(executor):
    w1 = policydsl.load(W1)
    long = _w1_long()
    result = w1.evaluate({"enterprise": long if executor == "columnar" else long.to_dicts()}, period="2020",
                         executor=executor)
    frame = result.outcomes_by_entity("enterprise", "2020")
    assert frame.columns == ["entity", "exit", "key_supervision", "priority_support", "rectify", "yellow_card"]
    assert frame.schema["entity"] == pl.String and all(frame.schema[c] == pl.Boolean for c in frame.columns[1:])
    # 1: three Ds in a row, so exit; yellow_card and rectify fired too but the ladder supersedes them
    assert _as_sets(frame) == {"1": {"exit"}, "2": {"priority_support"}, "3": {"rectify"},
                               "4": {"key_supervision"}, "5": {"yellow_card"}}
    # the same as the active decisions, one row per entity
    assert {(e, o) for e, os in _as_sets(frame).items() for o in os} == set(result.active_table("enterprise").rows())


@pytest.mark.parametrize("executor", ["row", "columnar"])
def test_a_period_without_decisions_gives_every_entity_a_row_of_false(executor):
    w1 = policydsl.load(W1)
    wide = pl.DataFrame({"enterprise_id": [1, 2], "r2017": [None, None], "r2018": ["D", "A"]},
                        schema={"enterprise_id": pl.Int64, "r2017": pl.String, "r2018": pl.String})
    long = policydsl.long_from_wide(wide, id_column="enterprise_id", periods={"2017": "r2017", "2018": "r2018"},
                                    fact="rating")
    result = w1.evaluate({"enterprise": long if executor == "columnar" else long.to_dicts()}, executor=executor)
    assert _as_sets(result.outcomes_by_entity("enterprise", "2017")) == {"1": set(), "2": set()}
    assert _as_sets(result.outcomes_by_entity("enterprise", "2018")) == {"1": {"rectify"}, "2": {"priority_support"}}


@pytest.mark.parametrize("executor", ["row", "columnar"])
def test_a_period_or_kind_the_run_did_not_evaluate_is_refused_not_answered_with_false(executor):
    """An answer of all false would read as "nothing happened": a misspelled kind, a period the
    data lacks, another period than the run selected, and one not ended by `as_of` are refused."""
    w1 = policydsl.load(W1)
    long = _w1_long()
    data = {"enterprise": long if executor == "columnar" else long.to_dicts()}
    result = w1.evaluate(data, period="2019", executor=executor)
    with pytest.raises(policydsl.SelectionError, match="period 2020 was not evaluated: the run selected 2019"):
        result.outcomes_by_entity("enterprise", "2020")
    everything = w1.evaluate(data, executor=executor)
    with pytest.raises(policydsl.SelectionError, match="no data for period 2021; nearest: 2020"):
        everything.outcomes_by_entity("enterprise", "2021")
    with pytest.raises(policydsl.SelectionError, match="no entity kind `enterprse` in the policies; "
                                                       "did you mean `enterprise`"):
        everything.outcomes_by_entity("enterprse", "2020")
    for method in (everything.active_table, everything.active_outcomes):
        with pytest.raises(policydsl.SelectionError, match="no entity kind `enterprse`"):
            method("enterprse")
    assert everything.active_table("document").height == 0  # documents' statuses are decisions of a kind too
    as_of = w1.evaluate(data, as_of="2020-06-30", executor=executor)
    with pytest.raises(policydsl.SelectionError, match="period 2020 was not evaluated: it had not ended on 2020-06-30"):
        as_of.outcomes_by_entity("enterprise", "2020")
    assert _as_sets(as_of.outcomes_by_entity("enterprise", "2019"))["1"] == {"yellow_card"}


@pytest.mark.parametrize("executor", ["row", "columnar"])
def test_a_run_over_some_entities_gives_rows_for_those_only(executor):
    long = _w1_long()
    result = policydsl.load(W1).evaluate({"enterprise": long if executor == "columnar" else long.to_dicts()},
                                         entities=["2", "5"], executor=executor)
    assert _as_sets(result.outcomes_by_entity("enterprise", "2020")) == {"2": {"priority_support"},
                                                                         "5": {"yellow_card"}}


@pytest.mark.parametrize("executor", ["row", "columnar"])
def test_an_outcome_named_like_the_id_column_needs_another_id_column(executor, tmp_path):
    policy = W1.read_text(encoding="utf-8").replace("outcome exit ", "outcome entity ").replace(
        "then exit", "then entity").replace("ladder d_escalation: rectify < yellow_card < exit",
                                            "ladder d_escalation: rectify < yellow_card < entity")
    path = tmp_path / "w1.pol"
    path.write_text(policy, encoding="utf-8")
    long = _w1_long()
    result = policydsl.load(path).evaluate({"enterprise": long if executor == "columnar" else long.to_dicts()},
                                           period="2020", executor=executor)
    with pytest.raises(ValueError, match="`entity` is the name of an outcome: pass another `id_column`"):
        result.outcomes_by_entity("enterprise", "2020")
    frame = result.outcomes_by_entity("enterprise", "2020", id_column="enterprise_id")
    assert frame.columns[0] == "enterprise_id" and frame.filter(pl.col("entity"))["enterprise_id"].to_list() == ["1"]


def test_the_period_is_required():
    result = policydsl.load(W1).evaluate({"enterprise": _w1_long()}, period="2020", executor="columnar")
    with pytest.raises(TypeError, match="period"):
        result.outcomes_by_entity("enterprise", None)
    with pytest.raises(TypeError, match="kind"):
        result.outcomes_by_entity(3, "2020")


SOURCE = """
policy flags
  issued 2010-01-01
entity zone
  yearly score: integer
outcome counted "计" is eligibility with fields (n: integer)
outcome rose "升" is measure
outcome low "低" is measure
rule counted implements flags.1 cite "1" for zone when score >= 2 then counted with (n = score)
rule rose implements flags.2 cite "2" for zone when change(score) > 0 then rose
rule low implements flags.3 cite "3" for zone when score < 1 then low
"""


def test_decisions_of_rules_the_row_executor_ran_inside_a_columnar_run_count(tmp_path):
    policy_set = load_text(tmp_path, SOURCE)
    rows = [{"id": zone, "period": year, "score": score}
            for zone, history in (("a", (1, 3)), ("b", (2, 0)), ("c", (0, None)))
            for year, score in zip(("2019", "2020"), history) if score is not None]
    columnar = policy_set.evaluate({"zone": pl.DataFrame(rows)}, period="2020", executor="columnar")
    assert "flags::counted" in columnar.evaluation.fallbacks  # a payload field: the row executor
    row = policy_set.evaluate({"zone": rows}, period="2020")
    expected = {"a": {"counted", "rose"}, "b": {"low"}, "c": set()}  # c has no 2020 record: no decision
    for result in (columnar, row):
        frame = result.outcomes_by_entity("zone", "2020")
        assert frame.columns == ["entity", "counted", "low", "rose"]
        assert _as_sets(frame) == expected


def test_a_deciders_result_answers_for_its_period_and_entity_only():
    """One decision (`decider(...).result`) evaluated one entity at one period: another period
    is refused as on the other executors, not answered with a row of false."""
    decide = policydsl.load(W1).decider("enterprise", period="2020")
    result = decide.result("E1", {"2019": {"rating": "D"}, "2020": {"rating": "D"}})
    assert _as_sets(result.outcomes_by_entity("enterprise", "2020")) == {"E1": {"yellow_card"}}
    with pytest.raises(policydsl.SelectionError, match="period 2019 was not evaluated: the run selected 2020"):
        result.outcomes_by_entity("enterprise", "2019")
