"""The reference interpreter: the test oracle for the planned evaluator.

It walks the AST directly — no IR, no graph, no plan, no caches — recomputing every derived
value from its definition each time it is read. It is slow and obviously correct; property
tests check that `evaluate` (the compiled plan) agrees with it on generated policies and data.
Only the per-operator semantics (`ops`) and the final combination of outcomes are shared.
"""

from __future__ import annotations

from policydsl.language import ast

from policydsl.engine import ops
from policydsl.engine.combine import Decision, combine, decision_of, decision_order, document_status
from policydsl.engine.evaluate import history_floor
from policydsl.language.ir import Program
from policydsl.engine.plan import Plan
from policydsl.schema import Dataset
from policydsl.values import MissingFact, Period, Unknown


class ReferenceInterpreter:
    def __init__(self, program: Program, plan: Plan, dataset: Dataset):
        self.program = program
        self.plan = plan
        self.dataset = dataset
        self.value_sources = {key: value.source for key, value in program.values.items()}
        self.policy: str | None = None  # the policy whose parameters and tables names mean
        self.floor = history_floor(dataset)

    def own(self, name: str, table) -> str | None:
        if self.policy and f"{self.policy}::{name}" in table:
            return f"{self.policy}::{name}"
        return name if name in table else None

    # ---- data --------------------------------------------------------------------------
    def record(self, kind: str, entity: str):
        return self.dataset.entities(kind).get(entity)

    def has_record(self, kind: str, entity: str, period: Period) -> bool:
        record = self.record(kind, entity)
        return record is not None and (not record.periods or period in record.periods)

    def name(self, name: str, kind: str, entity: str, period: Period) -> object:
        if (kind, name) in self.value_sources:
            if (kind, name) in self.plan.recursive and period < self.floor.get(period.kind, period):
                return Unknown()
            outer, self.policy = self.policy, self.program.values[(kind, name)].policy
            try:
                return self.eval(self.value_sources[(kind, name)], kind, entity, period)
            finally:
                self.policy = outer
        schema = self.program.entities[kind]
        if name in schema.facts:
            record = self.record(kind, entity)
            if schema.facts[name].period_kind is None:
                if record is not None and name in record.static:
                    return record.static[name]
                return Unknown(frozenset({MissingFact(kind, entity, name, "")}))
            row = record.periods.get(period, {}) if record is not None else {}
            if name in row:
                return row[name]
            return Unknown(frozenset({MissingFact(kind, entity, name, str(period))}))
        parameter = self.own(name, self.program.parameters)
        if parameter is not None:
            return self.plan.parameters[parameter]
        if name == "period_start":
            return period.start
        if name in ("period_end", "evaluation_date"):  # the oracle evaluates each period at its end
            return period.end
        return name  # an enumeration member

    # ---- expressions -------------------------------------------------------------------
    def eval(self, e: ast.Expr, kind: str, entity: str, period: Period) -> object:
        def ev(x: ast.Expr, at: Period = period, who: str = entity) -> object:
            return self.eval(x, kind, who, at)

        match e:
            case ast.NumberLit(value=v, unit=unit):
                return ops.number_literal(v, unit)
            case ast.StringLit(value=v) | ast.DateLit(value=v) | ast.BoolLit(value=v) \
                    | ast.DurationLit(value=v):
                return v
            case ast.Name(name=name):
                return self.name(name, kind, entity, period)
            case ast.Binary(op=op, left=left, right=right):
                return ops.arith(op, [ev(left), ev(right)])
            case ast.Negate(operand=operand):
                return ops.arith("neg", [ev(operand)])
            case ast.Compare(op=op, left=left, right=right):
                return ops.compare(op, ev(left), ev(right))
            case ast.And(operands=operands):
                return ops.logic_and([ev(o) for o in operands])
            case ast.Or(operands=operands):
                return ops.logic_or([ev(o) for o in operands])
            case ast.Not(operand=operand):
                return ops.logic_not(ev(operand))
            case ast.Member(operand=operand, options=options, negated=negated):
                return ops.member(ev(operand), [ev(o) for o in options], negated)
            case ast.If(condition=c, then=t, otherwise=o):
                test = ev(c)
                if isinstance(test, Unknown):
                    return test
                return ev(t) if test else ev(o)
            case ast.Index(target=ast.Name(name=table), key=key):
                found = ev(key)
                if isinstance(found, Unknown):
                    return found
                rows = self.plan.tables[self.own(table, self.plan.tables)]
                return rows.get(found, Unknown())
            case ast.Call():
                return self.call(e, kind, entity, period)
            case ast.Members():
                return self.members(e, kind, entity, period)
            case ast.Attribute(target=target, name=name):
                other = ev(target)
                if isinstance(other, Unknown):
                    return other
                target_kind = self.reference_kind(target, kind)
                if str(other) not in self.dataset.entities(target_kind):
                    return Unknown(frozenset({MissingFact(target_kind, str(other), "(no such entity)", "")}))
                return self.name(name, target_kind, str(other), period)
        raise TypeError(f"cannot evaluate {type(e).__name__}")

    def members(self, e: ast.Members, kind: str, entity: str, period: Period) -> object:
        """An aggregate over another kind's members, written again from the README's words."""
        member_kind = e.kind if e.kind is not None else e.operand.name
        chain = list(e.via) if e.via else self.only_chain(member_kind, kind)
        values, unknowns = [], []
        for member, record in sorted(self.dataset.entities(member_kind).items()):
            if not self.has_record(member_kind, member, period):
                continue
            at, at_kind = member, member_kind
            for attribute in chain:
                record_at = self.record(at_kind, at)
                if record_at is None or attribute not in record_at.static:
                    at = None
                    break
                at, at_kind = str(record_at.static[attribute]), self.program.entities[at_kind].facts[attribute].type.target
            if at != entity:
                continue
            test = self.eval(e.where, member_kind, member, period) if e.where is not None else True
            value = True if e.kind is None else self.eval(e.operand, member_kind, member, period)
            if isinstance(test, Unknown) or (test is True and isinstance(value, Unknown)):
                unknowns.append(test if isinstance(test, Unknown) else value)
            elif test is True:
                values.append(value)
        missing = ops.unknown_of(*unknowns) if unknowns else None
        match e.function:
            case "count":
                return len(values)
            case "any":
                return True if True in values else missing if missing is not None else False
            case "all":
                return False if False in values else missing if missing is not None else True
            case "sum":
                return missing if missing is not None and not values else ops.arith("+", [sum(values), 0])
        if not values:
            return missing if missing is not None else Unknown()
        if e.function == "mean":
            return ops.arith("/", [sum(values), len(values)])
        return min(values) if e.function == "min" else max(values)

    def only_chain(self, member_kind: str, kind: str) -> list[str]:
        """The one chain of static references from the member kind to `kind` (the checker made sure)."""
        def chains(at: str, visited: set[str]) -> list[list[str]]:
            found = []
            for name, fact in sorted(self.program.entities[at].facts.items()):
                target = fact.type.target
                if fact.period_kind is not None or target is None:
                    continue
                if target == kind:
                    found.append([name])
                elif target not in visited and len(visited) < 4:
                    found += [[name, *rest] for rest in chains(target, visited | {target})]
            return found
        return chains(member_kind, {member_kind})[0]

    def reference_kind(self, target: ast.Expr, kind: str) -> str:
        """The entity kind a reference expression points to (a fact or value of type `ref KIND`)."""
        if isinstance(target, ast.Attribute):
            kind = self.reference_kind(target.target, kind)
        name = target.name
        if (kind, name) in self.program.values:
            return self.program.values[(kind, name)].type.target
        return self.program.entities[kind].facts[name].type.target

    def call(self, e: ast.Call, kind: str, entity: str, period: Period) -> object:
        f, args = e.function, e.args

        def at(p: Period, who: str = entity) -> object:
            return self.eval(args[0], kind, who, p)

        n = args[1].value if len(args) > 1 and isinstance(args[1], ast.NumberLit) else 1
        if f in ("min", "max", "abs", "round", "is_missing", "value_or"):
            return ops.scalar(f, [self.eval(a, kind, entity, period) for a in args])
        if f == "previous":
            return at(period.shift(-n))
        if f == "change":
            return ops.arith("-", [at(period), at(period.shift(-n))])
        if f == "streak":
            now = at(period)
            if isinstance(now, Unknown):
                return now
            length = 0
            while self.has_record(kind, entity, period.shift(-length)) and at(period.shift(-length)) is True:
                length += 1
            return length
        if f == "count_periods":
            return sum(1 for back in range(n)
                       if self.has_record(kind, entity, period.shift(-back)) and at(period.shift(-back)) is True)
        if f == "first_time":
            now = at(period)
            if now is not True:
                return now if isinstance(now, Unknown) else False
            earlier = [p for p in self.record(kind, entity).periods if p.kind == period.kind and p < period]
            return not any(at(p) is True for p in earlier)
        return self.aggregate(e, kind, entity, period)

    def aggregate(self, e: ast.Call, kind: str, entity: str, period: Period) -> object:
        schema = self.program.entities[kind]
        group = schema.group
        descending, n = True, 1
        where = None
        for keyword in e.keywords:
            if keyword.name == "where":
                where = keyword.value
            else:
                group = None if keyword.value.name == "all" else keyword.value.name
        flags = list(e.args[1:])
        if e.function in ("top", "bottom"):
            n = flags.pop(0).value
        for flag in flags:
            descending = flag.name == "descending"
        record = self.record(kind, entity)
        if group is not None and group not in record.static:
            return Unknown(frozenset({MissingFact(kind, entity, group, "")}))
        members = [m for m, other in self.dataset.entities(kind).items()
                   if self.has_record(kind, m, period)
                   and (group is None or (group in other.static and other.static[group] == record.static[group]))]
        if where is not None:
            members = [m for m in members if self.eval(where, kind, m, period) is True]
        values = [self.eval(e.args[0], kind, m, period) for m in sorted(members)]
        own = self.eval(e.args[0], kind, entity, period)
        return ops.aggregate(e.function, own, values, descending, n,
                             own_included=where is None or entity in members)

    # ---- rules -------------------------------------------------------------------------
    def decisions(self) -> list[Decision]:
        fired = []
        outcomes = self.program.outcomes
        for rule in self.program.rules:
            policy = self.program.policies[rule.policy]
            self.policy = rule.policy
            for entity, record in sorted(self.dataset.entities(rule.entity).items()):
                for period in sorted(record.periods or self.dataset.periods()):
                    if period.kind != rule.evaluated_per:
                        continue
                    if not policy.applies(period.end, period.end):
                        continue
                    condition = True
                    if rule.source_condition is not None:
                        condition = self.eval(rule.source_condition, rule.entity, entity, period)
                    if condition is not True:
                        continue
                    decided = []
                    for c in rule.consequences:
                        amount = self.eval(c.source_amount, rule.entity, entity, period) if c.source_amount else None
                        value = self.eval(c.source_value, rule.entity, entity, period) if c.source_value else None
                        if isinstance(amount, Unknown) or isinstance(value, Unknown):
                            decided = []
                            break
                        decided.append(decision_of(rule, outcomes[c.outcome], entity, period, amount, value))
                    fired.extend(decided)
        fired.extend(document_status(self.program, self.dataset.periods(), None))
        return sorted(combine(self.program.combinations, fired), key=decision_order)


def reference_decisions(program: Program, plan: Plan, dataset: Dataset) -> list[Decision]:
    return ReferenceInterpreter(program, plan, dataset).decisions()


__all__ = ["ReferenceInterpreter", "reference_decisions"]
