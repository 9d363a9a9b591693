"""Differential test: every executor agrees with the independent oracle (`tests/oracle/`) on
generated policies and data — every derived value, every rule result (true/false/unknown) and
every decision (status, amount, value, superseded_by) — and the explanation of each decision
shows the values the evaluation computed.

An executor is a function `(PolicySet, rows) -> Observed`; adding one (a columnar executor, say)
is one entry in `EXECUTORS`. The number of examples comes from the hypothesis profile
(`tests/conftest.py`: `ci` by default, pinned; `--hypothesis-profile=long` for a deep run).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import NamedTuple

import pytest
from hypothesis import HealthCheck, given, note, settings
from oracle import oracle_answer
from oracle.calendar import Span
from oracle.generate import datasets, policies
from oracle.logic import UNKNOWN

import policydsl
from policydsl.engine.explain import TraceNode
from policydsl.values import Duration, Unknown


class Observed(NamedTuple):
    values: dict  # (kind, name, entity, period text) -> value
    results: dict  # (rule, kind, entity, period text) -> True / False / unknown
    decisions: list  # comparable decision tuples, in decision order


def comparable(value: object) -> object:
    """One form for the values of the oracle and of an executor (bool before numbers)."""
    if value is None:
        return None
    if value is UNKNOWN or isinstance(value, Unknown):
        return "unknown"
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, Fraction)):
        return ("number", Fraction(value))
    if isinstance(value, (Span, Duration)):
        return ("duration", value.months, value.days)
    if isinstance(value, dt.date):
        return ("date", value.isoformat())
    return ("text", str(value))


def decision_tuple(d) -> tuple:
    return (d.entity_kind, d.entity, str(d.period), d.policy, d.rule_id, d.rule, d.outcome, d.outcome_kind,
            d.label, comparable(d.amount), comparable(d.value), d.cite, d.status, d.superseded_by, d.target)


def planned(policy_set: policydsl.PolicySet, rows: dict) -> Observed:
    """The compiled plan and its `Run` (`policydsl.engine.evaluate`)."""
    result = policy_set.evaluate(rows)
    run = result.evaluation.run
    values = {}
    for (kind, name), value in policy_set.program.values.items():
        for entity, record in run.dataset.entities(kind).items():
            for period in record.periods:
                if period.kind == (value.period_kind or "year") or value.period_kind is None:
                    values[(kind, name, entity, str(period))] = comparable(run.derived(kind, name, entity, period))
    results = {(r.rule, r.entity_kind, r.entity, str(r.period)): comparable(r.condition)
               for r in result.evaluation.results}
    return Observed(values, results, [decision_tuple(d) for d in result.decisions])


EXECUTORS: dict[str, Callable[[policydsl.PolicySet, dict], Observed]] = {
    "plan": planned,
}


def oracle_observed(policy_set, paths: list[Path], rows: dict) -> Observed:
    answer = oracle_answer(policy_set.program, paths, rows)
    return Observed({(k, n, e, str(p)): comparable(v) for (k, n, e, p), v in answer.values.items()},
                    {(r, k, e, str(p)): comparable(v) for (r, k, e, p), v in answer.results.items()},
                    [decision_tuple(d) for d in answer.decisions])


def write(folder: Path, files: dict[str, str]) -> list[Path]:
    paths = []
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
        paths.append(folder / name)
    return paths


def assert_same(expected: Observed, actual: Observed, executor: str) -> None:
    for field in ("values", "results"):
        want, got = getattr(expected, field), getattr(actual, field)
        assert set(got) == set(want), f"{executor}: {field} computed for other cases"
        wrong = {k: (want[k], got[k]) for k in want if want[k] != got[k]}
        assert not wrong, f"{executor}: {field} differ from the oracle (oracle, executor): {wrong}"
    assert actual.decisions == expected.decisions, f"{executor}: decisions differ from the oracle"


GENERATED = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.mark.parametrize("executor", sorted(EXECUTORS))
@GENERATED
@given(files=policies(), rows=datasets())
def test_executor_agrees_with_the_oracle_on_values_results_and_decisions(tmp_path_factory, executor, files, rows):
    for name, text in files.items():
        note(f"--- {name}\n{text}")
    note(f"data: {rows}")
    paths = write(tmp_path_factory.mktemp("gen"), files)
    policy_set = policydsl.load(*paths)
    assert_same(oracle_observed(policy_set, paths, rows), EXECUTORS[executor](policy_set, rows), executor)


def _nodes(node: TraceNode):
    yield node
    for child in node.children:
        yield from _nodes(child)


@GENERATED
@given(files=policies(), rows=datasets())
def test_explanations_show_the_values_the_evaluation_computed(tmp_path_factory, files, rows):
    for name, text in files.items():
        note(f"--- {name}\n{text}")
    note(f"data: {rows}")
    paths = write(tmp_path_factory.mktemp("gen"), files)
    policy_set = policydsl.load(*paths)
    expected = oracle_observed(policy_set, paths, rows)
    result = policy_set.evaluate(rows)
    value_kinds = {name: kind for kind, name in policy_set.program.values}
    checked = 0
    for rule_result in result.evaluation.results[:40]:
        rule = next(r for r in policy_set.program.rules if r.name == rule_result.rule)
        outcome = rule.consequences[0].outcome
        explanation = result.why_not(rule_result.entity, outcome, rule_result.period)
        traces = [t for t in explanation.rules if t.rule == rule.name]
        for trace in traces:
            if trace.condition is not None:
                if rule_result.condition is True or isinstance(rule_result.condition, Unknown) is False:
                    assert comparable(trace.condition.value) == comparable(
                        rule.condition and result.evaluation.plan.nodes[f"rule:{rule.name}:when"](
                            result.evaluation.run, rule_result.entity, rule_result.period))
                for node in _nodes(trace.condition):
                    if node.kind == "value":
                        key = (value_kinds[node.text], node.text, node.entity, node.period)
                        if key in expected.values:
                            assert comparable(node.value) == expected.values[key], key
                            checked += 1
    for decision in result.decisions:
        if decision.entity_kind == "document":
            continue
        explanation = result.explain(decision.entity, decision.outcome, decision.period)
        # several rules may decide the same outcome: the explanation is about one of them
        assert explanation.decision in result.decisions
        assert (explanation.decision.entity, explanation.decision.outcome, explanation.decision.period) == (
            decision.entity, decision.outcome, decision.period)
        decision = explanation.decision
        fired = [t for t in explanation.rules if t.rule == decision.rule]
        assert fired and all(t.condition is None or t.condition.value is True for t in fired)
        payload = [comparable(p.value) for t in fired for p in t.payload]
        for paid in (decision.amount, decision.value):
            if paid is not None:
                assert comparable(paid) in payload
