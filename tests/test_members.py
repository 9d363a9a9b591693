"""Aggregates over the members of another entity kind: `count(enterprise where …)` for a zone,
`sum(amount over tax_payment)` for an enterprise, over several references for a city; their
missing-data rules (G8) and the member lists of their explanations."""

from __future__ import annotations

import pytest

from policydsl.render import explanation_dot, explanation_json, explanation_text
from policydsl.values import Period

SCHEMA = """
policy t
  title "t"
entity city
  static name: text
entity industrial_zone
  static city: ref city
  yearly star_level: integer
entity enterprise
  static zone: ref industrial_zone
  static host_zone: ref industrial_zone
  yearly class: A | B | C
  yearly revenue: money
  static retrofitted_on: date
entity tax_payment
  static enterprise: ref enterprise
  static amount: money
  static paid_on: date
"""

VALUES = """
value a_class for industrial_zone = count(enterprise via zone where class = A)
value city_a_class for city = count(enterprise via zone.city where class = A)
value starred for city = count(industrial_zone where star_level >= 1)
value tax_paid for enterprise = sum(amount over tax_payment where paid_on <= period_end)
value zone_revenue for industrial_zone = sum(revenue over enterprise via zone)
value mean_revenue for city: money = mean(revenue over enterprise via zone.city)
value lowest for industrial_zone = min(revenue over enterprise via zone)
value highest for industrial_zone = max(revenue over enterprise via zone)
value all_a for industrial_zone = all(class = A over enterprise via zone)
value any_c for industrial_zone = any(class = C over enterprise via zone)
value latest_retrofit for industrial_zone = max(retrofitted_on over enterprise via zone)
"""

ROWS = {
    "city": [{"id": "C1", "name": "一"}, {"id": "C2", "name": "二"}],
    "industrial_zone": [
        {"id": "Z1", "period": "2020", "city": "C1", "star_level": 1},
        {"id": "Z2", "period": "2020", "city": "C1", "star_level": 0},
        {"id": "Z3", "period": "2020", "city": "C2", "star_level": 2},
    ],
    "enterprise": [
        {"id": "E1", "period": "2020", "zone": "Z1", "host_zone": "Z2", "class": "A", "revenue": 10,
         "retrofitted_on": "2019-05-01"},
        {"id": "E2", "period": "2020", "zone": "Z1", "host_zone": "Z2", "class": "B", "revenue": 30},
        {"id": "E3", "period": "2020", "zone": "Z2", "host_zone": "Z2", "class": "A", "revenue": 20},
        {"id": "E4", "period": "2020", "zone": "Z2", "host_zone": "Z2"},  # class and revenue missing
        {"id": "E5", "period": "2019", "zone": "Z1", "host_zone": "Z1", "class": "A", "revenue": 99},
        {"id": "E6", "period": "2020", "zone": "Z99", "class": "A", "revenue": 5},  # dangling reference
    ],
    "tax_payment": [
        {"id": "T1", "enterprise": "E1", "amount": 5, "paid_on": "2020-03-01"},
        {"id": "T2", "enterprise": "E1", "amount": 7, "paid_on": "2020-06-01"},
        {"id": "T3", "enterprise": "E2", "amount": 1, "paid_on": "2021-01-05"},
    ],
}


@pytest.fixture
def result(policy_from_text):
    policies = policy_from_text(SCHEMA + VALUES)
    return policies.evaluate(ROWS)


def member_nodes(node: dict):
    """The member lists in a JSON trace."""
    if "members" in node:
        yield node["members"]
    for child in node.get("children", ()):
        yield from member_nodes(child)


def value(result, kind: str, name: str, entity: str, period: str = "2020"):
    return result.evaluation.run.derived(kind, name, entity, Period.parse(period))


def test_a_zone_counts_its_members_that_meet_the_condition(result):
    assert value(result, "industrial_zone", "a_class", "Z1") == 1  # E1; E5 has no 2020 record
    assert value(result, "industrial_zone", "a_class", "Z2") == 1  # E3; E4's class is missing


def test_a_count_over_two_references_reaches_the_city(result):
    assert value(result, "city", "city_a_class", "C1") == 2  # E1 (Z1), E3 (Z2)
    assert value(result, "city", "city_a_class", "C2") == 0  # Z3 has no enterprise
    assert value(result, "city", "starred", "C1") == 1


def test_members_described_by_static_attributes_only_take_part_in_every_period(result):
    assert value(result, "enterprise", "tax_paid", "E1") == 12
    assert value(result, "enterprise", "tax_paid", "E2") == 0  # paid after the period's end
    assert value(result, "enterprise", "tax_paid", "E3") == 0  # no payment: a sum of nothing is 0


def test_sum_mean_min_max_leave_out_members_with_missing_data(result):
    assert value(result, "industrial_zone", "zone_revenue", "Z1") == 40
    assert value(result, "industrial_zone", "zone_revenue", "Z2") == 20  # E4 left out
    assert value(result, "city", "mean_revenue", "C1") == 20  # (10 + 30 + 20) / 3
    assert value(result, "industrial_zone", "lowest", "Z1") == 10
    assert value(result, "industrial_zone", "highest", "Z1") == 30


def test_mean_min_max_of_no_member_are_unknown_and_a_date_has_a_max(result):
    assert str(value(result, "city", "mean_revenue", "C2")) == "unknown"
    assert str(value(result, "industrial_zone", "lowest", "Z3")) == "unknown"
    assert str(value(result, "industrial_zone", "latest_retrofit", "Z1")).startswith("2019-05-01")


def test_any_and_all_follow_kleene_logic_over_the_members(result):
    assert value(result, "industrial_zone", "all_a", "Z1") is False  # E2 is B
    assert str(value(result, "industrial_zone", "all_a", "Z2")) == "unknown"  # E3 A, E4 unknown
    assert value(result, "industrial_zone", "all_a", "Z3") is True  # no member: vacuously
    assert value(result, "industrial_zone", "any_c", "Z1") is False
    assert str(value(result, "industrial_zone", "any_c", "Z2")) == "unknown"


def test_sum_and_mean_of_percents_over_members_are_percents_on_every_executor(policy_from_text):
    """They crashed the row executor and explanations (0 + a Percent); the columnar executor was right."""
    policies = policy_from_text(SCHEMA.replace("  yearly revenue: money", "  yearly revenue: money\n  yearly growth: percent")
                                + """
value mean_growth for industrial_zone: percent = mean(growth over enterprise via zone)
value summed_growth for industrial_zone: percent = sum(growth over enterprise via zone)
outcome slow "慢" is sanction
rule slow_zone implements t.1 cite "一" for industrial_zone when mean_growth < 5% then slow
""")
    rows = {**ROWS, "enterprise": [{**row, "growth": g} for row, g in zip(ROWS["enterprise"], (3, 4, 12.5, None, 1, 1))]}
    result = policies.evaluate(rows, period="2020")
    assert str(value(result, "industrial_zone", "mean_growth", "Z1")) == "3.5%"
    assert str(value(result, "industrial_zone", "summed_growth", "Z1")) == "7%"
    assert [(d.entity, d.outcome) for d in result.decisions] == [("Z1", "slow")]
    assert [(d.entity, d.outcome) for d in policies.evaluate(rows, period="2020", executor="columnar").decisions] == \
        [("Z1", "slow")]
    assert result.explain("Z1", "slow", "2020").status == "active"


def test_a_rule_on_the_city_fires_once_per_city_and_year(policy_from_text):
    policies = policy_from_text(SCHEMA + VALUES + """
outcome many "多" is reward
rule many_a implements t.1 cite "一" for city when city_a_class >= 2 then many
""")
    decisions = policies.evaluate(ROWS).decisions
    assert [(d.entity, str(d.period)) for d in decisions] == [("C1", "2020")]


def test_an_aggregate_across_kinds_is_unit_checked(compile_text):
    compiled = compile_text(SCHEMA + """
value wrong for industrial_zone = sum(revenue over enterprise via zone) + 5%
""")
    assert {d.code for d in compiled.diagnostics} == {"E202"}


def test_an_aggregate_with_two_reference_chains_needs_via(compile_text):
    compiled = compile_text(SCHEMA + "value n for industrial_zone = count(enterprise where class = A)\n")
    [diagnostic] = compiled.diagnostics
    assert diagnostic.code == "E221" and "via zone" in diagnostic.hint or "via host_zone" in diagnostic.hint


EXPLAINED = SCHEMA + VALUES + """
outcome all_retrofitted "全部改造" is reward
rule retrofit_all implements t.2 cite "二" for industrial_zone
  when count(enterprise via zone where class = A and retrofitted_on <= 2019-12-31) >= 2
  then all_retrofitted
outcome two_a "两家A类" is reward
rule two_a_rule implements t.3 cite "三" for city when city_a_class >= 2 then two_a
"""


def test_the_explanation_of_a_count_names_the_members_and_those_left_out(policy_from_text):
    result = policy_from_text(EXPLAINED).evaluate(ROWS)
    text = explanation_text(result.explain("C1", "two_a", "2020"))
    assert "2 enterprise where class = A (via zone.city): E1, E3" in text
    assert "E4: missing class of E4 in 2020" in text
    assert "E2 fell short: class = B" in text


def test_why_not_of_a_count_says_which_members_fell_short_and_by_what(policy_from_text):
    result = policy_from_text(EXPLAINED).evaluate(ROWS)
    explanation = result.why_not("Z1", "all_retrofitted", "2020")
    text = explanation_text(explanation)
    assert "1 enterprise where class = A and retrofitted_on <= 2019-12-31 (via zone): E1" in text
    assert "E2 fell short: class = B" in text
    [members] = list(member_nodes(explanation_json(explanation)["rules"][0]["condition"]))
    assert [m["entity"] for m in members["counted"]] == ["E1"]
    assert [m["entity"] for m in members["excluded"]] == ["E2"]


def test_text_shortens_a_long_member_list_and_json_keeps_all_of_it(policy_from_text):
    rows = {"city": [{"id": "C1", "name": "一"}],
            "industrial_zone": [{"id": "Z1", "period": "2020", "city": "C1", "star_level": 1}],
            "enterprise": [{"id": f"E{n:02d}", "period": "2020", "zone": "Z1", "host_zone": "Z1", "class": "A",
                            "revenue": n} for n in range(1, 16)]}
    result = policy_from_text(EXPLAINED).evaluate(rows)
    explanation = result.explain("C1", "two_a", "2020")
    assert "E01, E02, E03, E04, E05, E06, E07, E08, E09, E10, … (5 more)" in explanation_text(explanation)
    [members] = list(member_nodes(explanation_json(explanation)["rules"][0]["condition"]))
    assert len(members["counted"]) == 15
    assert "E15" in explanation_dot(explanation)


def test_chinese_explanation_of_members(policy_from_text):
    result = policy_from_text(EXPLAINED).evaluate(ROWS)
    text = explanation_text(result.explain("C1", "two_a", "2020"), "zh")
    assert "2 个满足「class = A」的enterprise（经 zone的city）：E1, E3" in text
    assert "1 个enterprise因数据缺失未计入：" in text and "E4：缺失 E4 2020 的class" in text
