"""A period selected on the columnar executor: the grids start where the rules evaluated there
stop reading (`execute._window`, `support.reach`), and decide exactly as the row executor does
for that period — on long histories with gaps walked by previous, change and count_periods with
n > 1 (`oracle/history.py`), on the generated policies of the oracle, and where a rule handed to
the row executor reads a value with more history than the columnar rules read."""

from __future__ import annotations

import pytest
from differential import comparable, write
from hypothesis import HealthCheck, given, note, settings
from oracle.generate import datasets, policies
from oracle.history import history_datasets, history_policies
from test_properties import load_text

import policydsl
from policydsl.engine.columnar import support
from policydsl.engine.data import dataset_from_mapping
from policydsl.language import ir

GENERATED = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _results(result) -> set:
    return {(r.rule, r.entity_kind, r.entity, str(r.period), comparable(r.condition))
            for r in result.evaluation.results}


def _alike_at_each_period(folder, files: dict[str, str], rows: dict) -> None:
    for name, text in files.items():
        note(f"--- {name}\n{text}")
    note(f"data: {rows}")
    policy_set = policydsl.load(*write(folder, files))
    found = dataset_from_mapping(rows, policy_set.program.entities).periods()
    for period in sorted(found, key=lambda p: (p.year, p.quarter or 0))[-3:]:  # the longest histories
        period = str(period)
        row = policy_set.evaluate(rows, period=period)
        columnar = policy_set.evaluate(rows, period=period, executor="columnar")
        assert columnar.decisions == row.decisions, period
        assert _results(columnar) == _results(row), period


@GENERATED
@given(files=history_policies(), rows=history_datasets())
def test_a_selected_period_decides_as_the_row_executor_over_long_histories(tmp_path_factory, files, rows):
    _alike_at_each_period(tmp_path_factory.mktemp("hist"), files, rows)


@GENERATED
@given(files=policies(), rows=datasets())
def test_a_selected_period_decides_as_the_row_executor_on_generated_policies(tmp_path_factory, files, rows):
    _alike_at_each_period(tmp_path_factory.mktemp("gen"), files, rows)


SOURCE = """
policy window
  issued 2010-01-01
entity zone
  group by city
  static city: text
  yearly score: integer
value recent for zone = count_periods(score >= 1, 3)
value before for zone = previous(score, 2)
outcome counted "计" is eligibility with fields (n: integer)
outcome rose "升" is measure
rule counted implements window.1 cite "1" for zone when recent >= 0 then counted with (n = recent)
rule rose implements window.2 cite "2" for zone when change(score) > 0 then rose
"""


def test_a_value_read_only_by_a_rule_on_the_row_executor_is_computed_over_its_whole_history(tmp_path):
    # `counted` sets a payload field, so the row executor runs it; it reads `recent`, three
    # periods of history, while the columnar rule `rose` reads one: the grid for 2020 starts at
    # 2019, so `recent` is not handed over from it (it would miss 2018) but counted in full
    policy_set = load_text(tmp_path, SOURCE)
    rows = {"zone": [{"id": "a", "period": str(year), "city": "C", "score": score}
                     for year, score in ((2017, 0), (2018, 1), (2019, 1), (2020, 2))]}
    columnar = policy_set.evaluate(rows, period="2020", executor="columnar")
    assert "window::counted" in columnar.evaluation.fallbacks
    assert columnar.decisions == policy_set.evaluate(rows, period="2020").decisions
    assert sorted((d.outcome, str(d.value)) for d in columnar.decisions) == [("counted", "n = 3"), ("rose", "None")]


@pytest.mark.parametrize("expression,expected", [
    ("previous(score, 2)", 2), ("change(score, 3)", 3), ("count_periods(score >= 1, 4)", 3),
    ("previous(count_periods(score >= 1, 2), 2)", 3), ("streak(score >= 1)", None),
    ("previous(score) + 1 > 0 and first_time(score > 2)", None), ("group_sum(previous(score))", 1),
])
def test_the_reach_of_an_expression_counts_every_period_it_reads(tmp_path, expression, expected):
    policy_set = load_text(tmp_path, SOURCE + f"value probe for zone = {expression}\n")
    program = policy_set.program
    value = program.values[("zone", "probe")]
    assert support.reach(value.expr, program) == expected
    derived = ir.Derived(entity="zone", name="probe", type=value.type, span=value.span)
    assert support.reach(ir.History(function="previous", operand=derived, periods=1, type=value.type,
                                    span=value.span), program) \
        == (None if expected is None else expected + 1)
