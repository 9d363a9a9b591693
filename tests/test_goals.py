"""Compound targets: a target stated in parts has its own verdict beside its parts'."""

from __future__ import annotations

import pytest

from policydsl.values import Unknown

TARGETS = """
policy demo
  title "示范方案"
  issued 2018-01-01

entity city "市"
  yearly sewage_pct "污水集中处理率": percent
  yearly waste_pct "固废集中处理率": percent
  yearly share_pct "占比": percent
  yearly reported "已报送": boolean

target sewage_95
  implements demo.1
  part sewage
  cite "一"
  for city
  when reported
  require sewage_pct >= 95%
target waste_95
  implements demo.1
  part waste
  cite "一"
  for city
  when reported
  require waste_pct >= 95%
target share_about_30
  implements demo.1
  part share
  cite "一"
  for city
  approximately share_pct near 30%
"""


def verdicts(result, target="demo.1"):
    return sorted(d.outcome for d in result.decisions if d.target == target)


@pytest.mark.parametrize(("row", "expected"), [
    ({"sewage_pct": 95, "waste_pct": 96, "reported": True}, ["target_met"]),
    ({"sewage_pct": "94.9", "waste_pct": 96, "reported": True}, ["target_not_met"]),
    ({"sewage_pct": 99, "waste_pct": 80, "reported": True}, ["target_not_met"]),
    ({"sewage_pct": 99, "reported": True}, []),  # a part not evaluable: the target itself neither
    ({"sewage_pct": 10, "reported": True}, []),  # … even when another part is missed
    ({"sewage_pct": 99, "waste_pct": 99, "reported": False}, []),  # the target is not set this period
    ({"sewage_pct": 99, "waste_pct": 99}, []),  # whether the target is set is unknown
])
def test_a_compound_target_is_met_only_when_every_part_is_and_not_evaluable_while_a_part_is(
        policy_from_text, row, expected):
    result = policy_from_text(TARGETS).evaluate({"city": [{"id": "K", "period": "2018", "share_pct": 31, **row}]})
    assert verdicts(result) == expected
    # the parts keep their own verdicts, the approximate part its reported figure
    assert verdicts(result, "demo.1#share") == ["target_reported"]


def test_why_a_compound_target_is_not_evaluable_names_the_missing_part(policy_from_text):
    result = policy_from_text(TARGETS).evaluate({"city": [{"id": "K", "period": "2018", "sewage_pct": 10,
                                                           "reported": True}]})
    whole = {r.rule: r.condition for r in result.evaluation.results if "demo.1~all" in r.rule}
    assert whole["demo::demo.1~all"] is False  # a part is missed: certainly not met
    not_met = whole["demo::demo.1~all~not_met"]  # but whether it is `not met` waits for the other part
    assert isinstance(not_met, Unknown) and {m.fact for m in not_met.missing} == {"waste_pct"}


def test_parts_on_different_entity_kinds_give_no_verdict_for_the_whole(policy_from_text):
    text = TARGETS.replace('  yearly reported "已报送": boolean\n', '  yearly reported "已报送": boolean\n'
                           'entity zone "集聚区"\n  yearly waste_pct "固废集中处理率": percent\n')
    text = text.replace("  part waste\n  cite \"一\"\n  for city\n  when reported\n", "  part waste\n  cite \"一\"\n  for zone\n")
    result = policy_from_text(text).evaluate({"city": [{"id": "K", "period": "2018", "sewage_pct": 99,
                                                        "reported": True}],
                                              "zone": [{"id": "Z", "period": "2018", "waste_pct": 99}]})
    assert verdicts(result) == []
    assert verdicts(result, "demo.1#sewage") == ["target_met"]
    assert verdicts(result, "demo.1#waste") == ["target_met"]


def test_parts_set_under_different_conditions_give_no_verdict_for_the_whole(policy_from_text):
    text = TARGETS.replace("  part waste\n  cite \"一\"\n  for city\n  when reported\n",
                           "  part waste\n  cite \"一\"\n  for city\n  when not reported\n")
    result = policy_from_text(text).evaluate({"city": [{"id": "K", "period": "2018", "sewage_pct": 99,
                                                        "waste_pct": 99, "reported": True}]})
    assert verdicts(result) == [] and verdicts(result, "demo.1#sewage") == ["target_met"]
