"""An explanation never contradicts itself: its status, what failed and what it says is missing
agree (Kleene logic decides which parts are to blame); a period without a record is named as
such; `explain --outcome` without a period tells received from superseded periods; a line of
arithmetic keeps one scale; a document status under --as-of is reported as of that day.
Each case was found by fuzzing `explain` over the shipped policies and province data."""

from __future__ import annotations

import itertools
import json

import pytest

from conftest import ROOT
from policydsl.cli import main
from policydsl.engine.combine import Decision
from policydsl.render import explanation_dot, explanation_json, explanation_text, outcome_periods_text
from policydsl.values import Period

PROVINCE = [str(ROOT / "policies"), "--data", str(ROOT / "examples" / "province")]

SCHEMA = """
policy demo
entity unit
  yearly score: integer
  yearly other: integer
outcome flagged "标记" is measure
"""


def rule(name: str, condition: str) -> str:
    return f'rule {name}\n  implements demo.{name}\n  cite "一"\n  for unit\n  when {condition}\n  then flagged\n'


def row(period: str, score=None, other=None, id_="u1") -> dict:
    found = {"id": id_, "period": period}
    found.update({k: v for k, v in (("score", score), ("other", other)) if v is not None})
    return found


def explain(capsys, *args: str) -> tuple[int, str]:
    code = main(["explain", *PROVINCE, *args])
    return code, capsys.readouterr().out


# ---- 1. a false part of an `and` decides it: the missing facts of its unknown parts are not lacked ----

def test_a_false_part_of_an_and_decides_it_and_the_missing_facts_of_its_unknown_parts_are_not_listed(
        policy_from_text):
    result = policy_from_text(SCHEMA + rule("a", "score > 5 and other > 1")).evaluate({"unit": [row("2017", 1)]})
    why_not = result.why_not("u1", "flagged", "2017")
    assert why_not.status == "not_fired" and why_not.missing == ()
    assert [part.text for part in why_not.rules[0].failed] == ["score > 5"]
    assert "cannot be decided" not in explanation_text(why_not, "en")
    assert "无法判定" not in explanation_text(why_not, "zh")
    assert explanation_json(why_not)["missing"] == []


def test_an_and_with_no_false_part_is_undecided_by_its_unknown_parts_and_names_what_they_lack(policy_from_text):
    result = policy_from_text(SCHEMA + rule("a", "score > 5 and other > 1")).evaluate({"unit": [row("2017", 9)]})
    why_not = result.why_not("u1", "flagged", "2017")
    assert why_not.status == "not_evaluable"
    assert [part.text for part in why_not.rules[0].failed] == ["other > 1"]
    assert [str(m) for m in why_not.missing] == ["other of u1 in 2017"]


def test_an_outcome_of_a_false_rule_and_an_undecided_rule_is_undecided_as_false_or_unknown_is(policy_from_text):
    policies = policy_from_text(SCHEMA + rule("a", "score > 5") + rule("b", "other > 1"))
    why_not = policies.evaluate({"unit": [row("2017", 1)]}).why_not("u1", "flagged", "2017")
    assert why_not.status == "not_evaluable" and [str(m) for m in why_not.missing] == ["other of u1 in 2017"]
    assert "cannot be decided without: other of u1 in 2017" in explanation_text(why_not, "en")


CONDITIONS = ["score > 5 and other > 1", "score > 5 or other > 1", "not (score > 5 and other > 1)",
              "not (score > 5 or other > 1)", "score > 5 and (other > 1 or score < 0)",
              "(score > 5 and other > 1) or (score < 0 and other < 0)"]


@pytest.mark.parametrize("condition", CONDITIONS)
def test_the_status_and_the_missing_list_of_a_why_not_never_contradict(policy_from_text, condition):
    policies = policy_from_text(SCHEMA + rule("a", condition))
    for score, other in itertools.product((1, 9, None), (0, 2, None)):
        result = policies.evaluate({"unit": [row("2017", score, other)]})
        if result.decisions:
            continue  # it happened: nothing is missing from a why
        why_not = result.why_not("u1", "flagged", "2017")
        undecided = why_not.status == "not_evaluable"
        assert undecided == bool(why_not.missing), (score, other, why_not.status, why_not.missing)
        text = explanation_text(why_not, "en")
        assert ("cannot be decided without" in text) == undecided, (score, other, text)
        # a rule decided false is decided by false parts only
        if why_not.rules[0].condition.value is False:
            assert all(part.value is False for part in why_not.rules[0].failed), (score, other)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_shipped_why_not_that_did_not_happen_lists_nothing_it_cannot_be_decided_without(capsys, lang):
    code, out = explain(capsys, "--entity", "S10", "--period", "2014", "--why-not",
                        "county_head_in_charge_criticised", "--lang", lang)
    assert code == 0 and ("did not happen" if lang == "en" else "未触发") in out.splitlines()[1]
    assert ("cannot be decided" if lang == "en" else "无法判定") not in out
    code, out = explain(capsys, "--entity", "P036", "--period", "2016", "--why-not", "fails_investment_intensity")
    assert code == 0 and "did not happen" in out.splitlines()[1] and "cannot be decided" not in out


# ---- 1b. a fact of a period the entity has no record in ----------------------------------------

def test_a_missing_fact_of_a_period_without_a_record_is_named_as_no_record_not_a_missing_cell(policy_from_text):
    policies = policy_from_text(SCHEMA + rule("a", "previous(score) > 1 and score > 5"))
    result = policies.evaluate({"unit": [row("2017", 9), row("2016", id_="u2"), row("2017", 9, id_="u2")]})
    gap = result.why_not("u1", "flagged", "2017")  # u1's data starts in 2017
    assert gap.status == "not_evaluable" and gap.unrecorded == (("unit", "u1", "2016"),)
    en, zh = explanation_text(gap, "en"), explanation_text(gap, "zh")
    assert "cannot be decided without: score of u1 in 2016 (no record in 2016)" in en
    assert "u1 score 2016 = (no record in 2016)" in en and "· 2016: no record" in en
    assert "u1 2016 的score（该期无记录）" in zh and "u1 score 2016 = （2016 无记录）" in zh
    data = explanation_json(gap)
    assert data["no_record"] == [{"entity_kind": "unit", "entity": "u1", "period": "2016"}]
    assert next(f for f in data["facts"] if f["period"] == "2016")["no_record"] is True
    assert "score [2016] = (no record in 2016)" in explanation_dot(gap)
    cell = result.why_not("u2", "flagged", "2017")  # u2 has a 2016 row without the score: a missing cell
    assert cell.unrecorded == () and "u2 score 2016 = (missing)" in explanation_text(cell, "en")
    assert "no record" not in explanation_text(cell, "en")


def test_the_shipped_fact_before_an_entitys_first_record_is_named_as_no_record(capsys):
    code, out = explain(capsys, "--entity", "S10", "--period", "2014", "--why-not", "county_head_in_charge_criticised")
    assert code == 0 and "S10 provincial_position 2012 = (no record in 2012)" in out


# ---- 2. explain --outcome without --period ----------------------------------------------------

def test_explain_without_a_period_tells_received_from_superseded_periods_and_explains_the_latest_received(capsys):
    code, out = explain(capsys, "--entity", "Z12", "--outcome", "reward_provincial_demo_title")
    lines = out.splitlines()
    assert code == 0
    assert lines[0] == ("Z12 got reward_provincial_demo_title in 2015; recorded but superseded in 2014, 2016, "
                        "2019, 2020; explaining 2015 (give --period for another)")
    assert lines[1].endswith("· 2015") and lines[2].endswith(": applies")
    code, out = explain(capsys, "--entity", "Z12", "--outcome", "reward_provincial_demo_title", "--lang", "zh")
    assert out.splitlines()[0] == ("Z12 在 2015 获得 省级专业示范产业集聚区称号奖励；在 2014、2016、2019、2020 "
                                   "触发但被取代；解释 2015（可用 --period 指定其他期间）")  # its label, as zh names it


def test_explain_without_a_period_of_an_outcome_only_ever_superseded_explains_the_latest_and_says_so(capsys):
    code, out = explain(capsys, "--entity", "Z11", "--outcome", "reward_provincial_list_outside_top3")
    lines = out.splitlines()
    assert code == 0 and lines[0] == ("Z11 got reward_provincial_list_outside_top3 only superseded, in 2016, 2018; "
                                      "explaining 2018, the latest superseded (give --period for another)")
    assert lines[1].endswith("· 2018") and "superseded" in lines[2]


def test_the_periods_sentence_names_an_outcome_never_received():
    decided = [Decision(entity_kind="unit", entity="u1", period=Period(2017), policy="demo", rule_id="demo.a",
                        rule="a", outcome="other", outcome_kind="measure", label=None)]
    assert outcome_periods_text("u1", "flagged", decided, "2017") == \
        "u1 never got flagged in the data; explaining 2017 (give --period for another)"
    assert outcome_periods_text("u1", "flagged", decided, None, "zh") == "数据中 u1 从未获得 flagged"
    assert outcome_periods_text("u1", "flagged", decided, None, "zh", label="标记") == "数据中 u1 从未获得 标记"
    assert outcome_periods_text("u1", "flagged", decided, None, "en", label="标记") == "u1 never got flagged in the data"


# ---- 3. one scale in a line of arithmetic -------------------------------------------------------

def test_a_line_of_arithmetic_keeps_one_scale_and_converts_a_ratio_to_its_percent_with_the_unit(capsys,
                                                                                             monkeypatch):
    monkeypatch.setenv("COLUMNS", "1000")  # one line of arithmetic on one line of text
    args = ("--entity", "Z12", "--period", "2019", "--outcome", "composite_growth")
    code, text = explain(capsys, *args)
    assert code == 0
    # `P × D` is a decimal (docs/units.md): the percent operand is written as its ratio
    assert "tax_growth_weight * tax_growth_rate = 0.5 × ≈0.222695 = ≈0.111348" in text
    # a computed ratio declared a percent: the ratio, then the percent with its unit, in one step
    assert "= (818015 − 669026) ÷ 669026 = ≈0.222695 = ≈22.269538%" in text
    assert "= ≈0.152477 = ≈15.247736%" in text
    for line in text.splitlines():  # no percent operand in a line whose result is a bare number
        if any(sign in line for sign in "×÷") and "%" in line:
            assert line.rstrip().endswith("%"), line
    code, out = explain(capsys, *args, "--format", "json")
    nodes, stack = [], [p for p in json.loads(out)["rules"][0]["payload"]]
    while stack:
        node = stack.pop()
        nodes.append(node)
        stack.extend(node.get("children", ()))
    product = next(n for n in nodes if n["text"] == "tax_growth_weight * tax_growth_rate")
    assert "unit" not in product and round(product["value"], 6) == 0.111348
    assert product["arithmetic"] == "0.5 × ≈0.222695 = ≈0.111348"
    conversion = next(n for n in nodes if n.get("op") == "as_percent" and n["text"].startswith("(tax_revenue"))
    assert conversion["unit"] == "%" and round(conversion["value"], 4) == 22.2695
    assert conversion["arithmetic"] == "(818015 − 669026) ÷ 669026 = ≈0.222695 = ≈22.269538%"
    # DOT draws conditions: the same value read by a reward's condition in 2015
    code, dot = explain(capsys, "--entity", "Z12", "--period", "2015", "--outcome", "reward_provincial_demo_title",
                        "--format", "dot")
    assert "tax_growth_weight * tax_growth_rate = ≈0.085518\\n0.5 × ≈0.171036 = ≈0.085518" in dot
    assert "= ≈0.118543 = ≈11.854348%" in dot and "0.5 × ≈17.1036" not in dot


def test_money_times_a_percent_keeps_the_percent_as_written(policy_from_text):
    text = """
policy demo
entity unit
  yearly tax: money
value bonus "奖励" for unit: money = tax * 5%
outcome paid "奖励" is reward with amount
rule r
  implements demo.1
  cite "一"
  for unit
  when tax > 0
  then paid amount bonus
"""
    result = policy_from_text(text).evaluate({"unit": [{"id": "u1", "period": "2017", "tax": 100}]})
    assert "bonus = 100 × 5% = 5" in explanation_text(result.explain("u1", "paid", "2017"), "en")


# ---- 4. a document status under --as-of --------------------------------------------------------

def test_a_document_status_under_as_of_is_explained_as_of_that_day_whatever_the_period_asked(capsys):
    code, out = explain(capsys, "--as-of", "2014-08-25", "--period", "2013", "--entity", "汴发〔2011〕23号",
                        "--outcome", "document_in_force", "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["status"] == "active" and data["as_of"] == "2014-08-25"
    assert data["rules"][0]["fired"] is True and data["rules"][0]["condition"]["value"] is True
    code, text = explain(capsys, "--as-of", "2016-03-01", "--period", "2015", "--entity", "豫政办〔2014〕49号",
                         "--why-not", "document_lapsed")
    lines = text.splitlines()
    assert code == 0 and lines[1].endswith(": applies") and "what failed" not in text
    assert lines[2].strip() == ("status as of 2016-03-01 (--as-of): a document's status is decided on that day, "
                                "whatever the period asked")
    code, text = explain(capsys, "--as-of", "2016-03-01", "--period", "2015", "--entity", "豫政办〔2014〕49号",
                         "--why-not", "document_in_force", "--lang", "zh")
    assert "未触发" in text.splitlines()[1] and "文件效力按 2016-03-01（--as-of）当日判定" in text
    assert "✗ 评价日 ≤ 有效期截止日期   [2016-03-01 ≤ 2014-12-31]" in text


def test_an_outcome_decided_by_several_rules_is_explained_by_each_of_them(capsys):
    """Z10's 2014 management-body strengthening is decided by a provincial and a city rule: the
    explanation showed the first only, and said nothing of the other decision."""
    assert main(["eval", *PROVINCE, "--entity", "Z10", "--period", "2014", "--outcome", "mgmt_body_strengthening",
                 "--format", "json"]) == 0
    decided = {d["rule"] for d in json.loads(capsys.readouterr().out)["decisions"]}
    assert len(decided) == 2
    assert main(["explain", *PROVINCE, "--entity", "Z10", "--period", "2014", "--outcome", "mgmt_body_strengthening",
                 "--format", "json"]) == 0
    explained = json.loads(capsys.readouterr().out)
    assert explained["status"] == "active"
    assert {r["rule"] for r in explained["rules"]} == decided and all(r["fired"] for r in explained["rules"])


@pytest.mark.parametrize("lang, words", [
    ("en", "policy zhoukou2014 takes effect on 2014-07-22, after 2014-06-30, the day 2014-Q2 is evaluated"),
    ("zh", "政策 zhoukou2014 于 2014-07-22 生效，晚于 2014-Q2 的评价日 2014-06-30")])
def test_a_rule_not_evaluated_says_why_with_the_policys_dates_in_every_format(capsys, lang, words):
    """It said "does not govern this period, or was not in force when it was evaluated": which, and when?"""
    ask = ["explain", *PROVINCE, "--entity", "Z02", "--period", "2014-Q2", "--why-not",
           "quarterly_experience_presentation", "--lang", lang]
    for fmt in ("text", "json", "dot"):
        assert main([*ask, "--format", fmt]) == 0
        out = capsys.readouterr().out
        assert words in (out if fmt != "json" else json.loads(out)["rules"][0]["outside"]), fmt


def test_the_reason_a_policy_does_not_apply_names_the_date_that_decides_it():
    import datetime as dt

    from policydsl.language.ir import Policy

    day = dt.date
    from policydsl.diagnostics import Span

    plan = Policy(name="p", path="p.pol", span=Span(path="p.pol", line=1, column=1, end_line=1, end_column=2),
                  in_force_from=day(2014, 7, 22), in_force_until=day(2016, 12, 31),
                  governs_from=day(2014, 1, 1), repealed_on=day(2016, 6, 1))
    assert plan.not_applying(day(2013, 12, 31), day(2015, 1, 1)) == (
        "governs_from", {"start": day(2014, 1, 1), "end": day(2013, 12, 31)})
    assert plan.not_applying(day(2017, 12, 31), day(2015, 1, 1))[0] == "governs_until"
    assert plan.not_applying(day(2014, 6, 30), day(2014, 6, 30)) == (
        "not_yet_in_effect", {"start": day(2014, 7, 22), "day": day(2014, 6, 30)})
    assert plan.not_applying(day(2016, 6, 30), day(2016, 6, 30))[0] == "repealed"
    assert plan.not_applying(day(2015, 12, 31), day(2015, 12, 31)) is None
    # applies, read from the dates: governs 2014-01-01..2016-12-31, in effect 2014-07-22..2016-05-31
    assert [plan.applies(end, on) for end, on in ((day(2015, 12, 31), day(2015, 12, 31)),
                                                  (day(2015, 12, 31), day(2014, 7, 21)),
                                                  (day(2013, 12, 31), day(2015, 1, 1)),
                                                  (day(2016, 12, 31), day(2016, 6, 1)))] == [True, False, False, False]


def test_a_period_of_the_other_kind_than_the_rules_says_so_not_did_not_happen(tmp_path, capsys):
    """A rule reading no quarterly fact is evaluated per year: asked about a quarter, the explanation
    said "did not happen" with no reason."""
    policy, data = tmp_path / "p.pol", tmp_path / "d.json"
    policy.write_text('policy t\n  title "t"\nentity firm\n  quarterly x: integer\noutcome flag "标记" is sanction\n'
                      'rule rf implements t.1 cite "1" for firm when true then flag\n', encoding="utf-8")
    data.write_text(json.dumps({"firm": [{"id": "A", "period": "2019-Q1", "x": 1}]}), encoding="utf-8")
    assert main(["explain", str(policy), "--data", str(data), "--entity", "A", "--period", "2019-Q1",
                 "--why-not", "flag", "--format", "json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["status"] == "per_year" and "evaluated per year" in answer["status_text"]
