"""The oracle's interpreter: walks the AST of each rule and value directly, with its own
operators (`logic`), calendar (`calendar`), history walks, group membership and aggregates.
No IR expressions, no graph, no plan, no caches except a memo of derived values per
(kind, name, entity, period), which cannot change a value."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

from oracle.calendar import Period, Span
from oracle.logic import (UNKNOWN, Pct, all_of, any_of, arithmetic, comparison, negation, negative, number,
                          one_of, round_half_away)

from policydsl.language import ast
from policydsl.language.ir import Program

# How far before the first period of its kind in the data a derived value is still computed
# (a running total that never reaches its base case stops there, unknown).
HISTORY_DEPTH = 50


class Data:
    """The rows of the data set, read without `policydsl.engine.data`: per kind, per entity,
    its static attributes and its facts per period."""

    def __init__(self, rows: dict[str, list[dict]], program: Program):
        self.static: dict[str, dict[str, dict]] = {}
        self.periodic: dict[str, dict[str, dict[Period, dict]]] = {}
        for kind, schema in program.entities.items():
            self.static[kind], self.periodic[kind] = {}, {}
            for row in rows.get(kind, []):
                entity = str(row["id"])
                static = self.static[kind].setdefault(entity, {})
                periods = self.periodic[kind].setdefault(entity, {})
                facts = {}
                for name, raw in row.items():
                    if name in ("id", "period") or raw is None or name not in schema.facts:
                        continue
                    value = read_value(raw, schema.facts[name].type.name)
                    if schema.facts[name].period_kind is None:
                        static[name] = value
                    else:
                        facts[name] = value
                if row.get("period") not in (None, ""):
                    periods[Period.parse(row["period"])] = facts

    def entities(self, kind: str) -> list[str]:
        return sorted(self.static[kind])

    def has_record(self, kind: str, entity: str, period: Period) -> bool:
        """A record in the period; an entity with static attributes only takes part in every period
        of the data (and in no period before or after it)."""
        if entity not in self.static[kind]:
            return False
        own = self.periodic[kind][entity]
        return period in own if own else period in self.all_periods()

    def periods(self, kind: str, entity: str) -> list[Period]:
        """The periods the entity is evaluated at: those of its records (every period of the data
        for an entity with static attributes only)."""
        own = sorted(self.periodic[kind].get(entity, {}))
        return own if own or entity not in self.static[kind] else self.all_periods()

    def all_periods(self) -> list[Period]:
        return sorted({p for kind in self.periodic.values() for entity in kind.values() for p in entity})


def read_value(raw: object, type_name: str) -> object:
    if type_name == "percent":
        return Pct.written(str(raw).rstrip("%"))
    if type_name in ("integer", "decimal", "money"):
        return Fraction(str(raw))
    if type_name == "date":
        return raw if isinstance(raw, dt.date) else dt.date.fromisoformat(str(raw))
    return raw  # boolean, text, an enumeration member, a reference


class Interpreter:
    def __init__(self, program: Program, modules: tuple[ast.Module, ...], data: Data, as_of: dt.date | None = None):
        self.program = program
        self.data = data
        self.as_of = as_of  # the day every period is evaluated on; None: each period's last day
        self.parameter_source: dict[str, tuple[str | None, ast.Expr]] = {}
        self.table_source: dict[str, tuple[str | None, tuple[ast.TableRow, ...]]] = {}
        for module in modules:
            policy = next((d.name for d in module.declarations if isinstance(d, ast.PolicyDecl)), None)
            for decl in module.declarations:
                if isinstance(decl, ast.ParameterDecl):
                    self.parameter_source[own_name(policy, decl.name)] = (policy, decl.value)
                elif isinstance(decl, ast.TableDecl):
                    self.table_source[own_name(policy, decl.name)] = (policy, decl.rows)
        firsts: dict[str, Period] = {}
        for period in data.all_periods():
            firsts.setdefault(period.kind, period)
        self.floor = {kind: first.back(HISTORY_DEPTH) for kind, first in firsts.items()}
        self.memo: dict[tuple, object] = {}

    # ---- names -------------------------------------------------------------------------
    def name(self, name: str, policy: str | None, kind: str | None, entity: str, period: Period) -> object:
        if kind is not None and (kind, name) in self.program.values:
            return self.derived(kind, name, entity, period)
        if kind is not None and name in self.program.entities[kind].facts:
            return self.fact(kind, name, entity, period)
        parameter = own_name(policy, name) if own_name(policy, name) in self.parameter_source else name
        if parameter in self.parameter_source:
            owner, source = self.parameter_source[parameter]
            return self.eval(source, owner, None, "", period)
        if name == "period_start":
            return period.first_day
        if name == "period_end":
            return period.last_day
        if name == "evaluation_date":  # a period is evaluated at its end, or on the day asked for
            return self.as_of if self.as_of is not None else period.last_day
        return name  # an enumeration member

    def fact(self, kind: str, name: str, entity: str, period: Period) -> object:
        if self.program.entities[kind].facts[name].period_kind is None:
            return self.data.static[kind].get(entity, {}).get(name, UNKNOWN)
        return self.data.periodic[kind].get(entity, {}).get(period, {}).get(name, UNKNOWN)

    def derived(self, kind: str, name: str, entity: str, period: Period) -> object:
        if period < self.floor.get(period.kind, period):
            return UNKNOWN
        key = (kind, name, entity, period)
        if key not in self.memo:
            value = self.program.values[(kind, name)]
            found = self.eval(value.source, value.policy, kind, entity, period)
            if value.source_when is not None:  # `= E when C`: unknown unless C holds
                found = found if self.eval(value.source_when, value.policy, kind, entity, period) is True else UNKNOWN
            if value.type.name == "percent" and found is not UNKNOWN and not isinstance(found, Pct):
                found = Pct(Fraction(found))  # a ratio declared as a percent: 1/4 is 25%
            self.memo[key] = found
        return self.memo[key]

    # ---- expressions -------------------------------------------------------------------
    def eval(self, e: ast.Expr, policy: str | None, kind: str | None, entity: str, period: Period) -> object:
        def ev(x: ast.Expr, at: Period = period, who: str = entity) -> object:
            return self.eval(x, policy, kind, who, at)

        match e:
            case ast.NumberLit(value=value, unit="%"):
                return Pct.written(value)
            case ast.NumberLit(value=value, unit="亿元"):
                return Fraction(value) * 10_000  # 1亿元 = 10000万元, the oracle's unit of money
            case ast.NumberLit(value=value):
                return Fraction(value)
            case ast.StringLit(value=value) | ast.DateLit(value=value) | ast.BoolLit(value=value):
                return value
            case ast.DurationLit(value=value):
                return Span(value.months, value.days)
            case ast.Name(name=name):
                return self.name(name, policy, kind, entity, period)
            case ast.Binary(op=op, left=left, right=right):
                return arithmetic(op, ev(left), ev(right))
            case ast.Negate(operand=operand):
                return negative(ev(operand))
            case ast.Compare(op=op, left=left, right=right):
                return comparison(op, ev(left), ev(right))
            case ast.And(operands=operands):
                return all_of([ev(o) for o in operands])
            case ast.Or(operands=operands):
                return any_of([ev(o) for o in operands])
            case ast.Not(operand=operand):
                return negation(ev(operand))
            case ast.Member(operand=operand, options=options, negated=negated):
                return one_of(ev(operand), [ev(o) for o in options], negated)
            case ast.If(condition=condition, then=then, otherwise=otherwise):
                test = ev(condition)
                if test is UNKNOWN:
                    return UNKNOWN
                return ev(then) if test else ev(otherwise)
            case ast.Index(target=ast.Name(name=table), key=key):
                return self.lookup(table, policy, ev(key), entity, period)
            case ast.Attribute(target=ast.Name(name="document"), name=name) if not self.names(kind, "document"):
                return self.document_date(policy, name)
            case ast.Attribute(target=target, name=name):
                other = ev(target)
                target_kind = self.reference_kind(target, kind)
                if other is UNKNOWN or str(other) not in self.data.static[target_kind]:
                    return UNKNOWN  # a missing or dangling reference
                return self.name(name, policy, target_kind, str(other), period)
            case ast.ListLit(items=items):  # a list: its items, unknown when one is
                values = tuple(ev(item) for item in items)
                return UNKNOWN if any(v is UNKNOWN for v in values) else values
            case ast.Call():
                return self.call(e, policy, kind, entity, period)
            case ast.Members():
                return self.related(e, policy, kind, entity, period)
        raise TypeError(f"the oracle cannot evaluate {type(e).__name__}")

    def lookup(self, table: str, policy: str | None, key: object, entity: str, period: Period) -> object:
        if key is UNKNOWN:
            return UNKNOWN
        name = own_name(policy, table) if own_name(policy, table) in self.table_source else table
        owner, rows = self.table_source[name]
        for row in rows:
            if comparison("=", self.eval(row.key, owner, None, "", period), key) is True:
                return self.eval(row.value, owner, None, "", period)
        return UNKNOWN  # a key the table does not list

    def names(self, kind: str | None, name: str) -> bool:
        """Whether the name is a fact or a derived value of the kind."""
        return kind is not None and ((kind, name) in self.program.values or name in self.program.entities[kind].facts)

    def document_date(self, policy: str, name: str) -> dt.date:
        """`document.in_force_from`: a date of the expression's own policy; the governed span
        defaults to the span in force."""
        declared = self.program.policies[policy]
        fallback = {"governs_from": "in_force_from", "governs_until": "in_force_until"}.get(name, name)
        found = getattr(declared, name)
        return found if found is not None else getattr(declared, fallback)

    def reference_kind(self, target: ast.Expr, kind: str) -> str:
        if isinstance(target, ast.Attribute):
            kind = self.reference_kind(target.target, kind)
        name = target.name
        if (kind, name) in self.program.values:
            return self.program.values[(kind, name)].type.target
        return self.program.entities[kind].facts[name].type.target

    def call(self, e: ast.Call, policy, kind, entity: str, period: Period) -> object:
        f, args = e.function, e.args

        def arg(index: int, at: Period = period, who: str = entity) -> object:
            return self.eval(args[index], policy, kind, who, at)

        count = int(args[1].value) if len(args) > 1 and isinstance(args[1], ast.NumberLit) else 1
        if f == "is_missing":
            return arg(0) is UNKNOWN
        if f == "value_or":
            first = arg(0)
            return arg(1) if first is UNKNOWN else first
        if f in ("min", "max", "abs", "round"):
            values = [arg(i) for i in range(len(args))]
            if any(v is UNKNOWN for v in values):
                return UNKNOWN
            if f == "min":
                return sorted(values)[0]
            if f == "max":
                return sorted(values)[-1]
            if f == "abs":
                return values[0] if number(values[0]) >= 0 else negative(values[0])
            places = int(values[1]) if len(values) > 1 else 0
            if isinstance(values[0], Pct):  # a percent rounds as it is written: round(12.35%, 1) is 12.4%
                return Pct.written(round_half_away(values[0].ratio * 100, places))
            return round_half_away(Fraction(values[0]), places)
        if f in ("previous", "change"):  # a period without a record is unknown, whatever the operand
            before = arg(0, period.back(count))
            if not self.data.has_record(kind, entity, period.back(count)):
                before = UNKNOWN
            return before if f == "previous" else arithmetic("-", arg(0), before)
        if f == "streak":
            return self.streak(lambda at: arg(0, at), kind, entity, period)
        if f == "count_periods":  # unknown now: unknown; an earlier unknown: a round not counted
            if arg(0) is UNKNOWN:
                return UNKNOWN
            return len([back for back in range(count)
                        if self.data.has_record(kind, entity, period.back(back)) and arg(0, period.back(back)) is True])
        if f == "first_time":
            now = arg(0)
            if now is not True:
                return now
            earlier = [p for p in self.data.periods(kind, entity) if p.kind == period.kind and p < period]
            return all(arg(0, p) is not True for p in earlier)
        return self.aggregate(e, policy, kind, entity, period)

    def streak(self, holds, kind: str, entity: str, period: Period) -> object:
        """Consecutive periods ending now, each with a record in which the condition holds."""
        if holds(period) is UNKNOWN:
            return UNKNOWN
        length = 0
        while self.data.has_record(kind, entity, period.back(length)) and holds(period.back(length)) is True:
            length += 1
        return Fraction(length)

    # ---- aggregates over another kind ---------------------------------------------------
    def related(self, e: ast.Members, policy, kind: str, entity: str, period: Period) -> object:
        """`count(enterprise where …)`, `sum(x over kind)`, …: over the entities of another kind
        whose chain of static references leads to this entity and that take part in the period.
        A member whose `where` or value is unknown makes an aggregate unknown unless the known
        members already decide it (any: one true; all: one false); count counts the known."""
        member_kind = e.kind if e.kind is not None else e.operand.name
        chain = list(e.via) if e.via else self.reference_chain(member_kind, kind)
        values, unknown = [], False
        for member in self.data.entities(member_kind):
            if not self.data.has_record(member_kind, member, period):
                continue
            at, at_kind = member, member_kind
            for attribute in chain:
                at = self.data.static[at_kind].get(at, {}).get(attribute)
                if at is None:
                    break
                at, at_kind = str(at), self.program.entities[at_kind].facts[attribute].type.target
            if at != entity:
                continue
            test = self.eval(e.where, policy, member_kind, member, period) if e.where is not None else True
            value = True if e.kind is None else self.eval(e.operand, policy, member_kind, member, period)
            if test is UNKNOWN or (test is True and value is UNKNOWN):
                unknown = True
            elif test is True:
                values.append(value)
        if e.function == "count":
            return Fraction(len(values))
        if e.function == "reported":
            return True if values else UNKNOWN if unknown else False
        if e.function == "any":
            return True if True in values else UNKNOWN if unknown else False
        if e.function == "all":
            return False if False in values else UNKNOWN if unknown else True
        if e.function == "sum":
            if not values:
                return UNKNOWN if unknown else Fraction(0)
            return total(values)
        if not values:
            return UNKNOWN
        if e.function == "mean":
            return arithmetic("/", total(values), Fraction(len(values)))
        return sorted(values)[0] if e.function == "min" else sorted(values)[-1]

    def reference_chain(self, member_kind: str, kind: str) -> list[str]:
        """The chain of static references from the member kind to `kind` (the checker made sure
        there is exactly one when `via` is not written)."""
        def chains(at: str, visited: set[str]) -> list[list[str]]:
            found = []
            for name, fact in sorted(self.program.entities[at].facts.items()):
                target = fact.type.target
                if fact.period_kind is not None or target is None:
                    continue
                if target == kind:
                    found.append([name])
                elif target not in visited:
                    found += [[name, *rest] for rest in chains(target, visited | {target})]
            return found
        return chains(member_kind, {member_kind})[0]

    # ---- groups ------------------------------------------------------------------------
    def aggregate(self, e: ast.Call, policy, kind: str, entity: str, period: Period) -> object:
        group = self.program.entities[kind].group
        where, ascending, n = None, False, 1
        for keyword in e.keywords:
            if keyword.name == "where":
                where = keyword.value
            else:
                group = None if keyword.value.name == "all" else keyword.value.name
        flags = list(e.args[1:])
        if e.function in ("top", "bottom"):
            n = int(flags.pop(0).value)
        for flag in flags:
            ascending = flag.name == "ascending"
        own_static = self.data.static[kind].get(entity, {})
        if group is not None and group not in own_static:
            return UNKNOWN  # the entity's group is not known
        members = []
        for other in self.data.entities(kind):
            if not self.data.has_record(kind, other, period):
                continue
            if group is not None and self.data.static[kind][other].get(group, UNKNOWN) != own_static[group]:
                continue
            if where is not None and self.eval(where, policy, kind, other, period) is not True:
                continue
            members.append(other)

        def value_of(who: str) -> object:
            return self.eval(e.args[0], policy, kind, who, period)

        values = [value_of(m) for m in members]
        known = [v for v in values if v is not UNKNOWN]
        if e.function == "group_count":
            return Fraction(len([v for v in values if v is True]))
        if e.function in ("rank", "top", "bottom"):
            if where is not None and entity not in members:
                return UNKNOWN  # filtered out: no rank of its own
            own = value_of(entity)
            if own is UNKNOWN:
                return UNKNOWN
            better_first = not ascending if e.function != "bottom" else ascending
            # competition ranking: one more than the number of members strictly better
            if better_first:
                rank = 1 + len([v for v in known if v > own])
            else:
                rank = 1 + len([v for v in known if v < own])
            return Fraction(rank) if e.function == "rank" else rank <= n
        if not known:
            return UNKNOWN  # no member with a value: no sum, mean, minimum or maximum
        if e.function == "group_sum":
            return total(known)
        if e.function == "group_mean":
            return arithmetic("/", total(known), Fraction(len(known)))
        if e.function == "group_min":
            return sorted(known)[0]
        return sorted(known)[-1]


def total(values: list) -> object:
    """The sum of known values (of percents: a percent)."""
    result = values[0]
    for value in values[1:]:
        result = arithmetic("+", result, value)
    return result


def own_name(policy: str | None, name: str) -> str:
    """How the program names a policy's own parameter or table (`policy::name`)."""
    return f"{policy}::{name}" if policy else name
