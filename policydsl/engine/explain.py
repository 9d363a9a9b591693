"""Stage 7, explain: an `Evaluation` and a question in, an `Explanation` (plain data) out.

A trace is a tree of `TraceNode`s: each sub-expression of a rule's condition with its value,
each derived value down to the facts it read (with their periods), each history function with
the periods it walked, each aggregate with its group. Values are computed by the same compiled
code as the evaluation (derived values are read from the run's store), so the trace of a
decision always re-evaluates to that decision. `render` turns explanations into text (zh/en),
JSON and DOT.
"""

from __future__ import annotations

import attrs

from policydsl.language import ir
from policydsl.diagnostics import did_you_mean
from policydsl.engine import members, semantics
from policydsl.engine.combine import Decision
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


@attrs.frozen(kw_only=True)
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
    status: str  # active, superseded, not_fired, not_evaluable, not_in_force, no_record, no_rule
    decision: Decision | None = None
    superseded_by: tuple[Decision, ...] = ()
    rules: tuple[RuleTrace, ...] = ()
    facts: tuple[TraceNode, ...] = ()  # every fact read, once, in entity/period order
    missing: tuple[MissingFact, ...] = ()


class ExplainError(Exception):
    """The question cannot be asked of this evaluation (unknown entity or outcome)."""


class _Tracer:
    """Traces expressions by their node ids: every value is read from the plan's own compiled
    closure for that node, and history walks and groups come from `semantics`, as in the plan."""

    def __init__(self, evaluation: Evaluation):
        self.evaluation = evaluation
        self.program = evaluation.plan.program
        self.nodes = evaluation.plan.nodes
        self.run = evaluation.run
        self.reader = Reader(self.program)

    def value(self, node: str, entity: str, period: Period) -> object:
        return self.nodes[node](self.run, entity, period)

    def text(self, expr: ir.Expr) -> str:
        if expr.span.generated:
            return ir_text(expr)
        return self.program.source_text(expr.span) or ir_text(expr)

    def trace(self, expr: ir.Expr, node: str, kind: str, entity: str, period: Period, depth: int = 0) -> TraceNode:
        value = self.value(node, entity, period)
        base = dict(text=self.text(expr), value=value, entity=entity, period=str(period),
                    span=str(expr.span), reading=self.reader.reading(expr), unit=expr.type.unit)
        if depth > 12:  # deep chains of derived values are cut; the value is still shown
            return TraceNode(kind="expr", detail=(message("note.cut"),), **base)
        sub = depth + 1

        def child(index: int, at: Period = period, who: str = entity, in_kind: str = kind) -> TraceNode:
            return self.trace(ir.children(expr)[index], child_node(node, index), in_kind, who, at, sub)

        match expr:
            case ir.Const():
                return TraceNode(kind="const", **base)
            case ir.Fact(name=name, period_kind=period_kind, entity=fact_kind):
                schema = self.program.entities[fact_kind].facts[name]
                return TraceNode(kind="fact", label=schema.label,
                                 **{**base, "text": name, "period": str(period) if period_kind else ""})
            case ir.Param(name=name):
                return TraceNode(kind="parameter", label=self.program.parameters[name].label, **base)
            case ir.Derived(entity=value_kind, name=name):
                definition = self.program.values[(value_kind, name)]
                inner = self.trace(definition.expr, value_node(value_kind, name), value_kind, entity, period, sub)
                return TraceNode(kind="value", label=definition.label, children=(inner,),
                                 **{**base, "text": name})
            case ir.Via(kind=target):
                other = self.value(child_node(node, 0), entity, period)
                children = (child(0),)
                if not isinstance(other, Unknown) and self.run.exists(target, str(other)):
                    children += (child(1, who=str(other), in_kind=target),)
                return TraceNode(kind="via", detail=(message("note.via", kind=self.reader.kind(target), entity=other),),
                                 children=children, **base)
            case ir.History():
                return self._history(expr, node, kind, entity, period, base, child)
            case ir.Aggregate():
                return self._aggregate(expr, node, kind, entity, period, base, child)
            case ir.Members():
                return self._members(expr, node, entity, period, base, child)
            case ir.Cond():
                # only the branch taken explains the value
                test = child(0)
                branch = 1 if test.value is True else 2 if test.value is False else None
                children = (test,) if branch is None else (test, child(branch))
                return TraceNode(kind="expr", children=children, **base)
            case ir.Compare():
                kind_name = "compare"
            case ir.Logic():
                kind_name = "logic"
            case ir.Lookup():
                kind_name = "lookup"
            case _:
                kind_name = "expr"
        children = tuple(child(i) for i in range(len(ir.children(expr))))
        return TraceNode(kind=kind_name, children=children, op=getattr(expr, "op", None), **base)

    def _history(self, expr: ir.History, node: str, kind, entity, period: Period, base, child) -> TraceNode:
        operand = child_node(node, 0)
        walk = semantics.history(expr.function, expr.periods, self.run, kind, entity, period,
                                 lambda at: self.value(operand, entity, at))
        children, detail = [], []
        for at in walk.periods:
            # previous and change read their periods whatever the records; the others skip a
            # period without a record (it breaks a streak, never counts)
            if expr.function not in ("previous", "change") and not self.run.has_record(kind, entity, at):
                detail.append(message("note.no_record", period=str(at)))
                continue
            traced = child(0, at=at)
            children.append(traced)
            detail.append(message("note.period_value", period=str(at), value=traced.value))
        return TraceNode(kind="history", detail=tuple(detail), children=tuple(children), **base)

    def _aggregate(self, expr: ir.Aggregate, node: str, kind, entity, period: Period, base, child) -> TraceNode:
        own = child(0)
        operand, where = child_node(node, 0), child_node(node, 1)
        seen = semantics.group(
            self.run, node, kind, expr.group, entity, period, lambda m: self.value(operand, m, period),
            (lambda m: self.value(where, m, period)) if expr.where is not None else None)
        if isinstance(seen, Unknown):
            return TraceNode(kind="aggregate", children=(own,), **base)
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
        return TraceNode(kind="aggregate", detail=tuple(detail), children=(own,), **base)

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
            excluded.append(Shortfall(member=member, failed=_failed_parts(condition)))
        excluded.sort(key=lambda s: (len(s.failed), s.member))
        listed = MemberList(
            kind=expr.kind, kind_name=self.reader.kind(expr.kind), via=".".join(attribute for _, attribute in expr.path),
            via_reading=self.reader.chain(expr.path),
            condition=self.text(expr.where) if expr.where is not None else None,
            condition_reading=self.reader.reading(expr.where) if expr.where is not None else None,
            counted=tuple(seen.counted.items()), excluded=tuple(excluded),
            left_out=tuple((m, tuple(sorted(u.missing))) for m, u in seen.left_out.items()))
        return TraceNode(kind="members", members=listed, **base)


def _fact_labels(program: ir.Program) -> tuple[tuple[tuple[str, str], str], ...]:
    return tuple(((kind, name), fact.label) for kind, schema in sorted(program.entities.items())
                 for name, fact in sorted(schema.facts.items()) if fact.label)


def _sort_key(value, descending: bool):
    if isinstance(value, Unknown):
        return 0
    return -value if descending else value


def _failed_parts(node: TraceNode) -> tuple[TraceNode, ...]:
    """The smallest parts of a condition that made it false or unknown.

    Each failing operand of an `and` is reported on its own; an `or` or a `not` that failed
    is reported whole, since no single part of it is to blame.
    """
    if node.value is True:
        return ()
    if node.kind == "logic" and node.op == "and":
        return tuple(part for child in node.children for part in _failed_parts(child))
    return (node,)


def _facts(nodes: tuple[TraceNode, ...]) -> tuple[TraceNode, ...]:
    seen: dict[tuple[str, str, str], TraceNode] = {}

    def visit(node: TraceNode) -> None:
        if node.kind == "fact":
            seen.setdefault((node.entity, node.text, node.period), node)
        for child in node.children:
            visit(child)
    for node in nodes:
        visit(node)
    return tuple(seen[k] for k in sorted(seen))


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
    failed = _failed_parts(condition) if condition is not None else ()
    unknown = tuple(p for p in payload if isinstance(p.value, Unknown))
    if unknown:  # the condition held, but an amount, value or field needs missing data (G8): not fired
        fired, failed = False, unknown
    return RuleTrace(rule=rule.name, implements=rule.implements, policy=rule.policy, clause=rule.clause,
                     quote=rule.quote, span=str(rule.span), fired=fired, condition=condition,
                     failed=failed, payload=tuple(payload))


def _undecided(trace: RuleTrace) -> bool:
    """Whether missing data left the rule undecided: its condition unknown, or its condition held
    and a payload it would pay is unknown."""
    if trace.condition is not None and trace.condition.value is not True:
        return isinstance(trace.condition.value, Unknown)
    return any(isinstance(part.value, Unknown) for part in trace.failed)


def _resolve_case(evaluation: Evaluation, entity: str, outcome: str, period: Period | None,
                  ) -> tuple[str, list[ir.Rule], Period | None]:
    program = evaluation.plan.program
    if outcome not in program.outcomes:
        hint = did_you_mean(outcome, program.outcomes)
        raise ExplainError(f"unknown outcome `{outcome}`" + (f"; {hint}" if hint else ""))
    rules = [r for r in program.rules if any(c.outcome == outcome for c in r.consequences)]
    kinds = [k for k in sorted(program.entities) if entity in evaluation.run.dataset.entities(k)]
    rule_kinds = {r.entity for r in rules}
    kind = next((k for k in kinds if k in rule_kinds), kinds[0] if kinds else None)
    if kind is None:
        raise ExplainError(f"no entity `{entity}` in the data")
    rules = [r for r in rules if r.entity == kind]
    if period is None:
        record = evaluation.run.dataset.entities(kind)[entity]
        decided = [d.period for d in evaluation.decisions if d.entity == entity and d.outcome == outcome]
        period_kinds = {r.evaluated_per for r in rules}
        candidates = decided or [p for p in record.periods if p.kind in period_kinds]
        period = max(candidates) if candidates else None
    return kind, rules, period


def explain_decision(evaluation: Evaluation, entity: str, outcome: str, period: Period | None) -> Explanation:
    """Why the entity got the outcome; when it did not, the why-not explanation instead."""
    return _explain(evaluation, entity, outcome, period, "why")


def explain_why_not(evaluation: Evaluation, entity: str, outcome: str, period: Period | None) -> Explanation:
    return _explain(evaluation, entity, outcome, period, "why_not")


def _explain(evaluation: Evaluation, entity: str, outcome: str, period: Period | None,
             question: str) -> Explanation:
    kind, rules, period = _resolve_case(evaluation, entity, outcome, period)
    declared = evaluation.plan.program.outcomes[outcome]
    common = dict(question=question, entity_kind=kind, entity=entity, outcome=outcome,
                  entity_kind_label=evaluation.plan.program.entities[kind].label,
                  fact_labels=_fact_labels(evaluation.plan.program),
                  outcome_label=declared.label, outcome_kind=declared.kind)
    if not rules:
        return Explanation(period=str(period) if period else None, status="no_rule", **common)
    if period is None or not evaluation.run.has_record(kind, entity, period):
        return Explanation(period=str(period) if period else None, status="no_record", **common)
    policies = evaluation.plan.program.policies
    if not any(policies[r.policy].applies(period.end, evaluation.run.evaluation_date(period)) for r in rules):
        return Explanation(period=str(period), status="not_in_force", rules=tuple(
            RuleTrace(rule=r.name, implements=r.implements, policy=r.policy, clause=r.clause, quote=r.quote,
                      span=str(r.span), fired=False, condition=None, failed=()) for r in rules), **common)
    tracer = _Tracer(evaluation)
    case = [d for d in evaluation.decisions if d.entity_kind == kind and d.entity == entity and d.period == period]
    mine = [d for d in case if d.outcome == outcome]
    if mine:  # why it happened: only the rule that decided it is shown, so only it is traced
        deciding = next((d for d in mine if d.status == "active"), mine[0]).rule
        rules = [r for r in rules if r.name == deciding]
    traces = tuple(_rule_trace(tracer, r, entity, period, outcome) for r in rules
                   if r.evaluated_per == period.kind)
    facts = _facts(tuple(t.condition for t in traces if t.condition) + tuple(p for t in traces for p in t.payload))
    if mine:
        decision = next((d for d in mine if d.status == "active"), mine[0])
        winners = tuple(d for d in case if d.status == "active" and d.rule_id == decision.superseded_by)
        fired = tuple(t for t in traces if t.rule == decision.rule)
        return Explanation(period=str(period), status=decision.status, decision=decision,
                           superseded_by=winners, rules=fired, facts=_facts(
                               tuple(t.condition for t in fired if t.condition)
                               + tuple(p for t in fired for p in t.payload)), **common)
    missing = sorted({m for t in traces for f in t.failed for m in f.missing})
    status = "not_evaluable" if traces and all(
        _undecided(t) for t in traces if t.condition or t.failed) else "not_fired"
    return Explanation(period=str(period), status=status, rules=traces, facts=facts, missing=tuple(missing),
                       **common)

