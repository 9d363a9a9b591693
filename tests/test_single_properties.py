"""Properties of the single-decision executor's speed-ups: its row walks (`engine/fastwalks.py`)
mean what `semantics.WALKS` mean, and a decision through `PolicySet.decider` equals the row
executor's on generated W1-like histories with missing years and missing ratings."""

from __future__ import annotations

import itertools
import operator
from functools import partial

import pytest
from conftest import ROOT
from hypothesis import given
from hypothesis import strategies as st

import policydsl
from policydsl.engine.fastwalks import ROW_WALKS
from policydsl.engine.semantics import WALKS
from policydsl.values import MissingFact, Unknown

W1 = ROOT / "bench" / "peers" / "w1.pol"
NOW = 2020

TESTS = [
    partial(operator.eq, "A"),  # f = A
    frozenset({"A", "B"}).__contains__,  # f in {A, B}
    lambda value: value not in frozenset({"C"}),  # f not in {C}
]
# a period's state: no record, a record without the fact (unknown), or the fact's value
STATES = (None, {}, {"f": "A"}, {"f": "B"}, {"f": "C"})


def _general(known, rows):
    """The operand's general closure, as the fast path compiles it: unknown without the fact."""
    def general(entity, at):
        value = rows.get(at, {}).get("f")
        return Unknown(frozenset({MissingFact("k", entity, "f", str(at))})) if value is None else known(value)
    return general


def test_the_row_walks_give_what_the_shared_walks_give_on_every_short_history():
    compared = 0
    for states in itertools.product(STATES, repeat=4):  # every history of four periods
        rows = {NOW - 3 + i: state for i, state in enumerate(states) if state is not None}
        for known, function, n, now in itertools.product(TESTS, sorted(ROW_WALKS), (1, 3), (NOW - 1, NOW)):
            general = _general(known, rows)
            fast = ROW_WALKS[function](n, rows, now, "f", known, general, "E1")
            shared, _ = WALKS[function](n, now, partial(general, "E1"), rows.__contains__,
                                        lambda: min(rows) if rows else None)
            if fast is None:  # no record at `now`: the caller runs the shared walk
                assert now not in rows and function != "count_periods"
                continue
            assert fast == shared and type(fast) is type(shared), (rows, function, n, now)
            compared += 1
    assert compared > 10_000


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
