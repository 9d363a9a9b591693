"""The columnar executor (policydsl/engine/columnar) decides exactly as the row executor.

- on generated policies and data (the strategies of test_properties), every decision, status
  and payload is identical, and every explanation shows the batch decision's values;
- every shipped scenario passes on it;
- exact boundaries: a fall of exactly 20.0 from 0.4/0.6 weights, a growth equal to the city
  mean after division, integers that would overflow 64 bits (the rule falls back, correctly);
- Polars frames in: the row loader's located messages for bad data; a wide table reshaped;
- `dump --stage plan` names the rules that run on the row executor and why.
"""

from __future__ import annotations

from fractions import Fraction

import polars as pl
import pytest
from conftest import ROOT
from hypothesis import given
from test_properties import SETTINGS, datasets, load_text, policies
from test_scenarios import CASES, _policies

import policydsl
from policydsl.cli import main
from policydsl.diagnostics import DataError
from policydsl.engine.data import dataset_from_mapping
from policydsl.tools.scenarios import run_case


def _generated(tmp_path_factory, policy, data):
    text, rules = policy
    policy_set = load_text(tmp_path_factory.mktemp("p"), text + "\n" + "\n".join(rules) + "\n")
    return policy_set, dataset_from_mapping(data, policy_set.program.entities)


@SETTINGS
@given(policy=policies(), data=datasets())
def test_columnar_decisions_equal_row_decisions(tmp_path_factory, policy, data):
    policy_set, dataset = _generated(tmp_path_factory, policy, data)
    row = policy_set.evaluate(dataset).decisions
    columnar = policy_set.evaluate(dataset, executor="columnar")
    assert columnar.decisions == row
    # the same from a Polars frame of the rows
    framed = policy_set.evaluate({"unit": pl.DataFrame(data["unit"], infer_schema_length=None)},
                                 executor="columnar")
    assert framed.decisions == row
    # condition results: true, false, unknown alike
    as_set = {(r.rule, r.entity, r.period, r.condition if isinstance(r.condition, bool) else None)
              for r in policy_set.evaluate(dataset).evaluation.results}
    assert {(r.rule, r.entity, r.period, r.condition if isinstance(r.condition, bool) else None)
            for r in columnar.evaluation.results} == as_set


@SETTINGS
@given(policy=policies(), data=datasets())
def test_explanations_of_a_columnar_run_show_the_batch_values(tmp_path_factory, policy, data):
    policy_set, dataset = _generated(tmp_path_factory, policy, data)
    result = policy_set.evaluate(dataset, executor="columnar")
    batch = set(result.decisions)
    for decision in result.decisions:
        explanation = result.explain(decision.entity, decision.outcome, decision.period)
        # the explained decision (amount, status, winner included) is one the batch made
        assert explanation.decision in batch
        assert explanation.decision.outcome == decision.outcome and explanation.decision.period == decision.period
        assert all(trace.fired for trace in explanation.rules)


@pytest.mark.parametrize("file,case", CASES, ids=[f"{f.parent.parent.name}:{c['name'][:60]}" for f, c in CASES])
def test_scenario_on_the_columnar_executor(file, case):
    result = run_case(_policies(file.parent.parent), str(file), case, executor="columnar")
    assert result.passed, "\n\n".join(result.failures)


BOUNDARIES = """
policy exact
  issued 2015-01-01
entity zone
  group by city
  static city: text
  yearly previous_score: decimal
  yearly score: decimal
  yearly weight_a: decimal
  yearly weight_b: decimal
  yearly growth: integer
  yearly big: integer
value composite for zone = 0.4 * weight_a + 0.6 * weight_b
value fall for zone = previous(composite) - composite
outcome fell_twenty "后退20" is sanction
outcome below_mean "低于平均" is sanction
outcome at_mean "等于平均" is measure
outcome huge "大" is measure
rule fell_twenty implements exact.1 cite "1" for zone when fall >= 20 then fell_twenty
rule below_mean implements exact.2 cite "2" for zone when growth / 3 < group_mean(growth / 3) then below_mean
rule at_mean implements exact.3 cite "3" for zone when growth / 3 = group_mean(growth / 3) then at_mean
rule huge implements exact.4 cite "4" for zone when big * big * big > 1 then huge
"""


def _boundaries(tmp_path):
    return load_text(tmp_path, BOUNDARIES)


def test_boundaries_decide_exactly_as_with_fractions(tmp_path):
    policy_set = _boundaries(tmp_path)
    rows = [
        # composite 2019: 0.4*50 + 0.6*50 = 50; 2020: 0.4*20 + 0.6*35 = 29; fall = 21
        {"id": "Z1", "period": "2019", "city": "C", "weight_a": "50", "weight_b": "50", "growth": 1, "big": 1},
        {"id": "Z1", "period": "2020", "city": "C", "weight_a": "20", "weight_b": "35", "growth": 1, "big": 1},
        # fall of exactly 20.0: 50 -> 30 (0.4*30 + 0.6*30)
        {"id": "Z2", "period": "2019", "city": "C", "weight_a": "50", "weight_b": "50", "growth": 2, "big": 1},
        {"id": "Z2", "period": "2020", "city": "C", "weight_a": "30", "weight_b": "30", "growth": 2, "big": 1},
        # a fall of 19.99...: 0.4*30.01 + 0.6*30.01 = 30.01
        {"id": "Z3", "period": "2019", "city": "C", "weight_a": "50", "weight_b": "50", "growth": 3, "big": 1},
        {"id": "Z3", "period": "2020", "city": "C", "weight_a": "30.01", "weight_b": "30.01", "growth": 3,
         "big": 3_000_000},
    ]
    row = policy_set.evaluate({"zone": rows}).decisions
    columnar = policy_set.evaluate({"zone": rows}, executor="columnar")
    assert columnar.decisions == row
    fired = {(d.entity, str(d.period), d.outcome) for d in row}
    # growth/3 of 1, 2, 3 has the city mean exactly 2/3 in 2020: Z2 is at the mean, Z1 below
    assert {("Z1", "2020", "fell_twenty"), ("Z2", "2020", "fell_twenty"), ("Z2", "2020", "at_mean"),
            ("Z1", "2020", "below_mean"), ("Z3", "2020", "huge")} <= fired
    assert ("Z3", "2020", "fell_twenty") not in fired
    # 3e6 cubed overflows 64-bit integers: that rule ran on the row executor, and said so
    assert "exact::huge" in columnar.evaluation.fallbacks
    assert "64-bit" in columnar.evaluation.fallbacks["exact::huge"]


def test_bad_data_in_a_frame_gets_the_row_loaders_located_message(tmp_path):
    policy_set = _boundaries(tmp_path)
    frame = pl.DataFrame({"id": ["Z1", "Z1"], "period": ["2019", "20x0"], "city": ["C", "C"], "growth": [1, 2]})
    with pytest.raises(DataError) as caught:
        policy_set.evaluate({"zone": frame}, executor="columnar")
    with pytest.raises(DataError) as expected:
        dataset_from_mapping({"zone": frame.to_dicts()}, policy_set.program.entities)
    assert caught.value.problems == expected.value.problems
    assert "row 2" in caught.value.problems[0] and "period" in caught.value.problems[0]


def test_duplicate_rows_in_a_frame_are_reported(tmp_path):
    policy_set = _boundaries(tmp_path)
    frame = pl.DataFrame({"id": ["Z1", "Z1"], "period": ["2019", "2019"], "growth": [1, 2]})
    with pytest.raises(DataError, match="duplicate row"):
        policy_set.evaluate({"zone": frame}, executor="columnar")


def test_a_wide_table_is_reshaped_into_long_rows():
    wide = pl.DataFrame({"enterprise_id": [7, 8], "r2019": ["A", "D"], "r2020": ["D", "D"], "zone": ["Z", "Y"]})
    long = policydsl.long_from_wide(wide, id_column="enterprise_id", periods={"2019": "r2019", "2020": "r2020"},
                                    fact="rating")
    assert sorted(long.rows()) == [("7", "2019", "A", "Z"), ("7", "2020", "D", "Z"),
                                   ("8", "2019", "D", "Y"), ("8", "2020", "D", "Y")]
    assert long.columns == ["id", "period", "rating", "zone"]


def test_the_peer_workloads_decide_alike_on_both_executors():
    w1 = policydsl.load(ROOT / "bench" / "peers" / "w1.pol")
    history = {"1": "ABDCDD", "2": "DDDDDD", "3": "AAAAAD", "4": "ABCDAC", "5": "DADDAB"}
    rows = [{"id": e, "period": str(2015 + i), "rating": r} for e, h in history.items() for i, r in enumerate(h)]
    row = w1.evaluate({"enterprise": rows}, period="2020")
    columnar = w1.evaluate({"enterprise": rows}, period="2020", executor="columnar")
    assert columnar.decisions == row.decisions
    assert dict(columnar.active_outcomes("enterprise")) == {
        "1": "yellow_card", "2": "exit", "3": "rectify", "4": "key_supervision", "5": "priority_support"}


def test_plan_dump_names_rules_that_fall_back_and_why(capsys):
    assert main(["dump", "--stage", "plan", str(ROOT / "policies")]) == 0
    out = capsys.readouterr().out
    section = out.split("columnar executor (--executor columnar):", 1)[1]
    assert ": columnar" in section
    assert "row executor: a reference to another entity (`ref`)" in section


def test_unknown_executor_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="unknown executor"):
        _boundaries(tmp_path).evaluate({"zone": []}, executor="gpu")


def test_amounts_stay_exact_fractions(tmp_path):
    text = """
policy money
  issued 2015-01-01
entity zone
  yearly revenue: money
outcome paid "奖励" is reward with amount
rule pay implements money.1 cite "1" for zone when revenue > 0 then paid amount revenue / 3
"""
    policy_set = load_text(tmp_path, text)
    rows = [{"id": "Z", "period": "2020", "revenue": "10.1"}]
    decision, = policy_set.evaluate({"zone": rows}, executor="columnar").decisions
    assert decision.amount == Fraction(101, 30)


def test_eval_on_the_columnar_executor_prints_what_the_row_executor_prints(capsys):
    common = ["eval", str(ROOT / "policies"), "--data", str(ROOT / "examples" / "province"), "--period", "2016",
              "--format", "json"]
    assert main(common) == 0
    row = capsys.readouterr().out
    assert main([*common, "--executor", "columnar"]) == 0
    assert capsys.readouterr().out == row


def test_entities_with_static_attributes_only_are_evaluated_at_every_period_alike(tmp_path):
    text = """
policy statics
  issued 2015-01-01
entity zone
  group by city
  static city: text
  static size: integer
  yearly score: integer
outcome big "大" is measure
outcome top_score "第一" is measure
rule big implements statics.1 cite "1" for zone when size > group_mean(size) then big
rule top_score implements statics.2 cite "2" for zone when rank(size) = 1 and count_periods(size > 1, 3) >= 2
  then top_score
"""
    policy_set = load_text(tmp_path, text)
    rows = [{"id": "Z1", "city": "C", "size": 5}, {"id": "Z2", "city": "C", "size": 1},
            {"id": "Z3", "period": "2019", "city": "C", "size": 3, "score": 1},
            {"id": "Z3", "period": "2020", "score": 2}]
    row = policy_set.evaluate({"zone": rows}).decisions
    assert {("Z1", "2019", "big"), ("Z1", "2020", "top_score")} <= {(d.entity, str(d.period), d.outcome) for d in row}
    assert policy_set.evaluate({"zone": rows}, executor="columnar").decisions == row


def test_as_of_decides_alike_on_both_executors(capsys):
    common = ["eval", str(ROOT / "policies"), "--data", str(ROOT / "examples" / "province"), "--as-of",
              "2016-06-30", "--format", "json"]
    assert main(common) == 0
    row = capsys.readouterr().out
    assert main([*common, "--executor", "columnar"]) == 0
    assert capsys.readouterr().out == row


def test_batches_of_whole_groups_decide_as_one_run():
    from policydsl.engine.columnar.batches import batch_ids, evaluate_batches

    w2 = policydsl.load(ROOT / "bench" / "peers" / "w2.pol")
    rows = []
    for zone in range(12):
        rows.append({"id": f"Z{zone}", "city_id": zone % 3})
        rows.append({"id": f"Z{zone}", "period": "2019", "provincial_rank": zone + 1})
        rows.append({"id": f"Z{zone}", "period": "2020", "provincial_rank": (zone * 7) % 12 + 1,
                     "tax_growth_bp": zone * 10, "va_growth_bp": 5, "fai_growth_bp": 12 - zone})
    frame = pl.DataFrame(rows, infer_schema_length=None)
    whole = w2.evaluate({"zone": frame}, executor="columnar").decisions
    batches = list(evaluate_batches(w2.plan, {"zone": frame}, kind="zone", batch_rows=10))
    assert len(batches) == 3  # one city (12 rows) per batch
    assert tuple(sorted((d for b in batches for d in b.decisions), key=lambda d: (d.entity, str(d.period), d.rule))) \
        == tuple(sorted(whole, key=lambda d: (d.entity, str(d.period), d.rule)))
    # every batch holds whole cities
    for ids in batch_ids(frame, "city_id", 10):
        assert len({int(i[1:]) % 3 for i in ids}) == 1


def test_a_plan_ranking_every_entity_is_not_cut_into_batches(tmp_path):
    from policydsl.engine.columnar.batches import BatchError, evaluate_batches

    policy_set = load_text(tmp_path, """
policy everyone
  issued 2015-01-01
entity zone
  yearly score: integer
outcome first "第一" is measure
rule first implements everyone.1 cite "1" for zone when rank(score, within: all) = 1 then first
""")
    with pytest.raises(BatchError, match="within: all"):
        list(evaluate_batches(policy_set.plan, {"zone": pl.DataFrame({"id": ["a"], "period": ["2020"], "score": [1]})},
                              kind="zone"))


PLAIN = """
policy plain
  issued 2015-01-01
entity zone
  group by city
  static city: text
  yearly growth: integer
outcome grew "增长" is measure
outcome above "高于平均" is measure
rule grew implements plain.1 cite "1" for zone when growth > 2 then grew
rule above implements plain.2 cite "2" for zone when growth > group_mean(growth) then above
"""


def _plain(tmp_path):
    policy_set = load_text(tmp_path, PLAIN)
    assert not _fallbacks(policy_set)  # every rule columnar: the frame path alone reads the data
    return policy_set


def _fallbacks(policy_set):
    frame = pl.DataFrame({"id": ["Z1"], "period": ["2019"], "city": ["C"], "growth": [1]})
    return policy_set.evaluate({"zone": frame}, executor="columnar").evaluation.fallbacks


@pytest.mark.parametrize("ids,periods", [
    (["Z1", "Z2", "Z1", "Z2"], ["2019", "2019", "2019", "2020"]),  # period after period, a block of two years
    (["Z1", "Z1", "Z2", "Z2"], ["2019", "2019", "2019", "2020"]),  # entity after entity
    (["Z2", "Z1", "Z1", "Z3"], ["2019", "2019", "2019", "2019"]),  # no layout
])
def test_duplicate_rows_are_found_whatever_the_layout(tmp_path, ids, periods):
    frame = pl.DataFrame({"id": ids, "period": periods, "city": ["C"] * 4, "growth": [1, 2, 3, 4]})
    with pytest.raises(DataError, match="duplicate row for `Z1` in 2019"):
        _plain(tmp_path).evaluate({"zone": frame}, executor="columnar")


@pytest.mark.parametrize("column,values", [
    ("id", [" Z1", "Z1 ", "Z2", "Z2"]),  # padded ids: the row loader strips them
    ("city", ["C ", "C ", "C", "C"]),  # a padded text
    ("city", ["Cafe\u0301", "Cafe\u0301", "Café", "Café"]),  # not NFC: the row loader normalises it
])
def test_frames_decide_as_the_row_loader_reads_them(tmp_path, column, values):
    policy_set = _plain(tmp_path)
    data = {"id": ["Z1", "Z1", "Z2", "Z2"], "period": ["2019", "2020", "2019", "2020"], "city": ["C"] * 4,
            "growth": [1, 5, 3, 2]}
    data[column] = values
    frame = pl.DataFrame(data)
    row = policy_set.evaluate({"zone": frame.to_dicts()}).decisions
    assert {(d.entity, d.outcome) for d in row} >= {("Z2", "above"), ("Z1", "above")}  # one group
    assert policy_set.evaluate({"zone": frame}, executor="columnar").decisions == row


@pytest.mark.parametrize("column,values,message", [
    ("period", ["2019", "2250"], "out of range"),  # a period the data contract refuses
    ("city", ["C", "D"], "has city"),  # a static attribute given twice, differently
    ("id", ["Z1", ""], "missing id"),
])
def test_bad_frames_get_the_row_loaders_message(tmp_path, column, values, message):
    data = {"id": ["Z1", "Z1"], "period": ["2019", "2020"], "city": ["C", "C"], "growth": [1, 2]}
    data[column] = values
    with pytest.raises(DataError, match=message):
        _plain(tmp_path).evaluate({"zone": pl.DataFrame(data)}, executor="columnar")


def test_long_rows_from_a_wide_table_decide_as_rows_do():
    w1 = policydsl.load(ROOT / "bench" / "peers" / "w1.pol")
    wide = pl.DataFrame({"enterprise_id": [1, 2, 3, 4], "r2019": ["D", "D", "A", "C"], "r2020": ["D", "A", "D", "C"]})
    long = policydsl.long_from_wide(wide, id_column="enterprise_id", periods={"2019": "r2019", "2020": "r2020"},
                                    fact="rating")
    assert isinstance(long.schema["period"], pl.Enum)
    row = w1.evaluate({"enterprise": long.to_dicts()}, period="2020")
    columnar = w1.evaluate({"enterprise": long}, period="2020", executor="columnar")
    assert columnar.decisions == row.decisions
    assert sorted(columnar.active_table("enterprise").rows()) == sorted(row.active_outcomes("enterprise"))
    assert sorted(columnar.active_table("enterprise").rows()) == [
        ("1", "yellow_card"), ("2", "priority_support"), ("3", "rectify"), ("4", "key_supervision")]
