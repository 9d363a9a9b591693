"""Stage 6, evaluate: a `Plan` and a `Dataset` in, decisions and the value of every node out.

Every rule is evaluated for every entity of its kind at every period of its period kind for
which the entity has a record (optionally narrowed to one period or entity). A rule whose
condition is unknown does not fire; its result is kept so that `explain` can say why not.
Fired outcomes are then combined: in a ladder only the strongest level stays active, in a
highest-only group only the largest amount; the others are recorded as superseded.
The result does not depend on the order of rows, files or rules.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import attrs

from policydsl.engine.plan import Plan
from policydsl.engine.status import document_status
from policydsl.schema import Dataset
from policydsl.values import MissingFact, Period, Unknown


@attrs.frozen(kw_only=True)
class Decision:
    entity_kind: str
    entity: str
    period: Period
    policy: str
    rule_id: str  # the catalogue id the rule implements
    rule: str  # the rule's own name in the policy
    outcome: str
    outcome_kind: str
    label: str | None
    amount: object = None
    value: object = None
    cite: str = ""
    status: str = "active"
    superseded_by: str | None = None  # catalogue id of the rule whose outcome won
    target: str | None = None  # the target a goal or deadline check is about
    as_of: dt.date | None = None  # a document status reported as of this date


class Run:
    """The state of one evaluation: the data, and every derived value computed so far."""

    def __init__(self, plan: Plan, dataset: Dataset, as_of: dt.date | None = None):
        self.plan = plan
        self.dataset = dataset
        self.as_of = as_of
        self._records = {kind: dataset.entities(kind) for kind in plan.program.entities}
        self.floor = history_floor(dataset) if plan.recursive else {}
        self.store: dict[tuple[str, str], dict[tuple[str, Period], object]] = {}
        self.cache: dict = {}
        self._groups: dict[tuple[str, str | None], dict[object, tuple[str, ...]]] = {}
        self._present: dict[tuple, tuple[str, ...]] = {}

    # ---- what compiled expressions ask for ------------------------------------------------
    def evaluation_date(self, period: Period) -> dt.date:
        """The day a period is evaluated: its end (G5), or the date the evaluation is made as of."""
        return self.as_of if self.as_of is not None else period.end

    def exists(self, kind: str, entity: str) -> bool:
        return entity in self._records[kind]

    def has_record(self, kind: str, entity: str, period: Period) -> bool:
        record = self._records[kind].get(entity)
        return record is not None and period in record.periods

    def fact(self, kind: str, entity: str, period: Period, name: str, period_kind: str | None) -> object:
        record = self._records[kind].get(entity)
        if period_kind is None:
            if record is not None and name in record.static:
                return record.static[name]
            return Unknown(frozenset({MissingFact(kind, entity, name, "")}))
        if record is not None:
            row = record.periods.get(period)
            if row is not None and name in row:
                return row[name]
        return Unknown(frozenset({MissingFact(kind, entity, name, str(period))}))

    def derived(self, kind: str, name: str, entity: str, period: Period) -> object:
        if (kind, name) in self.plan.recursive and period < self.floor.get(period.kind, period):
            return Unknown()  # a running total that never reaches its base case stops here
        table = self.store.setdefault((kind, name), {})
        key = (entity, period)
        if key not in table:
            table[key] = self.plan.values[(kind, name)](self, entity, period)
        return table[key]

    def earliest(self, kind: str, entity: str, period_kind: str) -> Period | None:
        record = self.dataset.entities(kind).get(entity)
        periods = [p for p in record.periods if p.kind == period_kind] if record else []
        return min(periods) if periods else None

    def members(self, kind: str, group: str | None, entity: str, period: Period):
        """The entities of the same group that have a record in the period (sorted ids)."""
        if group is not None:
            record = self.dataset.entities(kind).get(entity)
            if record is None or group not in record.static:
                return Unknown(frozenset({MissingFact(kind, entity, group, "")}))
            group_value = record.static[group]
        else:
            group_value = None
        index = self._groups.get((kind, group))
        if index is None:
            index = {}
            for entity_id, other in sorted(self.dataset.entities(kind).items()):
                if group is None or group in other.static:
                    index.setdefault(other.static.get(group) if group else None, []).append(entity_id)
            index = {k: tuple(v) for k, v in index.items()}
            self._groups[(kind, group)] = index
        key = (kind, group, group_value, period)
        present = self._present.get(key)
        if present is None:
            present = tuple(m for m in index.get(group_value, ()) if self.has_record(kind, m, period))
            self._present[key] = present
        return present


# How far before the first period of the data a value reading its own past may still go.
HISTORY_DEPTH = 50


def history_floor(dataset: Dataset) -> dict[str, Period]:
    """Per period kind, the period before which no running total can still need a value."""
    floor: dict[str, Period] = {}
    for period in dataset.periods():
        if period.kind not in floor:
            floor[period.kind] = period.shift(-HISTORY_DEPTH)
    return floor


@attrs.frozen(kw_only=True)
class RuleResult:
    """The condition of one rule for one entity and period: true, false or unknown."""

    rule: str
    entity_kind: str
    entity: str
    period: Period
    condition: object


@attrs.frozen(kw_only=True)
class Evaluation:
    plan: Plan
    run: Run = attrs.field(eq=False, repr=False)
    decisions: tuple[Decision, ...]
    results: tuple[RuleResult, ...]
    as_of: dt.date | None = None


def _periods_of(dataset: Dataset, kind: str, entity: str, period_kind: str,
                only: Period | None, as_of: dt.date | None) -> list[Period]:
    record = dataset.entities(kind).get(entity)
    if record is None:
        return []
    periods = sorted(p for p in record.periods if p.kind == period_kind)
    # as of a date, a period that has not yet ended is not evaluated (its figures are not final)
    return [p for p in periods if (only is None or p == only) and (as_of is None or p.end <= as_of)]


def evaluate(plan: Plan, dataset: Dataset, *, period: Period | None = None,
             entities: Iterable[str] | None = None, as_of: dt.date | None = None) -> Evaluation:
    """Decisions for every period of the data, each evaluated at its end; with `as_of`, every
    period that has ended by that date, evaluated on it, and each document's status on it."""
    run = Run(plan, dataset, as_of)
    wanted = set(entities) if entities is not None else None
    fired: list[Decision] = []
    results: list[RuleResult] = []
    outcomes = plan.program.outcomes
    policies = plan.program.policies
    for compiled in plan.rules:
        rule = compiled.rule
        policy = policies[rule.policy]
        for entity in sorted(dataset.entities(rule.entity)):
            if wanted is not None and entity not in wanted:
                continue
            for at in _periods_of(dataset, rule.entity, entity, rule.evaluated_per, period, as_of):
                if not policy.applies(at.end, run.evaluation_date(at)):
                    continue  # the document does not govern this period, or is not in effect when evaluated
                condition = compiled.condition(run, entity, at) if compiled.condition else True
                decided = []
                if condition is True:
                    for consequence, amount_fn, value_fn in compiled.consequences:
                        amount = amount_fn(run, entity, at) if amount_fn else None
                        value = value_fn(run, entity, at) if value_fn else None
                        # An amount or value that needs missing data makes the rule not evaluable (G8).
                        if isinstance(amount, Unknown) or isinstance(value, Unknown):
                            condition = amount if isinstance(amount, Unknown) else value
                            decided = []
                            break
                        decided.append(decision_of(rule, outcomes[consequence.outcome], entity, at, amount, value))
                fired.extend(decided)
                results.append(RuleResult(rule=rule.name, entity_kind=rule.entity, entity=entity, period=at,
                                          condition=condition))
    fired.extend(status_decision(plan, s) for s in document_status(plan.program, dataset.periods(), period, as_of)
                 if wanted is None or s.document in wanted)
    decisions = combine(plan, fired)
    return Evaluation(plan=plan, run=run, as_of=as_of, decisions=tuple(sorted(decisions, key=decision_order)),
                      results=tuple(sorted(results, key=lambda r: (r.entity_kind, r.entity, r.period.year,
                                                                   r.period.quarter, r.rule))))


def decision_of(rule, outcome, entity: str, period: Period, amount: object, value: object) -> Decision:
    """The decision a fired rule makes for one of its outcomes."""
    return Decision(entity_kind=rule.entity, entity=entity, period=period, policy=rule.policy,
                    rule_id=rule.implements, rule=rule.name, outcome=outcome.name, outcome_kind=outcome.kind,
                    label=outcome.label, amount=amount, value=value, cite=rule.clause, target=rule.target)


def status_decision(plan: Plan, status) -> Decision:
    """A document's status as a decision about the entity `document` (the META rules)."""
    return Decision(entity_kind="document", entity=status.document, period=status.period, policy=status.policy,
                    rule_id=status.rule_id, rule=status.rule_id, outcome=status.outcome, outcome_kind="status",
                    label=plan.program.outcomes[status.outcome].label, value=status.repealed_by,
                    cite=status.cite, as_of=status.on)


def decision_order(d: Decision):
    return (d.entity_kind, d.entity, d.period.year, d.period.quarter, d.policy, d.rule_id, d.rule, d.outcome)


def _amount_key(decision: Decision):
    amount = decision.amount
    return (0, 0) if amount is None or isinstance(amount, Unknown) else (1, amount)


def combine(plan: Plan, fired: list[Decision]) -> list[Decision]:
    """Apply ladders and highest-only groups to the decisions of each entity and period."""
    by_case: dict[tuple, list[Decision]] = {}
    for decision in sorted(fired, key=decision_order):
        by_case.setdefault((decision.entity_kind, decision.entity, decision.period), []).append(decision)
    result: list[Decision] = []
    for decisions in by_case.values():
        superseded: dict[int, str] = {}
        for combination in plan.program.combinations:
            rank = {o: i for i, level in enumerate(combination.levels) for o in level}
            members = [(i, d) for i, d in enumerate(decisions) if d.outcome in rank]
            if len(members) < 2:
                continue
            if combination.mode == "ladder":
                top = max(rank[d.outcome] for _, d in members)
                winner = next(d for _, d in members if rank[d.outcome] == top)
                losers = [i for i, d in members if rank[d.outcome] < top]
            else:
                # highest amount wins; equal amounts: the outcome listed first in the group
                best = max(members, key=lambda item: (_amount_key(item[1]), -rank[item[1].outcome], -item[0]))
                winner = best[1]
                losers = [i for i, _ in members if i != best[0]]
            for i in losers:
                superseded.setdefault(i, winner.rule_id)
        for i, decision in enumerate(decisions):
            if i in superseded:
                decision = attrs.evolve(decision, status="superseded", superseded_by=superseded[i])
            result.append(decision)
    return result
