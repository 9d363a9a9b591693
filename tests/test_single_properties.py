"""Properties of the single-decision executor: its history walks (the shared `semantics.WALKS`,
reading the single path's own `tests`: a list made from the rows, or a lazy reading) give the row
executor's values, rule results and decisions on every short history with gaps and missing facts, and a decision through
`PolicySet.decider` equals the row executor's on generated W1-like histories with missing years
and missing ratings."""

from __future__ import annotations

import itertools

import pytest
from conftest import ROOT
from hypothesis import given
from hypothesis import strategies as st

import policydsl
from policydsl.engine import data as data_stage
from policydsl.engine.single import evaluate_single
from policydsl.values import Period

W1 = ROOT / "bench" / "peers" / "w1.pol"

# every walk over each operand shape the single path reads differently: one fact of the walked
# row against constants (=, in, not in: read straight from the row), a derived value (the
# operand's closure), a fact of another period kind, and walks read at a period without a record
# (previous of a walk: the walk at a gap)
WALKS_POLICY = """policy walks
  in_force_from 2010-01-01

type grade = A | B | C

entity firm
  yearly f: grade
  yearly x: integer

value ok for firm = f in {A, B}
value s_eq for firm = streak(f = A)
value s_in for firm = streak(f in {A, B})
value s_not for firm = streak(f not in {C})
value s_derived for firm = streak(ok)
value s_number for firm = streak(x >= 2)
value t_eq for firm = first_time(f = A)
value t_not for firm = first_time(f not in {C})
value t_derived for firm = first_time(ok)
value c_eq for firm = count_periods(f = A, 3)
value c_in for firm = count_periods(f in {A, B}, 1)
value c_derived for firm = count_periods(ok, 2)
value p_streak for firm = previous(s_eq)
value p_first for firm = previous(t_not)
value nested for firm = streak(s_in >= 2)

outcome flagged is sanction

rule r1 implements walks.1 cite "1" "x" for firm when s_eq >= 2 and first_time(f in {A, B}) then flagged
rule r2 implements walks.2 cite "2" "x" for firm when not first_time(f = C) or count_periods(f = B, 2) >= 1 then flagged
"""
# a period's state: no record, a record without the fact, or the fact's value
STATES = (None, {}, {"f": "A", "x": 2}, {"f": "B"}, {"f": "C", "x": 1})


def test_the_single_paths_walks_equal_the_row_executors_on_every_short_history(tmp_path):
    (tmp_path / "walks.pol").write_text(WALKS_POLICY, encoding="utf-8")
    policies = policydsl.load(tmp_path / "walks.pol")
    rows = []
    for number, states in enumerate(itertools.product(STATES, repeat=4)):  # every history of four years
        rows += [{"id": f"E{number:03d}", "period": str(2017 + i), **state}
                 for i, state in enumerate(states) if state is not None]
    expected = policies.evaluate({"firm": rows}).evaluation
    dataset = data_stage.dataset_from_mapping({"firm": rows}, policies.program.entities)
    single, values = evaluate_single(policies.plan, dataset, keep_values=True)
    assert single.decisions == expected.decisions and single.results == expected.results
    compared = 0
    for (kind, name, entity, period), value in values.items():
        row = expected.run.derived(kind, name, entity, Period.parse(period))
        # an unknown compares what it lacks too (a missing fact, or a record)
        assert value == row and type(value) is type(row), (name, entity, period, value, row)
        compared += 1
    assert compared == 15 * 2000  # every value at every record


@pytest.fixture(scope="module")
def w1():
    policies = policydsl.load(W1)
    # once outside hypothesis: the first evaluation raises the recursion limit (limits.run_deep),
    # which hypothesis would warn about inside a test
    policies.evaluate({"enterprise": [{"id": "E1", "period": "2020", "rating": "A"}]})
    return policies


ratings = st.dictionaries(st.sampled_from([str(y) for y in range(2013, 2021)]),
                          st.sampled_from([None, "A", "C", "D", "D", "D"]), min_size=1, max_size=8)


@given(ratings)
def test_a_w1_decision_equals_the_row_executors_with_gaps_and_missing_ratings(w1, history):
    policies = w1
    facts = {year: {"rating": rating} for year, rating in history.items()}
    rows = [{"id": "E1", "period": year, **row} for year, row in facts.items()]
    for period in sorted(history):
        decide = policies.decider("enterprise", period=period)
        expected = policies.evaluate({"enterprise": rows}, period=period)
        assert decide.decisions("E1", facts) == expected.decisions
        assert decide("E1", facts) == [d.outcome for d in expected.decisions if d.status == "active"]
