"""The single-decision executor (`engine/single.py`, `engine/fastpath.py`): the same decisions as
the row executor, for a service's one entity per call and for every shipped scenario; bad
input refused with located messages; explanations of a single decision."""

from __future__ import annotations

import itertools
from functools import cache

import pytest
from conftest import ROOT

import policydsl
from policydsl.diagnostics import DataError
from policydsl.engine import data as data_stage
from policydsl.engine.single import evaluate_single
from policydsl.tools.scenarios import _read, scenario_files

W1 = ROOT / "bench" / "peers" / "w1.pol"
YEARS = [str(y) for y in range(2015, 2021)]
FILES = scenario_files([ROOT / "policies"])
CASES = [(file, case) for file in FILES for case in _read(file)["cases"]]


@cache
def _policies(folder):
    return policydsl.load(folder)


def _row_outcomes(policies, facts, period="2020"):
    rows = [{"id": "E1", "period": p, **row} for p, row in facts.items()]
    result = policies.evaluate({"enterprise": rows}, period=period)
    return [d.outcome for d in result.decisions if d.status == "active" and d.entity_kind == "enterprise"]


def test_every_w1_history_decides_as_the_row_executor():
    policies = _policies(W1)
    decide = policies.decider("enterprise", period="2020")
    for history in itertools.product("ABCD", repeat=6):
        facts = {year: {"rating": grade} for year, grade in zip(YEARS, history)}
        assert decide("E1", facts) == _row_outcomes(policies, facts), history


def test_a_missing_year_breaks_a_streak_and_a_missing_rating_is_unknown():
    policies = _policies(W1)
    decide = policies.decider("enterprise", period="2020")
    gap = {"2017": {"rating": "D"}, "2019": {"rating": "D"}, "2020": {"rating": "D"}}
    assert decide("E1", gap) == _row_outcomes(policies, gap) == ["yellow_card"]
    unknown = {"2019": {"rating": None}, "2020": {"rating": "D"}}
    assert decide("E1", unknown) == _row_outcomes(policies, unknown) == ["rectify"]
    assert decide("E1", {"2020": {}}) == _row_outcomes(policies, {"2020": {}}) == []


def test_decisions_carry_the_ladders_superseded_levels():
    decide = _policies(W1).decider("enterprise", period="2020")
    facts = {year: {"rating": "D"} for year in YEARS}
    decisions = decide.decisions("E1", facts)
    status = {d.outcome: (d.status, d.superseded_by) for d in decisions}
    assert status == {"exit": ("active", None), "yellow_card": ("superseded", "w1.exit"),
                      "rectify": ("superseded", "w1.exit")}
    assert decide("E1", facts) == ["exit"]


def test_without_a_period_every_period_given_is_decided():
    policies = _policies(W1)
    decide = policies.decider("enterprise")
    facts = {"2019": {"rating": "C"}, "2020": {"rating": "D"}}
    rows = [{"id": "E1", "period": p, **row} for p, row in facts.items()]
    expected = policies.evaluate({"enterprise": rows}).decisions
    assert decide.decisions("E1", facts) == tuple(d for d in expected if d.entity_kind == "enterprise")
    assert decide("E1", facts) == ["key_supervision", "rectify"]


def test_bad_facts_are_refused_with_every_problem_located():
    decide = _policies(W1).decider("enterprise", period="2020")
    with pytest.raises(DataError) as caught:
        decide("E1", {"2019": {"rating": "E"}, "2020": {"ratng": "D"}, "20x": {"rating": "A"}})
    problems = caught.value.problems
    assert any(p.startswith("E1 2019, column rating: unknown value \"E\"") for p in problems), problems
    assert any(p.startswith("E1 2020: `ratng` is not a fact of `enterprise`") and "rating" in p for p in problems)
    assert any("period `20x`" in p for p in problems), problems
    assert len(problems) == 3


def test_values_are_converted_as_the_loader_converts_them():
    policies = _policies(W1)
    decide = policies.decider("enterprise", period="2020")
    assert decide("E1", {"2019": {"rating": " D"}, "2020": {"rating": "D "}}) == ["yellow_card"]
    assert decide("E1", {2019: {"rating": "D"}, 2020: {"rating": "D"}}) == ["yellow_card"]


def test_a_period_the_facts_lack_is_refused_naming_the_nearest():
    decide = _policies(W1).decider("enterprise", period="2020")
    with pytest.raises(policydsl.SelectionError, match="no facts for `E1` in period 2020; nearest: 2019"):
        decide("E1", {"2018": {"rating": "D"}, "2019": {"rating": "D"}})


def test_arguments_of_the_wrong_type_are_type_errors():
    policies = _policies(W1)
    decide = policies.decider("enterprise", period="2020")
    with pytest.raises(TypeError):
        decide(7, {"2020": {"rating": "D"}})
    with pytest.raises(TypeError):
        decide("E1", [("2020", {"rating": "D"})])
    with pytest.raises(DataError, match="mapping"):
        decide("E1", {"2020": ["D"]})
    with pytest.raises(ValueError, match="enterprise"):
        policies.decider("enterprize")


def test_a_single_decision_is_explained_with_the_values_it_used():
    policies = _policies(W1)
    decide = policies.decider("enterprise", period="2020")
    facts = {"2018": {"rating": "D"}, "2019": {"rating": "A"}, "2020": {"rating": "D"}}
    result = decide.result("E1", facts)
    rows = [{"id": "E1", "period": p, **row} for p, row in facts.items()]
    expected = policies.evaluate({"enterprise": rows}, period="2020")
    assert result.decisions == expected.decisions
    why = result.explain("E1", "rectify", "2020")
    assert why == expected.explain("E1", "rectify", "2020")
    assert why.status == "active" and [r.implements for r in why.rules if r.fired] == ["w1.rectify_repeat"]
    assert result.why_not("E1", "exit", "2020") == expected.why_not("E1", "exit", "2020")


def test_static_attributes_and_other_kinds_run_on_the_world_of_the_one_entity(tmp_path):
    (tmp_path / "p.pol").write_text(
        "policy p\n  in_force_from 2010-01-01\n\n"
        "entity firm\n  group by town\n  static town: text\n  yearly tax: money\n\n"
        "value share for firm: decimal = tax / group_sum(tax)\n"
        "outcome big is sanction\n"
        "rule r implements p.r cite \"1\" \"x\" for firm when share = 1 and town = \"A\" and tax >= 10万元 then big\n",
        encoding="utf-8")
    policies = policydsl.load(tmp_path / "p.pol")
    decide = policies.decider("firm", period="2019")
    assert decide("F1", {"2019": {"tax": "12.5"}}, static={"town": "A"}) == ["big"]
    assert decide("F1", {"2019": {"tax": 9}}, static={"town": "A"}) == []
    with pytest.raises(DataError, match="static attribute"):
        decide("F1", {"2019": {"tax": 12, "town": "A"}})
    with pytest.raises(DataError, match=r"F1 2019, column tax: \"1,5\" is not a number"):
        decide("F1", {"2019": {"tax": "1,5"}}, static={"town": "A"})


@pytest.mark.parametrize("file,case", CASES, ids=[f"{f.parent.parent.name}:{c['name'][:60]}" for f, c in CASES])
def test_every_shipped_scenario_decides_the_same_on_the_single_decision_executor(file, case):
    policies = _policies(file.parent.parent)
    facts = case.get("facts", {})
    row = policies.evaluate(facts, as_of=case.get("as_of")).evaluation
    dataset = data_stage.dataset_from_mapping(facts, policies.program.entities, computed=policies.computed())
    single, _ = evaluate_single(policies.plan, dataset, as_of=row.as_of)
    assert single.decisions == row.decisions
    assert single.results == row.results


@pytest.mark.parametrize("executor", policydsl.EXECUTORS)
@pytest.mark.parametrize("as_frame", [False, True])
def test_every_executor_refuses_an_entity_or_period_the_data_lacks(executor, as_frame):
    import polars as pl

    rows = [{"id": "E1", "period": "2019", "rating": "D"}, {"id": "E2", "period": "2020", "rating": "C"}]
    facts = {"enterprise": pl.DataFrame(rows) if as_frame else rows}
    policies = _policies(W1)
    with pytest.raises(policydsl.SelectionError, match="no entity `E3`"):
        policies.evaluate(facts, entities=["E3"], executor=executor)
    with pytest.raises(policydsl.SelectionError, match="no data for period 2018; nearest: 2019, 2020"):
        policies.evaluate(facts, period="2018", executor=executor)
    found = policies.evaluate(facts, entities=["E2"], period="2020", executor=executor)
    assert [(d.entity, d.outcome) for d in found.decisions] == [("E2", "key_supervision")]


def test_deep_expressions_and_running_totals_are_decided_without_a_recursion_error(tmp_path):
    nested = "not " * 3000 + "rating = D"  # an even number of `not`s: the same as `rating = D`
    (tmp_path / "deep.pol").write_text(
        "policy deep\n  in_force_from 2010-01-01\n\n"
        "type rating = A | D\n"
        "entity firm\n  yearly rating: rating\n\n"
        "value years for firm: integer = if period_end = 2015-12-31 then 1 else previous(years) + 1\n"
        "outcome flagged is sanction\noutcome long is sanction\n"
        f"rule r implements deep.r cite \"1\" \"x\" for firm when {nested} then flagged\n"
        "rule s implements deep.s cite \"2\" \"y\" for firm when years >= 6 then long\n",
        encoding="utf-8")
    policies = policydsl.load(tmp_path / "deep.pol")
    decide = policies.decider("firm", period="2020")
    facts = {year: {"rating": "D"} for year in YEARS}
    rows = [{"id": "F1", "period": p, **row} for p, row in facts.items()]
    expected = policies.evaluate({"firm": rows}, period="2020").decisions
    assert decide("F1", facts) == [d.outcome for d in expected if d.status == "active"] == ["flagged", "long"]
    assert decide.decisions("F1", facts) == expected
    assert decide.explain("F1", facts, "long").status == "active"
    # the row executor's explanations of such a plan run on the deep thread too (`Result.shallow`)
    result = policies.evaluate({"firm": rows}, period="2020")
    assert result.explain("F1", "flagged", "2020").status == result.explain("F1", "long", "2020").status == "active"
    assert decide.result("F1", facts).explain("F1", "long", "2020") == result.explain("F1", "long", "2020")


def test_a_period_given_twice_under_two_texts_is_refused():
    decide = _policies(W1).decider("enterprise", period="2020")
    with pytest.raises(DataError, match=r"E1: period 2019 is given twice \(`2019` and `2019 `\)"):
        decide("E1", {"2019": {"rating": "D"}, "2019 ": {"rating": "A"}, "2020": {"rating": "D"}})
    with pytest.raises(DataError, match="period 2020 is given twice"):
        decide.decisions("E1", {2020: {"rating": "D"}, "2020": {"rating": "D"}})


class _Items(dict):
    """A row whose mapping is a dict subclass: its facts are read as any mapping's."""


@pytest.mark.parametrize("facts", [
    {"2019": {"rating": "D"}, "2019 ": {"rating": "A"}, "2020": {"rating": "D"}},  # a period twice
    {"2019": {"rating": "D"}, 2019: {"rating": "A"}, "2020": {"rating": "D"}},
    {"2019": {"rating": "E"}, "2020": {"rating": "D"}},  # not a member
    {"2019": {"rating": " D"}, "2020": {"rating": "D"}},  # converted as the loader converts
    {"2019": {"ratng": "D"}, "2020": {"rating": "D"}},  # not a fact
    {"2019": {"rating": ["D"]}, "2020": {"rating": "D"}},  # an unhashable value
    {"2019": ["D"], "2020": {"rating": "D"}},  # not a mapping
    {"2019": _Items(rating="D"), "2020": {"rating": "D"}},
    {"2019": {"rating": None}, "2020": {"rating": "D"}},  # no fact
    {"2019": {}, "2020": {"rating": "D"}},
    {True: {"rating": "D"}, "2020": {"rating": "D"}},  # a period that is no text
    {2019.0: {"rating": "D"}, "2020": {"rating": "D"}},
    {"2019-Q1": {"rating": "D"}, "2020": {"rating": "D"}},  # a quarter with a yearly fact
    {},
])
def test_a_decider_that_has_seen_every_period_before_checks_the_facts_as_a_new_one(facts):
    """Periods seen before take a shorter way through the check (their texts remembered, a row of
    enumeration members taken as it is): every answer, and every refusal with its messages, is
    the one a decider seeing them for the first time gives."""
    policies = _policies(W1)

    def answer(decide):
        try:
            return decide("E1", facts), decide.decisions("E1", facts)
        except (DataError, policydsl.SelectionError) as refused:
            return type(refused).__name__, str(refused)
    warm = policies.decider("enterprise", period="2020")
    for text in ("2019", "2019 ", "2020"):  # every period text of the cases, once each
        warm("E1", {text: {"rating": "A"}, "2020": {"rating": "A"}})
    assert answer(warm) == answer(policies.decider("enterprise", period="2020"))
    if isinstance(answer(warm)[0], list):
        assert answer(warm)[0] == _row_outcomes(policies, {str(k).strip(): v for k, v in facts.items()})
