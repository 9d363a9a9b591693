"""What an explanation says besides the values: the entity a reference leads to, the group an
aggregate saw (how many members, how many without a value, the first twelve in order), the
case chosen when no period is given, and where a deep chain of derived values is cut."""

from __future__ import annotations

import json

import policydsl
from policydsl.render import explanation_json, explanation_text
from policydsl.render.messages import say

SCHEMA = """
policy demo
entity area
  yearly area_score: integer
entity unit
  group by region
  static region: ref area
  yearly score: integer
outcome flagged "标记" is measure
"""


def rule(condition: str) -> str:
    return f'rule r\n  implements demo.1\n  cite "一"\n  for unit\n  when {condition}\n  then flagged\n'


def english(detail) -> list[str]:
    """The explainer's notes (keyed messages) as the English catalogue writes them."""
    return [say(note, "en") for note in detail]


def unit(id_, period, score=None, region="R1"):
    row = {"id": id_, "period": period, "region": region}
    if score is not None:
        row["score"] = score
    return row


def test_a_reference_trace_names_the_entity_it_leads_to_and_its_value(policy_from_text):
    policies = policy_from_text(SCHEMA + rule("region.area_score > 1"))
    result = policies.evaluate({"area": [{"id": "R1", "period": "2017", "area_score": 5}],
                                "unit": [unit("u1", "2017", 1)]})
    via = result.explain("u1", "flagged", "2017").rules[0].condition.children[0]
    assert via.kind == "via" and english(via.detail) == ["area R1"] and via.detail[0].key == "note.via"
    assert via.value == 5
    assert [c.value for c in via.children] == ["R1", 5]
    assert via.children[1].entity == "R1"


def test_an_aggregate_trace_counts_the_members_without_a_value(policy_from_text):
    policies = policy_from_text(SCHEMA + rule("rank(score) <= 1"))
    full = policies.evaluate({"unit": [unit("u1", "2017", 5), unit("u2", "2017", 3)]})
    detail = full.explain("u1", "flagged", "2017").rules[0].condition.children[0].detail
    assert english(detail) == ["group region = R1: 2 members in 2017", "ordered descending: u1 5, u2 3"]
    assert [d.key for d in detail] == ["note.group", "note.descending"] and detail[0].arg("n") == 2
    partial = policies.evaluate({"unit": [unit("u1", "2017", 5), unit("u2", "2017")]})
    detail = partial.explain("u1", "flagged", "2017").rules[0].condition.children[0].detail
    assert english(detail)[0] == "group region = R1: 2 members in 2017, 1 without a value"
    assert say(detail[0], "zh") == "分组 region = R1：2017 期成员共2个，其中1个无数值"


def test_an_aggregate_trace_lists_twelve_members_then_an_ellipsis(policy_from_text):
    policies = policy_from_text(SCHEMA + rule("rank(score) <= 1"))
    twelve = policies.evaluate({"unit": [unit(f"u{i:02}", "2017", 100 - i) for i in range(12)]})
    detail = english(twelve.explain("u00", "flagged", "2017").rules[0].condition.children[0].detail)
    assert detail[1].count(",") == 11 and not detail[1].endswith("…")
    thirteen = policies.evaluate({"unit": [unit(f"u{i:02}", "2017", 100 - i) for i in range(13)]})
    detail = english(thirteen.explain("u00", "flagged", "2017").rules[0].condition.children[0].detail)
    assert detail[1].count(",") == 11 and detail[1].endswith(" …") and "u12" not in detail[1]


def test_without_a_period_the_explanation_is_of_the_latest_decision(policy_from_text):
    policies = policy_from_text(SCHEMA + rule("score > 1"))
    result = policies.evaluate({"unit": [unit("u1", "2015", 5), unit("u1", "2016", 5), unit("u1", "2017", 0)]})
    assert result.explain("u1", "flagged").period == "2016"
    assert result.why_not("u1", "flagged").period == "2016"
    nothing = policies.evaluate({"unit": [unit("u1", "2015", 0), unit("u1", "2016", 0)]})
    assert nothing.why_not("u1", "flagged").period == "2016"  # no decision: the latest record


def test_an_explanation_is_about_the_kind_whose_rules_decide_the_outcome(policy_from_text):
    policies = policy_from_text(SCHEMA + rule("score > 1"))
    result = policies.evaluate({"area": [{"id": "X", "period": "2017", "area_score": 1}],
                                "unit": [unit("X", "2017", 5)]})
    assert result.explain("X", "flagged", "2017").entity_kind == "unit"


def test_a_deep_chain_of_values_is_cut_after_trace_depth_levels_with_its_value(policy_from_text):
    from policydsl.engine.explain import TRACE_DEPTH

    values = "value d0 for unit = score\n" + "".join(
        f"value d{i} for unit = d{i - 1} + 1\n" for i in range(1, 60))
    policies = policy_from_text(SCHEMA + values + rule("d59 > 0"))
    result = policies.evaluate({"unit": [unit("u1", "2017", 1)]})
    node, depth = result.explain("u1", "flagged", "2017").rules[0].condition, 0
    while node.children:
        node, depth = node.children[0], depth + 1
    assert [d.key for d in node.detail] == ["note.cut"] and depth == TRACE_DEPTH + 1


def test_a_long_sum_is_one_level_deep_so_its_terms_and_their_facts_are_all_traced(policy_from_text):
    """A 16-term score was cut inside its own `+` chain: the substituted line wrote partial sums
    as if they were terms, and facts under the cut were missing from "facts read"."""
    terms = " + ".join(f"score * {i}" for i in range(1, 40))
    policies = policy_from_text(SCHEMA + f"value total for unit = {terms}\nvalue deep for unit = total + 0\n"
                                + rule("deep > 0"))
    explanation = policies.evaluate({"unit": [unit("u1", "2017", 1)]}).explain("u1", "flagged", "2017")

    def cut(node):
        return any(d.key == "note.cut" for d in node.detail) or any(cut(c) for c in node.children)
    assert not cut(explanation.rules[0].condition)
    assert [(f.text, f.value) for f in explanation.facts] == [("score", 1)]
    text = explanation_text(explanation)
    assert " + ".join(f"1 × {i}" for i in range(1, 40)) + " = 780" in text  # every term, its own value
    assert sum(line.strip().startswith("score * 1 + score * 2") for line in text.splitlines()) == 0  # no partial sums
    assert sum(line.strip().startswith("score * 39 =") for line in text.splitlines()) == 1


def test_a_dangling_reference_is_traced_without_the_entity_it_does_not_reach(policy_from_text):
    policies = policy_from_text(SCHEMA + rule("region.area_score > 1"))
    result = policies.evaluate({"area": [{"id": "R1", "period": "2017", "area_score": 5}],
                                "unit": [unit("u1", "2017", 1, region="R9")]})
    via = result.why_not("u1", "flagged", "2017").rules[0].condition.children[0]
    assert via.kind == "via" and [c.value for c in via.children] == ["R9"]


def test_a_group_of_every_entity_is_named_so(policy_from_text):
    policies = policy_from_text(SCHEMA + rule("rank(score, within: all) <= 1"))
    result = policies.evaluate({"unit": [unit("u1", "2017", 5), unit("u2", "2017", 3, region="R2")]})
    detail = english(result.explain("u1", "flagged", "2017").rules[0].condition.children[0].detail)
    assert detail[0] == "group all unit: 2 members in 2017"


def test_a_period_the_entity_has_no_record_in_is_explained_as_no_record(policy_from_text):
    """u2 has no 2016 record (u1 has one, so 2016 is a period of the data): the explanation says
    there is no record, rather than evaluating the rule on facts that are not there."""
    policies = policy_from_text(SCHEMA + rule("is_missing(score)"))
    result = policies.evaluate({"unit": [unit("u1", "2016", 5), unit("u1", "2017", 5), unit("u2", "2017", 3)]})
    for explain in (result.explain, result.why_not):
        explanation = explain("u2", "flagged", "2016")
        assert (explanation.status, explanation.period, explanation.rules) == ("no_record", "2016", ())
    assert result.why_not("u2", "flagged", "2017").status == "not_fired"


def test_a_condition_false_whatever_the_missing_data_is_not_fired_and_one_that_held_with_an_unknown_amount_is_not_evaluable(
        policy_from_text):
    """G8 in why-not: `score >= 5 and region.area_score > 1` is false for a score of 3 though the
    area's score is missing (the rule did not fire, whatever the missing fact); a condition that
    held with an amount that needs a missing fact left the rule undecided (not evaluable)."""
    policies = policy_from_text(SCHEMA.replace('outcome flagged "标记" is measure', """
        outcome flagged "标记" is measure
        outcome paid "奖励" is reward with amount
        """) + rule("score >= 5 and region.area_score > 1") + """
rule p
  implements demo.2
  cite "二"
  for unit
  when score >= 1
  then paid amount region.area_score * 1万元
""")
    result = policies.evaluate({"area": [{"id": "R1", "period": "2017"}], "unit": [unit("u1", "2017", 3)]})
    false_anyway = result.why_not("u1", "flagged", "2017")
    assert false_anyway.status == "not_fired"
    assert [part.value for part in false_anyway.rules[0].failed][0] is False
    undecided = result.why_not("u1", "paid", "2017")
    assert undecided.status == "not_evaluable" and undecided.rules[0].fired is False
    assert [part.text for part in undecided.rules[0].failed] == ["region.area_score * 1万元"]


def test_why_not_blames_each_failing_part_of_an_and_but_an_or_as_a_whole(policy_from_text):
    """No single operand of a failed `or` (or `not`) is to blame: the whole is the failed part;
    each failing operand of an `and` is a failed part of its own."""
    policies = policy_from_text(SCHEMA + rule("(score >= 5 or score <= 0) and score >= 4 and not (score = 3)"))
    result = policies.evaluate({"unit": [unit("u1", "2017", 3)]})
    failed = result.why_not("u1", "flagged", "2017").rules[0].failed
    assert [(part.kind, part.text) for part in failed] == [
        ("logic", "(score >= 5 or score <= 0)"), ("compare", "score >= 4"), ("logic", "not (score = 3)")]


def test_a_cross_kind_sum_is_explained_with_each_member_and_its_value(policy_from_text):
    """`sum(score over unit)` for an area: the explanation lists each counted unit with the value
    summed, and the unit left out for its missing score; a count lists its members as counted."""
    policies = policy_from_text(SCHEMA + """
outcome big "大" is measure
rule a
  implements demo.2
  cite "二"
  for area
  when sum(score over unit) >= 5 and count(unit where score >= 3) >= 1
  then big
""")
    result = policies.evaluate({"area": [{"id": "R1", "period": "2017", "area_score": 1}],
                                "unit": [unit("u1", "2017", 2), unit("u2", "2017", 4), unit("u3", "2017")]})
    condition = result.explain("R1", "big", "2017").rules[0].condition
    summed, counted = (compare.children[0] for compare in condition.children)
    assert (summed.kind, summed.value, counted.kind, counted.value) == ("members", 6, "members", 1)
    assert summed.members.counted == (("u1", 2), ("u2", 4))
    assert [member for member, _ in summed.members.left_out] == ["u3"]
    assert counted.members.counted == (("u2", True),)
    assert [s.member for s in counted.members.excluded] == ["u1"]



def test_a_conditional_shows_the_else_branch_when_false_and_no_branch_when_unknown(policy_from_text):
    policies = policy_from_text(SCHEMA + rule("(if score > 2 then score * 10 else score + 1000) > 0"))
    result = policies.evaluate({"unit": [unit("u1", "2017", 1), unit("u2", "2017")]})
    taken = result.explain("u1", "flagged", "2017").rules[0].condition.children[0]
    assert [c.text for c in taken.children] == ["score > 2", "score + 1000"] and taken.value == 1001
    unknown = result.why_not("u2", "flagged", "2017").rules[0].condition.children[0]
    assert [c.text for c in unknown.children] == ["score > 2"]


def test_without_a_period_the_latest_decision_is_the_entitys_own_for_that_outcome(policy_from_text):
    policies = policy_from_text(SCHEMA + rule("score > 1").replace("then flagged", "then flagged, noted") + """
outcome noted "记" is measure
""")
    result = policies.evaluate({"unit": [unit("u1", "2016", 5), unit("u1", "2017", 0), unit("u2", "2017", 5)]})
    assert result.explain("u1", "flagged").period == "2016"  # u2's 2017 decision is not u1's


def test_an_explanation_of_one_outcome_of_a_rule_shows_that_outcomes_amount_only(policy_from_text):
    policies = policy_from_text(SCHEMA.replace('outcome flagged "标记" is measure', """
        outcome a0 "甲" is reward with amount
        outcome a1 "乙" is reward with amount
        """) + """
rule p
  implements demo.2
  cite "二"
  for unit
  when score >= 1
  then a0 amount score * 1万元, a1 amount 7万元
""")
    result = policies.evaluate({"unit": [unit("u1", "2017", 3)]})
    assert [part.value for part in result.explain("u1", "a0", "2017").rules[0].payload] == [3]
    assert [part.value for part in result.explain("u1", "a1", "2017").rules[0].payload] == [7]


def test_a_rule_of_a_policy_not_in_force_is_shown_not_fired(policy_from_text):
    policies = policy_from_text(SCHEMA.replace("policy demo", "policy demo\n  in_force_from 2018-01-01")
                                + rule("score >= 1"))
    explanation = policies.evaluate({"unit": [unit("u1", "2017", 3)]}).why_not("u1", "flagged", "2017")
    assert explanation.status == "not_in_force" and [r.fired for r in explanation.rules] == [False]


def test_an_outcome_two_rules_decide_is_explained_by_the_rule_whose_decision_stands(policy_from_text):
    """Highest-only: p1 pays 3万元 and p2 5万元 of the same reward; the explanation is p2's, the
    active decision, not p1's superseded one (whatever order the rules are declared in)."""
    policies = policy_from_text(SCHEMA.replace('outcome flagged "标记" is measure', """
        outcome a0 "甲" is reward with amount
        outcome a1 "乙" is reward with amount
        highest only prizes: a0, a1
        """) + "".join(f"""
rule {name}
  implements demo.{name}
  cite "{name}"
  for unit
  when score >= 1
  then a0 amount {amount}
""" for name, amount in (("p1", "3万元"), ("p2", "5万元"))))
    explanation = policies.evaluate({"unit": [unit("u1", "2017", 3)]}).explain("u1", "a0", "2017")
    assert (explanation.status, explanation.decision.rule, explanation.decision.amount) == ("active", "demo::p2", 5)
    assert [trace.rule for trace in explanation.rules] == ["demo::p2"]


def test_a_rule_of_a_policy_not_in_force_beside_an_undecided_one_leaves_the_outcome_undecided(tmp_path):
    # the rule of the lapsed-in-advance policy would hold (score 3 >= 1) but decides nothing in
    # 2017; the only rule that governs 2017 lacks `other`: the outcome could not be decided, and
    # the first rule is shown as not evaluated, never as holding
    (tmp_path / "a.pol").write_text(SCHEMA.replace("policy demo", "policy demo\n  in_force_from 2018-01-01")
                                    .replace("yearly score: integer", "yearly score: integer\n  yearly other: integer")
                                    + rule("score >= 1"), encoding="utf-8")
    (tmp_path / "b.pol").write_text('policy demo2\nrule r2\n  implements demo2.1\n  cite "二"\n  for unit\n'
                                    '  when other >= 1\n  then flagged\n', encoding="utf-8")
    result = policydsl.load(tmp_path).evaluate({"unit": [unit("u1", "2017", 3)]})
    explanation = result.why_not("u1", "flagged", "2017")
    assert explanation.status == "not_evaluable"
    assert [(r.rule, r.in_force, r.fired, r.condition) for r in explanation.rules[:1]] == [
        ("demo::r", False, False, None)]
    assert [r.in_force for r in explanation.rules] == [False, True]
    text = explanation_text(explanation, "en")
    assert "not evaluated: its policy does not govern this period" in text and "holds" not in text
    assert [r["in_force"] for r in explanation_json(explanation, "en")["rules"]] == [False, True]


def test_a_value_read_twice_at_every_level_is_traced_once_so_the_explanation_stays_small(policy_from_text):
    """`v(k) = v(k-1) + v(k-1)`: a tree of readings doubled per level (v16 took 5 s and 200 MB, v18
    never ended); a value is traced in full once per entity and period, later readings say so."""
    values = "value v0 for unit = score\n" + "".join(f"value v{k} for unit = v{k - 1} + v{k - 1}\n"
                                                     for k in range(1, 31))
    policies = policy_from_text(SCHEMA + values + rule("v30 > 0"))
    explanation = policies.evaluate({"unit": [unit("u1", "2017", 1)]}).explain("u1", "flagged", "2017")
    as_json = json.dumps(explanation_json(explanation))
    assert len(as_json) < 200_000  # 2^30 readings were traced and written before
    assert explanation.rules[0].condition.value is True
    assert "explained above" in explanation_text(explanation)
