"""`reported(KIND [via …] [where …])` — whether an entity of another kind whose references lead
here has a row in the period — and values defined only where a condition holds (`value V for K =
E when C`: unknown elsewhere, G8). Together they say "no member rows is a missing figure, not
zero" (the shipped policies' city totals) in words, where a `max(1 over KIND)` multiplier did."""

from __future__ import annotations

import pytest

import policydsl
from policydsl.values import Period, Unknown

POLICY = """\
policy demo
entity city "市"
  static name: text
entity zone "产业集聚区"
  static city: ref city
  yearly investment "投资": money
  yearly starred: boolean
value zones_reported "有产业集聚区报送" for city = reported(zone)
value starred_reported for city = reported(zone where starred)
value zones_investment "产业集聚区投资合计" for city = sum(investment over zone)
  when reported(zone)
value zones_count for city: integer = count(zone)
  when reported(zone)
outcome big_city "投资大市" is measure
rule big
  implements demo.1
  cite "一"
  for city
  when zones_investment >= 100万元
  then big_city
"""

ROWS = {
    "city": [{"id": "C1", "name": "甲"}, {"id": "C2", "name": "乙"}],
    "zone": [{"id": "Z1", "period": "2018", "city": "C1", "investment": 60, "starred": True},
             {"id": "Z2", "period": "2018", "city": "C1", "investment": 50},  # starred missing
             {"id": "Z1", "period": "2019", "city": "C1", "investment": 10, "starred": False},
             # C2 has zone rows in 2019 only: its 2018 total is missing, not 0
             {"id": "Z3", "period": "2019", "city": "C2", "investment": 0, "starred": False}],
}


@pytest.fixture
def policies(policy_from_text):
    return policy_from_text(POLICY)


def value(result, name, entity, period):
    return result.evaluation.run.derived("city", name, entity, Period.parse(period))


def test_reported_says_whether_the_kind_has_rows_for_the_entity_in_the_period(policies):
    result = policies.evaluate(ROWS)
    assert value(result, "zones_reported", "C1", "2018") is True
    assert value(result, "zones_reported", "C2", "2018") is False
    assert value(result, "zones_reported", "C2", "2019") is True
    # with `where`: a member whose filter is unknown makes it unknown only when no member decides
    assert value(result, "starred_reported", "C1", "2018") is True
    assert value(result, "starred_reported", "C1", "2019") is False


def test_a_value_when_a_condition_fails_is_unknown_never_zero(policies):
    result = policies.evaluate(ROWS)
    assert value(result, "zones_investment", "C1", "2018") == 110
    assert value(result, "zones_count", "C1", "2018") == 2
    assert isinstance(value(result, "zones_investment", "C2", "2018"), Unknown)  # no rows: missing, not 0
    assert isinstance(value(result, "zones_count", "C2", "2018"), Unknown)
    assert value(result, "zones_investment", "C2", "2019") == 0  # a row with 0 is a known 0
    assert [(d.entity, str(d.period)) for d in result.decisions if d.outcome == "big_city"] == [("C1", "2018")]
    why_not = result.why_not("C2", "big_city", "2018")
    assert why_not.status == "not_evaluable"


def test_explanations_say_it_in_words_in_english_and_chinese(policies):
    result = policies.evaluate(ROWS)
    why_not = result.why_not("C2", "big_city", "2018")
    english = policydsl.explanation_text(why_not, "en")
    assert "when reported(zone via city) = unknown" in english and "✗ reported(zone)" in english
    chinese = policydsl.explanation_text(why_not, "zh")
    assert "仅当有产业集聚区报送数据，否则缺失" in chinese
    fired = policydsl.explanation_text(result.explain("C1", "big_city", "2018"), "zh")
    assert "有产业集聚区报送数据" in fired


def test_every_executor_and_the_oracle_agree_on_reported_and_when(tmp_path):
    from differential import check_every_executor, write

    paths = write(tmp_path, {"p.pol": POLICY})
    check_every_executor(policydsl.load(*paths), paths, ROWS)


def test_fmt_round_trips_a_value_with_when():
    from test_payload_fields import printed_again

    printed = printed_again(POLICY)
    assert "\n  when reported(zone)\n" in printed


@pytest.mark.parametrize(("text", "code"), [
    ("value v for city = count(zone)\n  when count(zone)\n", "E202"),
    ("value v for city = reported(investment over zone)\n", "E210"),
    ("value v for city = reported(zon)\n", "E201"),
])
def test_reported_and_when_are_checked(tmp_path, text, code):
    (tmp_path / "p.pol").write_text(POLICY + text, encoding="utf-8")
    assert code in {d.code for d in policydsl.compile_paths([tmp_path / "p.pol"]).diagnostics}


def test_the_shipped_policies_say_it_with_reported_not_a_multiplier():
    from conftest import ROOT

    texts = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "policies").rglob("*.pol"))
    assert "max(1 over" not in texts and "_reported" not in texts
    assert "when reported(industrial_zone)" in texts
