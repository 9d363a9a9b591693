"""Golden explanations on the sample data: why a zone got a sanction, and why not."""

from __future__ import annotations

import pytest
from conftest import ROOT, SAMPLE_DATA, SAMPLE_POLICIES, check_golden

import policydsl
from policydsl.render import explanation_dot, explanation_json, explanation_text

GOLDEN = ROOT / "tests" / "golden" / "explain"

CASES = [
    # name, entity, outcome, period, question, language
    ("KF03_2016_replacement_ordered_en", "KF03", "zone_head_replacement_ordered", "2016", "why", "en"),
    ("KF03_2016_replacement_ordered_zh", "KF03", "zone_head_replacement_ordered", "2016", "why", "zh"),
    ("KF04_2016_why_not_criticised_en", "KF04", "zone_criticised_rank_drop", "2016", "why_not", "en"),
    ("KF04_2016_why_not_criticised_zh", "KF04", "zone_criticised_rank_drop", "2016", "why_not", "zh"),
    ("KF06_2014_why_not_criticised_en", "KF06", "zone_criticised_rank_drop", "2014", "why_not", "en"),
    ("E03_2019_yellow_card_en", "E03", "enterprise_yellow_card_warning", "2019", "why", "en"),
    ("E02_2019_why_not_yellow_card_superseded_zh", "E02", "enterprise_yellow_card_warning", "2019", "why_not", "zh"),
    ("E08_2019_why_not_rectification_missing_en", "E08", "enterprise_rectification_order", "2019", "why_not", "en"),
]


@pytest.fixture(scope="module")
def result():
    policies = policydsl.load(*SAMPLE_POLICIES)
    return policies.evaluate(policies.load_data(SAMPLE_DATA))


def _relative(text: str) -> str:
    return text.replace(str(ROOT) + "/", "")


@pytest.mark.parametrize("name,entity,outcome,period,question,lang", CASES, ids=[c[0] for c in CASES])
def test_explanation_matches_golden_file(result, update_golden, name, entity, outcome, period, question, lang):
    explain = result.explain if question == "why" else result.why_not
    text = _relative(explanation_text(explain(entity, outcome, period), lang)) + "\n"
    check_golden(GOLDEN / f"{name}.expected", text, update_golden)


def test_json_and_dot_carry_the_same_tree(result):
    explanation = result.explain("KF03", "zone_head_replacement_ordered", "2016")
    payload = explanation_json(explanation)
    assert payload["rules"][0]["cite"] == "四(五)2(7)"
    assert {f["fact"] for f in payload["facts"]} == {"city", "absolute_index_position", "development_index_position"}
    dot = explanation_dot(explanation)
    assert "position_fall = 23" in dot and dot.startswith("digraph explanation {")


def test_why_not_names_the_threshold_and_the_actual_value(result):
    text = explanation_text(result.why_not("KF04", "zone_criticised_rank_drop", "2016"))
    assert "position_fall = 4; ≥ 5 needed" in text


def test_explain_of_an_outcome_that_did_not_happen_falls_back_to_why_not(result):
    assert result.explain("KF04", "zone_criticised_rank_drop", "2016").status == "not_fired"


def test_an_outcome_undecided_by_a_division_by_zero_is_not_blamed_on_missing_data(policy_from_text):
    """`tax / score` with score 0: unknown (G8) though no fact is missing; the facts read show the zero."""
    from policydsl.render import explanation_text

    policy_set = policy_from_text("""
        policy p
          in_force_from 2015-01-01
        entity firm "企业"
          yearly tax: money
          yearly score: integer
        outcome shown "值" is computed with value: money
        rule r
          implements p.r
          cite "r"
          for firm
          then shown = tax / score
        """)
    result = policy_set.evaluate({"firm": [{"id": "F", "period": "2018", "tax": 3, "score": 0}]})
    why = result.why_not("F", "shown", "2018")
    assert why.status == "not_evaluable" and why.missing == ()
    for lang, says in (("en", "though no fact is missing"), ("zh", "并非数据缺失")):
        text = explanation_text(why, lang)
        assert says in text and "missing data" not in text and "score" in text
