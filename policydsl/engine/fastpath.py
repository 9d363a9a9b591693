"""The single-decision executor's compile step: a plan's expressions for one entity at a time.

In: a `Plan` and an entity kind. Out: `Prepared` — the kind's rules in decision order, each
condition and payload compiled once into a closure `(entity, t) -> value`, where `entity` is an
`Entity` (one entity's rows by ordinal period, its static attributes and the values computed so
far) and `t` an ordinal period (a year is its number, a quarter `year * 4 + quarter - 1`), so a
history walk steps back by `t - 1` without making `Period` objects, and a call builds no `Run`,
no trace and no `Decision` unless asked.

One meaning: operators come from `ops` (`comparator`, `logic_and`, `arith`, ...), history walks
from `semantics.WALKS`, combinations from `combine.superseded` — the functions the row
executor and the explainer use. What reads other entities (group aggregates, `ref`, aggregates
across kinds) runs the plan's own closure for that node on a `Run` of the entity's world
(`Entity.world`, built only when such a node is read), so every construct of the language runs
here and means what it means on the row executor; the differential test compares the two.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping

import attrs

from policydsl import types as T
from policydsl.engine import ops
from policydsl.engine.combine import combination_ranks
from policydsl.engine.plan import Plan, child_node, condition_node, field_part, payload_fields, payload_node, value_node
from policydsl.engine.semantics import UNRECORDED, WALKS, recorded
from policydsl.language import ir
from policydsl.values import MissingFact, Period, Unknown

Fast = Callable[["Entity", int], object]
_NOT_YET = object()


def ordinal(period: Period) -> int:
    """A period as an integer that steps back by 1: 2019 -> 2019, 2019-Q3 -> 2019 * 4 + 2."""
    return period.year * 4 + period.quarter - 1 if period.quarter else period.year


def period_of(kind: str, t: int) -> Period:
    return Period(t // 4, t % 4 + 1) if kind == "quarter" else Period(t)


@attrs.frozen
class Frame:
    """What the entities of one evaluation share: where running totals stop (ordinal per period
    kind, `evaluate.history_floor`), the as-of date, and how to build an entity's world."""

    floor: Mapping[str, int]
    as_of: dt.date | None
    make_world: Callable[[Entity], object]


class Entity(dict):
    """One entity under evaluation: its rows by period kind and ordinal, the periods it has a
    record in (by kind), its static attributes, (on demand) its world, and — as the dict it is —
    the values computed so far, by store slot (`(t << 16) + index`: a memo, a derived value)."""

    __slots__ = ("id", "rows", "present", "static", "frame", "_world")

    def __init__(self, entity: str, rows: Mapping[str, Mapping[int, Mapping[str, object]]],
                 present: Mapping[str, object], static: Mapping[str, object], frame: Frame):
        self.id = entity  # one assignment each: no tuple made and unpacked per entity
        self.rows = rows
        self.present = present
        self.static = static
        self.frame = frame
        self._world = None

    @property
    def store(self) -> dict[int, object]:
        """The values computed so far (the entity itself)."""
        return self

    def __eq__(self, other: object) -> bool:  # an entity under evaluation is itself only
        return self is other

    __hash__ = object.__hash__

    def world(self):
        """The `Run` the plan's closures read other entities from (built once, when first needed)."""
        if self._world is None:
            self._world = self.frame.make_world(self)
        return self._world


@attrs.frozen(kw_only=True)
class FastRule:
    rule: ir.Rule
    condition: Fast | None
    consequences: tuple[tuple[ir.Consequence, ir.Outcome, Fast | None, Fast | None], ...]


class Prepared:
    """A kind's rules compiled for single entities: `rules[pk]` are those evaluated per period
    kind pk, in decision order (policy, catalogue id, rule name; outcomes by name within a rule);
    `ranked` the program's combinations (`combine.combination_ranks`)."""

    def __init__(self, plan: Plan, kind: str):
        self.plan, self.kind = plan, kind
        self._compiler = _Compiler(plan, kind)
        self._compiling = threading.Lock()
        # the closures compiled on demand (`closure`), by period kind and node id
        self.by_kind: dict[str, dict[str, Fast]] = {"year": {}, "quarter": {}}
        # what the explanations' walks read, by node id and period kind (`walk`)
        self._walks: dict[tuple[str, str], tuple[Fast, Callable[[Entity, int], Iterable[object]]]] = {}
        self.ranked = combination_ranks(plan.program.combinations)
        rules: dict[str, list[FastRule]] = {}
        order = sorted((r for r in plan.program.rules if r.entity == kind), key=lambda r: (r.policy, r.implements, r.name))
        for rule in order:
            pk = rule.evaluated_per
            consequences = tuple(
                (c, plan.program.outcomes[c.outcome], self._payload(c.amount, pk, payload_node(rule, i, "amount")),
                 self._value(rule, i, c, pk))
                for i, c in sorted(enumerate(rule.consequences), key=lambda item: item[1].outcome))
            condition = self._payload(rule.condition, pk, condition_node(rule))
            rules.setdefault(pk, []).append(FastRule(rule=rule, condition=condition, consequences=consequences))
        self.rules: Mapping[str, tuple[FastRule, ...]] = {pk: tuple(found) for pk, found in rules.items()}

    def _payload(self, expr: ir.Expr | None, pk: str, node: str) -> Fast | None:
        return self._compiler.compile(expr, pk, node) if expr is not None else None

    def _value(self, rule: ir.Rule, index: int, consequence: ir.Consequence, pk: str) -> Fast | None:
        """A consequence's value: its expression, or the object of an outcome's payload fields."""
        outcome = self.plan.program.outcomes[consequence.outcome]
        if not outcome.fields:
            return self._payload(consequence.value, pk, payload_node(rule, index, "value"))
        return payload_fields(outcome, {f.name: self._payload(f.expr, pk, payload_node(rule, index, field_part(f.name)))
                                        for f in consequence.fields})

    def value(self, name: str, pk: str) -> Fast:
        """A derived value of the kind, read in periods of kind pk (compiled on first use)."""
        with self._compiling:
            return self._compiler.derived(name, pk)

    def closure(self, expr: ir.Expr, node: str, pk: str) -> Fast:
        """The closure of any sub-expression (by its node id) in periods of kind pk, compiled on
        first use: what an explanation of a decision reads its values from."""
        found = self.by_kind[pk].get(node)
        if found is None:
            with self._compiling:  # compiling takes memo slots: one thread at a time
                found = self.by_kind[pk][node] = self._compiler.compile(expr, pk, node)
        return found

    def walk(self, operand: ir.Expr, node: str, pk: str) -> tuple[Fast, Callable[[Entity, int], Iterable[object]]]:
        """What a walk over the operand (at node id `node`) in periods of kind pk reads, for an
        explanation (`semantics.Walker`): the operand's closure and its `tests(entity, t)` — the
        decision's own, so a walk the decision made reads the same memo."""
        found = self._walks.get((node, pk))
        if found is None:
            with self._compiling:
                found = self._walks[(node, pk)] = (self._compiler.compile(operand, pk, node),
                                                   self._compiler.tests(operand, pk, node)[0])
        return found

    def stored(self, entity: Entity) -> dict[str, dict[Period, object]]:
        """The derived values computed for an entity so far, by name and period."""
        keys = {index: key for key, index in self._compiler.indices.items()}
        found: dict[str, dict[Period, object]] = {}
        for slot, value in entity.items():
            name, pk = keys[slot & 0xFFFF]
            if not name:
                continue  # a memo of a sub-expression, not a derived value
            found.setdefault(name, {})[period_of(pk, slot >> 16)] = value
        return found


def nesting(plan: Plan) -> int:
    """How deep an evaluation of the plan may recurse: its deepest expression, a derived value
    counting as deep as its own definition (values are taken in dependency order)."""
    depth_of: dict[tuple[str, str], int] = {}

    def depth(expr: ir.Expr) -> int:
        deepest, pending = 0, [(expr, 1)]
        while pending:
            node, level = pending.pop()
            if isinstance(node, ir.Derived):
                level += depth_of.get((node.entity, node.name), 0)
            deepest = max(deepest, level)
            pending.extend((child, level + 1) for child in ir.children(node))
        return deepest
    for key in plan.value_order:
        depth_of[key] = depth(plan.program.values[key].expr)
    exprs = [e for r in plan.program.rules for e in (r.condition, *(c.amount for c in r.consequences),
                                                      *(c.value for c in r.consequences)) if e is not None]
    return max([0, *depth_of.values(), *(depth(e) for e in exprs)])


_SHALLOW = 100  # expression nesting (values included) evaluated on the caller's own stack


def shallow(plan: Plan) -> bool:
    """Whether evaluating (and explaining) the plan stays within a thread's default stack: no
    running totals and nesting (`nesting`) of at most 100; otherwise it runs on
    `limits.run_deep`'s thread."""
    return not plan.recursive and nesting(plan) <= _SHALLOW


def prepare(plan: Plan, kind: str) -> Prepared:
    """Compile the rules of one entity kind (and the values they read) for single entities."""
    return Prepared(plan, kind)


class _Compiler:
    def __init__(self, plan: Plan, kind: str):
        self.plan, self.kind = plan, kind
        self.values: dict[tuple[str, str], Fast] = {}  # (value name, period kind) -> closure
        self.indices: dict[tuple[str, str], int] = {}  # (value name, period kind) -> its slot in the store
        self.shared: dict[tuple[ir.Expr, str], Fast] = {}
        self._tests: dict[tuple[ir.Expr, str], tuple[Callable[[Entity, int], Iterable[object]], int | None]] = {}

    def compile(self, expr: ir.Expr, pk: str, node: str) -> Fast:
        """One closure per distinct expression and period kind: the rules that test the same
        thing (`first_time(rating = D)` in two rules) share it, and its memo."""
        key = (expr, pk)
        found = self.shared.get(key)
        if found is None:
            children = ir.children(expr)

            def sub(index: int) -> Fast:
                return self.compile(children[index], pk, child_node(node, index))
            found = self.shared[key] = self._compile(expr, pk, node, sub)
        return found

    def tests(self, operand: ir.Expr, pk: str, node: str
              ) -> tuple[Callable[[Entity, int], Iterable[object]], int | None]:
        """A walk's `tests` over the operand in periods of kind pk and the slot of the list it
        keeps (`walk_tests`), one per distinct operand: the walks over one operand
        (`streak(rating = D)`, `first_time(rating = D)`) share it and its memo."""
        key = (operand, pk)
        found = self._tests.get(key)
        if found is None:
            found = self._tests[key] = walk_tests(self.compile(operand, pk, node), pk, _row_test(operand, pk),
                                                  self.slot())
        return found

    def slot(self) -> int:
        """A new place in the entities' stores for a memo of a sub-expression."""
        index = len(self.indices)
        self.indices[("", str(index))] = index
        return index

    def memo(self, compute: Fast, index: int | None = None) -> Fast:
        """`compute`, evaluated once per entity and period (kept in the entity's store, at a new
        slot or at `index`)."""
        index = self.slot() if index is None else index

        def memo(entity: Entity, t: int) -> object:
            slot = (t << 16) + index
            value = entity.get(slot, _NOT_YET)
            if value is _NOT_YET:
                value = entity[slot] = compute(entity, t)
            return value
        return memo

    def derived(self, name: str, pk: str) -> Fast:
        """A derived value of the kind, computed once per entity and period (the store)."""
        key = (name, pk)
        found = self.values.get(key)
        if found is not None:
            return found
        index = self.indices.setdefault(key, len(self.indices))
        recursive = (self.kind, name) in self.plan.recursive
        definition = self.plan.program.values[(self.kind, name)].expr
        if not recursive:  # compiled first, called directly
            node = value_node(self.kind, name)
            if isinstance(definition, ir.History) and definition.function not in ("previous", "change"):
                # a walk is the whole definition: it is kept at the value's own slot
                operand_node = child_node(node, 0)
                found = _history(definition.function, definition.periods,
                                 self.compile(definition.operand, pk, operand_node), self.kind, pk, index,
                                 self.tests(definition.operand, pk, operand_node))
            else:
                found = self.memo(self.compile(definition, pk, node), index)
            self.values[key] = found
            return found
        cell: list[Fast] = []

        def derived(entity: Entity, t: int) -> object:
            slot = (t << 16) + index
            value = entity.get(slot, _NOT_YET)
            if value is _NOT_YET:
                if recursive and t < entity.frame.floor.get(pk, t):
                    return Unknown()  # a running total that never reaches its base case stops here
                value = entity[slot] = cell[0](entity, t)
            return value
        self.values[key] = derived  # before compiling the definition: it may read itself (previous)
        cell.append(self.compile(definition, pk, value_node(self.kind, name)))
        return derived

    def on_known(self, operand_expr: ir.Expr, operand: Fast, known: Callable[[object], bool], general: Fast,
                 pk: str) -> Fast:
        """A test of one operand against constants: `known(value)` when the value is known (read
        straight from the row for a fact, from the store for a derived value already computed),
        else the general closure (unknowns)."""
        if isinstance(operand_expr, ir.Fact) and operand_expr.period_kind is not None:
            name, fact_pk = operand_expr.name, operand_expr.period_kind
            results = member_results(operand_expr.type, known)
            if results:
                def member_test(entity: Entity, t: int) -> object:
                    try:
                        return results[entity.rows[fact_pk][t][name]]
                    except KeyError:  # no row, no fact (or a value outside the enumeration's)
                        return general(entity, t)
                return member_test

            def fact_test(entity: Entity, t: int) -> object:
                try:
                    value = entity.rows[fact_pk][t][name]
                except KeyError:  # no row, or no fact: the general closure says what is missing
                    return general(entity, t)
                return known(value)
            return fact_test
        if isinstance(operand_expr, ir.Derived) and (operand_expr.name, pk) in self.indices:
            index = self.indices[(operand_expr.name, pk)]

            def derived_test(entity: Entity, t: int) -> object:
                value = entity.get((t << 16) + index, _NOT_YET)
                if value is _NOT_YET:
                    value = operand(entity, t)
                return general(entity, t) if isinstance(value, Unknown) else known(value)
            return derived_test

        def test(entity: Entity, t: int) -> object:
            value = operand(entity, t)
            return general(entity, t) if isinstance(value, Unknown) else known(value)
        return test

    def _compile(self, expr: ir.Expr, pk: str, node: str, sub: Callable[[int], Fast]) -> Fast:
        kind = self.kind
        match expr:
            case ir.Const(value=value):
                return lambda entity, t: value
            case ir.Param(name=name):
                value = self.plan.parameters[name]
                return lambda entity, t: value
            case ir.Fact(name=name, period_kind=None):
                def static(entity: Entity, t: int) -> object:
                    value = entity.static.get(name)
                    return Unknown(frozenset({MissingFact(kind, entity.id, name, "")})) if value is None else value
                return static
            case ir.Fact(name=name, period_kind=fact_pk):
                def fact(entity: Entity, t: int) -> object:
                    row = entity.rows[fact_pk].get(t)
                    if row is not None:
                        value = row.get(name)
                        if value is not None:
                            return value
                    return Unknown(frozenset({MissingFact(kind, entity.id, name, str(period_of(fact_pk, t)))}))
                return fact
            case ir.Derived(entity=value_kind, name=name) if value_kind == kind:
                return self.derived(name, pk)
            case ir.Builtin(name="period_start"):
                return lambda entity, t: period_of(pk, t).start
            case ir.Builtin(name="period_end"):
                return lambda entity, t: period_of(pk, t).end
            case ir.Builtin(name="evaluation_date"):
                return lambda entity, t: entity.frame.as_of or period_of(pk, t).end
            case ir.Lookup(table=table):
                rows, key = self.plan.tables[table], sub(0)
                return lambda entity, t: ops.lookup(rows, key(entity, t))
            case ir.Compare(op=op, left=left_expr, right=ir.Const(value=constant)):
                left, comparison = sub(0), ops.comparator(op)
                known = ops.known_test(op, left_expr.type, expr.right.type, constant)
                general = lambda entity, t: comparison(left(entity, t), constant)  # noqa: E731
                return self.on_known(left_expr, left, known, general, pk) if known else general
            case ir.Compare(op=op):
                left, right, comparison = sub(0), sub(1), ops.comparator(op)
                return lambda entity, t: comparison(left(entity, t), right(entity, t))
            case ir.Logic(op="not"):
                operand = sub(0)

                def negation(entity: Entity, t: int) -> object:
                    value = operand(entity, t)
                    return False if value is True else True if value is False else ops.logic_not(value)
                return negation
            case ir.Logic(op=op, operands=operands):
                return _logic(op, tuple(sub(i) for i in range(len(operands))))
            case ir.Member(operand=operand_expr, options=options, negated=negated):
                operand, choices = sub(0), tuple(sub(i + 1) for i in range(len(options)))
                if not all(isinstance(o, ir.Const) for o in options):
                    return lambda entity, t: ops.member(operand(entity, t), [c(entity, t) for c in choices], negated)
                constants = [o.value for o in options]
                known = ops.member_test(constants, negated)
                general = lambda entity, t: ops.member(operand(entity, t), constants, negated)  # noqa: E731
                return self.on_known(operand_expr, operand, known, general, pk) if known else general
            case ir.Arith(op=op, operands=operands):
                parts = tuple(sub(i) for i in range(len(operands)))
                return lambda entity, t: ops.arith(op, [p(entity, t) for p in parts])
            case ir.Scalar(function=function, operands=operands):
                parts = tuple(sub(i) for i in range(len(operands)))
                return lambda entity, t: ops.scalar(function, [p(entity, t) for p in parts])
            case ir.Cond():
                test, then, otherwise = sub(0), sub(1), sub(2)

                def conditional(entity: Entity, t: int) -> object:
                    holds = test(entity, t)
                    if isinstance(holds, Unknown):
                        return holds
                    return then(entity, t) if holds else otherwise(entity, t)
                return conditional
            case ir.ListOf(items=items, type=list_type):
                fns = tuple(sub(i) for i in range(len(items)))
                return lambda entity, t: ops.list_value([f(entity, t) for f in fns], list_type.element)
            case ir.History(function=function, periods=n):
                return _history(function, n, sub(0), kind, pk, self.slot(), self.tests(
                    expr.operand, pk, child_node(node, 0)) if function in WALKS else None)
        # aggregates over a group, references and aggregates across kinds read other entities:
        # the plan's own closure for the node, on the entity's world
        planned = self.plan.nodes[node]
        return self.memo(lambda entity, t: planned(entity.world(), entity.id, period_of(pk, t)))


def _logic(op: str, parts: tuple[Fast, ...]) -> Fast:
    """`and`/`or`, evaluated left to right until an operand decides it (false for `and`, true
    for `or`); otherwise `ops.logic_and`/`logic_or` over the values (Kleene logic)."""
    decides, join = (False, ops.logic_and) if op == "and" else (True, ops.logic_or)
    if len(parts) == 2:
        first, second, other = parts[0], parts[1], not decides

        def pair(entity: Entity, t: int) -> object:
            a = first(entity, t)
            if a is decides:
                return decides
            b = second(entity, t)
            if b is decides or (a is other and b is other):  # decided, or both the other truth value
                return b
            return join((a, b))
        return pair

    def logic(entity: Entity, t: int) -> object:
        values = []
        for part in parts:
            value = part(entity, t)
            if value is decides:
                return decides
            values.append(value)
        return join(values)
    return logic


def _row_test(operand: ir.Expr, pk: str) -> tuple[str, Callable[[object], object], Mapping[object, object]] | None:
    """A walk's operand as a test of one fact of the walked row against constants: the fact's
    name, the test of a known value (`ops.known_test`/`member_test`) and, for an enumeration,
    that test's result for each member (made once, read with a dict look-up); None for any
    other operand."""
    match operand:
        case ir.Compare(op=op, left=ir.Fact(name=name, period_kind=fact_pk) as fact, right=ir.Const(value=constant)) \
                if fact_pk == pk:
            known = ops.known_test(op, fact.type, operand.right.type, constant)
        case ir.Member(operand=ir.Fact(name=name, period_kind=fact_pk) as fact, options=options) \
                if fact_pk == pk and all(isinstance(o, ir.Const) for o in options):
            known = ops.member_test([o.value for o in options], operand.negated)
        case _:
            return None
    return (name, known, member_results(fact.type, known)) if known else None


def member_results(fact_type: T.Type, known: Callable[[object], object]) -> Mapping[object, object]:
    """For an enumeration, the test of a known value (`ops.known_test`/`member_test`) made
    once for each member (read with a dict look-up instead of a call); empty for other types."""
    return {member: known(member) for member in fact_type.members}


def walk_tests(operand: Fast, pk: str, row_test: tuple[str, Callable[[object], object], Mapping] | None,
               index: int) -> tuple[Callable[[Entity, int], Iterable[object]], int | None]:
    """What a walk over periods of kind pk reads of an entity at t (`semantics.Walker`'s
    `tests`): the operand's value at t, t - 1, ... where the entity has a record, else
    `UNRECORDED`, down to its first period of the kind. An operand testing one fact of the
    walked row against constants (`row_test`) is read from the rows at once, in one
    comprehension (an enumeration member's result looked up, no Python call per period), and
    the list is kept in the entity's store (at slot `index`), so every walk over the operand at
    t reads it: when the n rows of the period kind are t, t - 1, ..., t - n + 1 (a history
    without gaps, up to t), those are all its records; otherwise (a gap, a later row, a row
    without the fact: then the operand's closure says what is missing) a loop reads each
    period down to the first. Any other operand, or an entity whose records are not its rows,
    is read lazily, a period at a time. Also returned: the slot of the kept list (None: not kept),
    which a walk reads itself before calling."""
    def lazily(entity: Entity, t: int) -> Iterator[object]:
        present = entity.present.get(pk)
        if present:
            for at in range(t, min(present) - 1, -1):
                yield operand(entity, at) if at in present else UNRECORDED
    if row_test is None:
        return lazily, None
    name, known, results = row_test

    def from_rows(entity: Entity, t: int) -> Iterable[object]:
        slot = (t << 16) + index
        found = entity.get(slot)
        if found is not None:
            return found
        if entity.present is not entity.rows:
            return lazily(entity, t)
        rows = entity.rows[pk]
        found = []  # a loop, not a comprehension: no function made and called per list
        add = found.append
        try:  # t, t - 1, ..., t - n + 1 all rows (a row of each, as many as there are rows)
            if results:  # a member outside `results` (there are none for an enumeration) is a KeyError too
                for at in range(t, t - len(rows), -1):
                    add(results[rows[at][name]])
            else:
                for at in range(t, t - len(rows), -1):
                    add(known(rows[at][name]))
        except KeyError:
            found.clear()
            for at in range(t, min(rows, default=t + 1) - 1, -1):
                row = rows.get(at)
                add(UNRECORDED if row is None else known(row[name]) if name in row else operand(entity, at))
        entity[slot] = found
        return found
    return from_rows, index


def _history(function: str, n: int, operand: Fast, kind: str, pk: str, index: int,
             reads: tuple[Callable[[Entity, int], Iterable[object]], int | None] | None) -> Fast:
    if function in ("previous", "change"):
        def before(entity: Entity, t: int) -> object:  # unknown at a period without a record (G4/G8)
            earlier = t - n
            value = operand(entity, earlier)
            if isinstance(value, Unknown) or earlier in entity.present.get(pk, ()):
                return value
            return recorded(value, False, kind, entity.id, period_of(pk, earlier))
        if function == "previous":
            return before
        return lambda entity, t: ops.arith("-", [operand(entity, t), before(entity, t)])
    walk = WALKS[function]
    tests, kept = reads
    if kept is None:
        def history(entity: Entity, t: int) -> object:  # walked once per entity and period
            slot = (t << 16) + index
            value = entity.get(slot, _NOT_YET)
            if value is _NOT_YET:
                value = entity[slot] = walk(n, tests(entity, t), entity, t, operand)[0]
            return value
        return history

    def history_of_rows(entity: Entity, t: int) -> object:  # ... reading a kept list first
        slot = (t << 16) + index
        value = entity.get(slot, _NOT_YET)
        if value is _NOT_YET:
            found = entity.get((t << 16) + kept)
            value = entity[slot] = walk(n, tests(entity, t) if found is None else found, entity, t, operand)[0]
        return value
    return history_of_rows
