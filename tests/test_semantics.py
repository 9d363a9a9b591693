"""One place for each meaning: history walks and groups (engine/semantics.py) as the plan
computes them and as the explainer shows them; the typed run interface; stable node ids;
table look-ups of a key the table lacks; the explanation of a conditional."""

from __future__ import annotations

import pytest

import policydsl
from policydsl.engine.evaluate import Run
from policydsl.engine.semantics import RunView
from policydsl.render.messages import say
from policydsl.values import Period, Unknown

SCHEMA = """
policy demo
entity unit
  group by region
  static region: text
  yearly score: integer
  quarterly qscore: integer
outcome flagged "标记" is measure
outcome paid "奖励" is reward with amount
table reward: integer -> money
  1 -> 300
  2 -> 200
"""


def rule(condition: str, then: str = "flagged", kind: str = "unit") -> str:
    return f'rule r\n  implements demo.1\n  cite "一"\n  for {kind}\n  when {condition}\n  then {then}\n'


def test_a_key_the_table_lacks_has_no_value(policy_from_text):
    policies = policy_from_text(SCHEMA + rule("score >= 0", "paid amount reward[score]"))
    result = policies.evaluate({"unit": [{"id": "u1", "period": "2017", "region": "R", "score": 3},
                                         {"id": "u2", "period": "2017", "region": "R", "score": 2}]})
    assert [(d.entity, d.amount) for d in result.decisions] == [("u2", 200)]
    (u1,) = [r for r in result.evaluation.results if r.entity == "u1"]
    assert isinstance(u1.condition, Unknown)  # not 0: the rule is not evaluable


def test_the_explanation_of_a_conditional_shows_the_branch_taken(policy_from_text):
    policies = policy_from_text(SCHEMA + rule("(if score > 2 then score * 10 else score + 1000) > 0"))
    result = policies.evaluate({"unit": [{"id": "u1", "period": "2017", "region": "R", "score": 3}]})
    condition = result.explain("u1", "flagged", "2017").rules[0].condition
    conditional = condition.children[0]
    assert [c.text for c in conditional.children] == ["score > 2", "score * 10"]
    assert conditional.value == 30


def test_a_first_time_trace_walks_every_earlier_quarter(policy_from_text):
    policies = policy_from_text(SCHEMA + rule("first_time(qscore >= 5)"))
    rows = [{"id": "u1", "period": p, "region": "R", "qscore": s}
            for p, s in (("2016-Q3", 1), ("2016-Q4", 1), ("2017-Q1", 2), ("2017-Q2", 5))]
    result = policies.evaluate({"unit": rows})
    history = result.explain("u1", "flagged", "2017-Q2").rules[0].condition
    assert history.value is True
    assert [d.arg("period") for d in history.detail] == ["2017-Q2", "2017-Q1", "2016-Q4", "2016-Q3"]


def test_a_streak_trace_shows_the_periods_the_plan_counted(policy_from_text):
    policies = policy_from_text(SCHEMA + rule("streak(score >= 5) >= 2"))
    rows = [{"id": "u1", "period": str(y), "region": "R", "score": s} for y, s in
            ((2014, 9), (2016, 6), (2017, 7))]  # 2015 has no record: the run is 2016-2017
    result = policies.evaluate({"unit": rows})
    streak = result.explain("u1", "flagged", "2017").rules[0].condition.children[0]
    assert streak.value == 2
    assert [say(d, "en") for d in streak.detail] == ["2017: true", "2016: true", "2015: no record"]


def test_a_walk_that_fails_now_shows_only_the_period_it_read(policy_from_text):
    policies = policy_from_text(SCHEMA + rule("streak(score >= 5) >= 1 or first_time(score >= 5)"))
    rows = [{"id": "u1", "period": str(y), "region": "R", "score": s} for y, s in ((2016, 6), (2017, 1))]
    result = policies.evaluate({"unit": rows})
    at_least_one, first = result.why_not("u1", "flagged", "2017").rules[0].condition.children
    streak = at_least_one.children[0]
    assert (streak.value, [say(d, "en") for d in streak.detail]) == (0, ["2017: false"])
    assert (first.value, [say(d, "en") for d in first.detail]) == (False, ["2017: false"])


def test_an_aggregate_trace_shows_the_group_the_plan_used(policy_from_text):
    policies = policy_from_text(SCHEMA + rule("rank(score, where: score > 1) <= 1"))
    rows = [{"id": u, "period": "2017", "region": "R", "score": s} for u, s in (("u1", 5), ("u2", 1), ("u3", 5))]
    result = policies.evaluate({"unit": rows})
    rank = result.explain("u1", "flagged", "2017").rules[0].condition.children[0]
    assert rank.value == 1
    assert say(rank.detail[0], "en").startswith("group region = R: 2 members where score > 1 in 2017")


def test_the_run_is_the_typed_interface_the_plan_reads(policy_from_text):
    policies = policy_from_text(SCHEMA + rule("score > 1"))
    result = policies.evaluate({"unit": [{"id": "u1", "period": "2017", "region": "R", "score": 3}]})
    run: RunView = result.evaluation.run
    assert isinstance(run, Run) and isinstance(run, RunView)  # every member of the protocol is there
    asked = {"cache", "exists", "has_record", "earliest", "fact", "derived", "evaluation_date", "members", "related"}
    declared = {name for name in vars(RunView) if not name.startswith("_")} | set(RunView.__annotations__)
    assert declared == asked  # one interface: history, groups and cross-kind members
    assert run.members("unit", "region", "u1", Period(2017)) == ("u1",)
    # an entity the data does not have has no record and no history, rather than an error
    assert run.has_record("unit", "u1", Period(2017)) and not run.has_record("unit", "u9", Period(2017))
    assert not run.exists("unit", "u9") and run.earliest("unit", "u9", "year") is None


def test_node_ids_are_the_same_in_every_compilation(policy_from_text):
    text = SCHEMA + "value v for unit = group_sum(score) + rank(score)\n" + rule("v > 1 and top(score, 1)")
    first, second = policy_from_text(text).plan, policy_from_text(text).plan
    for plan in (first, second):  # compiled when first read, by any node id of the declaration
        assert callable(plan.nodes["rule:demo::r:when/1"]) and callable(plan.nodes["value:unit.v/0"])
    assert sorted(first.nodes) == sorted(second.nodes)
    assert "rule:demo::r:when/1/0" in first.nodes and "value:unit.v/0/0" in first.nodes


def test_the_plan_compiles_a_declaration_when_first_read(policy_from_text):
    text = SCHEMA + "value v for unit = group_sum(score) + rank(score)\n" + rule("v > 1 and top(score, 1)")
    plan = policy_from_text(text).plan
    assert dict(plan.nodes) == {} and dict(plan.values) == {}  # nothing compiled before it is read
    condition = plan.rules[0].condition
    assert condition is plan.nodes["rule:demo::r:when"] and "rule:demo::r:when/0" in plan.nodes
    assert not any(node.startswith("value:") for node in plan.nodes)  # the value is read by name, later
    assert plan.values[("unit", "v")] is plan.nodes["value:unit.v"]
    with pytest.raises(KeyError):
        plan.nodes["rule:demo::nonesuch:when"]
    with pytest.raises(KeyError):
        plan.values[("unit", "nonesuch")]


def test_an_entity_selection_evaluates_those_entities_only(policy_from_text):
    policies = policy_from_text(SCHEMA + rule("score > 1"))
    rows = [{"id": u, "period": "2017", "region": "R", "score": 3} for u in ("u1", "u2", "u3")]
    result = policies.evaluate({"unit": rows}, entities=["u2"])
    assert [d.entity for d in result.decisions] == ["u2"]
    assert [r.entity for r in result.evaluation.results] == ["u2"]


def test_as_of_a_periods_last_day_that_period_is_evaluated(policy_from_text):
    policies = policy_from_text(SCHEMA + rule("score > 1"))
    rows = [{"id": "u1", "period": str(y), "region": "R", "score": 3} for y in (2016, 2017)]
    on_the_day = policies.evaluate({"unit": rows}, as_of="2016-12-31")
    assert [str(d.period) for d in on_the_day.decisions if d.entity_kind == "unit"] == ["2016"]
    day_before = policies.evaluate({"unit": rows}, as_of="2016-12-30")
    assert [d for d in day_before.decisions if d.entity_kind == "unit"] == []


def test_the_text_of_a_lowered_condition_keeps_the_parentheses_it_needs():
    from policydsl.engine.explain import ir_text
    from policydsl.language import ir
    from policydsl.types import BOOLEAN

    def fact(name):
        return ir.Fact(entity="unit", name=name, type=BOOLEAN, period_kind="year", span=None)
    either = ir.Logic(op="or", operands=(fact("b"), fact("c")), type=BOOLEAN, span=None)
    both = ir.Logic(op="and", operands=(fact("a"), either), type=BOOLEAN, span=None)
    assert ir_text(both) == "a and (b or c)"
    assert ir_text(ir.Logic(op="not", operands=(both,), type=BOOLEAN, span=None)) == "not (a and (b or c))"
    assert ir_text(ir.Logic(op="or", operands=(fact("a"), both), type=BOOLEAN, span=None)) == "a or a and (b or c)"


STATIC_ONLY = """
policy demo
entity city
  static big: boolean
  yearly gdp: integer
value big_for "连续" for city = streak(big)
value newly_big for city = first_time(big)
outcome flagged "标记" is measure
"""


def test_a_history_walk_over_an_entity_with_static_attributes_only_ends_where_the_data_ends(tmp_path):
    # Such an entity takes part in every period of the data and in no other: a streak of a
    # condition that always holds counts the data's periods (it once walked back for ever).
    from differential import check_every_executor, write

    files = {"p.pol": STATIC_ONLY + 'rule r\n  implements demo.1\n  cite "一"\n  for city\n'
                                    '  when big_for >= 2 and newly_big = false\n  then flagged\n'}
    rows = {"city": [{"id": "C1", "period": "2015", "gdp": 1, "big": True},
                     {"id": "C1", "period": "2016", "gdp": 2, "big": True},
                     {"id": "C2", "big": True}]}
    paths = write(tmp_path, files)
    policies = policydsl.load(*paths)
    result = policies.evaluate(rows)
    run = result.evaluation.run
    assert run.derived("city", "big_for", "C2", Period.parse("2016")) == 2
    assert run.derived("city", "newly_big", "C2", Period.parse("2015")) is True
    assert [(d.entity, str(d.period)) for d in result.decisions] == [("C1", "2016"), ("C2", "2016")]
    check_every_executor(policies, paths, rows)


def test_the_records_the_semantic_core_hands_out_are_keyword_only():
    # A positional construction could silently swap two fields of one type (entity and period,
    # amount and value, a decision's rule id and rule): every record is built by field name.
    import attrs

    from policydsl.engine import combine, evaluate, explain, members, plan, semantics, status

    records = (semantics.Walk, semantics.Group, members.MemberSet, plan.CompiledRule, plan.Plan,
               evaluate.RuleResult, evaluate.Evaluation, combine.Decision, status.Status, explain.Shortfall,
               explain.MemberList, explain.TraceNode, explain.RuleTrace, explain.Explanation)
    positional = {record.__name__: [f.name for f in attrs.fields(record) if not f.kw_only] for record in records}
    assert {name: fields for name, fields in positional.items() if fields} == {}


def test_the_text_of_a_lowered_cross_kind_aggregate_names_its_members_chain_and_filter(policy_from_text):
    from policydsl.engine.readings import ir_text

    policies = policy_from_text("""
policy demo
entity city
  yearly budget: integer
entity zone
  static city: ref city
entity unit
  static zone: ref zone
  yearly score: integer
value counted for city = count(unit via zone.city where score > 1)
value total for city = sum(score over unit via zone.city)
value plain for city = max(score over unit)
""")
    texts = {name: ir_text(value.expr) for (_, name), value in policies.program.values.items()}
    assert texts == {"counted": "count(unit via zone.city where score > 1)",
                     "total": "sum(score over unit via zone.city)", "plain": "max(score over unit via zone.city)"}


def test_a_percent_compared_with_a_plain_ratio_constant_decides_alike_in_every_executor(policy_from_text):
    # 12.5% is the ratio 1/8: a percent fact against a decimal parameter, or against a ratio the
    # rule computes, compares ratios (the checker reads the plain side as a percent: as_percent)
    policies = policy_from_text("""
policy demo
entity unit
  yearly share: percent
  yearly part: integer
parameter eighth: decimal = 0.125
outcome above "达标" is measure
outcome above_part "达标比" is measure
rule r
  implements demo.1
  cite "一"
  for unit
  when share >= eighth
  then above
rule s
  implements demo.2
  cite "二"
  for unit
  when share > part / 8
  then above_part
""")
    facts = {"u": {"share": "12.5", "part": 1}, "v": {"share": "12", "part": 1}, "w": {"share": "13", "part": 1}}
    rows = [{"id": entity, "period": "2017", **values} for entity, values in facts.items()]
    expected = [("u", "above"), ("w", "above"), ("w", "above_part")]
    for executor in ("row", "columnar"):
        decisions = policies.evaluate({"unit": rows}, executor=executor).decisions
        assert [(d.entity, d.outcome) for d in decisions] == expected, executor
    decide = policies.decider("unit", period="2017")
    assert [(e, o) for e, values in facts.items() for o in decide(e, {"2017": values})] == expected


def test_two_evaluations_of_the_same_policies_and_data_are_equal_whatever_their_runs_computed():
    """An `Evaluation` is a value: its decisions and rule results, under the plan that made them
    (the `Run` it keeps for explanations, with its caches, is not part of it)."""
    from conftest import SAMPLE_DATA, SAMPLE_POLICIES

    policies = policydsl.load(*SAMPLE_POLICIES)
    data = policies.load_data(SAMPLE_DATA)
    first, second = policies.evaluate(data).evaluation, policies.evaluate(data).evaluation
    assert first.run is not second.run and first.decisions and first == second
    assert policies.evaluate(data, period="2019").evaluation != first


@pytest.mark.parametrize(("records", "now", "expected"), [
    ({}, 5, (True, 1)),  # no record of the kind at all: nothing earlier held (only now was read)
    ({5: True}, 5, (True, 1)),  # its first record is now
    ({3: False, 5: True}, 5, (True, 3)),  # 4 has no record, 3 did not hold
    ({3: True, 5: True}, 5, (False, 3)),  # held before, two periods back
    ({4: True, 5: True}, 5, (False, 2)),
    ({4: True, 5: False}, 5, (False, 1)),  # does not hold now: only now was read
])
def test_first_time_holds_now_and_at_no_earlier_record_and_says_how_far_it_read(records, now, expected):
    # the walk on ordinal periods, as the single-decision executor runs it: `tests` gives the
    # operand's value where there is a record, else UNRECORDED, from now down to the first
    # record; the operand holds now regardless
    from policydsl.engine.semantics import UNRECORDED, WALKS

    tests = [records.get(at, UNRECORDED) for at in range(now, min(records, default=now + 1) - 1, -1)]
    assert WALKS["first_time"](1, iter(tests), None, now, lambda _, at: records.get(at, True)) == expected


COUNTED = """
policy g8
  title "g8"
entity firm
  yearly g: A | B | C | D
outcome clean "无D奖励" is reward
rule no_d_in_three_years implements g8.1 cite "1" for firm when count_periods(g = D, 3) = 0 then clean
"""


@pytest.mark.parametrize("executor", ["row", "columnar", "decider"])
def test_count_periods_is_unknown_when_the_period_evaluated_lacks_the_fact(policy_from_text, executor):
    """A rating missing in 2019 gave "no D in three years" a reward (G8: not evaluable); an earlier
    missing rating is a round not evaluated and does not count (as a streak's break)."""
    policies = policy_from_text(COUNTED)
    rows = {"F1": {"2017": {"g": "A"}, "2018": {"g": "A"}, "2019": {}},
            "F2": {"2017": {"g": "A"}, "2018": {}, "2019": {"g": "A"}}}
    if executor == "decider":
        decide = policies.decider("firm", period="2019")
        found = {entity for entity, facts in rows.items() if decide(entity, facts)}
    else:
        data = {"firm": [{"id": e, "period": p, **row} for e, by_period in rows.items() for p, row in by_period.items()]}
        found = {d.entity for d in policies.evaluate(data, period="2019", executor=executor).decisions}
    assert found == {"F2"}
