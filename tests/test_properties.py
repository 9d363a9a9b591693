"""Hypothesis properties over generated policies and data (design.md, Quality).

- decisions do not depend on the order of rows or of rules;
- every decision's trace re-evaluates to that decision;
- printing an AST and parsing it back gives the same AST;
- arbitrary text gives diagnostics, never an exception.
"""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import policydsl
from policydsl.language.build import build_source
from policydsl.diagnostics import SourceFile
from policydsl.language.printer import module_text

SCHEMA = """
policy gen
entity unit
  group by region
  static region: text
  yearly score: integer
  yearly grade: A | B | C
  yearly flag: boolean
outcome o0 "零" is sanction
outcome o1 "一" is sanction
outcome o2 "二" is sanction
outcome a0 "甲" is reward with amount
outcome a1 "乙" is reward with amount
outcome f0 "字段" is eligibility with fields (floor "资金支持不低于（万元）": money, optional note "备注值": decimal)
ladder escalation: o0 < o1 < o2
highest only prizes: a0, a1
"""

# the example count comes from the hypothesis profile (tests/conftest.py)
SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def numeric(values: list[str], depth: int = 2) -> st.SearchStrategy[str]:
    leaves = st.sampled_from(["score", "1", "2", "5", "0.5"] + values)
    if depth == 0:
        return leaves
    inner = numeric(values, depth - 1)
    cond = boolean(values, depth - 1)
    return st.one_of(
        leaves,
        st.tuples(inner, st.sampled_from(["+", "-", "*"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        inner.map(lambda x: f"{x} / 2"),
        inner.map(lambda x: f"previous({x})"),
        st.just("change(score)"),
        cond.map(lambda c: f"streak({c})"),
        st.tuples(cond, st.integers(1, 3)).map(lambda t: f"count_periods({t[0]}, {t[1]})"),
        st.tuples(inner, st.sampled_from(["", ", ascending", ", where: flag", ", within: all"])).map(
            lambda t: f"rank({t[0]}{t[1]})"),
        st.tuples(inner, inner).map(lambda t: f"value_or({t[0]}, {t[1]})"),
        inner.map(lambda x: f"group_sum({x})"),
        inner.map(lambda x: f"group_max({x})"),
        cond.map(lambda c: f"group_count({c})"),
        st.tuples(inner, inner).map(lambda t: f"min({t[0]}, {t[1]})"),
        st.tuples(cond, inner, inner).map(lambda t: f"(if {t[0]} then {t[1]} else {t[2]})"),
    )


def boolean(values: list[str], depth: int = 2) -> st.SearchStrategy[str]:
    leaves = st.sampled_from(["flag", "grade = A", "grade in {B, C}", "score >= 3"])
    if depth == 0:
        return leaves
    inner = boolean(values, depth - 1)
    num = numeric(values, depth - 1)
    return st.one_of(
        leaves,
        st.tuples(num, st.sampled_from(["<", "<=", "=", "!=", ">", ">="]), num).map(lambda t: f"{t[0]} {t[1]} {t[2]}"),
        inner.map(lambda b: f"not ({b})"),
        st.tuples(inner, st.sampled_from(["and", "or"]), inner).map(lambda t: f"({t[0]}) {t[1]} ({t[2]})"),
        st.tuples(num, st.integers(1, 3)).map(lambda t: f"top({t[0]}, {t[1]})"),
        inner.map(lambda b: f"first_time({b})"),
    )


@st.composite
def policies(draw) -> tuple[str, list[str]]:
    """A generated policy text, and its rule declarations (to be shuffled)."""
    lines = [SCHEMA]
    values: list[str] = []
    for i in range(draw(st.integers(0, 3))):
        lines.append(f"value v{i} for unit = {draw(numeric(values))}")
        values.append(f"v{i}")
    rules = []
    for i in range(draw(st.integers(1, 5))):
        outcome = draw(st.sampled_from(["o0", "o1", "o2", "a0", "a1", "f0"]))
        then = f"{outcome} amount {draw(numeric(values, 1))}" if outcome.startswith("a") else outcome
        if outcome == "f0":  # named payload fields, the optional one set or not
            note = f", note = {draw(numeric(values, 1))}" if draw(st.booleans()) else ""
            then = f"f0 with (floor = {draw(numeric(values, 1))}{note})"
        rules.append(f"rule r{i}\n  implements gen.{i}\n  cite \"{i}\"\n  for unit\n"
                     f"  when {draw(boolean(values))}\n  then {then}")
    return "\n".join(lines), rules


@st.composite
def datasets(draw) -> dict:
    rows = []
    for unit in range(draw(st.integers(1, 5))):
        region = draw(st.sampled_from(["R1", "R2"]))
        for year in range(2016, 2020):
            if not draw(st.booleans()) and year != 2019:
                continue  # no record: not evaluated that year
            row = {"id": f"u{unit}", "period": str(year), "region": region}
            for fact, strategy in (("score", st.integers(0, 6)), ("grade", st.sampled_from("ABC")),
                                   ("flag", st.booleans())):
                if draw(st.integers(0, 6)) > 0:
                    row[fact] = draw(strategy)
            rows.append(row)
    return {"unit": rows}


def load_text(tmp_path, text: str) -> policydsl.PolicySet:
    path = tmp_path / "gen.pol"
    path.write_text(text, encoding="utf-8")
    return policydsl.load(path)


@SETTINGS
@given(policy=policies(), data=datasets(), seed=st.integers(0, 2**16))
def test_decisions_do_not_depend_on_row_or_rule_order(tmp_path_factory, policy, data, seed):
    text, rules = policy
    shuffler = random.Random(seed)
    shuffled_rules = rules[:]
    shuffler.shuffle(shuffled_rules)
    shuffled_rows = {"unit": shuffler.sample(data["unit"], len(data["unit"]))}
    first = load_text(tmp_path_factory.mktemp("a"), text + "\n" + "\n".join(rules) + "\n").evaluate(data)
    second = load_text(tmp_path_factory.mktemp("b"), text + "\n" + "\n".join(shuffled_rules) + "\n").evaluate(
        shuffled_rows)
    assert first.decisions == second.decisions


@SETTINGS
@given(policy=policies(), data=datasets())
def test_every_decision_trace_re_evaluates_to_the_decision(tmp_path_factory, policy, data):
    text, rules = policy
    result = load_text(tmp_path_factory.mktemp("p"), text + "\n" + "\n".join(rules) + "\n").evaluate(data)
    for decision in result.decisions:
        explanation = result.explain(decision.entity, decision.outcome, decision.period)
        assert explanation.decision is not None
        assert (explanation.decision.outcome, explanation.decision.period) == (decision.outcome, decision.period)
        fired = [t for t in explanation.rules if t.rule == explanation.decision.rule]
        assert fired and all(t.fired for t in fired)
        assert all(t.condition is None or t.condition.value is True for t in fired)


@SETTINGS
@given(policy=policies())
def test_printing_then_parsing_gives_the_same_ast(policy):
    text, rules = policy
    source = SourceFile(path="gen.pol", text=text + "\n" + "\n".join(rules) + "\n")
    module, diagnostics = build_source(source)
    assert not diagnostics
    printed = module_text(module)
    again, diagnostics = build_source(SourceFile(path="gen.pol", text=printed))
    assert not diagnostics, printed
    assert again == module


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_gives_diagnostics_not_exceptions(text):
    module, diagnostics = build_source(SourceFile(path="any.pol", text=text))
    assert module is not None or diagnostics


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_mutated_policies_give_diagnostics_not_exceptions(tmp_path_factory, data):
    base = SCHEMA + "\nrule r\n  implements gen.1\n  cite \"一\"\n  for unit\n  when score > 2 and flag\n  then o1\n"
    position = data.draw(st.integers(0, len(base)))
    cut = data.draw(st.integers(0, 8))
    insert = data.draw(st.sampled_from(["", "(", ")", "=", "==", "\"", "rule", "and", "x", "1", ":", "{", "#"]))
    mutated = base[:position] + insert + base[position + cut:]
    path = tmp_path_factory.mktemp("m") / "m.pol"
    path.write_text(mutated, encoding="utf-8")
    compiled = policydsl.compile_paths([path])
    assert compiled.ok or compiled.diagnostics
