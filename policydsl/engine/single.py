"""Single decisions: one entity's facts in, its outcomes out, on the plan compiled for one entity.

`Decider` is built once per (policy set, entity kind, period) — it compiles the kind's rules
with `fastpath.prepare` and the kind's fact converters with the data stage's own
(`data.fact_converters`) — and is then called per request with the entity's facts by period.
A call checks the facts (the loader's conversions and messages; all problems at once, as a
`DataError`), evaluates the rules at the decided period on ordinal periods (no `Run`, no trace,
no `Decision` objects) and returns the active outcome names; `decisions` returns `Decision`s,
`result` a `Result` whose `explain`/`why_not` trace the decision on the row executor with the
values the decision used. The entity is alone in its world: a group aggregate sees it as the
only member, a reference to another entity is a missing fact.

`evaluate_single` runs the same compiled rules over a whole `Dataset` (every entity of every
kind, other entities read from a `Run` of the data set): the third executor the differential
test compares with the oracle.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from types import MappingProxyType

from policydsl.diagnostics import DataError, did_you_mean
from policydsl.engine import data as data_stage
from policydsl.engine import decision_table
from policydsl.engine.cells import CellError, parse_period
from policydsl.engine.combine import Decision, combine, decision_of, decision_order, document_status, superseded
from policydsl.engine.evaluate import Evaluation, Run, RuleResult, history_floor
from policydsl.engine.explain import NOT_COMPUTED, TraceCache, explain_decision
from policydsl.engine.fastpath import Entity, Frame, Prepared, ordinal, period_of, prepare, shallow
from policydsl.engine.semantics import WALKS, Walk
from policydsl.language.limits import run_deep
from policydsl.engine.plan import Plan, condition_node
from policydsl.schema import Dataset, EntityRecord
from policydsl.values import Period, Unknown

_PERIOD_MEMO = 4096  # period texts remembered per decider
_NO_STATIC: Mapping[str, object] = MappingProxyType({})  # an entity without static attributes


class Decider:
    """decide(entity, {period: {fact: value}}, static={...}) -> active outcome names."""

    def __init__(self, plan: Plan, kind: str, period: str | Period | None = None):
        if not isinstance(kind, str):
            raise TypeError(f"`kind` must be a str, not {type(kind).__name__}")
        if kind not in plan.program.entities:
            hint = did_you_mean(kind, plan.program.entities)
            raise ValueError(f"unknown entity kind `{kind}`" + (f"; {hint}" if hint else ""))
        if period is not None and not isinstance(period, (str, Period)):
            raise TypeError(f"`period` must be a str such as \"2019\" or a Period, not {type(period).__name__}")
        self.plan, self.kind = plan, kind
        self.schema = plan.program.entities[kind]
        self.period = Period.parse(period) if isinstance(period, str) else period
        self.prepared: Prepared = prepare(plan, kind)
        self._convert = data_stage.fact_converters(self.schema)
        self._trace_cache = TraceCache(plan.program)  # what every explanation's trace shares
        # per period kind, the enumeration facts and their members: a member is taken as it is
        self._enums = {pk: {name: frozenset(f.type.members) for name, f in self.schema.facts.items()
                            if f.type.is_enum and f.period_kind == pk} for pk in ("year", "quarter")}
        self._members = {pk: frozenset((name, m) for name, members in by_name.items() for m in members)
                         for pk, by_name in self._enums.items()}
        self._periods: dict[object, tuple[str, int, frozenset]] = {}  # a good period's text
        self._texts: dict[str, tuple[str, int, frozenset]] = {}  # ... the same, for `str` texts only
        self._bad_periods: dict[object, str] = {}  # ... and a bad one's problem
        self._recursive = bool(plan.recursive)
        self._period_objects: dict[tuple[str, int], Period] = {}
        self._walked: dict[tuple[str, int, int], tuple[Period, ...]] = {}  # the periods walks read
        self._frame = Frame({}, None, self._world)
        if self.period is not None:
            self._t, self._pk = ordinal(self.period), self.period.kind
            # the rules in force at the decided period, with the outcomes a plain firing gives
            self._in_force = tuple(rule for rule in self.prepared.rules.get(self._pk, ())
                                   if _applies(rule.rule, plan, self.period, None))
            self._now = tuple(
                (rule.condition, rule.consequences, plain, (None,) * len(plain) if plain else None)
                for rule in self._in_force
                for plain in [[o.name for _, o, _, _ in rule.consequences]
                              if all(a is None and v is None for _, _, a, v in rule.consequences) else None])
            # the common case: every rule has a condition and fires plain outcomes (no amount, no value)
            self._plain = tuple((condition, tuple(plain)) for condition, _, plain, _ in self._now) \
                if all(c is not None and plain for c, _, plain, _ in self._now) else None
            # which conditions hold, per tuple of the values they read (`decision_table`)
            found = decision_table.leaves(((rule.rule.condition, condition_node(rule.rule)) for rule in self._in_force
                                           if rule.rule.condition is not None), plan.program, kind, self._pk)
            # the facts of the period read from its row, then the other leaves through their closures
            self._fact_leaves = tuple((leaf.fact, leaf.classes) for leaf in found or () if leaf.fact)
            self._leaves = tuple((self.prepared.closure(leaf.expr, leaf.node, self._pk), leaf.classes)
                                 for leaf in found or () if not leaf.fact)
            self._table: dict[tuple, tuple] | None = {} if found else None
        # an evaluation that may recurse deeper than a thread's default stack runs on run_deep's
        self._deep = not shallow(plan)
        if self._deep:
            self.__class__ = _DeepDecider

    # ---- the facts of one request ---------------------------------------------------------------
    def _period(self, text: object, problems: list[str]) -> tuple[str, int, frozenset] | None:
        """The period kind and ordinal of a period's text, and the (fact, member) pairs of the
        kind's enumerations in that period kind; None (a problem noted) for a bad period."""
        memoized = isinstance(text, (str, int)) and not isinstance(text, bool)
        found = (self._periods.get(text) or self._bad_periods.get(text)) if memoized else None
        if found is None:
            try:
                period = parse_period(text.strip() if isinstance(text, str) else text)
                found = (period.kind, ordinal(period), self._members[period.kind])
            except CellError as err:
                found = f"{self.kind} period `{text}`: {err}"
            memo = self._bad_periods if isinstance(found, str) else self._periods
            if memoized and len(memo) < _PERIOD_MEMO:
                memo[text] = found
                if memo is self._periods and text.__class__ is str:
                    self._texts[text] = found
        if isinstance(found, str):
            problems.append(found)
            return None
        return found

    def _row(self, row: object, where: str, pk: str | None, problems: list[str]) -> Mapping[str, object]:
        """The typed facts of one row: the caller's own mapping when every value is already typed
        (an enumeration member, a whole number...), else a converted copy; problems are collected."""
        if not isinstance(row, Mapping):
            problems.append(f"{where}: the facts of a period are a mapping {{fact: value}}, not {type(row).__name__}")
            return {}
        enums, converted = self._enums.get(pk, {}), None
        for name, value in row.items():
            members = enums.get(name)
            if members is not None and value.__class__ is str and value in members:
                continue  # already what the conversion would return
            fact = self.schema.facts.get(name)
            if fact is None or fact.period_kind != pk:
                problems.append(self._misplaced(name, where, pk, fact))
                continue
            if value is None:
                typed = None
            else:
                try:
                    typed = self._convert[name](value)
                except CellError as err:
                    problems.append(f"{where}, column {name}: {err}")
                    continue
            if typed is not value or value is None or converted is not None:  # a None is no fact: dropped
                if converted is None:
                    converted = {n: v for n, v in row.items() if v is not None}
                if typed is None:
                    converted.pop(name, None)
                else:
                    converted[name] = typed
        return row if converted is None else converted

    def _repeated(self, entity: str, facts: Mapping[object, object]) -> list[str]:
        """A period given twice under different texts (`2019` and `"2019"`): never one silently."""
        seen: dict[tuple[str, int], object] = {}
        problems: list[str] = []
        for text in facts:
            pk, t, _ = self._period(text, problems)
            if (pk, t) in seen:
                problems.append(f"{entity}: period {period_of(pk, t)} is given twice "
                                f"(`{seen[(pk, t)]}` and `{text}`)")
            seen[(pk, t)] = text
        return problems

    def _misplaced(self, name: object, where: str, pk: str | None, fact) -> str:
        if fact is None:
            hint = did_you_mean(str(name), self.schema.facts)
            return f"{where}: `{name}` is not a fact of `{self.kind}`" + (f" ({hint})" if hint else "")
        if fact.period_kind is None:
            return f"{where}: `{name}` is a static attribute of `{self.kind}`: give it in `static`"
        word = "yearly" if fact.period_kind == "year" else "quarterly"
        return (f"{where}: `{name}` is a {word} fact" + (f", but {where.split()[-1]} is a {pk}" if pk else
                                                         ", not a static attribute"))

    def entity(self, entity: str, facts: Mapping[str, Mapping[str, object]],
               static: Mapping[str, object] | None = None) -> Entity:
        """The checked facts of one entity, ready to evaluate; DataError listing every problem."""
        if entity.__class__ is not str and not isinstance(entity, str):
            raise TypeError(f"`entity` must be a str id, not {type(entity).__name__} ({entity!r})")
        if facts.__class__ is not dict and not isinstance(facts, Mapping):
            raise TypeError(f"`facts` must be a mapping {{period: {{fact: value}}}}, not {type(facts).__name__}")
        if static is not None and not isinstance(static, Mapping):
            raise TypeError(f"`static` must be a mapping {{attribute: value}}, not {type(static).__name__}")
        rows: dict[str, dict[int, Mapping[str, object]]] = {"year": {}, "quarter": {}}
        try:  # the common case: every period a text seen before, every fact an enumeration member
            texts = self._texts
            for text, row in facts.items():
                pk, t, members = texts[text]
                if not row.items() <= members:
                    break
                rows[pk][t] = row
            else:
                if len(rows["year"]) + len(rows["quarter"]) == len(facts) and not static:
                    frame = self._frame if not self._recursive else Frame(_floor(rows), None, self._world)
                    return Entity(entity, rows, rows if facts else {}, _NO_STATIC, frame)
            rows = {"year": {}, "quarter": {}}
        except (KeyError, TypeError, AttributeError):  # a new or bad period, an unhashable value, no mapping
            rows = {"year": {}, "quarter": {}}
        problems: list[str] = []
        memo = self._periods
        for text, row in facts.items():
            found = memo.get(text) if text.__class__ is str else None  # a good period's text only
            if found is None:
                found = self._period(text, problems)
                if found is None:
                    continue
            pk, t, members = found
            try:  # the common case first: every fact an enumeration member, taken as it is
                typed = row.__class__ is dict and row.items() <= members
            except TypeError:  # an unhashable value
                typed = False
            if not typed:
                row = self._row(row, f"{entity} {text}", pk, problems)
            rows[pk][t] = row
        if len(rows["year"]) + len(rows["quarter"]) < len(facts) and not problems:
            problems += self._repeated(entity, facts)
        statics = self._row(static, entity, None, problems) if static else {}
        if problems:
            raise DataError(problems)
        frame = self._frame if not self._recursive else Frame(_floor(rows), None, self._world)
        return Entity(entity, rows, rows if facts else {}, statics, frame)  # every period placed

    def _world(self, entity: Entity) -> Run:
        """A run over the entity alone, for what reads other entities (a group of one)."""
        known = self._period_objects  # a Period is immutable: one per ordinal serves every call
        periods = {}
        for pk, by_t in entity.rows.items():
            for t, row in by_t.items():
                period = known.get((pk, t))
                if period is None:
                    period = period_of(pk, t)
                    if len(known) < _PERIOD_MEMO:
                        known[(pk, t)] = period
                periods[period] = row
        record = EntityRecord(id=entity.id, static=entity.static, periods=periods)
        return Run(self.plan, Dataset(kinds={self.kind: {entity.id: record}}))

    def _require_period(self, entity: Entity) -> None:
        if self._t in entity.rows[self._pk]:
            return
        from policydsl.api import SelectionError  # the API's error for a period the data lacks
        given = sorted(period_of(pk, t) for pk, by_t in entity.rows.items() for t in by_t)
        nearest = sorted(given, key=lambda p: (p.kind != self.period.kind, abs(ordinal(p) - self._t)))[:3]
        raise SelectionError(f"no facts for `{entity.id}` in period {self.period}" + (
            "; nearest: " + ", ".join(str(p) for p in nearest) if nearest else "; no period was given"))

    # ---- deciding ---------------------------------------------------------------------------------
    def __call__(self, entity: str, facts: Mapping[str, Mapping[str, object]],
                 static: Mapping[str, object] | None = None) -> list[str]:
        """The outcomes active for the entity: at the decided period, or at every period given."""
        checked = self.entity(entity, facts, static)
        if self.period is None:
            return [d.outcome for d in self._evaluation(checked).decisions if d.status == "active"]
        t = self._t
        row = checked.rows[self._pk].get(t)
        if row is None:
            self._require_period(checked)
        key, table = None, self._table
        if table is not None:  # the values the conditions read, then the table's entry for them
            key = []
            for name, classes in self._fact_leaves:
                value = row.get(name)
                if value.__class__ not in classes:  # missing (G8), or not a value of the type: no key
                    key = None
                    break
                key.append(value)
            else:
                try:
                    for leaf, classes in self._leaves:
                        value = leaf(checked, t)
                        if value.__class__ not in classes:  # unknown (G8), or not a value of the type: no key
                            key = None
                            break
                        key.append(value)
                    else:
                        key = tuple(key)
                except Exception:  # a leaf the conditions may not even read failed: they decide
                    key = None
                if key is not None:
                    found = table.get(key)
                    if found is not None:
                        return list(found) if self._plain is not None else self._fire(checked, t, found)
        if self._plain is not None:
            outcomes = []
            for condition, names in self._plain:
                if condition(checked, t) is True:
                    outcomes += names
            if len(outcomes) > 1:
                lost = superseded(self.prepared.ranked, outcomes, [None] * len(outcomes))
                outcomes = [o for i, o in enumerate(outcomes) if i not in lost]
            if key is not None:
                self._remember(table, key, tuple(outcomes))
            return outcomes
        holding = tuple(i for i, (condition, _, _, _) in enumerate(self._now)
                        if condition is None or condition(checked, t) is True)
        if key is not None:
            self._remember(table, key, holding)
        return self._fire(checked, t, holding)

    def _remember(self, table: dict[tuple, tuple], key: tuple, decided: tuple) -> None:
        """Keep what the conditions decided for these leaf values; a full table ends the table."""
        if len(table) < decision_table.TABLE_SIZE:
            table[key] = decided
        else:
            self._table = None

    def _fire(self, checked: Entity, t: int, holding: tuple[int, ...]) -> list[str]:
        """The active outcomes of the rules whose conditions hold (`holding`: their indices in
        `_now`), each firing unless its amount or value is unknown (G8)."""
        outcomes, amounts = [], []
        for index in holding:
            _, consequences, plain, nothing = self._now[index]
            if plain is not None:
                outcomes += plain
                amounts += nothing
                continue
            fired = _payloads(consequences, checked, t)
            if fired is not None:
                outcomes += [o.name for _, o, _, _ in consequences]
                amounts += [amount for amount, _ in fired]
        if len(outcomes) < 2:
            return outcomes
        lost = superseded(self.prepared.ranked, outcomes, amounts)
        return [o for i, o in enumerate(outcomes) if i not in lost]

    def decisions(self, entity: str, facts: Mapping[str, Mapping[str, object]],
                  static: Mapping[str, object] | None = None) -> tuple[Decision, ...]:
        """Every decision about the entity (superseded ones too), in decision order."""
        return self._deeply(lambda: self._evaluation(self.entity(entity, facts, static)).decisions)

    def explain(self, entity: str, facts: Mapping[str, Mapping[str, object]], outcome: str,
                static: Mapping[str, object] | None = None):
        """Decide the entity and explain `outcome` at the decided period (without a period: the
        latest period it happened in): why it happened, or why not (`explain.explain_decision`),
        traced on the row executor with the values the decision computed."""
        if not isinstance(outcome, str):
            raise TypeError(f"`outcome` must be a str, not {type(outcome).__name__}")

        def explained():
            checked = self.entity(entity, facts, static)
            return explain_decision(self._evaluation(checked, keep_results=False), entity, outcome, self.period,
                                    cache=self._trace_cache, values=self._values_of(checked))
        return self._deeply(explained)

    def _values_of(self, checked: Entity) -> _EntityValues:
        return _EntityValues(self.prepared, checked, self._period_objects, self._walked)

    def result(self, entity: str, facts: Mapping[str, Mapping[str, object]],
               static: Mapping[str, object] | None = None):
        """The decision as an API `Result`: `.decisions`, and `.explain(entity, outcome)` /
        `.why_not(...)` traced on the row executor with the values the decision computed."""
        from policydsl.api import Result
        return Result(evaluation=self._deeply(lambda: self._evaluation(self.entity(entity, facts, static))),
                      trace_cache=self._trace_cache, shallow=not self._deep)

    def _deeply(self, work):
        return run_deep(work) if self._deep else work()

    def _evaluation(self, checked: Entity, keep_results: bool = True) -> Evaluation:
        """The entity's decisions and rule results as an `Evaluation` over its world, whose run
        holds the values the decision computed. Without `keep_results` (for `explain`, which
        reads its values through `_values_of`): no rule results, and the run holds none."""
        if self.period is not None and self._t not in checked.rows[self._pk]:
            self._require_period(checked)
        fired, results = evaluate_entity(self.prepared, checked, self.period, None, keep_results,
                                         self._in_force if self.period is not None else None)
        run = checked.world()
        if keep_results:
            _share_values(self.prepared, checked, run)
        decisions = combine(self.plan.program.combinations, fired, self.prepared.ranked)  # in decision order
        return Evaluation(plan=self.plan, run=run, decisions=tuple(decisions), results=tuple(results),
                          selected_period=self.period, selected_entities=frozenset((checked.id,)))


class _DeepDecider(Decider):
    """A decider whose plan may recurse deeper than a thread's default stack (deep nesting, long
    chains of values, running totals): every call runs on `run_deep`'s thread."""

    def __call__(self, entity: str, facts: Mapping[str, Mapping[str, object]],
                 static: Mapping[str, object] | None = None) -> list[str]:
        return run_deep(super().__call__, entity, facts, static)


class _EntityValues:
    """The values of a decision's own closures, for its explanation (`explain.Values`): their
    memos already hold the decision's walks and derived values. Other entities are not held."""

    def __init__(self, prepared: Prepared, checked: Entity, periods: dict[tuple[str, int], Period],
                 walked: dict[tuple[str, int, int], tuple[Period, ...]]):
        self.prepared, self.kind, self.entity, self.entity_id = prepared, prepared.kind, checked, checked.id
        self.periods = periods  # the decider's Period objects by (period kind, ordinal)
        self.walked = walked  # ... and the periods of a walk by (period kind, ordinal, depth)
        self.yearly, self.quarterly = prepared.by_kind["year"], prepared.by_kind["quarter"]

    def value(self, expr, node: str, kind: str | None, entity: str, period: Period) -> object:
        if entity != self.entity_id or kind != self.kind:
            return NOT_COMPUTED
        quarter = period.quarter
        if quarter:
            closure = self.quarterly.get(node) or self.prepared.closure(expr, node, "quarter")
            return closure(self.entity, period.year * 4 + quarter - 1)  # fastpath.ordinal
        closure = self.yearly.get(node) or self.prepared.closure(expr, node, "year")
        return closure(self.entity, period.year)

    def has_record(self, kind: str, entity: str, period: Period) -> object:
        """`Run.has_record` of the entity's world: its records are its rows."""
        if entity != self.entity_id or kind != self.kind:
            return NOT_COMPUTED
        quarter = period.quarter
        present = self.entity.present.get("quarter" if quarter else "year", ())
        return (period.year * 4 + quarter - 1 if quarter else period.year) in present  # fastpath.ordinal

    def walk(self, function: str, n: int, operand, node: str, kind: str, entity: str, period: Period) -> Walk | None:
        """`semantics.history` of a walk (streak, count_periods, first_time) over ordinal periods."""
        if kind != self.kind or entity != self.entity.id or function not in WALKS:
            return None
        pk, checked = period.kind, self.entity
        now = ordinal(period)
        closure, tests = self.prepared.walk(operand, node, pk)
        value, depth = WALKS[function](n, tests(checked, now), checked, now, closure)
        walked = self.walked.get((pk, now, depth))  # the periods read, most recent first
        if walked is None:
            known = self.periods  # period.shift(-back), the decider's own objects where it has them
            walked = tuple(known.get((pk, now - back)) or period.shift(-back) for back in range(depth))
            if len(self.walked) < _PERIOD_MEMO:
                self.walked[(pk, now, depth)] = walked
        return Walk(value=value, periods=walked)


def _payloads(consequences, entity: Entity, t: int) -> list[tuple[object, object]] | None:
    """The amount and value of each consequence of a fired rule; None when one is unknown (G8)."""
    found = []
    for _, _, amount_fn, value_fn in consequences:
        amount = amount_fn(entity, t) if amount_fn else None
        value = value_fn(entity, t) if value_fn else None
        if isinstance(amount, Unknown) or isinstance(value, Unknown):
            return None
        found.append((amount, value))
    return found


def _applies(rule, plan: Plan, period: Period, as_of: dt.date | None) -> bool:
    """The document governs the period and is in effect on the day it is evaluated."""
    return plan.program.policies[rule.policy].applies(period.end, as_of if as_of is not None else period.end)


def _floor(rows: Mapping[str, Mapping[int, object]]) -> dict[str, int]:
    """`evaluate.history_floor` in ordinals: where a running total stops reaching back."""
    periods = [period_of(pk, t) for pk, by_t in rows.items() for t in by_t]
    return {kind: ordinal(p) for kind, p in history_floor(Dataset(kinds={"": {"": EntityRecord(
        id="", static={}, periods=dict.fromkeys(periods))}})).items()}


def evaluate_entity(prepared: Prepared, entity: Entity, only: Period | None, as_of: dt.date | None,
                    keep_results: bool = True, in_force: tuple | None = None
                    ) -> tuple[list[Decision], list[RuleResult]]:
    """The fired decisions (before combination) and the rule results of one entity, at every
    period it has a record in (or only `only`), as `evaluate.evaluate` makes them (the rule
    results only with `keep_results`). `in_force`: the compiled rules in force at `only`, when the
    caller knows them (a decider does)."""
    plan, fired, results = prepared.plan, [], []
    if only is not None:
        periods = [only] if only.kind in prepared.rules and ordinal(only) in entity.present.get(only.kind, ()) else []
    else:
        periods = sorted(period_of(pk, t) for pk in prepared.rules for t in entity.present.get(pk, ()))
    for period in periods:
        if as_of is not None and period.end > as_of:
            continue
        t, applies = ordinal(period), {}
        for compiled in prepared.rules[period.kind] if in_force is None else in_force:
            rule = compiled.rule
            if in_force is None:
                if rule.policy not in applies:
                    applies[rule.policy] = _applies(rule, plan, period, as_of)
                if not applies[rule.policy]:
                    continue
            condition = compiled.condition(entity, t) if compiled.condition else True
            if condition is True:
                payloads = _payloads(compiled.consequences, entity, t)
                if payloads is None:  # the unknown amount or value is the rule's result (G8)
                    condition = next(v for pair in _unknown_payloads(compiled.consequences, entity, t)
                                     for v in pair if isinstance(v, Unknown))
                else:
                    for (_, outcome, _, _), (amount, value) in zip(compiled.consequences, payloads):
                        fired.append(decision_of(rule, outcome, entity.id, period, amount, value))
            if keep_results:
                results.append(RuleResult(rule=rule.name, entity_kind=rule.entity, entity=entity.id, period=period,
                                          condition=condition))
    return fired, results


def _unknown_payloads(consequences, entity: Entity, t: int):
    for _, _, amount_fn, value_fn in consequences:
        yield (amount_fn(entity, t) if amount_fn else None, value_fn(entity, t) if value_fn else None)


def _share_values(prepared: Prepared, entity: Entity, run: Run) -> None:
    """Put the values the decision computed into the run the explanation reads, so that it
    shows exactly those."""
    for name, by_period in prepared.stored(entity).items():
        store = run.store.setdefault((prepared.kind, name), {})
        for period, value in by_period.items():
            store.setdefault((entity.id, period), value)


def evaluate_single(plan: Plan, dataset: Dataset, *, period: Period | None = None,
                    entities: Iterable[str] | None = None, as_of: dt.date | None = None,
                    keep_values: bool = False) -> tuple[Evaluation, dict]:
    """Every entity of the data set through the single-decision executor (the differential
    test's third executor): the same decisions and rule results as `evaluate.evaluate`; with
    `keep_values`, every derived value of every entity at every period it has a record in."""
    run = Run(plan, dataset, as_of)
    wanted = set(entities) if entities is not None else None
    floor = {kind: ordinal(p) for kind, p in history_floor(dataset).items()} if plan.recursive else {}
    data_periods: dict[str, set[int]] = {"year": set(), "quarter": set()}
    for p in dataset.periods():
        data_periods[p.kind].add(ordinal(p))
    frame = Frame(floor, as_of, lambda _: run)
    fired: list[Decision] = []
    results: list[RuleResult] = []
    values: dict = {}
    for kind in sorted(plan.program.entities):
        prepared = prepare(plan, kind)
        names = [name for k, name in plan.program.values if k == kind]
        for entity_id, record in sorted(dataset.entities(kind).items()):
            if wanted is not None and entity_id not in wanted:
                continue
            rows: dict[str, dict[int, Mapping]] = {"year": {}, "quarter": {}}
            for p, row in record.periods.items():
                rows[p.kind][ordinal(p)] = row
            entity = Entity(entity_id, rows, rows if record.periods else data_periods, record.static, frame)
            decided, checked = evaluate_entity(prepared, entity, period, as_of)
            fired += decided
            results += checked
            for name in names if keep_values else ():
                declared = plan.program.values[(kind, name)].period_kind
                for pk, ts in entity.present.items():
                    for t in ts:
                        if declared is None or declared == pk:
                            values[(kind, name, entity_id, str(period_of(pk, t)))] = \
                                prepared.value(name, pk)(entity, t)
    fired.extend(d for d in document_status(plan.program, dataset.periods(), period, as_of)
                 if wanted is None or d.entity in wanted)
    decisions = tuple(sorted(combine(plan.program.combinations, fired), key=decision_order))
    results.sort(key=lambda r: (r.entity_kind, r.entity, r.period.year, r.period.quarter, r.rule))
    return Evaluation(plan=plan, run=run, decisions=decisions, results=tuple(results), as_of=as_of,
                      selected_period=period, selected_entities=None if wanted is None else frozenset(wanted)), values
