"""Differential test: every executor agrees with the independent oracle (`tests/oracle/`) on
generated policies and data — every derived value, every rule result (true/false/unknown) and
every decision (status, amount, value, superseded_by) — and the explanation of each decision
shows the values the evaluation computed.

Executors are listed in `tests/differential.py` (`EXECUTORS`: adding one is one line). The number of examples comes from the hypothesis profile
(`tests/conftest.py`: `ci` by default, pinned; `--hypothesis-profile=long` for a deep run).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from differential import EXECUTORS, assert_same, comparable, oracle_observed, write
from hypothesis import HealthCheck, given, note, settings
from oracle.generate import AS_OF, datasets, policies
from oracle.history import history_datasets, history_policies

import policydsl
from policydsl.engine.explain import TraceNode
from policydsl.values import Fields, Unknown


GENERATED = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.mark.parametrize("executor", sorted(EXECUTORS))
@GENERATED
@given(files=policies(), rows=datasets(), as_of=AS_OF)
def test_executor_agrees_with_the_oracle_on_values_results_and_decisions(tmp_path_factory, executor, files, rows,
                                                                           as_of):
    """Each period evaluated on its end, or every period ended by a day evaluated on that day."""
    _agrees(tmp_path_factory.mktemp("gen"), executor, files, rows, as_of)


def _agrees(folder: Path, executor: str, files: dict[str, str], rows: dict, as_of=None) -> None:
    for name, text in files.items():
        note(f"--- {name}\n{text}")
    note(f"data: {rows}, as of {as_of}")
    paths = write(folder, files)
    policy_set = policydsl.load(*paths)
    assert_same(oracle_observed(policy_set, paths, rows, as_of), EXECUTORS[executor](policy_set, rows, as_of),
                executor)


@pytest.mark.parametrize("executor", sorted(EXECUTORS))
@GENERATED
@given(files=history_policies(), rows=history_datasets())
def test_executor_agrees_with_the_oracle_on_long_histories_with_gaps(tmp_path_factory, executor, files, rows):
    """Runs of several periods, gaps and unknown records, yearly and quarterly together, walked by
    streak, first_time, count_periods, previous and change with n > 1 (`oracle/history.py`)."""
    _agrees(tmp_path_factory.mktemp("hist"), executor, files, rows)


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
        fields = decision.value.items if isinstance(decision.value, Fields) else ()
        paid = [decision.amount] + ([v for _, v in fields] if fields else [decision.value])
        for value in paid:  # each field a rule sets is traced on its own
            if value is not None:
                assert comparable(value) in payload
