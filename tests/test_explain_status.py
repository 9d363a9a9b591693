"""Explanations of document statuses: every status decision `eval` lists can be explained, why
and why not, by the dates it was decided by (engine/explain_status.py)."""

from __future__ import annotations

import json

import pytest

from policydsl.cli import main
from test_time import PLAN, ROWS, statuses  # noqa: F401  (the fixture below shares the plan)


@pytest.fixture
def plan(policy_from_text):
    return policy_from_text(PLAN)


DAYS = ["2010-12-31", "2011-06-01", "2014-07-21", "2014-07-22", "2014-12-31", "2015-01-01"]


@pytest.mark.parametrize("day", DAYS)
def test_every_document_status_decision_is_explained_by_comparisons_that_hold(plan, day):
    result = plan.evaluate({"zone": []}, as_of=day)
    documents = [d for d in result.decisions if d.entity_kind == "document"]
    assert documents
    for decision in documents:
        explanation = result.explain(decision.entity, decision.outcome, decision.period)
        assert explanation.status == decision.status == "active"
        assert explanation.decision == decision
        condition = explanation.rules[0].condition
        if condition.kind == "fact":  # a document the corpus gives no date for: that date is missing
            assert decision.outcome == "document_status_unknown"
            assert [m.fact for m in explanation.missing] == ["in_force_from"]
            continue
        assert condition.value is True
        compares = condition.children if condition.kind == "logic" else (condition,)
        assert {c.children[0].value for c in compares} == {decision.as_of}  # the day it was decided on


@pytest.mark.parametrize(("day", "outcome", "failed"), [
    ("2014-07-21", "document_in_force", ["evaluation_date >= in_force_from"]),  # the day before it takes effect
    ("2015-01-01", "document_in_force", ["evaluation_date <= in_force_until"]),  # the day after it lapses
    ("2014-12-31", "document_lapsed", ["evaluation_date > in_force_until"]),  # its last day
    ("2014-07-22", "document_not_yet_in_force", ["evaluation_date < in_force_from"]),  # the day it takes effect
])
def test_why_not_a_status_names_the_date_comparison_that_failed_on_both_sides_of_each_date(plan, day, outcome,
                                                                                          failed):
    result = plan.evaluate({"zone": []}, as_of=day)
    explanation = result.why_not("示政〔2014〕7号", outcome, day[:4])
    assert explanation.status == "not_fired"
    assert [node.text for node in explanation.rules[0].failed] == failed


def test_a_status_the_corpus_cannot_date_is_not_evaluable_not_a_negative(plan):
    result = plan.evaluate({"zone": []}, as_of="2011-06-01")  # 示政〔2011〕3号 is known only by its year
    explanation = result.why_not("示政〔2011〕3号", "document_in_force", "2011")
    assert explanation.status == "not_evaluable"


def test_explain_on_the_command_line_takes_a_document_as_the_entity(tmp_path, capsys):
    policy = tmp_path / "plan.pol"
    policy.write_text(PLAN, encoding="utf-8")
    data = tmp_path / "data.json"
    data.write_text(json.dumps(ROWS), encoding="utf-8")
    code = main(["explain", str(policy), "--data", str(data), "--entity", "示政〔2011〕3号",
                 "--outcome", "document_repealed", "--period", "2014", "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    explained = out[0] if isinstance(out, list) else out
    assert code == 0
    assert explained["status"] == "active" and explained["decision"]["value"] == "示政〔2014〕7号"
    assert explained["rules"][0]["condition"]["text"] == "evaluation_date >= repealed_on"
    assert main(["eval", str(policy), "--data", str(data), "--entity", "示政〔2011〕3号", "--format", "json"]) == 0
    decided = json.loads(capsys.readouterr().out)["decisions"]
    assert {d["entity"] for d in decided} == {"示政〔2011〕3号"}
    assert main(["explain", str(policy), "--data", str(data), "--entity", "示政〔2011〕4号",
                 "--outcome", "document_repealed"]) == 2
    assert "示政〔2011〕3号" in capsys.readouterr().err  # did you mean
