"""Hypothesis: aggregates across entity kinds agree with the oracle (tests/oracle/) on
every derived value, rule result and decision.

Generated policies aggregate over one and two references (region ← unit ← item), with `where`
filters, `via` chains, values that aggregate values that aggregate, and children reading their
parent; generated data has missing facts, dangling references, members without a record in a
year and regions described by static attributes only.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import policydsl
from differential import check_every_executor

SCHEMA = """
policy gen
entity region
  static name: text
entity unit
  group by region
  static region: ref region
  yearly score: integer
  yearly flag: boolean
entity item
  static unit: ref unit
  static origin: ref unit
  yearly weight: integer
  yearly ok: boolean
outcome o0 "零" is sanction
outcome o1 "一" is sanction
outcome a0 "甲" is reward with amount
"""

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ITEM_CONDITIONS = ["ok", "weight >= 2", "not ok", "weight > 0 and ok", "unit.flag", "origin.score >= 3"]
UNIT_CONDITIONS = ["flag", "score >= 3", "region.name = \"R1\"", "u_items >= 1"]
ITEM_CHAINS = {"unit": ["unit", "origin"], "region": ["unit.region", "origin.region"]}


def item_aggregate(scope: str, functions=("count", "sum", "mean", "min", "max", "any", "all")
                   ) -> st.SearchStrategy[str]:
    """An aggregate over items, for a unit or a region (one or two references)."""
    chain = st.sampled_from(ITEM_CHAINS[scope])
    where = st.sampled_from([""] + [f" where {c}" for c in ITEM_CONDITIONS])

    def text(function: str, via: str, condition: str, filter_text: str) -> str:
        if function == "count":
            return f"count(item via {via}{filter_text})"
        operand = condition if function in ("any", "all") else "weight"
        return f"{function}({operand} over item via {via}{filter_text})"
    return st.builds(text, st.sampled_from(functions), chain, st.sampled_from(ITEM_CONDITIONS), where)


def unit_aggregate() -> st.SearchStrategy[str]:
    """An aggregate over units for a region, possibly of a unit value that aggregates items."""
    where = st.sampled_from([""] + [f" where {c}" for c in UNIT_CONDITIONS])
    operand = st.sampled_from(["score", "u_items", "u_weight"])
    return st.one_of(
        where.map(lambda w: f"count(unit{w})"),
        st.tuples(st.sampled_from(["sum", "mean", "min", "max"]), operand, where).map(
            lambda t: f"{t[0]}({t[1]} over unit{t[2]})"),
        st.tuples(st.sampled_from(["any", "all"]), st.sampled_from(UNIT_CONDITIONS), where).map(
            lambda t: f"{t[0]}({t[1]} over unit{t[2]})"),
    )


def threshold() -> st.SearchStrategy[str]:
    return st.sampled_from([">= 1", ">= 2", "= 0", "< 3", "> 4"])


@st.composite
def policies(draw) -> str:
    lines = [SCHEMA,
             f"value u_items for unit = {draw(item_aggregate('unit', ('count',)))}",
             f"value u_weight for unit = value_or({draw(item_aggregate('unit', ('sum', 'min', 'max')))}, 0)",
             f"value r_units for region = count(unit{draw(st.sampled_from(['', ' where flag', ' where u_items >= 1']))})"]
    rules = []
    for i in range(draw(st.integers(1, 4))):
        scope = draw(st.sampled_from(["region", "unit"]))
        if scope == "region":
            aggregate = draw(st.one_of(unit_aggregate(), item_aggregate("region")))
        else:
            aggregate = draw(st.one_of(item_aggregate("unit"), st.just("region.r_units")))
        is_condition = aggregate.startswith(("any", "all"))
        condition = aggregate if is_condition else f"{aggregate} {draw(threshold())}"
        outcome = draw(st.sampled_from(["o0", "o1", "a0"]))
        then = f"a0 amount {aggregate if not is_condition and not aggregate.startswith('mean') else 1}" \
            if outcome == "a0" else outcome
        rules.append(f"rule r{i}\n  implements gen.{i}\n  cite \"{i}\"\n  for {scope}\n  when {condition}\n  then {then}")
    return "\n".join(lines + rules) + "\n"


@st.composite
def datasets(draw) -> dict:
    regions = [{"id": r, "name": r} for r in ("R1", "R2")]
    units, items = [], []
    for u in range(draw(st.integers(1, 4))):
        region = draw(st.sampled_from(["R1", "R2", "R9"]))  # R9: a dangling reference
        for year in (2018, 2019):
            if year == 2018 and draw(st.booleans()):
                continue
            row = {"id": f"u{u}", "period": str(year), "region": region}
            for fact, strategy in (("score", st.integers(0, 5)), ("flag", st.booleans())):
                if draw(st.integers(0, 5)) > 0:
                    row[fact] = draw(strategy)
            units.append(row)
    for i in range(draw(st.integers(0, 7))):
        unit, origin = draw(st.sampled_from(["u0", "u1", "u2", "u9"])), draw(st.sampled_from(["u0", "u1"]))
        for year in (2018, 2019):
            if not draw(st.booleans()):
                continue
            row = {"id": f"i{i}", "period": str(year), "unit": unit, "origin": origin}
            for fact, strategy in (("weight", st.integers(-1, 4)), ("ok", st.booleans())):
                if draw(st.integers(0, 5)) > 0:
                    row[fact] = draw(strategy)
            items.append(row)
    return {"region": regions, "unit": units, "item": items}


@SETTINGS
@given(text=policies(), data=datasets())
def test_aggregates_across_kinds_agree_with_the_reference_interpreter(tmp_path_factory, text, data):
    path = tmp_path_factory.mktemp("p") / "gen.pol"
    path.write_text(text, encoding="utf-8")
    policy_set = policydsl.load(path)
    check_every_executor(policy_set, [path], data)


@SETTINGS
@given(text=policies(), data=datasets())
def test_the_explained_member_count_is_the_decided_value(tmp_path_factory, text, data):
    """Every member list an explanation shows re-counts to the aggregate's value."""
    path = tmp_path_factory.mktemp("p") / "gen.pol"
    path.write_text(text, encoding="utf-8")
    result = policydsl.load(path).evaluate(data)
    for decision in result.decisions:
        explanation = result.explain(decision.entity, decision.outcome, decision.period)
        for trace in explanation.rules:
            for node in _walk(trace.condition) if trace.condition else ():
                if node.members is not None and node.text.startswith("count("):
                    assert node.value == len(node.members.counted)


def _walk(node):
    yield node
    for child in node.children:
        yield from _walk(child)
