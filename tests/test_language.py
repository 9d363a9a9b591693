"""The language, version 1: one test per construct, each through the whole pipeline."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest

import policydsl
from policydsl.values import Period

HEADER = """
policy demo
  title "示范政策"
  document "示政〔2020〕1号"
  issuer "示范市人民政府"
  issued 2020-01-15
  in_force_from 2020-02-01
  in_force_until 2022-12-31
  supersedes "示政〔2015〕9号"

type grade "等级" = A | B | C | D

entity zone "集聚区"
  group by city
  static city "所在市": text
  static head_appointed_on "主要负责人任职日期": date
  yearly score "得分": decimal
  yearly tax "税收": money
  yearly growth "增速": percent
  yearly rating "评级": grade
  yearly listed "入选": boolean
  quarterly quarter_score "季度得分": integer
"""


def outcomes_of(result, entity=None, period=None, status="active"):
    return sorted(
        (d.entity, str(d.period), d.outcome) for d in result.decisions
        if (entity is None or d.entity == entity) and (period is None or str(d.period) == period)
        and (status is None or d.status == status))


def value_rule(expression: str, value_type: str = "decimal") -> str:
    return HEADER + f"""
outcome shown "结果" is computed with value: {value_type}
rule show
  implements demo.1
  cite "一" "示范"
  for zone
  then shown value {expression}
"""


def computed(policy_from_text, expression, rows, value_type="decimal"):
    policies = policy_from_text(value_rule(expression, value_type))
    result = policies.evaluate({"zone": rows})
    return {(d.entity, str(d.period)): d.value for d in result.decisions}


def zone(id_, period, **facts):
    return {"id": id_, "period": period, "city": facts.pop("city", "开封"), **facts}


def test_policy_metadata_is_read_from_the_policy_declaration(policy_from_text):
    program = policy_from_text(value_rule("score")).program
    meta = program.policies["demo"]
    assert (meta.title, meta.document, meta.issuer) == ("示范政策", "示政〔2020〕1号", "示范市人民政府")
    assert (meta.issued, meta.in_force_from, meta.in_force_until) == (
        dt.date(2020, 1, 15), dt.date(2020, 2, 1), dt.date(2022, 12, 31))
    assert meta.supersedes == ("示政〔2015〕9号",)


def test_entity_schema_records_period_kinds_types_and_group(policy_from_text):
    schema = policy_from_text(value_rule("score")).program.entities["zone"]
    assert schema.group == "city"
    assert schema.facts["city"].period_kind is None
    assert schema.facts["score"].period_kind == "year"
    assert schema.facts["quarter_score"].period_kind == "quarter"
    assert schema.facts["rating"].type.members == ("A", "B", "C", "D")
    assert schema.facts["tax"].type.unit == "万元" and schema.facts["growth"].type.unit == "%"


def test_decimal_arithmetic_is_exact(policy_from_text):
    values = computed(policy_from_text, "score + 0.2", [zone("Z1", "2020", score="0.1")])
    assert values[("Z1", "2020")] == Fraction(3, 10)


def test_division_keeps_exact_fractions(policy_from_text):
    values = computed(policy_from_text, "score / 3 * 3", [zone("Z1", "2020", score="1")])
    assert values[("Z1", "2020")] == 1


def test_quarterly_rules_run_on_quarterly_periods(policy_from_text):
    values = computed(policy_from_text, "quarter_score * 2",
                      [zone("Z1", "2020-Q3", quarter_score=4), zone("Z1", "2020", score=1)], "integer")
    assert values == {("Z1", "2020-Q3"): 8}


def test_parameters_and_lookup_tables(policy_from_text):
    text = HEADER + """
parameter base "基数": money = 100万元
table reward_by_rank "名次奖励": integer -> money
  1 -> 3 * base
  2 -> 200
  3 -> base
outcome paid "奖励" is reward with amount
rule pay
  implements demo.2
  cite "二"
  for zone
  when rank(score) <= 3
  then paid amount reward_by_rank[rank(score)]
"""
    result = policy_from_text(text).evaluate({"zone": [
        zone("Z1", "2020", score=90), zone("Z2", "2020", score=80), zone("Z3", "2020", score=70),
        zone("Z4", "2020", score=60)]})
    assert {d.entity: d.amount for d in result.decisions} == {"Z1": 300, "Z2": 200, "Z3": 100}


@pytest.mark.parametrize("expression,expected", [
    ("if score >= 60 then 1 else 0", 1),
    ("min(score, 50, 70)", 50),
    ("max(score, 100)", 100),
    ("abs(0 - score)", 65),
    ("round(score / 2)", 32),
])
def test_derived_value_operators(policy_from_text, expression, expected):
    assert computed(policy_from_text, expression, [zone("Z1", "2020", score=65)])[("Z1", "2020")] == expected


@pytest.mark.parametrize("condition,fires", [
    ("rating = B", True), ("rating != B", False), ("rating in {A, B}", True), ("rating not in {A, B}", False),
    ("listed and score > 50", True), ("listed and not (score > 50)", False), ("score < 50 or listed", True),
    ("growth >= 12.5%", True), ("tax > 100万元", True),
])
def test_comparison_logic_and_membership(policy_from_text, condition, fires):
    text = HEADER + f"""
outcome flagged "标记" is measure
rule flag
  implements demo.3
  cite "三"
  for zone
  when {condition}
  then flagged
"""
    result = policy_from_text(text).evaluate({"zone": [
        zone("Z1", "2020", rating="B", listed=True, score=60, growth="12.5", tax=150)]})
    assert bool(outcomes_of(result)) is fires


def test_date_plus_one_year_and_date_comparison(policy_from_text):
    text = HEADER + """
outcome tenured "任职满一年" is eligibility
rule tenure
  implements demo.4
  cite "四" "任职一年以上"
  for zone
  when head_appointed_on + 1 year <= period_end and score >= 0
  then tenured
"""
    policies = policy_from_text(text)
    rows = [zone("Z12", "2020", head_appointed_on="2019-12-31", score=1),
            zone("Z11", "2020", head_appointed_on="2020-01-31", score=1)]
    assert outcomes_of(policies.evaluate({"zone": rows})) == [("Z12", "2020", "tenured")]


def test_date_arithmetic_clamps_to_month_end(policy_from_text):
    values = computed(policy_from_text, "head_appointed_on + 1 year", [
        zone("Z1", "2020", head_appointed_on="2016-02-29", score=1)], "date")
    assert values[("Z1", "2020")] == dt.date(2017, 2, 28)


# ---- history -----------------------------------------------------------------------------

def test_previous_one_and_n_periods_back(policy_from_text):
    rows = [zone("Z1", str(y), score=s) for y, s in ((2017, 1), (2018, 2), (2019, 3))]
    assert computed(policy_from_text, "previous(score)", rows)[("Z1", "2019")] == 2
    assert computed(policy_from_text, "previous(score, 2)", rows)[("Z1", "2019")] == 1


def test_previous_of_a_missing_period_is_missing(policy_from_text):
    rows = [zone("Z1", "2017", score=1), zone("Z1", "2019", score=3)]
    assert ("Z1", "2019") not in computed(policy_from_text, "previous(score)", rows)


def test_change_since_previous_period(policy_from_text):
    rows = [zone("Z1", "2018", score="10.5"), zone("Z1", "2019", score=15)]
    assert computed(policy_from_text, "change(score)", rows)[("Z1", "2019")] == Fraction(9, 2)


def test_streak_counts_consecutive_periods_and_a_gap_breaks_it(policy_from_text):
    rows = [zone("Z1", str(y), rating=r) for y, r in ((2015, "D"), (2016, "D"), (2018, "D"), (2019, "D"))]
    rows += [zone("Z2", str(y), rating=r) for y, r in ((2017, "D"), (2018, "C"), (2019, "D"))]
    values = computed(policy_from_text, "streak(rating = D)", rows, "integer")
    assert values[("Z1", "2016")] == 2
    assert values[("Z1", "2019")] == 2  # 2017 has no record
    assert values[("Z2", "2019")] == 1


def test_count_of_periods_in_window(policy_from_text):
    rows = [zone("Z1", str(y), listed=v) for y, v in ((2016, True), (2017, False), (2018, True), (2019, True))]
    values = computed(policy_from_text, "count_periods(listed, 3)", rows, "integer")
    assert values[("Z1", "2019")] == 2


def test_first_occurrence(policy_from_text):
    rows = [zone("Z1", str(y), listed=v) for y, v in ((2016, False), (2017, True), (2018, True))]
    values = computed(policy_from_text, "if first_time(listed) then 1 else 0", rows, "integer")
    assert [values[("Z1", p)] for p in ("2016", "2017", "2018")] == [0, 1, 0]


# ---- aggregation -------------------------------------------------------------------------

GROUP = [zone("A", "2020", score=90), zone("B", "2020", score=90), zone("C", "2020", score=80),
         zone("D", "2020", score=70), zone("X", "2020", score=99, city="郑州")]


def test_rank_descending_ties_share_the_better_rank(policy_from_text):
    values = computed(policy_from_text, "rank(score)", GROUP, "integer")
    assert [values[(z, "2020")] for z in "ABCDX"] == [1, 1, 3, 4, 1]


def test_rank_ascending(policy_from_text):
    values = computed(policy_from_text, "rank(score, ascending)", GROUP, "integer")
    assert [values[(z, "2020")] for z in "ABCD"] == [3, 3, 2, 1]


def test_rank_within_all_ignores_groups(policy_from_text):
    values = computed(policy_from_text, "rank(score, within: all)", GROUP, "integer")
    assert values[("X", "2020")] == 1 and values[("A", "2020")] == 2


def test_top_and_bottom_n(policy_from_text):
    top = computed(policy_from_text, "if top(score, 2) then 1 else 0", GROUP, "integer")
    bottom = computed(policy_from_text, "if bottom(score, 1) then 1 else 0", GROUP, "integer")
    assert [top[(z, "2020")] for z in "ABCD"] == [1, 1, 0, 0]
    assert [bottom[(z, "2020")] for z in "ABCD"] == [0, 0, 0, 1]


@pytest.mark.parametrize("expression,expected", [
    ("group_sum(score)", 330), ("group_mean(score)", Fraction(165, 2)), ("group_min(score)", 70),
    ("group_max(score)", 90), ("group_count(score >= 80)", 3),
])
def test_group_aggregates(policy_from_text, expression, expected):
    assert computed(policy_from_text, expression, GROUP)[("A", "2020")] == expected


def test_group_totals_growth(policy_from_text):
    rows = [zone("A", "2019", tax=100), zone("B", "2019", tax=100), zone("A", "2020", tax=150),
            zone("B", "2020", tax=90)]
    expression = "(group_sum(tax) - previous(group_sum(tax))) / previous(group_sum(tax)) * 100"
    assert computed(policy_from_text, expression, rows, "percent")[("A", "2020")] == 20


# ---- outcomes and their combination ------------------------------------------------------

COMBINING = HEADER + """
outcome warn "警告" is sanction
outcome card "黄牌" is sanction
outcome exit "退出" is sanction
outcome prize_a "一等" is reward with amount
outcome prize_b "二等" is reward with amount
outcome honour "表彰" is reward
ladder escalation: warn < card < exit
highest only prizes "以上奖励取最高限，不重复奖励": prize_a, prize_b

rule r_warn
  implements demo.5.a
  cite "五"
  for zone
  when score >= 1
  then warn
rule r_card
  implements demo.5.b
  cite "五"
  for zone
  when score >= 2
  then card
rule r_exit
  implements demo.5.c
  cite "五"
  for zone
  when score >= 3
  then exit
rule r_a
  implements demo.6.a
  cite "六"
  for zone
  when listed
  then prize_a amount 100, honour
rule r_b
  implements demo.6.b
  cite "六"
  for zone
  when listed
  then prize_b amount score * 100
"""


def test_ladder_keeps_the_strongest_and_records_the_weaker_as_superseded(policy_from_text):
    result = policy_from_text(COMBINING).evaluate({"zone": [zone("Z1", "2020", score=2, listed=False)]})
    statuses = {d.outcome: (d.status, d.superseded_by) for d in result.decisions}
    assert statuses == {"warn": ("superseded", "demo.5.b"), "card": ("active", None)}


def test_highest_only_pays_the_highest_amount_and_keeps_honours(policy_from_text):
    result = policy_from_text(COMBINING).evaluate({"zone": [zone("Z1", "2020", score=3, listed=True)]})
    statuses = {d.outcome: (d.status, d.amount) for d in result.decisions if d.outcome_kind == "reward"}
    assert statuses == {"prize_a": ("superseded", 100), "prize_b": ("active", 300), "honour": ("active", None)}


def test_highest_only_with_equal_amounts_pays_the_first_listed(policy_from_text):
    result = policy_from_text(COMBINING).evaluate({"zone": [zone("Z1", "2020", score=1, listed=True)]})
    statuses = {d.outcome: d.status for d in result.decisions if d.outcome.startswith("prize")}
    assert statuses == {"prize_a": "active", "prize_b": "superseded"}


def test_rules_carry_catalogue_id_clause_and_quote(policy_from_text):
    rule = policy_from_text(value_rule("score")).program.rules[0]
    assert (rule.implements, rule.clause, rule.quote, rule.policy) == ("demo.1", "一", "示范", "demo")


# ---- text, names and files ---------------------------------------------------------------

def test_comments_chinese_identifiers_and_nfc_normalisation(policy_from_text):
    decomposed = "e\u0301"  # é written as e + combining accent; NFC makes it one character
    text = f"""
# 注释
policy 示范 # trailing comment
entity 企业
  yearly 类别: 甲 | 乙
  yearly caf{decomposed}: integer
outcome 优先扶持 "给予优先扶持" is eligibility
rule 甲类扶持
  implements 示范.1
  cite "一"
  for 企业
  when 类别 = 甲 and café >= 0
  then 优先扶持
"""
    result = policy_from_text(text).evaluate({"企业": [{"id": "企1", "period": "2020", "类别": "甲", "café": 1}]})
    assert outcomes_of(result) == [("企1", "2020", "优先扶持")]


def test_import_of_a_shared_schema(tmp_path):
    (tmp_path / "schema.pol").write_text("entity firm\n  yearly size: integer\n", encoding="utf-8")
    (tmp_path / "main.pol").write_text(
        'import "schema.pol"\npolicy p\noutcome big "大" is classification\n'
        'rule r\n  implements p.1\n  cite "一"\n  for firm\n  when size > 10\n  then big\n', encoding="utf-8")
    result = policydsl.load(tmp_path / "main.pol").evaluate({"firm": [{"id": "F", "period": "2020", "size": 11}]})
    assert outcomes_of(result) == [("F", "2020", "big")]


def test_missing_fact_makes_the_rule_not_fire_and_is_explained(policy_from_text):
    text = HEADER + """
outcome flagged "标记" is measure
rule flag
  implements demo.3
  cite "三"
  for zone
  when score > 50
  then flagged
"""
    result = policy_from_text(text).evaluate({"zone": [zone("Z1", "2020", listed=True)]})
    assert result.decisions == ()
    why_not = result.why_not("Z1", "flagged", "2020")
    assert why_not.status == "not_evaluable"
    assert [str(m) for m in why_not.missing] == ["score of Z1 in 2020"]


def test_unknown_and_false_is_false_but_unknown_or_false_is_unknown(policy_from_text):
    text = HEADER + """
outcome a "甲" is measure
outcome b "乙" is measure
rule ra
  implements demo.7.a
  cite "七"
  for zone
  when not (score > 50 and listed)
  then a
rule rb
  implements demo.7.b
  cite "七"
  for zone
  when not (score > 50 or listed)
  then b
"""
    result = policy_from_text(text).evaluate({"zone": [zone("Z1", "2020", listed=False)]})
    assert outcomes_of(result) == [("Z1", "2020", "a")]
    assert result.why_not("Z1", "b", Period(2020)).status == "not_evaluable"
