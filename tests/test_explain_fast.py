"""A decider's explanation (`Decider.explain`) reads its values from the decision's own closures
(`explain.Values`) and shares a `TraceCache`: it must be the very explanation the row executor
gives — every node's value, text and period — on generated histories and policies."""

from __future__ import annotations

import attrs
import pytest
from conftest import ROOT
from hypothesis import given
from hypothesis import strategies as st

import policydsl
from policydsl.engine import explain

W1 = ROOT / "bench" / "peers" / "w1.pol"
W1_OUTCOMES = ("exit", "yellow_card", "rectify", "key_supervision", "priority_support")

# every construct the single path computes itself (history walks, previous/change, a value
# built on values, if/then/else, arithmetic, membership, an amount) and one it hands to the
# plan (a group aggregate over the entity alone)
RICH = """policy rich
  in_force_from 2010-01-01

type grade = A | B | C | D
entity firm
  group by town
  static town: text
  yearly grade: grade
  yearly tax: money

value bad_run for firm = streak(grade in {C, D})
value slipped for firm: boolean = previous(grade) = A and grade != A
value growth for firm: money = change(tax)
value score for firm: integer = if bad_run >= 2 then count_periods(grade = D, 3) * 10 else 1
value share for firm: decimal = tax / group_sum(tax)
outcome flagged is sanction
outcome paid is reward with amount
rule flag implements rich.flag cite "1" "x" for firm
  when score >= 10 or (slipped and not first_time(grade = B))
  then flagged
rule pay implements rich.pay cite "2" "y" for firm
  when growth > 0万元 and share = 1 and grade in {A, B}
  then paid amount growth * 2
"""


@pytest.fixture(scope="module")
def w1():
    policies = policydsl.load(W1)
    # once outside hypothesis: the first evaluation raises the recursion limit (limits.run_deep)
    policies.evaluate({"enterprise": [{"id": "E1", "period": "2020", "rating": "A"}]})
    return policies


@pytest.fixture(scope="module")
def rich(tmp_path_factory):
    path = tmp_path_factory.mktemp("rich") / "rich.pol"
    path.write_text(RICH, encoding="utf-8")
    return policydsl.load(path)


def test_a_trace_node_made_without_init_is_the_one_init_makes():
    fields = attrs.fields(explain.TraceNode)
    assert all(f.validator is None and f.converter is None and not isinstance(f.default, attrs.Factory)
               for f in fields)  # what `_node` relies on
    given_fields = dict(kind="compare", text="a = 1", value=True, entity="E1", period="2020", op="=",
                        children=(), span="p.pol:3:4", unit=None, reading=None)
    made = explain._node({**explain._NODE_DEFAULTS, **given_fields})
    assert made == explain.TraceNode(**given_fields)
    assert made.__dict__ == explain.TraceNode(**given_fields).__dict__
    assert hash(made) == hash(explain.TraceNode(**given_fields))


ratings = st.dictionaries(st.sampled_from([str(y) for y in range(2013, 2021)]),
                          st.sampled_from([None, "A", "C", "D", "D", "D"]), min_size=1, max_size=8)


def _nodes(node):
    yield node
    for child in node.children:
        yield from _nodes(child)


def test_every_node_of_a_decider_explanation_has_exactly_the_declared_fields(w1):
    facts = {"2018": {"rating": "D"}, "2019": {"rating": "A"}, "2020": {"rating": "D"}}
    why = w1.decider("enterprise", period="2020").explain("E1", facts, "rectify")
    names = {f.name for f in attrs.fields(explain.TraceNode)}
    nodes = [n for rule in why.rules for n in _nodes(rule.condition)]
    assert len(nodes) > 10 and all(set(vars(n)) == names for n in nodes)


@given(ratings)
def test_a_w1_explanation_is_the_row_executors_on_histories_with_gaps(w1, history):
    facts = {year: {"rating": rating} for year, rating in history.items()}
    rows = [{"id": "E1", "period": year, **row} for year, row in facts.items()]
    for period in sorted(history)[-2:]:
        decide = w1.decider("enterprise", period=period)
        expected = w1.evaluate({"enterprise": rows}, period=period)
        for outcome in W1_OUTCOMES:
            assert decide.explain("E1", facts, outcome) == expected.explain("E1", outcome, period), (period, outcome)


years = st.dictionaries(
    st.sampled_from([str(y) for y in range(2014, 2021)]),
    st.fixed_dictionaries({}, optional={"grade": st.sampled_from("ABCD"),
                                        "tax": st.sampled_from(["0", "5", "12.5", "20", "20"])}),
    min_size=1, max_size=7)


@given(years)
def test_every_construct_is_explained_with_the_row_executors_values(rich, history):
    rows = [{"id": "F1", "period": year, "town": "A", **row} for year, row in history.items()]
    for period in sorted(history)[-2:]:
        decide = rich.decider("firm", period=period)
        expected = rich.evaluate({"firm": rows}, period=period)
        # a rule with an amount: the decider's general loop, not the one for plain outcomes
        assert decide("F1", history, static={"town": "A"}) == \
            [d.outcome for d in expected.decisions if d.status == "active" and d.entity_kind == "firm"]
        for outcome in ("flagged", "paid"):
            assert decide.explain("F1", history, outcome, static={"town": "A"}) == \
                expected.explain("F1", outcome, period), (period, outcome)


def test_a_fact_given_as_none_is_explained_as_missing(w1):
    facts = {"2019": {"rating": None}, "2020": {"rating": "D"}}
    decide = w1.decider("enterprise", period="2020")
    rows = [{"id": "E1", "period": year, **row} for year, row in facts.items()]
    expected = w1.evaluate({"enterprise": rows}, period="2020")
    why = decide.explain("E1", facts, "rectify")
    assert why == expected.explain("E1", "rectify", "2020")
    assert decide.result("E1", facts).explain("E1", "rectify", "2020") == why
    walked = [n for rule in why.rules for n in _nodes(rule.condition) if n.kind == "fact" and n.period == "2019"]
    assert walked and all(n.missing for n in walked)  # unknown, naming the missing rating
