"""The columnar executor (policydsl/engine/columnar) decides exactly as the row executor.

- on generated policies and data (the strategies of test_properties), every decision, status
  and payload is identical, and every explanation shows the batch decision's values;
- every shipped scenario passes on it;
- exact boundaries: a fall of exactly 20.0 from 0.4/0.6 weights, a growth equal to the city
  mean after division, integers that would overflow 64 bits (the rule falls back, correctly);
- Polars frames in: the row loader's located messages for bad data; a wide table reshaped;
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import polars as pl
import pytest
from conftest import ROOT
from differential import comparable
from hypothesis import given
from test_properties import SETTINGS, datasets, load_text, policies
from test_scenarios import CASES, _policies

import policydsl
from policydsl.cli import main
from policydsl.diagnostics import DataError
from policydsl.engine.columnar.execute import evaluate_columnar
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
    """`explain` and `why_not` of a columnar run re-evaluate the entity on the row executor: the
    decision they explain is the batch's, and every derived value and condition they show is the
    one the batch computed (its own columns, `keep_values`)."""
    policy_set, dataset = _generated(tmp_path_factory, policy, data)
    result = policy_set.evaluate(dataset, executor="columnar")
    batch = set(result.decisions)
    computed = evaluate_columnar(policy_set.plan, dataset, keep_values=True)
    # (explanations name periods as text)
    conditions = {(r.rule, r.entity, str(r.period)): comparable(r.condition) for r in computed.results}
    values = {(kind, name, entity, str(period)): comparable(value)
              for (kind, name, entity, period), value in computed.values.items()}
    kinds = {name: kind for kind, name in policy_set.program.values}
    checked = []

    def same_values(explanation) -> None:
        for trace in explanation.rules:
            if trace.condition is None:
                continue
            key = (trace.rule, explanation.entity, str(explanation.period))
            if key in conditions:
                shown = comparable(trace.condition.value)
                # a rule result is unknown where its condition holds and its payload is not evaluable
                assert shown == conditions[key] or (conditions[key] == "unknown" and shown is True), key
                checked.append(key)
            pending = [trace.condition]
            while pending:
                node = pending.pop()
                pending.extend(node.children)
                batch_key = (kinds.get(node.text), node.text, node.entity, str(node.period))
                if node.kind == "value" and batch_key in values:
                    assert comparable(node.value) == values[batch_key], batch_key
                    checked.append(batch_key)

    for decision in result.decisions:
        explanation = result.explain(decision.entity, decision.outcome, decision.period)
        # the explained decision (amount, status, winner included) is one the batch made
        assert explanation.decision in batch
        assert explanation.decision.outcome == decision.outcome and explanation.decision.period == decision.period
        assert all(trace.fired for trace in explanation.rules)
        same_values(explanation)
    for rule_result in computed.results[:30]:  # why not, where it did not fire too
        rule = next(r for r in policy_set.program.rules if r.name == rule_result.rule)
        same_values(result.why_not(rule_result.entity, rule.consequences[0].outcome, str(rule_result.period)))
    assert checked or not computed.results  # (the keys meet: a test that compares nothing cannot fail)


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
    # the ids keep their type (whole numbers: the engine reads them as their text)
    assert sorted(long.rows()) == [(7, "2019", "A", "Z"), (7, "2020", "D", "Z"),
                                   (8, "2019", "D", "Y"), (8, "2020", "D", "Y")]
    assert long.columns == ["id", "period", "rating", "zone"]
    assert long.schema["id"] == pl.Int64


def test_a_wide_table_with_a_period_all_blank_is_reshaped_and_decides_as_rows_do():
    # an all-blank column reads as Null: the periods' columns are stacked in their common type
    wide = pl.DataFrame({"enterprise_id": [7, 8], "r2019": [None, None], "r2020": ["D", "C"]})
    long = policydsl.long_from_wide(wide, id_column="enterprise_id", periods={"2019": "r2019", "2020": "r2020"},
                                    fact="rating")
    assert sorted(long.rows()) == [(7, "2019", None), (7, "2020", "D"), (8, "2019", None), (8, "2020", "C")]
    w1 = policydsl.load(ROOT / "bench" / "peers" / "w1.pol")
    columnar = w1.evaluate({"enterprise": long}, period="2020", executor="columnar")
    assert columnar.decisions == w1.evaluate({"enterprise": long.to_dicts()}, period="2020").decisions


def test_a_wide_table_without_a_column_it_is_read_by_is_a_clear_error():
    wide = pl.DataFrame({"enterprise_id": [7], "r2019": ["A"], "r2020": ["D"]})
    with pytest.raises(ValueError, match=r"no column `r2021`; did you mean `r2020`"):
        policydsl.long_from_wide(wide, id_column="enterprise_id", periods={"2019": "r2019", "2021": "r2021"},
                                 fact="rating")
    with pytest.raises(ValueError, match=r"no column `id`"):
        policydsl.long_from_wide(wide, id_column="id", periods={"2019": "r2019"}, fact="rating")

def test_the_peer_workloads_decide_alike_on_both_executors():
    w1 = policydsl.load(ROOT / "bench" / "peers" / "w1.pol")
    history = {"1": "ABDCDD", "2": "DDDDDD", "3": "AAAAAD", "4": "ABCDAC", "5": "DADDAB"}
    rows = [{"id": e, "period": str(2015 + i), "rating": r} for e, h in history.items() for i, r in enumerate(h)]
    row = w1.evaluate({"enterprise": rows}, period="2020")
    columnar = w1.evaluate({"enterprise": rows}, period="2020", executor="columnar")
    assert columnar.decisions == row.decisions
    assert dict(columnar.active_outcomes("enterprise")) == {
        "1": "yellow_card", "2": "exit", "3": "rectify", "4": "key_supervision", "5": "priority_support"}


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


# ---- constructs lowered to Polars (each decides as the row executor, with no fallback) ----------

def _columnar_alike(policy_set, rows, **options):
    """The columnar run's decisions and rule results, checked equal to the row executor's; every rule
    ran columnar. Returns {(entity, period, outcome): value or amount}."""
    row = policy_set.evaluate(rows, **options)
    columnar = policy_set.evaluate(rows, executor="columnar", **options)
    assert columnar.evaluation.fallbacks == {}
    assert columnar.decisions == row.decisions

    def results(evaluation):
        return {(r.rule, r.entity, r.period, r.condition if isinstance(r.condition, bool) else None)
                for r in evaluation.results}
    assert results(columnar.evaluation) == results(row.evaluation)
    # every derived value the columnar run computed is the row executor's
    as_of = options.get("as_of")
    kept = evaluate_columnar(policy_set.plan, rows, keep_values=True,
                             as_of=dt.date.fromisoformat(as_of) if as_of else None).values
    run = row.evaluation.run
    assert bool(kept) == bool(policy_set.program.values)
    for (kind, name, entity, period), value in kept.items():
        assert comparable(value) == comparable(run.derived(kind, name, entity, period)), (name, entity, period)
    return {(d.entity, str(d.period), d.outcome): d.value if d.value is not None else d.amount
            for d in row.decisions}


CALENDAR = """
policy cal
  issued 2010-01-01
entity unit
  static appointed: date
  yearly done_on: date
  yearly score: integer
  quarterly qscore: integer
value anniversary for unit: date = appointed + 1 year
outcome moved "移动" is computed with value: date
outcome back "回退" is computed with value: date
outcome served "满一年" is measure
outcome q_end "季末" is computed with value: date
outcome q_start "季初" is computed with value: date
outcome on_time "按期" is measure
outcome as_of_day "评估日" is computed with value: date
outcome far "远" is measure
outcome earliest "较早" is computed with value: date
rule moved implements cal.1 cite "1" for unit when score >= 0 then moved = anniversary + 1 month
rule back implements cal.2 cite "2" for unit when score >= 0 then back = appointed - 1 month - 30 days
rule served implements cal.3 cite "3" for unit when anniversary <= period_end - 10 months then served
rule q_end implements cal.4 cite "4" for unit when qscore >= 0 then q_end = period_end
rule q_start implements cal.5 cite "5" for unit when qscore >= 1 then q_start = period_start + 12 months
rule on_time implements cal.6 cite "6" for unit when done_on <= evaluation_date - 3 months then on_time
rule as_of_day implements cal.7 cite "7" for unit when score >= 0 then as_of_day = evaluation_date
rule far implements cal.8 cite "8" for unit when is_missing(appointed - 1000 years - 1000 years) then far
rule earliest implements cal.9 cite "9" for unit when score >= 0 then earliest = min(appointed, done_on)
"""


def test_dates_move_by_the_calendar_as_the_row_executor_moves_them(tmp_path):
    policy_set = load_text(tmp_path, CALENDAR)
    rows = [
        {"id": "leap", "appointed": "2016-02-29"},  # + 1 year: 2017-02-28 (no 29 February)
        {"id": "leap", "period": "2017", "score": 1, "done_on": "2017-09-30"},
        {"id": "month_end", "appointed": "2017-01-31"},  # + 1 year + 1 month: 2018-02-28
        {"id": "month_end", "period": "2017", "score": 1, "done_on": "2017-10-01"},
        {"id": "month_end", "period": "2017-Q1", "qscore": 1},
        {"id": "month_end", "period": "2017-Q4", "qscore": 0},
        {"id": "early", "appointed": "1900-01-31"},
        {"id": "early", "period": "2017", "score": 0},
    ]
    found = _columnar_alike(policy_set, {"unit": rows})
    assert found[("leap", "2017", "moved")] == dt.date(2017, 3, 28)
    assert found[("month_end", "2017", "moved")] == dt.date(2018, 2, 28)
    assert found[("leap", "2017", "back")] == dt.date(2015, 12, 30)  # 01-29, then 30 days back
    assert found[("month_end", "2017", "back")] == dt.date(2016, 12, 1)  # 12-31, then 30 days back
    # 2017-02-28 <= 2017-12-31 - 10 months = 2017-02-28: on the boundary
    assert ("leap", "2017", "served") in found and ("month_end", "2017", "served") not in found
    assert found[("month_end", "2017-Q1", "q_end")] == dt.date(2017, 3, 31)
    assert found[("month_end", "2017-Q4", "q_end")] == dt.date(2017, 12, 31)
    assert found[("month_end", "2017-Q1", "q_start")] == dt.date(2018, 1, 1)
    assert ("month_end", "2017-Q4", "q_start") not in found
    # evaluated on 2017-12-31: 2017-09-30 is on the boundary, 2017-10-01 after it
    assert ("leap", "2017", "on_time") in found and ("month_end", "2017", "on_time") not in found
    # two thousand years before 1900 is before year 1: unknown, as dateutil makes it
    assert ("early", "2017", "far") in found and ("leap", "2017", "far") not in found
    assert ("early", "2017", "earliest") not in found  # no done_on: min is unknown
    assert found[("leap", "2017", "earliest")] == dt.date(2016, 2, 29)
    # as of a date, the evaluation date is that day
    as_of = _columnar_alike(policy_set, {"unit": rows}, as_of="2018-03-31")
    assert as_of[("leap", "2017", "as_of_day")] == dt.date(2018, 3, 31)


PERCENTS = """
policy pct
  issued 2010-01-01
entity unit
  group by city
  static city: text
  yearly share: percent
  yearly revenue: money
  yearly ratio: decimal
value share_of_revenue for unit: money = revenue * share
value doubled for unit: percent = share + share
outcome high_share "高占比" is measure
outcome paid "奖励" is reward with amount
outcome shown "显示" is computed with value: percent
outcome rounded "取整" is computed with value: decimal
outcome above_mean "高于平均" is measure
rule high_share implements pct.1 cite "1" for unit when share >= 12.5% and doubled < 50% then high_share
rule paid implements pct.2 cite "2" for unit when share_of_revenue > 0 then paid amount share_of_revenue
rule shown implements pct.3 cite "3" for unit when share > 0% then shown = round(share / 3, 1)
rule rounded implements pct.4 cite "4" for unit when is_missing(ratio) = false then rounded = round(ratio, 1)
rule above_mean implements pct.5 cite "5" for unit when share > group_mean(share) then above_mean
"""


def test_percents_are_exact_ratios_and_round_half_away_from_zero(tmp_path):
    policy_set = load_text(tmp_path, PERCENTS)
    rows = [
        {"id": "a", "period": "2020", "city": "C", "share": "12.5", "revenue": "3", "ratio": "0.25"},
        {"id": "b", "period": "2020", "city": "C", "share": "12.4", "revenue": "1", "ratio": "-0.25"},
        {"id": "c", "period": "2020", "city": "C", "share": "25", "revenue": "0", "ratio": "0.249"},
        {"id": "d", "period": "2020", "city": "C", "share": "1.05", "ratio": "-0.35"},
    ]
    found = _columnar_alike(policy_set, {"unit": rows})
    from policydsl.values import Percent
    assert ("a", "2020", "high_share") in found and ("b", "2020", "high_share") not in found
    assert ("c", "2020", "high_share") not in found  # doubled is 50%, not below
    assert found[("a", "2020", "paid")] == Fraction(3, 8)
    assert found[("a", "2020", "shown")] == Percent.shown_as(Fraction(42, 10))  # 4.1666..% -> 4.2%
    assert found[("d", "2020", "shown")] == Percent.shown_as(Fraction(4, 10))  # 0.35% -> 0.4%: half away
    assert found[("a", "2020", "rounded")] == Fraction(3, 10)
    assert found[("b", "2020", "rounded")] == Fraction(-3, 10)
    assert found[("c", "2020", "rounded")] == Fraction(2, 10)
    assert found[("d", "2020", "rounded")] == Fraction(-4, 10)
    # the city mean of 12.5, 12.4, 25, 1.05 is 12.7375%: only c is above it
    assert {e for e, _, o in found if o == "above_mean"} == {"c"}


def test_an_amount_divided_by_a_missing_fact_is_unknown_and_the_rule_does_not_fire(tmp_path):
    policy_set = load_text(tmp_path, """
policy divide
  issued 2010-01-01
entity unit
  yearly revenue: money
  yearly ratio: decimal
  yearly flag: boolean
outcome paid "奖励" is reward with amount
rule paid implements divide.1 cite "1" for unit when flag then paid amount revenue / ratio
""")
    rows = [{"id": "u", "period": "2018", "flag": True, "revenue": "10"},
            {"id": "v", "period": "2018", "flag": True, "revenue": "10", "ratio": "0"},
            {"id": "w", "period": "2018", "flag": True, "revenue": "10", "ratio": "4"}]
    assert _columnar_alike(policy_set, {"unit": rows}) == {("w", "2018", "paid"): Fraction(5, 2)}


REFERENCES = """
policy refs
  issued 2010-01-01
entity province
  static title: text
entity city
  static province: ref province
  yearly budget: money
entity zone
  static city: ref city
  yearly score: integer
value city_budget for zone: money = city.budget
value province_title for zone = city.province.title
outcome rich "富" is measure
outcome grew "增" is measure
outcome henan "河南" is measure
rule rich implements refs.1 cite "1" for zone when score >= 0 and city_budget >= 10 then rich
rule grew implements refs.2 cite "2" for zone when previous(city.budget) < city.budget then grew
rule henan implements refs.3 cite "3" for zone when province_title = "河南" then henan
"""


def test_references_read_the_referenced_entity_at_the_same_period(tmp_path):
    policy_set = load_text(tmp_path, REFERENCES)
    rows = {
        "province": [{"id": "P", "title": "河南"}],
        "city": [{"id": "C", "province": "P"}, {"id": "C", "period": "2019", "budget": "10"},
                 {"id": "C", "period": "2020", "budget": "12"},
                 {"id": "D", "province": "nowhere"}, {"id": "D", "period": "2020", "budget": "9.99"}],
        "zone": [{"id": "in_c", "city": "C"}, {"id": "in_c", "period": "2019", "score": 1},
                 {"id": "in_c", "period": "2020", "score": 1},
                 {"id": "in_d", "city": "D"}, {"id": "in_d", "period": "2020", "score": 1},
                 {"id": "dangling", "city": "X"}, {"id": "dangling", "period": "2020", "score": 1},
                 {"id": "no_city", "period": "2020", "score": 1}],
    }
    found = _columnar_alike(policy_set, rows)
    assert {k for k in found if k[2] == "rich"} == {("in_c", "2019", "rich"), ("in_c", "2020", "rich")}
    assert {k for k in found if k[2] == "grew"} == {("in_c", "2020", "grew")}
    # two hops; a province id no province has, a city id no city has, no city: unknown
    assert {k[0] for k in found if k[2] == "henan"} == {"in_c"}


MEMBERS = """
policy members
  issued 2010-01-01
type grade = A | B
entity city
  static name: text
entity zone
  static city: ref city
entity enterprise
  static zone: ref zone
  yearly class: grade
  yearly tax: money
  yearly done: boolean
  yearly signed_on: date
value a_count for zone = count(enterprise where class = A)
value tax_total for zone: money = sum(tax over enterprise)
value tax_mean for zone: money = mean(tax over enterprise where class = A)
value tax_min for zone: money = min(tax over enterprise)
value tax_max for zone: money = max(tax over enterprise)
value first_signed for zone: date = min(signed_on over enterprise)
value all_done for zone = all(done over enterprise where class = A)
value any_done for zone = any(done over enterprise)
value city_a for city = count(enterprise via zone.city where class = A)
value city_tax for city: money = sum(tax over enterprise via zone.city)
outcome report "汇总" is computed with value: money
outcome counted "计数" is computed with value: integer
outcome finished "完成" is measure
outcome started "开始" is measure
outcome mean "平均" is computed with value: money
outcome extremes "极值" is computed with value: money
outcome signed "签约" is computed with value: date
outcome city_count "市计数" is computed with value: integer
outcome city_total "市合计" is computed with value: money
rule report implements members.1 cite "1" for zone when tax_total >= 0 then report = tax_total
rule counted implements members.2 cite "2" for zone when a_count >= 0 then counted = a_count
rule finished implements members.3 cite "3" for zone when all_done then finished
rule started implements members.4 cite "4" for zone when any_done then started
rule mean implements members.5 cite "5" for zone when tax_mean > 0 then mean = tax_mean
rule extremes implements members.6 cite "6" for zone when tax_max >= tax_min then extremes = tax_max - tax_min
rule signed implements members.7 cite "7" for zone when first_signed <= 2020-06-30 then signed = first_signed
rule city_count implements members.8 cite "8" for city when city_a >= 0 then city_count = city_a
rule city_total implements members.9 cite "9" for city when city_tax >= 0 then city_total = city_tax
"""


def test_member_aggregates_count_what_the_row_executor_counts(tmp_path):
    policy_set = load_text(tmp_path, MEMBERS)
    enterprises = [
        # zone Z: two A enterprises, one B; e3 has no class (left out where the filter reads it)
        {"id": "e1", "zone": "Z"}, {"id": "e1", "period": "2020", "class": "A", "tax": "1.5", "done": True,
                                    "signed_on": "2020-06-30"},
        {"id": "e2", "zone": "Z"}, {"id": "e2", "period": "2020", "class": "A", "tax": "2", "done": False},
        {"id": "e3", "zone": "Z"}, {"id": "e3", "period": "2020", "tax": "4", "done": True},
        {"id": "e4", "zone": "Z"}, {"id": "e4", "period": "2020", "class": "B", "done": True,
                                    "signed_on": "2020-07-01"},
        # zone Y: one A whose `done` is missing (all() unknown), no tax at all (sum unknown)
        {"id": "e5", "zone": "Y"}, {"id": "e5", "period": "2020", "class": "A"},
        {"id": "e5", "period": "2019", "class": "B", "tax": "3"},
        # a dangling zone and a missing zone: members of no one
        {"id": "e6", "zone": "nowhere"}, {"id": "e6", "period": "2020", "class": "A", "tax": "1"},
        {"id": "e7", "period": "2020", "class": "A", "tax": "1"},
        # a member with static attributes only takes part in every period
        {"id": "e8", "zone": "W"},
    ]
    rows = {"city": [{"id": "C", "name": "c"}, {"id": "D", "name": "d"}],
            "zone": [{"id": "Z", "city": "C"}, {"id": "Y", "city": "C"}, {"id": "W", "city": "C"},
                     {"id": "empty", "city": "D"}],
            "enterprise": enterprises}
    found = _columnar_alike(policy_set, rows)
    assert found[("Z", "2020", "report")] == Fraction(15, 2)
    assert found[("Z", "2020", "counted")] == 2 and found[("Y", "2020", "counted")] == 1
    assert found[("empty", "2020", "counted")] == 0 and found[("empty", "2020", "report")] == 0
    assert ("Y", "2020", "report") not in found  # its only member's tax is missing: unknown, not 0
    assert found[("Y", "2019", "report")] == 3
    assert ("Z", "2020", "finished") not in found  # e2 is an A that is not done
    assert ("Y", "2020", "finished") not in found and ("Y", "2020", "started") not in found  # unknown
    assert ("Z", "2020", "started") in found
    assert found[("Z", "2020", "mean")] == Fraction(7, 4)
    assert ("empty", "2020", "mean") not in found  # the mean of nothing is unknown
    assert found[("Z", "2020", "extremes")] == Fraction(5, 2)
    assert found[("Z", "2020", "signed")] == dt.date(2020, 6, 30)
    assert found[("C", "2020", "city_count")] == 3 and found[("D", "2020", "city_count")] == 0
    assert found[("C", "2020", "city_total")] == Fraction(15, 2)  # e5 left out, the others counted
    assert found[("C", "2019", "city_total")] == 3


def test_a_rule_handed_to_the_row_executor_reads_the_values_the_columnar_run_computed(tmp_path):
    # `cube` passes 64 bits, so `huge` runs on the row executor; it reads `share_of_city` (a group
    # aggregate the columnar run computed and hands over) and must decide exactly as the row
    # executor alone, unknown where the share is
    policy_set = load_text(tmp_path, """
policy handover
  issued 2010-01-01
entity zone
  group by city
  static city: text
  yearly big: integer
  yearly tax: money
value share_of_city for zone = tax / group_sum(tax)
value cube for zone = big * big * big
outcome huge "大" is computed with value: decimal
rule huge implements handover.1 cite "1" for zone when cube > 1 and share_of_city >= 0.5 then huge = share_of_city
""")
    rows = [{"id": "a", "period": "2020", "city": "C", "big": 3_000_000, "tax": "3"},
            {"id": "b", "period": "2020", "city": "C", "big": 3_000_000, "tax": "1"},
            {"id": "c", "period": "2020", "city": "D", "big": 3_000_000},
            {"id": "d", "period": "2020", "city": "D", "big": 2, "tax": "0"}]
    row = policy_set.evaluate({"zone": rows})
    columnar = policy_set.evaluate({"zone": rows}, executor="columnar")
    assert "64-bit" in columnar.evaluation.fallbacks["handover::huge"]
    assert columnar.decisions == row.decisions
    assert [(d.entity, d.value) for d in row.decisions] == [("a", Fraction(3, 4))]
    results = {(r.entity, r.condition if isinstance(r.condition, bool) else None) for r in columnar.evaluation.results}
    assert results == {(r.entity, r.condition if isinstance(r.condition, bool) else None)
                       for r in row.evaluation.results} == {("a", True), ("b", False), ("c", None), ("d", None)}


def test_a_value_with_more_history_than_the_columnar_rules_read_is_left_to_the_row_executor(tmp_path):
    # `r` falls back (a rank over a constant); the columnar rule reads no history, so the grid
    # starts at the data's first period: `earlier`, which looks one period back, is the row
    # executor's to compute (300 from the table), not a value cut at the grid's edge; and since
    # `previous` reads only a period with a record (G4/G8), 2016 is unknown, 2017 reads 2016
    policy_set = load_text(tmp_path, """
policy edge
  issued 2010-01-01
entity unit
  yearly score: integer
parameter threshold: integer = 2
table points: integer -> money
  1 -> 300万元
outcome paid "奖励" is reward with amount
outcome seen "见" is measure
value earlier for unit: money = previous(value_or(points[1], 0万元))
rule r implements edge.1 cite "1" for unit when not top(threshold, 1) or true then paid amount earlier
rule s implements edge.2 cite "2" for unit when score >= 0 then seen
""")
    rows = {"unit": [{"id": "u", "period": "2016", "score": 1}, {"id": "u", "period": "2017", "score": 1}]}
    columnar = policy_set.evaluate(rows, executor="columnar")
    assert "edge::r" in columnar.evaluation.fallbacks
    assert columnar.decisions == policy_set.evaluate(rows).decisions
    assert [(str(d.period), d.amount) for d in columnar.decisions if d.outcome == "paid"] == [("2017", 300)]


def test_a_ladder_names_the_first_strongest_rule_as_the_row_executor_does(tmp_path):
    text = """
policy ladders
  issued 2015-01-01
entity zone
  yearly score: integer
outcome warned "警告" is sanction
outcome fined "罚款" is sanction
ladder severity: warned < fined
rule warn implements ladders.1 cite "1" for zone when score > 1 then warned
rule fine_late implements ladders.3 cite "3" for zone when score > 5 then fined
rule fine_early implements ladders.2 cite "2" for zone when score > 7 then fined
"""
    policy_set = load_text(tmp_path, text)
    frame = pl.DataFrame({"id": ["Z1", "Z2", "Z3", "Z4"], "period": ["2020"] * 4, "score": [9, 6, 2, 0]})
    row = policy_set.evaluate({"zone": frame.to_dicts()}).decisions
    columnar = policy_set.evaluate({"zone": frame}, executor="columnar")
    assert not columnar.evaluation.fallbacks
    assert columnar.decisions == row
    # Z1: both fines fired; the warning is superseded by the first in decision order (ladders.2)
    assert {(d.entity, d.outcome, d.superseded_by) for d in row if d.status == "superseded"} == {
        ("Z1", "warned", "ladders.2"), ("Z2", "warned", "ladders.3")}


def test_a_frame_with_an_unknown_or_label_column_is_read_and_warned_as_rows_are():
    w2 = policydsl.load(ROOT / "bench" / "peers" / "w2.pol")
    frame = pl.DataFrame({"id": ["Z1", "Z2", "Z1", "Z2"], "period": ["2019", "2019", "2020", "2020"],
                          "所在城市": [1, 1, 1, 1], "provincial_rank": [1, 2, 9, 1], "tax_growth_bp": [None, None, 5, 10],
                          "va_growth_bp": [None, None, 5, 10], "fai_growth_bp": [None, None, 5, 10], "scroe": [1, 2, 3, 4]})
    row = w2.evaluate({"zone": frame.to_dicts()})
    columnar = w2.evaluate({"zone": frame}, executor="columnar")
    assert columnar.decisions == row.decisions and row.decisions
    assert [w.column for w in columnar.warnings] == [w.column for w in row.warnings] == ["scroe"]


@pytest.mark.parametrize("selection", [{"period": "2030"}, {"entities": ["E9"]}])
def test_a_frame_without_the_chosen_period_or_entity_is_refused_as_rows_are(selection):
    from policydsl.api import SelectionError

    w1 = policydsl.load(ROOT / "bench" / "peers" / "w1.pol")
    frame = pl.DataFrame({"id": ["E1", "E1"], "period": ["2019", "2020"], "rating": ["D", "D"]})
    with pytest.raises(SelectionError) as row:
        w1.evaluate({"enterprise": frame.to_dicts()}, **selection)
    with pytest.raises(SelectionError) as columnar:
        w1.evaluate({"enterprise": frame}, executor="columnar", **selection)
    assert str(columnar.value) == str(row.value)


def test_a_count_without_a_filter_counts_every_member_on_the_columnar_executor(tmp_path):
    # `count(KIND via …)` with no `where`: each member row counts once (not once per group)
    policy = load_text(tmp_path, """policy c
  title "c"
  document "c"
  issuer "c"
  issued 2014-01-01
entity city
  static name: text
entity service_zone
  static city: ref city
entity enterprise
  static host: ref service_zone
outcome settled is computed with value: integer
rule r
  implements c.1
  cite "1" "c"
  for city
  then settled = count(enterprise via host.city)
""")
    data = {"city": [{"id": "C", "period": "2020", "name": "c"}],
            "service_zone": [{"id": "S1", "period": "2020", "city": "C"}, {"id": "S2", "period": "2020", "city": "C"}],
            "enterprise": [{"id": f"E{i}", "period": "2020", "host": f"S{1 + i % 2}"} for i in range(5)]}
    for executor in ("row", "columnar"):
        assert [d.value for d in policy.evaluate(data, executor=executor).decisions] == [5], executor


def test_a_value_without_a_columnar_form_is_not_handed_to_the_row_executor(tmp_path):
    # `v0` ranks a constant (no columnar form: a rank there counts members without a record), so
    # `r4` runs on the row executor and computes `v0` itself
    policy_set = load_text(tmp_path, """
policy gen
entity unit
  group by region
  static region: text
  yearly score: integer
  yearly flag: boolean
outcome o0 "零" is sanction
outcome a0 "甲" is reward with amount
value v0 for unit = previous(rank(1))
rule r0 implements gen.0 cite "0" for unit when flag then a0 amount previous(score)
rule r4 implements gen.4 cite "4" for unit when score < v0 then o0
""")
    rows = {"unit": [{"id": "u0", "region": "R", "period": "2018", "score": 0, "flag": True},
                     {"id": "u0", "region": "R", "period": "2019", "score": 0, "flag": True},
                     {"id": "u1", "region": "R", "period": "2019", "score": 3, "flag": False}]}
    columnar = policy_set.evaluate(rows, executor="columnar")
    assert "gen::r4" in columnar.evaluation.fallbacks
    assert columnar.decisions == policy_set.evaluate(rows).decisions


def test_small_frames_planned_lightly_decide_as_fully_planned_ones(monkeypatch):
    """Frames under `lowering.PLANNED` rows are run with common-subexpression elimination only;
    the same run with every frame given Polars' whole optimiser decides the same, as the row
    executor does (the shipped policies' frames are 8 to 3,300 rows)."""
    from policydsl.engine.columnar import lowering
    assert "optimizations" in lowering.query_options(lowering.PLANNED - 1)
    assert "optimizations" not in lowering.query_options(lowering.PLANNED)
    policy_set = policydsl.load(ROOT / "policies")
    dataset = policy_set.load_data(ROOT / "examples" / "province")
    light = policy_set.evaluate(dataset, period="2016", executor="columnar").decisions
    monkeypatch.setattr(lowering, "PLANNED", 0)
    full = policy_set.evaluate(dataset, period="2016", executor="columnar").decisions
    assert light == full == policy_set.evaluate(dataset, period="2016").decisions
    assert len(light) > 100
