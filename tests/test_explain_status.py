"""Explanations of document statuses: every status decision `eval` lists can be explained, why
and why not, by the dates it was decided by (engine/explain_status.py)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
        parts = condition.children if condition.kind == "logic" else (condition,)
        undated = [p for p in parts if p.kind == "fact"]  # a date the corpus does not give: the reason
        if undated:
            assert decision.outcome == "document_status_unknown"
            assert [m.fact for m in explanation.missing] == ["in_force_from"]
        if condition.kind == "logic":
            assert condition.value is True
        compares = [p for p in parts if p.kind != "fact"]
        assert all(c.value is True for c in compares)
        assert {c.children[0].value for c in compares} <= {decision.as_of}  # the day it was decided on


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


def _expected_status(policy, on):
    """The status rules as the catalogue's G12 states them, written here on purpose apart from
    `ir.Policy.status_tests`: repealed from the repeal's effect day; before the effect date not
    yet in force; within a year the corpus gives only as a year, not evaluable (but in force on its
    last day); after the lapse date lapsed; else in force. A loaded document with no effect date is
    in force until it lapses or is repealed; one known only by reference without a date cannot be dated."""
    import datetime as dt

    if policy.repealed_on is not None and on >= policy.repealed_on:
        return "document_repealed"
    start = policy.in_force_from if policy.in_force_from is not None else policy.issued
    if start is None and policy.reference_in is not None:
        return None
    if isinstance(start, int):
        if on < dt.date(start, 1, 1):
            return "document_not_yet_in_force"
        if on < dt.date(start, 12, 31):
            return None
    elif start is not None and on < start:
        return "document_not_yet_in_force"
    if policy.in_force_until is not None and on > policy.in_force_until:
        return "document_lapsed"
    return "document_in_force"


@given(data=st.data())
@settings(max_examples=300, derandomize=True)
def test_on_every_day_exactly_one_status_holds_and_it_is_the_documents_status(data):
    from policydsl.language import ir

    days = st.dates(min_value=dt.date(2012, 1, 1), max_value=dt.date(2017, 12, 31))
    start = st.none() | st.integers(2013, 2016) | days
    document = ir.Policy.__new__(ir.Policy)  # only the date fields matter here
    for field, strategy in (("in_force_from", start), ("issued", start), ("in_force_until", st.none() | days),
                            ("repealed_on", st.none() | days), ("reference_in", st.none() | st.just("p"))):
        object.__setattr__(document, field, data.draw(strategy, label=field))
    # the day: often on a boundary (each date given, a year's first and last day) or next to one
    edges = []
    for value in (document.in_force_from, document.issued, document.in_force_until, document.repealed_on):
        if isinstance(value, int):
            edges += [dt.date(value, 1, 1), dt.date(value, 12, 31)]
        elif value is not None:
            edges.append(value)
    near = st.sampled_from(edges).flatmap(lambda d: st.sampled_from([d - dt.timedelta(days=1), d,
                                                                     d + dt.timedelta(days=1)]))
    on = data.draw(near | days if edges else days, label="on")
    holding = [o for o in (*ir.DOCUMENT_STATUSES, None) if all(t.holds for t in document.status_tests(o, on))]
    assert holding == [_expected_status(document, on)]
    assert document.status(on) == holding[0]


def test_a_loaded_document_without_an_effect_date_lapses_after_its_lapse_date():
    from policydsl.language import ir

    document = ir.Policy.__new__(ir.Policy)
    for field, value in (("in_force_from", None), ("issued", None), ("in_force_until", dt.date(2014, 12, 31)),
                         ("repealed_on", None), ("reference_in", None)):
        object.__setattr__(document, field, value)
    assert document.status(dt.date(2014, 12, 31)) == "document_in_force"
    assert document.status(dt.date(2015, 1, 1)) == "document_lapsed"
