"""The language, version 1: one test per construct, each through the whole pipeline."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest

import policydsl
from policydsl.values import Percent, Period

HEADER = """
policy demo
  title "示范政策"
  document "示政〔2020〕1号"
  issuer "示范市人民政府"
  issued 2015-01-15
  in_force_from 2015-02-01
  in_force_until 2030-12-31
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
  then shown = {expression}
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
        dt.date(2015, 1, 15), dt.date(2015, 2, 1), dt.date(2030, 12, 31))
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
    ("round(score / 2)", 33),  # 32.5: halves round away from zero (四舍五入)
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
    expression = "(group_sum(tax) - previous(group_sum(tax))) / previous(group_sum(tax))"
    assert computed(policy_from_text, expression, rows, "percent")[("A", "2020")] == Percent.shown_as(20)


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


# ---- references between entity kinds, filtered groups, missing values --------------------

LINKED = HEADER + """
entity cadre "干部"
  static zone "所在集聚区": ref zone
  static appointed_on: date
value zone_rank for zone = rank(score)
value ranked_rank for zone = rank(score, where: listed)
outcome promoted "优先提拔" is eligibility
rule promote
  implements demo.8
  cite "八"
  for cadre
  when zone.zone_rank <= 1 and zone.listed and appointed_on + 1 year <= period_end
  then promoted
outcome shown "结果" is computed with value: integer
rule show
  implements demo.9
  cite "九"
  for zone
  then shown = ranked_rank
"""


def test_reference_reads_the_referenced_entitys_values(policy_from_text):
    rows = {"zone": [zone("A", "2020", score=90, listed=True), zone("B", "2020", score=80, listed=True)],
            "cadre": [{"id": "K1", "period": "2020", "zone": "A", "appointed_on": "2019-06-01"},
                      {"id": "K2", "period": "2020", "zone": "B", "appointed_on": "2019-06-01"},
                      {"id": "K3", "period": "2020", "zone": "Q", "appointed_on": "2019-06-01"}]}
    result = policy_from_text(LINKED).evaluate(rows)
    assert outcomes_of(result, status=None) == [("A", "2020", "shown"), ("B", "2020", "shown"),
                                                ("K1", "2020", "promoted")]
    why_not = result.why_not("K3", "promoted", "2020")
    assert "(no such entity) of Q" in [str(m) for m in why_not.missing]


def test_where_filter_leaves_members_out_of_a_ranking(policy_from_text):
    rows = {"zone": [zone("A", "2020", score=90, listed=False), zone("B", "2020", score=80, listed=True),
                     zone("C", "2020", score=70, listed=True)]}
    result = policy_from_text(LINKED).evaluate(rows)
    assert {d.entity: d.value for d in result.decisions} == {"B": 1, "C": 2}


def test_is_missing_and_value_or(policy_from_text):
    assert computed(policy_from_text, "value_or(score, 0) + 1", [zone("Z1", "2020", listed=True)]) == {
        ("Z1", "2020"): 1}
    values = computed(policy_from_text, "if is_missing(score) then 1 else 2", [zone("Z1", "2020", listed=True)],
                      "integer")
    assert values == {("Z1", "2020"): 1}


# ---- goals, deadlines and the documents' own status ------------------------------------------

GOALS = HEADER.replace("  supersedes", '  status_rule "demo.0"\n  status_cite "末段"\n  supersedes') + """
entity city "市"
  yearly revenue_yi "主营业务收入": decimal
  yearly share "占比": percent
  static plan_done_on "方案完成日期": date
target revenue_goal "主营业务收入达到1500亿元"
  implements demo.t1
  cite "一(二)1" "主营业务收入达到1500亿元"
  for city
  require revenue_yi >= 1500
target share_goal "占比30%左右"
  implements demo.t2
  part share
  cite "一(二)2" "占比30%左右"
  for city
  approximately share near 30%
target share_goal_tolerant
  implements demo.t3
  cite "一(二)3"
  for city
  approximately share near 30% within 2%
deadline plan_deadline "年底前完成方案"
  implements demo.d1
  cite "三(一)"
  for city
  due 2019-06-30
  done plan_done_on
"""


def test_targets_give_a_verdict_or_report_an_approximate_figure(policy_from_text):
    rows = {"city": [{"id": "K", "period": "2019", "revenue_yi": 1500, "share": "31.5", "plan_done_on": "2019-07-01"},
                     {"id": "Z", "period": "2019", "revenue_yi": "1499.9", "share": 28, "plan_done_on": "2019-06-30"}]}
    result = policy_from_text(GOALS).evaluate(rows)
    found = {(d.entity, d.outcome, d.target, d.value) for d in result.decisions if d.entity_kind == "city"}
    assert found == {
        ("K", "target_met", "demo.t1", None), ("Z", "target_not_met", "demo.t1", None),
        ("K", "target_reported", "demo.t2#share", Percent.shown_as(Fraction(63, 2))),
        ("Z", "target_reported", "demo.t2#share", Percent.shown_as(28)),
        ("K", "target_met", "demo.t3", None), ("Z", "target_met", "demo.t3", None),
        ("K", "deadline_missed", "demo.d1", None), ("Z", "deadline_met", "demo.d1", None)}


def test_deadline_without_a_completion_date_is_not_evaluable(policy_from_text):
    rows = {"city": [{"id": "K", "period": "2018", "revenue_yi": 1}, {"id": "K", "period": "2019", "revenue_yi": 1}]}
    result = policy_from_text(GOALS).evaluate(rows)
    assert not [d for d in result.decisions if d.outcome.startswith("deadline")]
    why = result.why_not("K", "deadline_missed", "2019")
    assert why.status == "not_evaluable" and "plan_done_on" in {m.fact for m in why.missing}


def test_document_status_and_repeal_as_of_each_year(policy_from_text):
    rows = {"city": [{"id": "K", "period": str(y), "revenue_yi": 1} for y in (2014, 2015, 2031)]}
    result = policy_from_text(GOALS).evaluate(rows)
    status = {(str(d.period), d.entity, d.outcome) for d in result.decisions if d.entity_kind == "document"}
    assert status == {("2014", "示政〔2020〕1号", "document_not_yet_in_force"),
                      ("2015", "示政〔2020〕1号", "document_in_force"),
                      ("2014", "示政〔2015〕9号", "document_status_unknown"),  # known only as repealed
                      ("2015", "示政〔2015〕9号", "document_repealed"),
                      ("2031", "示政〔2020〕1号", "document_lapsed"),
                      ("2031", "示政〔2015〕9号", "document_repealed")}


def test_rules_apply_only_while_their_policy_is_in_force(policy_from_text):
    rows = {"city": [{"id": "K", "period": str(y), "revenue_yi": 2000} for y in (2014, 2015)]}
    result = policy_from_text(GOALS).evaluate(rows)
    assert {str(d.period) for d in result.decisions if d.outcome == "target_met"} == {"2015"}
    assert result.why_not("K", "target_met", "2014").status == "not_in_force"


def test_scope_limits_a_policys_rules_to_its_own_entities(policy_from_text):
    text = HEADER + """
scope zone "开封市的集聚区": city = "开封"
outcome flagged "标记" is measure
rule flag
  implements demo.3
  cite "三"
  for zone
  when score > 50
  then flagged
"""
    result = policy_from_text(text).evaluate({"zone": [zone("K", "2020", score=60),
                                                       zone("Z", "2020", score=60, city="郑州")]})
    assert outcomes_of(result) == [("K", "2020", "flagged")]
    assert result.why_not("Z", "flagged", "2020").rules[0].failed[0].text == 'city = "开封"'


def test_a_value_may_read_its_own_earlier_periods(policy_from_text):
    text = HEADER + """
value running_total "累计" for zone: decimal =
  if period_end = 2015-12-31 then score else previous(running_total) + score
outcome shown "结果" is computed with value: decimal
rule show
  implements demo.10
  cite "十"
  for zone
  when period_end >= 2015-12-31
  then shown = running_total
"""
    rows = [zone("Z1", str(y), score=s) for y, s in ((2015, 1), (2016, 2), (2017, 3))]
    result = policy_from_text(text).evaluate({"zone": rows})
    assert {str(d.period): d.value for d in result.decisions} == {"2015": 1, "2016": 3, "2017": 6}


def test_a_running_total_without_a_base_case_is_unknown_not_endless(policy_from_text):
    text = HEADER + """
value endless "无基数" for zone: decimal = previous(endless) + score
outcome shown "结果" is computed with value: decimal
rule show
  implements demo.11
  cite "十一"
  for zone
  then shown = endless
"""
    result = policy_from_text(text).evaluate({"zone": [zone("Z1", "2016", score=1)]})
    assert result.decisions == ()
