"""The columnar lowering computes a history walk, a group aggregate or a read of another kind
once per frame however many rules write it (equal IR, spans aside), lowers any other expression
written in several rules once, and decides as before."""

from __future__ import annotations

from test_properties import load_text

from policydsl.engine.columnar.across import Frames
from policydsl.engine.columnar.columns import tables_from_dataset
from policydsl.engine.data import dataset_from_mapping

SOURCE = """
policy shared
  issued 2010-01-01
entity zone
  group by city
  static city: text
  yearly score: integer
outcome high "高" is measure
outcome top "顶" is measure
outcome steady "稳" is measure
rule high implements shared.1 cite "1" for zone when score * 2 >= group_max(score) then high
rule top implements shared.2 cite "2" for zone when score = group_max(score) and streak(score > 1) >= 2 then top
rule steady implements shared.3 cite "3" for zone when streak(score > 1) >= 1 then steady
"""

ROWS = {"zone": [{"id": zone, "period": str(year), "city": "C", "score": score}
                 for zone, scores in (("a", (1, 2, 4)), ("b", (3, 3, 2)))
                 for year, score in zip((2018, 2019, 2020), scores)]}


def _zone_frame(tmp_path, source: str, rows: dict, years: list[int]):
    """The policy set and the lowering of its zones' yearly frame, over the rows."""
    policy_set = load_text(tmp_path, source)
    plan = policy_set.plan
    dataset = dataset_from_mapping(rows, plan.program.entities)
    frames = Frames(plan, tables_from_dataset(dataset, plan.program.entities), {"year": years}, 0, None)
    return policy_set, frames.get("zone", "year")[1]


def test_a_walk_or_aggregate_written_in_several_rules_is_one_column(tmp_path):
    policy_set, lowering = _zone_frame(tmp_path, SOURCE, ROWS, [2018, 2019, 2020])
    plan = policy_set.plan
    for compiled in plan.rules:
        lowering.boolean(compiled.rule.condition)
    names = [step.meta.output_name() for step in lowering.steps]
    assert len([n for n in names if n.startswith("a:")]) == 1  # group_max(score), once
    assert len([n for n in names if n.startswith("h:")]) == 1  # streak(score > 1), once
    row = policy_set.evaluate(ROWS).decisions
    assert policy_set.evaluate(ROWS, executor="columnar").decisions == row
    assert sorted((d.entity, str(d.period), d.outcome) for d in row if d.period.year == 2020) == [
        ("a", "2020", "high"), ("a", "2020", "steady"), ("a", "2020", "top"), ("b", "2020", "high"),
        ("b", "2020", "steady")]


QUOTIENTS = """
policy quotients
  issued 2010-01-01
entity zone
  group by city
  static city: text
  yearly score: integer
  yearly base: integer
outcome share_high "高" is measure
outcome share_capped "封顶" is measure
outcome third_high "三分之一" is measure
rule share_high implements quotients.1 cite "1" for zone when score / base >= 1 / 2 then share_high
rule share_capped implements quotients.2 cite "2" for zone when min(1, max(0, score / base)) = 1 then share_capped
rule third_high implements quotients.3 cite "3" for zone when score / 3 >= 2 then third_high
"""

QUOTIENT_ROWS = {"zone": [{"id": zone, "period": "2020", "city": "C", "score": score, "base": base}
                          for zone, score, base in (("a", 6, 12), ("b", 5, 12), ("c", 12, 12), ("d", 13, 12),
                                                    ("e", 7, 0), ("f", -1, 4))]}


def test_a_quotient_is_one_column_and_a_constant_divisor_keeps_one_denominator(tmp_path):
    """`score / base` is read by its comparisons and the clamps (value, null test, sign): computed
    once as a column of the frame, not once per place; `score / 3` stays a scaled integer (no
    per-row denominator), and both decide at the boundaries exactly as the row executor."""
    from policydsl.engine.columnar.operators import Num
    policy_set, lowering = _zone_frame(tmp_path, QUOTIENTS, QUOTIENT_ROWS, [2020])
    plan = policy_set.plan
    by_name = {c.rule.name.split("::")[-1]: c.rule.condition for c in plan.rules}
    for compiled in plan.rules:
        lowering.boolean(compiled.rule.condition)
    quotient = by_name["share_high"].left  # score / base
    assert lowering.lower(quotient) is lowering.lower(quotient)
    names = [step.meta.output_name() for step in lowering.steps]
    assert names.count(f"e:{id(quotient)}") == 1 and names.count(f"e:{id(quotient)}/den") == 1
    third = lowering.lower(by_name["third_high"].left)  # score / 3
    assert isinstance(third, Num) and third.static and third.den == 3
    row = policy_set.evaluate(QUOTIENT_ROWS).decisions
    assert policy_set.evaluate(QUOTIENT_ROWS, executor="columnar").decisions == row
    assert sorted((d.entity, d.outcome) for d in row) == [
        ("a", "share_high"), ("a", "third_high"), ("c", "share_capped"), ("c", "share_high"), ("c", "third_high"),
        ("d", "share_capped"), ("d", "share_high"), ("d", "third_high"), ("e", "third_high")]


REPEATED = """
policy repeated
  issued 2010-01-01
entity zone
  group by city
  static city: text
  yearly score: integer
outcome low "低" is measure
outcome high "高" is measure
rule low implements repeated.1 cite "1" for zone when city = "C" and score * 3 < 7 then low
rule high implements repeated.2 cite "2" for zone when city = "C" and score * 3 >= 7 then high
"""


def test_an_expression_written_in_several_rules_is_lowered_once_per_frame(tmp_path):
    policy_set, lowering = _zone_frame(tmp_path, REPEATED, ROWS, [2018, 2019, 2020])
    low, high = (compiled.rule.condition for compiled in policy_set.plan.rules)
    # the same test of the city and the same product, each its own node in each rule
    assert low.operands[0] == high.operands[0] and low.operands[0] is not high.operands[0]
    assert lowering.lower(low.operands[0]) is lowering.lower(high.operands[0])
    product = low.operands[1].left
    assert product == high.operands[1].left and lowering.lower(product) is lowering.lower(high.operands[1].left)
    row = policy_set.evaluate(ROWS).decisions
    assert policy_set.evaluate(ROWS, executor="columnar").decisions == row
    assert {(d.entity, str(d.period), d.outcome) for d in row} == {
        ("a", "2018", "low"), ("a", "2019", "low"), ("a", "2020", "high"),
        ("b", "2018", "high"), ("b", "2019", "high"), ("b", "2020", "low")}
