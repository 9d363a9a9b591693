"""`previous` and `change` of a derived value read a period only where the entity has a record
there (G4/G8): a period without one is unknown, never a value computed from nothing (a default,
a count of no members, a running total carried over the gap). Every executor and the oracle agree."""

from __future__ import annotations

import policydsl
from policydsl.values import NO_RECORD, Period, Unknown

POLICY = """
policy demo
entity city "市"
  yearly gdp "生产总值": integer
entity firm "企业"
  static city: ref city
  yearly score: integer
value filled "补零得分" for firm: integer = value_or(score, 0)
value firms "企业数" for city = count(firm)
value last_filled for firm: integer = previous(filled)
value filled_change for firm: integer = change(filled)
value last_firms for city: integer = previous(firms)
outcome low_before "上年得分为零" is measure
outcome no_firms_before "上年无企业" is measure
rule low_last_year
  implements demo.1
  cite "一"
  for firm
  when previous(filled) = 0
  then low_before
rule empty_last_year
  implements demo.2
  cite "二"
  for city
  when previous(firms) = 0
  then no_firms_before
"""

ROWS = {
    # F1 has no record in 2019: its `filled` there would be 0 from nothing
    "firm": [{"id": "F1", "period": "2018", "city": "C1", "score": 5},
             {"id": "F1", "period": "2020", "city": "C1", "score": 7},
             # F2 has a record in 2019 without a score: value_or gives 0 there, on purpose
             {"id": "F2", "period": "2019", "city": "C1"},
             {"id": "F2", "period": "2020", "city": "C1", "score": 3}],
    # C1 has no record in 2018: it has no firms then, but that is not known from a row
    "city": [{"id": "C1", "period": "2019", "gdp": 1}, {"id": "C1", "period": "2020", "gdp": 2}],
}


def load(tmp_path):
    from differential import write

    paths = write(tmp_path, {"p.pol": POLICY})
    return policydsl.load(*paths), paths


def test_previous_of_a_derived_value_is_unknown_where_the_entity_has_no_record(tmp_path):
    policies, _ = load(tmp_path)
    run = policies.evaluate(ROWS).evaluation.run
    gap = run.derived("firm", "last_filled", "F1", Period.parse("2020"))
    assert isinstance(gap, Unknown)
    assert [(m.entity, m.fact, m.period) for m in gap.missing] == [("F1", NO_RECORD, "2019")]
    assert isinstance(run.derived("firm", "filled_change", "F1", Period.parse("2020")), Unknown)
    # a period with a record is read as before, a defaulted value included
    assert run.derived("firm", "last_filled", "F2", Period.parse("2020")) == 0
    assert run.derived("firm", "filled_change", "F2", Period.parse("2020")) == 3
    assert isinstance(run.derived("city", "last_firms", "C1", Period.parse("2019")), Unknown)
    assert run.derived("city", "last_firms", "C1", Period.parse("2020")) == 1  # F2 alone in 2019


def test_a_rule_on_previous_of_a_derived_value_does_not_fire_across_a_gap(tmp_path):
    policies, _ = load(tmp_path)
    result = policies.evaluate(ROWS)
    fired = sorted((d.entity, str(d.period), d.outcome) for d in result.decisions)
    assert fired == [("F2", "2020", "low_before")]
    why_not = result.why_not("F1", "low_before", "2020")
    assert why_not.status == "not_evaluable"
    text = policydsl.explanation_text(why_not, "en")
    assert "a record of F1 in 2019" in text
    assert "F1 2019 的记录" in policydsl.explanation_text(why_not, "zh")


def test_every_executor_and_the_oracle_agree_on_previous_across_a_gap(tmp_path):
    from differential import check_every_executor

    policies, paths = load(tmp_path)
    check_every_executor(policies, paths, ROWS)
