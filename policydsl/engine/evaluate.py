"""Stage 6, evaluate: a `Plan` and a `Dataset` in, decisions and the value of every node out.

Every rule is evaluated for every entity of its kind at every period of its period kind for
which the entity has a record (optionally narrowed to one period or entity). A rule whose
condition is unknown does not fire; its result is kept so that `explain` can say why not.
Fired outcomes are then combined by `combine` (ladders, highest-only groups, document status).
`Run` is the `semantics.RunView` the compiled plan reads from.
The result does not depend on the order of rows, files or rules.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Mapping

import attrs

from policydsl.engine.combine import Decision, combine, decision_of, decision_order, document_status
from policydsl.engine.plan import CompiledRule, Plan
from policydsl.engine.progress import NO_PROGRESS, Progress
from policydsl.language import ir
from policydsl.schema import Dataset
from policydsl.values import MissingFact, Period, Unknown


class Run:
    """The state of one evaluation: the data, and every derived value computed so far
    (a `semantics.RunView`)."""

    def __init__(self, plan: Plan, dataset: Dataset, as_of: dt.date | None = None,
                 values: Mapping[tuple[str, str], Mapping] | None = None):
        """`values`: derived values already computed (the columnar executor's), as `store` holds them."""
        self.plan = plan
        self.dataset = dataset
        self.as_of = as_of
        self._records = _Records(dataset)
        self.floor = history_floor(dataset) if plan.recursive else {}
        self.store: dict[tuple[str, str], dict[tuple[str, Period], object]] = {
            key: dict(computed) for key, computed in (values or {}).items()}
        self.cache: dict = {}
        self._groups: dict[tuple[str, str | None], dict[object, tuple[str, ...]]] = {}
        self._present: dict[tuple, tuple[str, ...]] = {}
        self._related: dict[tuple, dict[str, tuple[str, ...]]] = {}

    # ---- what compiled expressions ask for ------------------------------------------------
    def evaluation_date(self, period: Period) -> dt.date:
        """The day a period is evaluated: its end (G5), or the date the evaluation is made as of."""
        return self.as_of if self.as_of is not None else period.end

    def exists(self, kind: str, entity: str) -> bool:
        return entity in self._records[kind]

    @functools.cached_property
    def data_periods(self) -> frozenset[Period]:
        """Every period some record of the data has: the periods an entity described by static
        attributes only takes part in (the periods its rules are evaluated at, too)."""
        return frozenset(self.dataset.periods())

    def has_record(self, kind: str, entity: str, period: Period) -> bool:
        """Whether the entity has a record in the period; an entity described by static attributes
        only (no periodic record at all) has one in every period of the data, and in no other, so
        that a history walk over it ends where the data ends."""
        record = self._records[kind].get(entity)
        if record is None:
            return False
        return period in record.periods if record.periods else period in self.data_periods

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
        if record is None:
            return None
        periods = [p for p in (record.periods or self.data_periods) if p.kind == period_kind]
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

    def related(self, kind: str, path: tuple[tuple[str, str], ...], entity: str, period: Period
                ) -> tuple[str, ...]:
        """The entities of `kind` whose chain of references `path` leads to `entity` and that take
        part in the period: a record in it, or no periodic record at all (sorted ids)."""
        index = self._related.get((kind, path))
        if index is None:
            found: dict[str, list[str]] = {}
            for member in sorted(self._records[kind]):
                at = member
                for hop_kind, attribute in path:
                    record = self._records[hop_kind].get(at)
                    if record is None or attribute not in record.static:
                        break  # a missing or dangling reference leads nowhere
                    at = str(record.static[attribute])
                else:
                    found.setdefault(at, []).append(member)
            index = {parent: tuple(members) for parent, members in found.items()}
            self._related[(kind, path)] = index
        return tuple(m for m in index.get(entity, ()) if self.has_record(kind, m, period))


class _Records(dict):
    """Each kind's records, asked of the dataset when first read (a data set read into columns
    makes a kind's records only when some rule reads them: `columnar.files`)."""

    def __init__(self, dataset: Dataset):
        super().__init__()
        self._dataset = dataset

    def __missing__(self, kind: str):
        records = self[kind] = self._dataset.entities(kind)
        return records


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
    # what the run was asked for: the one period, the entities (None: every one)
    selected_period: Period | None = None
    selected_entities: frozenset[str] | None = None


def _periods_of(dataset: Dataset, kind: str, entity: str, period_kind: str,
                only: Period | None, as_of: dt.date | None) -> list[Period]:
    record = dataset.entities(kind).get(entity)
    if record is None:
        return []
    # an entity described by static attributes only is evaluated at every period of the data
    periods = sorted(p for p in (record.periods or dataset.periods()) if p.kind == period_kind)
    # as of a date, a period that has not yet ended is not evaluated (its figures are not final)
    return [p for p in periods if (only is None or p == only) and (as_of is None or p.end <= as_of)]


def fire(compiled: CompiledRule, run: Run, entity: str, at: Period, outcomes: Mapping[str, ir.Outcome]
         ) -> tuple[object, list[Decision]]:
    """The decisions of a rule whose condition holds for the entity at the period, with the
    condition it then has: true, or the unknown of an amount or value that needs missing data,
    which makes the rule not evaluable (G8: no decision)."""
    decided = []
    for consequence, amount_fn, value_fn in compiled.consequences:
        amount = amount_fn(run, entity, at) if amount_fn else None
        value = value_fn(run, entity, at) if value_fn else None
        if isinstance(amount, Unknown) or isinstance(value, Unknown):
            return (amount if isinstance(amount, Unknown) else value), []
        decided.append(decision_of(compiled.rule, outcomes[consequence.outcome], entity, at, amount, value))
    return True, decided


def evaluate(plan: Plan, dataset: Dataset, *, period: Period | None = None,
             entities: Iterable[str] | None = None, as_of: dt.date | None = None,
             values: Mapping[tuple[str, str], Mapping] | None = None,
             progress: Progress = NO_PROGRESS) -> Evaluation:
    """Decisions for every period of the data, each evaluated at its end; with `as_of`, every
    period that has ended by that date, evaluated on it, and each document's status on it.
    `values`: derived values already computed (the columnar executor's), as `Run.store` holds them.
    `progress` hears of each rule evaluated."""
    run = Run(plan, dataset, as_of, values)
    progress.start("evaluating rules", len(plan.rules), "rules")
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
                    condition, decided = fire(compiled, run, entity, at, outcomes)
                fired.extend(decided)
                results.append(RuleResult(rule=rule.name, entity_kind=rule.entity, entity=entity, period=at,
                                          condition=condition))
        progress.advance()
    fired.extend(d for d in document_status(plan.program, dataset.periods(), period, as_of)
                 if wanted is None or d.entity in wanted)
    decisions = combine(plan.program.combinations, fired)
    return Evaluation(plan=plan, run=run, as_of=as_of, selected_period=period,
                      selected_entities=None if wanted is None else frozenset(wanted),
                      decisions=tuple(sorted(decisions, key=decision_order)),
                      results=tuple(sorted(results, key=lambda r: (r.entity_kind, r.entity, r.period.year,
                                                                   r.period.quarter, r.rule))))


__all__ = ["Decision", "Evaluation", "Run", "RuleResult", "evaluate", "fire", "history_floor"]
