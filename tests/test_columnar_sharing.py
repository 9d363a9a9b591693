"""The columnar lowering computes a history walk, a group aggregate or a read of another kind
once per frame however many rules write it (equal IR, spans aside), and decides as before."""

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


def test_a_walk_or_aggregate_written_in_several_rules_is_one_column(tmp_path):
    policy_set = load_text(tmp_path, SOURCE)
    plan = policy_set.plan
    dataset = dataset_from_mapping(ROWS, plan.program.entities)
    frames = Frames(plan, tables_from_dataset(dataset, plan.program.entities), {"year": [2018, 2019, 2020]}, 0, None)
    _grid, lowering = frames.get("zone", "year")
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
