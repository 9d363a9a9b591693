"""Columnar stage, compile time: which rules the columnar executor runs, and why the others not.

`columnar_support(plan)` walks every rule's condition and payloads (and the derived values
they read, transitively) and returns, per rule, either None (runs columnar) or the reason it
falls back to the row executor. `policydsl dump --stage plan` prints it. The decision is
structural, made once per compiled program; at run time the lowering may still refuse an
expression whose integers could overflow on this data set (see `operators.Inexact`), which the
result reports as a run-time fallback of that rule.

Strictness: an expression is *record-strict* when it is unknown at every period in which the
entity has no record (a periodic fact is; `previous(x)` and a group aggregate are not). The
columnar ranks rely on it (see `lowering`); `strict` is the one place that decides it.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

from policydsl.engine.plan import Plan
from policydsl.language import ir

# a percent is lowered as its ratio (the meaning ops gives it), a date as a Polars Date, a
# duration as months and days (`dates`)
COLUMNAR_TYPES = frozenset({"integer", "decimal", "money", "percent", "boolean", "text", "date", "duration"})


def _type_ok(t) -> bool:
    return t.is_enum or t.is_reference or t.name in COLUMNAR_TYPES


# the operations of one expression (a derived value it reads counts apart) that run columnar: a
# 1,000-term sum took 1.5 s and 260 MB there, 4,000 terms 17 s and 2.6 GB, against 0.8 s and 55 MB
# on the row executor (bench/README.md); the shipped policies' largest expression has 90
MAX_NODES = 256


def unsupported(expr: ir.Expr, kind: str, program: ir.Program, recursive: frozenset,
                seen: dict[tuple[str, str], str | None]) -> str | None:
    """The first construct of `expr` that has no columnar form, as a reason; None if all have.
    The inner expression of `ref.x` is read in the referenced kind, a member aggregate's operand
    and filter in the member kind."""
    pending, count = [(expr, kind)], 0
    while pending:
        node, in_kind = pending.pop()
        count += 1
        if count > MAX_NODES:
            return (f"an expression of more than {MAX_NODES} operations (its Polars plan would cost time and "
                    "memory growing with the square of its size)")
        reason = _node_reason(node, in_kind, program, recursive, seen)
        if reason:
            return reason
        match node:
            case ir.Via(ref=ref, kind=target, inner=inner):
                pending += [(inner, target), (ref, in_kind)]
            case ir.Members(kind=member_kind):
                pending += [(child, member_kind) for child in reversed(ir.children(node))]
            case _:
                pending += [(child, in_kind) for child in reversed(ir.children(node))]
    return None


def _node_reason(node: ir.Expr, kind: str, program: ir.Program, recursive: frozenset,
                 seen: dict[tuple[str, str], str | None]) -> str | None:
    if not isinstance(node, ir.Logic) and not _type_ok(node.type):
        return f"a {node.type} expression"
    match node:
        case ir.Fact(entity=fact_kind) if fact_kind != kind:
            return f"a fact of another kind ({fact_kind})"
        case ir.Derived(entity=value_kind, name=name):
            key = (value_kind, name)
            if key in recursive:
                return f"`{name}` reads its own earlier periods (a running total)"
            if key not in seen:
                seen[key] = None  # a guard against revisiting; values form no same-period cycle
                seen[key] = unsupported(program.values[key].expr, value_kind, program, recursive, seen)
            found = seen[key]
            return f"`{name}`: {found}" if found else None
        case ir.Aggregate(function=function, operand=operand, where=where) \
                if function in ("rank", "top", "bottom") and where is None:
            if not strict(operand, program):
                return f"`{function}` over a value that is known without a record"
    return None


def strict(expr: ir.Expr, program: ir.Program, depth: int = 0) -> bool:
    """Whether `expr` is unknown at every period in which the entity has no record."""
    if depth > 50:
        return False
    match expr:
        case ir.Fact(period_kind=period_kind):
            return period_kind is not None
        case ir.Derived(entity=kind, name=name):
            return strict(program.values[(kind, name)].expr, program, depth + 1)
        case ir.Arith(operands=operands):
            return any(strict(o, program, depth + 1) for o in operands)
        case ir.Compare(left=left, right=right):
            return strict(left, program, depth + 1) or strict(right, program, depth + 1)
        case ir.Logic(op="not", operands=operands):
            return strict(operands[0], program, depth + 1)
        case ir.Logic(operands=operands):
            return all(strict(o, program, depth + 1) for o in operands)
        case ir.Member(operand=operand):
            return strict(operand, program, depth + 1)
        case ir.Cond(condition=condition, then=then, otherwise=otherwise):
            return strict(condition, program, depth + 1) or (
                strict(then, program, depth + 1) and strict(otherwise, program, depth + 1))
        case ir.Scalar(function=function, operands=operands) if function not in ("is_missing", "value_or"):
            return any(strict(o, program, depth + 1) for o in operands)
        case ir.Lookup(key=key):
            return strict(key, program, depth + 1)
        case ir.History(function=function, operand=operand) if function in ("change", "streak", "first_time"):
            return strict(operand, program, depth + 1)
        case ir.Aggregate(function=function, operand=operand) if function in ("rank", "top", "bottom"):
            return strict(operand, program, depth + 1)
    return False


def lookback(expr: ir.Expr, program: ir.Program, depth: int = 0, known: dict | None = None) -> int:
    """How many periods before the current one `previous`/`change` may read, nested included
    (`known`: the lookback of derived values found so far, shared between calls)."""
    if depth > 50:
        return 0
    known = {} if known is None else known
    own = expr.periods if isinstance(expr, ir.History) and expr.function in ("previous", "change") else 0
    inner = [lookback(c, program, depth + 1, known) for c in ir.children(expr)]
    if isinstance(expr, ir.Derived):
        key = (expr.entity, expr.name)
        if key not in known:
            found = lookback(program.values[key].expr, program, depth + 1, known)
            if depth == 0 or found < 50 - depth:  # a depth cut short by the recursion bound is not kept
                known[key] = found
            inner.append(found)
        else:
            inner.append(known[key])
    return own + max(inner, default=0)


def reach(expr: ir.Expr, program: ir.Program, known: dict | None = None, depth: int = 0) -> int | None:
    """How many periods before the current one the value at a period reads at most, through every
    derived value and every other kind it reads (`previous`/`change` n, `count_periods` n - 1); None
    when that is not bounded: `streak` and `first_time` walk back to the first record. A period
    selected for evaluation then needs only the periods this far back (`execute`)."""
    known = {} if known is None else known
    if depth > 50:
        return None  # a chain this deep is not worth bounding
    if isinstance(expr, ir.History):
        if expr.function in ("streak", "first_time"):
            return None
        own = expr.periods if expr.function in ("previous", "change") else expr.periods - 1
    else:
        own = 0
    inner = list(ir.children(expr))
    found = [reach(c, program, known, depth + 1) for c in inner]
    if isinstance(expr, ir.Derived):
        key = (expr.entity, expr.name)
        if key not in known:
            known[key] = None  # a value reading its own past (a running total) is not bounded
            known[key] = reach(program.values[key].expr, program, known, depth + 1)
        found.append(known[key])
    if any(f is None for f in found):
        return None
    return own + max(found, default=0)


def rule_expressions(rule: ir.Rule) -> list[ir.Expr]:
    found = [rule.condition] if rule.condition is not None else []
    for consequence in rule.consequences:
        found += consequence.expressions
    return found


def columnar_support(plan: Plan) -> Mapping[str, str | None]:
    """Per rule name: None if it runs columnar, else why it falls back to the row executor."""
    seen: dict[tuple[str, str], str | None] = {}
    return {rule.name: _reason(plan, rule, seen) for rule in plan.program.rules}


def _reason(plan: Plan, rule: ir.Rule, seen: dict[tuple[str, str], str | None]) -> str | None:
    program = plan.program
    if any(program.outcomes[c.outcome].fields for c in rule.consequences):
        return "payload fields (the value is an object of named fields)"
    for expr in rule_expressions(rule):
        reason = unsupported(expr, rule.entity, program, plan.recursive, seen)
        if reason:
            return reason
    return None


class Analysis:
    """What a columnar run needs to know of a compiled program that no data changes, per rule:
    whether it runs columnar (`reason`), how far back it reads (`lookback`, `reach`); and the same
    per derived value (`value_reason`, `value_lookback`, `value_reach`: what the hand-over to the
    row executor asks, `handover`). Found when first asked and kept, so a program evaluated again
    (a `PolicySet` keeps one) pays once, and a run over one period asks only about the rules that
    apply there. Safe to share between threads (one lock: each answer is found once)."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self._lock = threading.Lock()
        self._reasons: dict[int, str | None] = {}
        self._conditions: dict[int, str | None] = {}
        self._lookbacks: dict[tuple[int, bool], int] = {}
        self._reaches: dict[tuple[int, bool], int | None] = {}
        self._values_seen: dict[tuple[str, str], str | None] = {}
        self._values_lookback: dict = {}
        self._values_reach: dict = {}
        self._value_lookbacks: dict[tuple[str, str], int] = {}
        self._value_reaches: dict[tuple[str, str], int | None] = {}

    def reason(self, index: int) -> str | None:
        """None if rule `index` runs columnar, else why it falls back to the row executor
        (`columnar_support`)."""
        with self._lock:
            if index not in self._reasons:
                self._reasons[index] = _reason(self.plan, self.plan.rules[index].rule, self._values_seen)
            return self._reasons[index]

    def condition_reason(self, index: int) -> str | None:
        """None if rule `index`'s condition has a columnar form (its payload may still not have):
        then the condition is decided columnar even when the rule falls back (`execute`)."""
        with self._lock:
            if index not in self._conditions:
                rule = self.plan.rules[index].rule
                self._conditions[index] = None if rule.condition is None else unsupported(
                    rule.condition, rule.entity, self.plan.program, self.plan.recursive, self._values_seen)
            return self._conditions[index]

    def lookback(self, index: int, condition_only: bool = False) -> int:
        """How many periods before the current one rule `index` may read (`lookback`); with
        `condition_only`, its condition (a rule whose payload the row executor computes)."""
        with self._lock:
            key = (index, condition_only)
            if key not in self._lookbacks:
                self._lookbacks[key] = max((lookback(e, self.plan.program, 0, self._values_lookback)
                                            for e in self._expressions(index, condition_only)), default=0)
            return self._lookbacks[key]

    def reach(self, index: int, condition_only: bool = False) -> int | None:
        """How far back rule `index` (or its condition alone) reads at most, None when unbounded
        (`reach`)."""
        with self._lock:
            key = (index, condition_only)
            if key not in self._reaches:
                found = [reach(e, self.plan.program, self._values_reach)
                         for e in self._expressions(index, condition_only)]
                self._reaches[key] = None if any(f is None for f in found) else max(found, default=0)
            return self._reaches[key]

    def value_reason(self, key: tuple[str, str]) -> str | None:
        """None if the derived value `key` (kind, name) has a columnar form, else why not (what
        `unsupported` finds in its expression)."""
        with self._lock:
            if key not in self._values_seen:
                self._values_seen[key] = None  # `unsupported`'s guard against revisiting
                program = self.plan.program
                self._values_seen[key] = unsupported(program.values[key].expr, key[0], program,
                                                     self.plan.recursive, self._values_seen)
            return self._values_seen[key]

    def value_lookback(self, key: tuple[str, str]) -> int:
        """How many periods before the current one the derived value `key` may read (`lookback`)."""
        with self._lock:
            if key not in self._value_lookbacks:
                program = self.plan.program
                self._value_lookbacks[key] = lookback(program.values[key].expr, program, 0,
                                                      self._values_lookback)
            return self._value_lookbacks[key]

    def value_reach(self, key: tuple[str, str]) -> int | None:
        """How far back the derived value `key` reads at most, None when unbounded (`reach`)."""
        with self._lock:
            if key not in self._value_reaches:
                self._value_reaches[key] = reach(self.plan.program.values[key].expr, self.plan.program,
                                                 self._values_reach)
            return self._value_reaches[key]

    def _expressions(self, index: int, condition_only: bool) -> list[ir.Expr]:
        rule = self.plan.rules[index].rule
        if condition_only:
            return [rule.condition] if rule.condition is not None else []
        return rule_expressions(rule)
