"""Stage 7, explain: an `Evaluation` and a question in, an `Explanation` (plain data) out.

A trace is a tree of `TraceNode`s: each sub-expression of a rule's condition with its value,
each derived value down to the facts it read (with their periods), each history function with
the periods it walked, each aggregate with its group. Values are computed by the same compiled
code as the evaluation (derived values are read from the run's store), so the trace of a
decision always re-evaluates to that decision. `render` turns explanations into text (zh/en),
JSON and DOT.
"""

from __future__ import annotations

import datetime as dt

from typing import Protocol

import attrs

from policydsl.language import ir
from policydsl.diagnostics import did_you_mean
from policydsl.engine import members, semantics
from policydsl.engine.combine import Decision
from policydsl.engine.explain_verdict import facts_read, failed_parts, undecided, unrecorded
from policydsl.engine.evaluate import Evaluation
from policydsl.engine.plan import child_node, condition_node, field_part, payload_node, value_node
from policydsl.engine.readings import Message, Reader, ir_text, message
from policydsl.values import MissingFact, Period, Unknown


@attrs.frozen(kw_only=True)
class Shortfall:
    """A member the `where` filter of an aggregate excluded, and the parts of the filter it failed."""

    member: str
    failed: tuple[TraceNode, ...]


@attrs.frozen(kw_only=True)
class MemberList:
    """The members an aggregate over another kind saw (`count(enterprise where …)`), all of them."""

    kind: str
    kind_name: Message  # the kind with its label
    via: str  # the chain of references, e.g. "zone.city"
    via_reading: Message | None  # ... read in the attributes' labels
    condition: str | None  # the `where` filter's text
    condition_reading: Message | None  # ... and its reading in labels
    counted: tuple[tuple[str, object], ...]  # (member, its value; true for a count)
    excluded: tuple[Shortfall, ...]  # nearest first: the fewest failed parts
    left_out: tuple[tuple[str, tuple[MissingFact, ...]], ...]  # missing data (G8)


@attrs.frozen(kw_only=True, slots=False)  # without slots attrs' __init__ fills the instance dict: faster
class TraceNode:
    kind: str  # condition, compare, logic, fact, value, parameter, lookup, history, aggregate, members, expr, const
    text: str  # the policy text of the expression, or the name read
    value: object
    entity: str
    period: str
    label: str | None = None
    op: str | None = None  # the operator of a compare, logic or arithmetic node
    detail: tuple[Message, ...] = ()  # the explainer's notes: periods walked, a group's members
    reading: Message | None = None  # the expression in words (names with their labels)
    unit: str | None = None  # the unit of the value's type (万元, %)
    children: tuple[TraceNode, ...] = ()
    span: str | None = None
    members: MemberList | None = None  # an aggregate over another kind: every member it saw

    @property
    def missing(self) -> frozenset[MissingFact]:
        return self.value.missing if isinstance(self.value, Unknown) else frozenset()


@attrs.frozen(kw_only=True)
class RuleTrace:
    rule: str
    implements: str
    policy: str
    clause: str
    quote: str | None
    span: str
    fired: bool
    condition: TraceNode | None
    failed: tuple[TraceNode, ...]  # the parts of the condition that were false or unknown
    payload: tuple[TraceNode, ...] = ()
    # False: the rule's policy did not govern the period (or was not in force on the day it was
    # evaluated), so the rule was not evaluated and its condition is not traced
    in_force: bool = True
    outside: Message | None = None  # ... which, with its dates (`ir.Policy.not_applying`)


@attrs.frozen(kw_only=True)
class Explanation:
    question: str  # "why" or "why_not"
    entity_kind: str
    entity: str
    period: str | None
    outcome: str
    entity_kind_label: str | None = attrs.field(default=None, kw_only=True)
    # the declared labels of the facts of every kind, for naming missing facts: ((kind, fact), label)
    fact_labels: tuple[tuple[tuple[str, str], str], ...] = attrs.field(default=(), kw_only=True, repr=False)
    outcome_label: str | None
    outcome_kind: str | None
    status: str  # active, superseded, not_fired, not_evaluable, not_in_force, no_record, no_rule,
    # per_year / per_quarter (its rules are evaluated per period of the other kind)
    decision: Decision | None = None
    superseded_by: tuple[Decision, ...] = ()
    rules: tuple[RuleTrace, ...] = ()
    facts: tuple[TraceNode, ...] = ()  # every fact read, once, in entity/period order
    missing: tuple[MissingFact, ...] = ()
    # (kind, entity, period) of each period a missing fact was read in where its entity has no
    # record at all: the whole row is absent, not one cell of it
    unrecorded: tuple[tuple[str, str, str], ...] = ()
    # a document status under --as-of: the day it is decided on (the period's end otherwise)
    as_of: str | None = None


class ExplainError(Exception):
    """The question cannot be asked of this evaluation (unknown entity or outcome)."""


NOT_COMPUTED = object()


class Values(Protocol):
    """What the executor that made a decision computed, offered to its explanation: the value of
    an expression (at its node id) for an entity of a kind at a period (NOT_COMPUTED for an
    entity it does not hold), a history walk over the operand's node (None: not held), and
    whether the entity has a record in a period (NOT_COMPUTED: not held)."""

    def value(self, expr: ir.Expr, node: str, kind: str | None, entity: str, period: Period) -> object: ...

    def walk(self, function: str, n: int, operand: ir.Expr, node: str, kind: str, entity: str,
             period: Period) -> semantics.Walk | None: ...

    def has_record(self, kind: str, entity: str, period: Period) -> object:
        """Whether the entity has a record in the period (NOT_COMPUTED: not held)."""


class TraceCache:
    """What tracing a program's expressions computes once, whoever asks: each expression's text,
    span, reading, unit and operands, and the facts' labels. Explanations of one
    program may share one (a decider does: its explanations then skip this work)."""

    def __init__(self, program: ir.Program):
        self.program = program
        self.reader = Reader(program)
        self.fact_labels = _fact_labels(program)
        self.kinds = sorted(program.entities)
        self._static: dict[int, tuple[ir.Expr, tuple[dict, tuple]]] = {}  # by id: the expression itself is kept
        self._child_ids: dict[str, tuple[str, ...]] = {}
        self._value_ids: dict[tuple[str, str], str] = {}
        self._producing: dict[str, list[ir.Rule]] = {}  # outcome -> the rules producing it

    def text(self, expr: ir.Expr) -> str:
        if expr.span.generated:
            return ir_text(expr)
        return self.program.source_text(expr.span) or ir_text(expr)

    def static(self, expr: ir.Expr) -> tuple[dict, tuple[ir.Expr, ...]]:
        """The fields of a trace node that depend on the expression alone, and its children."""
        known = self._static.get(id(expr))
        if known is not None and known[0] is expr:
            return known[1]
        # every field but `kind` has its key here (value, entity, period as placeholders), so a
        # node's dict is a copy of this one with three keys set (`_Tracer.trace`): no resizing
        fields = {**_NODE_DEFAULTS, "value": None, "entity": "", "period": "", "text": self.text(expr),
                  "span": str(expr.span), "reading": self.reader.reading(expr), "unit": expr.type.unit}
        plain = _PLAIN.get(expr.__class__)
        if plain is not None:  # an operator's node kind and operator, too
            fields.update(kind=plain, op=getattr(expr, "op", None))
            if expr.__class__ is ir.Scalar and expr.function == "as_percent":
                # the typechecker's conversion of a computed ratio to a declared percent: marked so
                # that renderers show the ratio and the percent as one step, each with its unit
                fields["op"] = "as_percent"
        elif expr.__class__ is _CONST:
            fields["kind"] = "const"
        elif expr.__class__ is _FACT:  # a fact: its name and label (the period is the node's own)
            schema = self.program.entities[expr.entity].facts[expr.name]
            fields.update(kind="fact", label=schema.label, text=expr.name)
        found = (fields, ir.children(expr))
        self._static[id(expr)] = (expr, found)
        return found

    def producing(self, outcome: str) -> list[ir.Rule]:
        """The rules with `outcome` among their consequences, in program order."""
        found = self._producing.get(outcome)
        if found is None:  # one scan per outcome asked about (an unshared cache asks once)
            found = self._producing[outcome] = [
                r for r in self.program.rules if any(c.outcome == outcome for c in r.consequences)]
        return list(found)

    def value_id(self, kind: str, name: str) -> str:
        """The node id of a derived value's definition (`plan.value_node`)."""
        found = self._value_ids.get((kind, name))
        if found is None:
            found = self._value_ids[(kind, name)] = value_node(kind, name)
        return found

    def child_ids(self, node: str, count: int) -> tuple[str, ...]:
        """The node ids of a node's operands (`plan.child_node`)."""
        found = self._child_ids.get(node)
        if found is None:
            found = self._child_ids[node] = tuple(child_node(node, index) for index in range(count))
        return found


class _Tracer:
    """Traces expressions by their node ids: every value is read from the plan's own compiled
    closure for that node (or, where given, from the executor that made the decision: `values`),
    and history walks and groups come from `semantics`, as in the plan."""

    def __init__(self, evaluation: Evaluation, cache: TraceCache | None = None, values: Values | None = None):
        self.evaluation = evaluation
        self.program = evaluation.plan.program
        self.nodes = evaluation.plan.nodes
        self.run = evaluation.run
        self.cache = cache if cache is not None and cache.program is self.program else TraceCache(self.program)
        self.reader = self.cache.reader
        self.text = self.cache.text
        self.values = values
        self._computed = values.value if values is not None else None
        self._static = self.cache._static
        self._child_ids = self.cache._child_ids
        self._traced: set[tuple] = set()  # the derived values traced in full: (kind, name, entity, period)

    def _has_record(self, kind: str, entity: str, period: Period) -> bool:
        held = NOT_COMPUTED if self.values is None else self.values.has_record(kind, entity, period)
        return self.run.has_record(kind, entity, period) if held is NOT_COMPUTED else held

    def value(self, node: str, entity: str, period: Period, expr: ir.Expr | None = None,
              kind: str | None = None) -> object:
        if self._computed is not None and expr is not None:
            found = self._computed(expr, node, kind, entity, period)
            if found is not NOT_COMPUTED:
                return found
        return self.nodes[node](self.run, entity, period)

    def trace(self, expr: ir.Expr, node: str, kind: str, entity: str, period: Period, depth: int = 0,
              when: str | None = None) -> TraceNode:
        """The trace of `expr` (at node id `node`) for the entity at the period (`when`: the
        period's text, when the caller has it)."""
        cls = expr.__class__
        if cls is _CONST:  # a constant's value is itself, as its closure in the plan says
            value = expr.value
        else:
            value = NOT_COMPUTED if self._computed is None else self._computed(expr, node, kind, entity, period)
            if value is NOT_COMPUTED:
                value = self.nodes[node](self.run, entity, period)
        known = self._static.get(id(expr))
        fields, exprs = known[1] if known is not None and known[0] is expr else self.cache.static(expr)
        if when is None:
            when = str(period)
        base = fields.copy()  # a copy of a dict that has every key: the cheapest new dict
        base["value"], base["entity"], base["period"] = value, entity, when
        if depth > TRACE_DEPTH:  # deep chains of derived values are cut; the value is still shown
            base.update(kind="expr", op=None, detail=(message("note.cut"),))
            if cls is _FACT:  # shown as the expression it is, not as a fact
                base.update(label=None, text=self.text(expr))
            return _node(base)
        sub = depth + 1
        if cls in _PLAIN:  # an operator (its kind and op are in `fields`): every operand traced
            trace, ids = self.trace, self._child_ids.get(node) or self.cache.child_ids(node, len(exprs))
            if len(exprs) == 2:  # most operators: no comprehension (a frame of its own)
                left, right = exprs  # the left first: a value read on both sides is traced in full on the left
                chained = left.__class__ is cls and cls is _ARITH and expr.op in "+*" and left.op == expr.op
                # a sum of 16 terms is one step deep, not 15: `a + b + c` is `(a + b) + c`
                first = trace(left, ids[0], kind, entity, period, depth if chained else sub, when)
                if right.__class__ is _CONST and sub <= TRACE_DEPTH:  # `x >= 3`: the constant's node made here,
                    known = self._static.get(id(right))  # as `trace` makes it (its value is itself)
                    constant = (known[1] if known is not None and known[0] is right else self.cache.static(right))[0]
                    constant = constant.copy()
                    constant["value"], constant["entity"], constant["period"] = right.value, entity, when
                    second = _new(TraceNode)
                    _set_attribute(second, "__dict__", constant)
                else:
                    second = trace(right, ids[1], kind, entity, period, sub, when)
                base["children"] = (first, second)
            else:
                base["children"] = tuple([trace(operand, child, kind, entity, period, sub, when)
                                          for operand, child in zip(exprs, ids)])
            node = _new(TraceNode)  # `_node(base)`, inline: the most frequent nodes
            _set_attribute(node, "__dict__", base)
            return node
        if cls is _CONST or cls is _FACT:  # kind, name and label are in `fields`
            if cls is _FACT and not expr.period_kind:  # a static attribute has no period
                base["period"] = ""
            node = _new(TraceNode)
            _set_attribute(node, "__dict__", base)
            return node

        ids = self._child_ids.get(node) or self.cache.child_ids(node, len(exprs))
        if cls is _DERIVED:  # the commonest kinds first, without the `child` closure they do not use
            value_kind, name = expr.entity, expr.name
            definition = self.program.values[(value_kind, name)]
            # a value read again (`v + v`, `if v > 0 then v else 0`) is traced once per entity and
            # period; later readings show its value, "explained above": a tree that repeated it
            # would cost 2^depth, and so would every rendering of it
            key = (value_kind, name, entity, period)
            if key in self._traced:
                base.update(kind="value", label=definition.label, children=(), text=name,
                            detail=(message("note.above"),))
                return _node(base)
            self._traced.add(key)
            inner = self.trace(definition.expr, self.cache.value_id(value_kind, name), value_kind, entity, period,
                               sub, when)
            base.update(kind="value", label=definition.label, children=(inner,), text=name)
            return _node(base)
        if cls is _HISTORY:
            return self._history(expr, ids[0], kind, entity, period, base, sub)

        def child(index: int, who: str = entity, in_kind: str = kind) -> TraceNode:
            """An operand's trace in the same period (a walk traces its periods itself)."""
            return self.trace(exprs[index], ids[index], in_kind, who, period, sub, when)

        match expr:
            case ir.Param(name=name):
                base.update(kind="parameter", label=self.program.parameters[name].label)
                return _node(base)
            case ir.Via(kind=target):
                other = self.value(child_node(node, 0), entity, period)
                children = (child(0),)
                if not isinstance(other, Unknown) and self.run.exists(target, str(other)):
                    children += (child(1, who=str(other), in_kind=target),)
                base.update(kind="via", detail=(message("note.via", kind=self.reader.kind(target), entity=other),),
                            children=children)
                return _node(base)
            case ir.Aggregate():
                return self._aggregate(expr, node, kind, entity, period, base, child)
            case ir.Members():
                return self._members(expr, node, entity, period, base, child)
            case ir.Cond():
                # only the branch taken explains the value
                test = child(0)
                branch = 1 if test.value is True else 2 if test.value is False else None
                children = (test,) if branch is None else (test, child(branch))
                base.update(kind="expr", children=children)
                return _node(base)
        children = tuple(child(i) for i in range(len(exprs)))  # a kind of expression added later
        base.update(kind="expr", children=children, op=getattr(expr, "op", None))
        return _node(base)

    def _history(self, expr: ir.History, operand: str, kind, entity, period: Period, base, sub: int) -> TraceNode:
        """A walk's node: the periods it read, each with its operand's trace (`operand`: its node id)."""
        operand_expr, trace = expr.operand, self.trace
        walk = self.values.walk(expr.function, expr.periods, operand_expr, operand, kind, entity, period) \
            if self.values is not None else None
        walk_held = walk is not None  # the deciding executor holds the entity: its records too
        if walk is None:
            walk = semantics.history(expr.function, expr.periods, self.run, kind, entity, period,
                                     lambda at: self.value(operand, entity, at, operand_expr, kind))
        children, detail = [], []
        records_only = expr.function not in ("previous", "change")
        # the deciding executor's records, where it holds the entity (else the run's)
        has_record = self.values.has_record if walk_held else None
        for at in walk.periods:
            text = str(at)
            # previous and change read their periods whatever the records; the others skip a
            # period without a record (it breaks a streak, never counts)
            if records_only and not (has_record(kind, entity, at) if has_record is not None
                                     else self._has_record(kind, entity, at)):
                detail.append(message("note.no_record", period=text))
                continue
            traced = trace(operand_expr, operand, kind, entity, at, sub, text)
            children.append(traced)
            if not records_only and traced.value.__class__ is Unknown and not (
                    has_record if has_record is not None else self._has_record)(kind, entity, at):
                # previous/change read a period without a record: say so, not just "unknown"
                detail.append(message("note.no_record", period=text))
                continue
            # message("note.period_value", period=…, value=…), built directly: one per period
            note = _new(Message)
            _set_attribute(note, "key", "note.period_value")
            _set_attribute(note, "args", (("period", text), ("value", traced.value)))
            detail.append(note)
        base.update(kind="history", detail=tuple(detail), children=tuple(children))
        return _node(base)

    def _aggregate(self, expr: ir.Aggregate, node: str, kind, entity, period: Period, base, child) -> TraceNode:
        own = child(0)
        operand, where = child_node(node, 0), child_node(node, 1)
        seen = semantics.group(
            self.run, node, kind, expr.group, entity, period, lambda m: self.value(operand, m, period),
            (lambda m: self.value(where, m, period)) if expr.where is not None else None)
        if isinstance(seen, Unknown):
            base.update(kind="aggregate", children=(own,))
            return _node(base)
        members, values = seen.members, list(seen.values.values())
        known = [v for v in values if not isinstance(v, Unknown)]
        record = self.evaluation.run.dataset.entities(kind).get(entity)
        if expr.group and record:
            attribute = self.program.entities[kind].facts.get(expr.group)
            group = message("note.group_by", value=record.static.get(expr.group), attribute=message(
                "name.fact", id=expr.group, label=attribute.label if attribute else None))
        else:
            group = message("note.group_all", kind=self.reader.kind(kind))
        where = None if expr.where is None else message(
            "note.group_where", condition=self.reader.reading(expr.where), code=self.text(expr.where))
        without = message("note.without_value", n=len(values) - len(known)) if len(known) < len(values) else None
        detail = [message("note.group", group=group, n=len(members), where=where, period=str(period),
                          without=without)]
        if expr.function in ("rank", "top", "bottom"):
            ranked = sorted(zip(members, values), key=lambda mv: (isinstance(mv[1], Unknown),
                            _sort_key(mv[1], expr.descending), mv[0]))
            detail.append(message(
                "note.descending" if expr.descending else "note.ascending",
                members=tuple(message("note.member_value", entity=m, value=v) for m, v in ranked[:12]),
                more=message("note.more_hidden") if len(ranked) > 12 else None))
        base.update(kind="aggregate", detail=tuple(detail), children=(own,))
        return _node(base)

    def _members(self, expr: ir.Members, node: str, entity, period: Period, base, child) -> TraceNode:
        operand = child_node(node, 0) if expr.operand is not None else None
        where = len(ir.children(expr)) - 1 if expr.where is not None else None
        seen = members.gather(
            self.run, node, expr.kind, expr.path, entity, period,
            (lambda m: self.value(operand, m, period)) if operand is not None else None,
            (lambda m: self.value(child_node(node, where), m, period)) if where is not None else None)
        excluded = []
        for member in seen.excluded:
            condition = child(where, who=member, in_kind=expr.kind)
            excluded.append(Shortfall(member=member, failed=failed_parts(condition)))
        excluded.sort(key=lambda s: (len(s.failed), s.member))
        listed = MemberList(
            kind=expr.kind, kind_name=self.reader.kind(expr.kind), via=".".join(attribute for _, attribute in expr.path),
            via_reading=self.reader.chain(expr.path),
            condition=self.text(expr.where) if expr.where is not None else None,
            condition_reading=self.reader.reading(expr.where) if expr.where is not None else None,
            counted=tuple(seen.counted.items()), excluded=tuple(excluded),
            left_out=tuple((m, tuple(sorted(u.missing))) for m, u in seen.left_out.items()))
        base.update(kind="members", members=listed)
        return _node(base)


_NODE_DEFAULTS = {field.name: field.default for field in attrs.fields(TraceNode) if field.default is not attrs.NOTHING}


def _node(fields: dict) -> TraceNode:
    """`TraceNode(**fields)` for a fresh dict holding every field (`TraceCache.static` starts each
    from the defaults), which becomes the node's instance dict as unpickling would make it: no
    keyword binding, no copy; a trace makes one per node. The class has no validator, converter
    or default factory, so the two are the same (tests/test_explain_fast.py)."""
    node = _new(TraceNode)
    _set_attribute(node, "__dict__", fields)
    return node


_new = object.__new__
_set_attribute = object.__setattr__  # past the frozen class's own __setattr__
_CONST, _FACT, _DERIVED, _HISTORY, _ARITH = ir.Const, ir.Fact, ir.Derived, ir.History, ir.Arith
# how deep a trace goes before a node is cut (its value still shown): deep enough for the shipped
# policies' scores (a composite growth under a city reward), a bound for a running total's chain
TRACE_DEPTH = 40
# the kinds of expression traced as an operator with its operands (the trace node's kind); the
# others (constants, names, history, groups, references, `if`) each have their own case
_PLAIN = {ir.Compare: "compare", ir.Logic: "logic", ir.Lookup: "lookup", ir.Arith: "expr", ir.Member: "expr",
          ir.Scalar: "expr", ir.Builtin: "expr"}


def _fact_labels(program: ir.Program) -> tuple[tuple[tuple[str, str], str], ...]:
    return tuple(((kind, name), fact.label) for kind, schema in sorted(program.entities.items())
                 for name, fact in sorted(schema.facts.items()) if fact.label)


def _sort_key(value, descending: bool):
    if isinstance(value, Unknown):
        return 0
    return -value if descending else value


def _not_in_force(rule: ir.Rule, policy: ir.Policy, period: Period, day: dt.date) -> RuleTrace:
    """A rule whose policy did not govern the period: shown, not evaluated, with the reason and
    its dates (it governs periods ending from 2014-07-22; 2014-Q2 ends 2014-06-30)."""
    reason = policy.not_applying(period.end, day)
    outside = message(f"outside.{reason[0]}", policy=rule.policy, period=str(period),
                      **{k: v.isoformat() for k, v in reason[1].items()}) if reason else None
    return RuleTrace(rule=rule.name, implements=rule.implements, policy=rule.policy, clause=rule.clause,
                     quote=rule.quote, span=str(rule.span), fired=False, condition=None, failed=(), in_force=False,
                     outside=outside)


def _rule_trace(tracer: _Tracer, rule: ir.Rule, entity: str, period: Period, outcome: str | None,
                ) -> RuleTrace:
    condition = (tracer.trace(rule.condition, condition_node(rule), rule.entity, entity, period)
                 if rule.condition else None)
    fired = condition is None or condition.value is True
    payload = []
    if fired:
        for index, consequence in enumerate(rule.consequences):
            if outcome is not None and consequence.outcome != outcome:
                continue
            for part, expr in (("amount", consequence.amount), ("value", consequence.value)):
                if expr is not None:
                    payload.append(tracer.trace(expr, payload_node(rule, index, part), rule.entity, entity, period))
            for field in consequence.fields:  # named payload fields: `amount_min = 500万元`
                traced = tracer.trace(field.expr, payload_node(rule, index, field_part(field.name)), rule.entity,
                                      entity, period)
                named = message("expr.code", text=field.name)
                payload.append(attrs.evolve(traced, text=f"{field.name} = {traced.text}", reading=message(
                    "expr.eq", left=named, right=traced.reading) if traced.reading is not None else None))
    failed = failed_parts(condition) if condition is not None else ()
    unknown = tuple(p for p in payload if isinstance(p.value, Unknown))
    if unknown:  # the condition held, but an amount, value or field needs missing data (G8): not fired
        fired, failed = False, unknown
    return RuleTrace(rule=rule.name, implements=rule.implements, policy=rule.policy, clause=rule.clause,
                     quote=rule.quote, span=str(rule.span), fired=fired, condition=condition,
                     failed=failed, payload=tuple(payload))


def _resolve_case(evaluation: Evaluation, entity: str, outcome: str, period: Period | None,
                  cache: TraceCache) -> tuple[str, list[ir.Rule], Period | None]:
    program = evaluation.plan.program
    if outcome not in program.outcomes:
        hint = did_you_mean(outcome, program.outcomes)
        raise ExplainError(f"unknown outcome `{outcome}`" + (f"; {hint}" if hint else ""))
    rules = cache.producing(outcome)
    kinds = [k for k in cache.kinds if entity in evaluation.run.dataset.entities(k)]
    rule_kinds = {r.entity for r in rules}
    kind = next((k for k in kinds if k in rule_kinds), kinds[0] if kinds else None)
    if kind is None:
        raise ExplainError(f"no entity `{entity}` in the data")
    rules = [r for r in rules if r.entity == kind]
    if period is None:
        record = evaluation.run.dataset.entities(kind)[entity]
        decided = [d for d in evaluation.decisions if d.entity == entity and d.outcome == outcome]
        period_kinds = {r.evaluated_per for r in rules}
        # the latest period it was received in (active); failing that, the latest it was recorded
        # but superseded in (`render.outcome_periods_text` says which); else the latest with data
        candidates = ([d.period for d in decided if d.status == "active"] or [d.period for d in decided]
                      or [p for p in record.periods if p.kind in period_kinds])
        period = max(candidates) if candidates else None
    return kind, rules, period


def explain_decision(evaluation: Evaluation, entity: str, outcome: str, period: Period | None, *,
                     cache: TraceCache | None = None, values: Values | None = None) -> Explanation:
    """Why the entity got the outcome; when it did not, the why-not explanation instead.
    `cache` (a `TraceCache` of the program) and `values` (the deciding executor's values) only
    make it faster: the explanation is the same."""
    return _explain(evaluation, entity, outcome, period, "why", cache, values)


def explain_why_not(evaluation: Evaluation, entity: str, outcome: str, period: Period | None, *,
                    cache: TraceCache | None = None, values: Values | None = None) -> Explanation:
    return _explain(evaluation, entity, outcome, period, "why_not", cache, values)


def _explain(evaluation: Evaluation, entity: str, outcome: str, period: Period | None,
             question: str, cache: TraceCache | None = None, values: Values | None = None) -> Explanation:
    if cache is None or cache.program is not evaluation.plan.program:
        cache = TraceCache(evaluation.plan.program)
    kind, rules, period = _resolve_case(evaluation, entity, outcome, period, cache)
    declared = evaluation.plan.program.outcomes[outcome]
    common = dict(question=question, entity_kind=kind, entity=entity, outcome=outcome,
                  entity_kind_label=evaluation.plan.program.entities[kind].label,
                  fact_labels=cache.fact_labels,
                  outcome_label=declared.label, outcome_kind=declared.kind)
    if not rules:
        return Explanation(period=str(period) if period else None, status="no_rule", **common)
    if period is None or not evaluation.run.has_record(kind, entity, period):
        return Explanation(period=str(period) if period else None, status="no_record", **common)
    if not any(r.evaluated_per == period.kind for r in rules):  # a quarter asked, its rules yearly (or reverse)
        return Explanation(period=str(period), status=f"per_{rules[0].evaluated_per}", **common)
    policies = evaluation.plan.program.policies
    day = evaluation.run.evaluation_date(period)
    end = period.end
    governed = {r.name for r in rules if policies[r.policy].applies(end, day)}
    if not governed:
        return Explanation(period=str(period), status="not_in_force", rules=tuple(
            _not_in_force(r, policies[r.policy], period, day) for r in rules), **common)
    tracer = _Tracer(evaluation, cache, values)
    kinds = tracer.program.entities  # the kinds whose records `unrecorded` may ask about
    case = [d for d in evaluation.decisions if d.entity_kind == kind and d.entity == entity and d.period == period]
    mine = [d for d in case if d.outcome == outcome]
    # why it happened: the rules whose decisions stand (two rules, six targets met), else the one
    # superseded decision's; only they are traced (a superseded p1 beside the active p2 is not shown)
    deciding = {d.rule for d in mine if d.status == "active"} or {d.rule for d in mine[:1]}
    if mine:
        rules = [r for r in rules if r.name in deciding]
    traces = tuple(_rule_trace(tracer, r, entity, period, outcome) if r.name in governed
                   else _not_in_force(r, policies[r.policy], period, day) for r in rules if r.evaluated_per == period.kind)
    if mine:
        decision = next((d for d in mine if d.status == "active"), mine[0])
        winners = tuple(d for d in case if d.status == "active" and d.rule_id == decision.superseded_by)
        fired = tuple(t for t in traces if t.rule in deciding)
        facts = facts_read(tuple(t.condition for t in fired if t.condition)
                           + tuple(p for t in fired for p in t.payload))
        return Explanation(period=str(period), status=decision.status, decision=decision,
                           superseded_by=winners, rules=fired, facts=facts,
                           unrecorded=unrecorded(facts, (), kinds, tracer._has_record), **common)
    facts = facts_read(tuple(t.condition for t in traces if t.condition)
                       + tuple(p for t in traces for p in t.payload))
    # the failed parts of a rule decided false are false (`failed_parts`): only an undecided rule
    # lacks facts, so a missing fact is listed exactly when the status is undecided
    missing = sorted({m for t in traces for f in t.failed for m in f.missing})
    # the outcome is the `or` of its rules (none fired): undecided, as `false or unknown` is, when
    # missing data left some rule that governs the period undecided; a rule of a policy not in
    # force decides nothing, whatever its condition would give
    evaluated = tuple(t for t in traces if t.in_force)
    status = "not_evaluable" if any(undecided(t) for t in evaluated) else "not_fired"
    return Explanation(period=str(period), status=status, rules=traces, facts=facts, missing=tuple(missing),
                       unrecorded=unrecorded(facts, missing, kinds, tracer._has_record), **common)

