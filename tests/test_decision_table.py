"""A decider's decision table (`engine/decision_table.py`): which conditions hold, kept per tuple of
the values the conditions read (facts, derived values, history functions at the decided period),
decides as the conditions themselves do — on every short history, with unknowns (G8), with a leaf
the conditions would not read that is unknown or fails, past a full table, and on generated policies
and data against the decider's own `decisions` and against the independent oracle — and is shared
by entities with the same leaf values, never keyed by a request."""

from __future__ import annotations

import itertools
import textwrap

import pytest
from hypothesis import HealthCheck, given, note, settings
from oracle import oracle_answer
from oracle.generate import datasets, policies
from oracle.history import history_datasets, history_policies

import policydsl
from policydsl.engine import decision_table

# conditions over every kind of leaf (a fact, a static attribute, a derived value, streak,
# first_time, count_periods, previous) combined by every pure operator (and/or/not, in, not in,
# arithmetic, if, min/max/abs, is_missing/value_or, a table, the period's end); a ladder over
# three levels; `{paid}` is a rule with an amount (the general path) or nothing
POLICY = """\
policy tbl
  in_force_from 2010-01-01

type grade = A | B | C

entity firm
  static sector: text
  yearly f: grade
  yearly x: integer
  yearly m: money

table bonus: grade -> integer
  A -> 3
  B -> 1
  C -> 0

value good for firm = f in {{A, B}}
value run for firm = streak(f = A)

outcome low is sanction
outcome mid is sanction
outcome high is sanction
outcome paid is reward with amount
outcome listed is measure

ladder level: low < mid < high

rule r1 implements tbl.1 cite "1" "x" for firm when run >= 2 and first_time(f in {{A, B}}) then high
rule r2 implements tbl.2 cite "2" "x" for firm when not good or x * 2 > 3 then mid
rule r3 implements tbl.3 cite "3" "x" for firm when (if good then x else 0) >= 1 and f not in {{C}} then low
rule r4 implements tbl.4 cite "4" "x" for firm
  when max(previous(x), 1) + abs(value_or(x, 0) - 2) >= bonus[f] or is_missing(m)
  then mid
rule r5 implements tbl.5 cite "5" "x" for firm
  when count_periods(f = B, 2) >= 1 and period_end >= 2017-12-31 and sector = "S1"
  then listed
{paid}"""
PAID = ('rule r6 implements tbl.6 cite "6" "x" for firm when m > 1万元 and not first_time(f = C) '
        'then paid amount m * 2\n')
# a period's state: no record, a record without facts, or facts (x and m sometimes missing)
STATES = (None, {}, {"f": "A", "x": 2, "m": "2"}, {"f": "B", "x": 1, "m": "1"}, {"f": "B"}, {"f": "C", "m": "0.5"})
YEARS = ("2017", "2018", "2019", "2020")


def _load(tmp_path, text: str) -> policydsl.PolicySet:
    (tmp_path / "tbl.pol").write_text(textwrap.dedent(text), encoding="utf-8")
    return policydsl.load(tmp_path / "tbl.pol")


@pytest.mark.parametrize("paid", ["", PAID], ids=["plain outcomes", "with an amount"])
def test_a_deciders_table_decides_as_the_row_executor_on_every_short_history(tmp_path, paid):
    policies = _load(tmp_path, POLICY.format(paid=paid))
    histories = {}
    for number, states in enumerate(itertools.product(STATES, repeat=4)):
        sector = "S1" if number % 3 else "S2"
        histories[f"E{number:03d}"] = (sector, {year: state for year, state in zip(YEARS, states) if state is not None})
    rows = [{"id": entity, "sector": sector, "period": year, **state}
            for entity, (sector, facts) in histories.items() for year, state in facts.items()]
    entries = 0
    for period in YEARS:
        expected: dict[str, list[str]] = {}
        for d in policies.evaluate({"firm": rows}, period=period).decisions:
            if d.status == "active":
                expected.setdefault(d.entity, []).append(d.outcome)
        decide = policies.decider("firm", period=period)
        assert decide._table == {}, "the conditions read the entity alone: the decider has a table"
        decided = 0
        for entity, (sector, facts) in histories.items():
            if period not in facts:
                continue
            for _ in range(2):  # the second call reads the table
                assert sorted(decide(entity, facts, static={"sector": sector})) == sorted(
                    expected.get(entity, [])), (entity, facts, period)
            decided += 1
        # entities share entries: one per distinct tuple of known leaf values, never one per request
        assert len(decide._table) < decided / 4, (len(decide._table), decided)
        entries += len(decide._table)
    assert entries > 0


def test_entities_with_different_histories_and_the_same_leaf_values_share_an_entry(tmp_path):
    policies = _load(tmp_path, POLICY.format(paid=PAID))
    decide = policies.decider("firm", period="2020")
    first = {"2019": {"f": "C", "x": 1}, "2020": {"f": "A", "x": 2, "m": "2"}}
    second = {"2016": {"f": "C", "x": 5}, "2019": {"f": "C", "x": 1}, "2020": {"f": "A", "x": 2, "m": "2"}}
    assert decide("E1", first, static={"sector": "S1"}) == decide("E2", second, static={"sector": "S1"})
    assert len(decide._table) == 1


def test_an_unknown_leaf_is_no_key_and_the_conditions_decide(tmp_path):
    """G8: x missing is unknown; `f = A and x >= 2` with f = B is false without reading x."""
    policies = _load(tmp_path, """\
        policy tbl
          in_force_from 2010-01-01
        type grade = A | B
        entity firm
          yearly f: grade
          yearly x: integer
        outcome flagged is sanction
        outcome other is sanction
        rule r1 implements tbl.1 cite "1" "x" for firm when f = A and x >= 2 then flagged
        rule r2 implements tbl.2 cite "2" "x" for firm when f = B or x >= 2 then other
        """)
    decide = policies.decider("firm", period="2020")
    assert decide("E1", {"2020": {"f": "B"}}) == ["other"]
    assert decide("E1", {"2020": {"f": "A"}}) == []  # both conditions unknown: nothing fires
    assert decide._table == {}, "a tuple holding an unknown is never a key"
    assert decide("E1", {"2020": {"f": "A", "x": 2}}) == ["flagged", "other"]
    assert list(decide._table) == [("A", 2)]


def test_a_failing_leaf_the_conditions_do_not_read_leaves_the_decision_to_them(tmp_path):
    policies = _load(tmp_path, POLICY.format(paid=""))
    decide = policies.decider("firm", period="2020")
    facts = {"2020": {"f": "C", "x": 2, "m": "2"}}
    expected = decide("E1", facts, static={"sector": "S1"})
    decide._table.clear()
    # r1 reads first_time(f in {A, B}) only when run >= 2: with f = C it is never read
    found = decision_table.leaves(((r.rule.condition, f"rule:{r.rule.name}:when") for r in decide._in_force),
                                  policies.program, "firm", "year")
    index = next(i for i, leaf in enumerate(found) if leaf.expr.__class__.__name__ == "History"
                 and leaf.expr.function == "first_time")

    def failing(entity, t):
        raise ZeroDivisionError("a leaf that fails")
    leaves = list(decide._leaves)
    leaves[index] = (failing, leaves[index][1])
    decide._leaves = tuple(leaves)
    assert decide("E1", facts, static={"sector": "S1"}) == expected
    assert decide._table == {}


def test_a_full_table_ends_and_the_decider_decides_on(tmp_path, monkeypatch):
    monkeypatch.setattr(decision_table, "TABLE_SIZE", 3)
    policies = _load(tmp_path, POLICY.format(paid=PAID))
    decide = policies.decider("firm", period="2020")
    rows = []
    for x in range(8):
        facts = {"2019": {"f": "A", "x": 1}, "2020": {"f": "B", "x": x, "m": str(x)}}
        rows += [{"id": f"E{x}", "sector": "S1", "period": p, **row} for p, row in facts.items()]
        assert decide(f"E{x}", facts, static={"sector": "S1"}) == [
            d.outcome for d in policies.evaluate({"firm": rows}, period="2020").decisions
            if d.entity == f"E{x}" and d.status == "active"]
    assert decide._table is None


def test_no_table_where_a_condition_reads_other_entities(tmp_path):
    policies = _load(tmp_path, """\
        policy tbl
          in_force_from 2010-01-01
        entity firm
          yearly x: integer
        value ranked for firm = rank(x)
        outcome flagged is sanction
        rule r1 implements tbl.1 cite "1" "x" for firm when x >= 2 and ranked = 1 then flagged
        """)
    decide = policies.decider("firm", period="2020")
    assert decide._table is None
    assert decide("E1", {"2020": {"x": 2}}) == ["flagged"]  # alone in its group: first


def test_no_table_for_more_leaves_than_the_limit(tmp_path):
    facts = "\n".join(f"  yearly x{i}: integer" for i in range(decision_table.MAX_LEAVES + 1))
    condition = " + ".join(f"x{i}" for i in range(decision_table.MAX_LEAVES + 1))
    policies = _load(tmp_path, f"""\
policy tbl
  in_force_from 2010-01-01
entity firm
{facts}
outcome flagged is sanction
rule r1 implements tbl.1 cite "1" "x" for firm when {condition} >= 2 then flagged
""")
    decide = policies.decider("firm", period="2020")
    assert decide._table is None
    assert decide("E1", {"2020": {f"x{i}": 1 for i in range(decision_table.MAX_LEAVES + 1)}}) == ["flagged"]


GENERATED = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.mark.parametrize("against", ["its decisions", "the oracle"])
@GENERATED
@given(files=policies(), rows=datasets())
def test_on_generated_policies_a_deciders_call_decides_as_its_decisions_and_the_oracle(tmp_path_factory, against,
                                                                                      files, rows):
    CHECKS[against](tmp_path_factory.mktemp("gen"), files, rows)


@pytest.mark.parametrize("against", ["its decisions", "the oracle"])
@GENERATED
@given(files=history_policies(), rows=history_datasets())
def test_on_long_histories_with_gaps_a_deciders_call_decides_as_its_decisions_and_the_oracle(
        tmp_path_factory, against, files, rows):
    CHECKS[against](tmp_path_factory.mktemp("hist"), files, rows)


def _calls_decide_as_decisions(folder, files: dict[str, str], rows: dict) -> None:
    """Every entity of every kind through one decider per period, twice (the table's entries read
    by later calls and other entities): the active outcomes of `decide.decisions` (the normal
    evaluation, which the differential test checks against the oracle on the single executor)."""
    policy_set, _ = _loaded(folder, files, rows)
    _every_call(policy_set, rows, rows, lambda decide, kind, entity, period, by_period, static: [
        d.outcome for d in decide.decisions(entity, by_period, static=static) if d.status == "active"])


def _loaded(folder, files: dict[str, str], rows: dict):
    for name, text in files.items():
        note(f"--- {name}\n{text}")
        (folder / name).write_text(text, encoding="utf-8")
    note(f"data: {rows}")
    paths = [folder / name for name in files]
    return policydsl.load(*paths), paths


def _every_call(policy_set, rows: dict, kinds, expected_of) -> None:
    """Each entity of each of `kinds` through one decider per period, twice: the outcomes
    `expected_of(decide, kind, entity, period, facts, static)`."""
    for kind in kinds:
        facts_of = policy_set.program.entities[kind].facts
        entities: dict[str, tuple[dict, dict]] = {}
        for row in rows[kind]:
            static = {k: v for k, v in row.items() if k not in ("id", "period") and facts_of[k].period_kind is None}
            periodic = {k: v for k, v in row.items() if k not in ("id", "period") and k not in static}
            if "period" in row:  # an entity of static attributes only has its records from the data's periods:
                entities.setdefault(row["id"], (static, {}))[1][row["period"]] = periodic  # not decided alone
        for period in sorted({p for _, by_period in entities.values() for p in by_period}):
            decide = policy_set.decider(kind, period=period)
            for _ in range(2):
                for entity, (static, by_period) in entities.items():
                    if period in by_period:
                        expected = expected_of(decide, kind, entity, period, by_period, static or None)
                        assert decide(entity, by_period, static=static or None) == expected, (kind, entity, period)


def _calls_decide_as_the_oracle(folder, files: dict[str, str], rows: dict) -> None:
    """Where a kind's rules and values read the entity alone (so that the entity alone decides as
    within the data set), every entity through one decider per period, twice, gives the active
    outcomes of the independent oracle (`tests/oracle/`) over the whole data set."""
    policy_set, paths = _loaded(folder, files, rows)
    program = policy_set.program
    expected: dict[tuple[str, str, str], list[str]] = {}
    for d in oracle_answer(program, paths, rows).decisions:
        if d.status == "active":
            expected.setdefault((d.entity_kind, d.entity, str(d.period)), []).append(d.outcome)
    local = [kind for kind in rows if all(  # else the entity alone would not see the others its rules read
        decision_table._local(e, program, kind) for r in program.rules if r.entity == kind
        for e in ((r.condition,) if r.condition is not None else ()) + tuple(x for c in r.consequences
                                                                              for x in c.expressions))]
    _every_call(policy_set, rows, local, lambda decide, kind, entity, period, by_period, static: expected.get(
        (kind, entity, period), []))


CHECKS = {"its decisions": _calls_decide_as_decisions, "the oracle": _calls_decide_as_the_oracle}
