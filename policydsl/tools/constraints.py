"""What a conjunction of tests says about each value it tests: the reasoning behind lint's
W101 (a condition that can never hold) and W102 (a ladder level shadowed by a stronger one).

Input: a typed `ir` condition and the values of the program's parameters. A condition is split
into its conjuncts (`and`); each conjunct that compares an expression with a constant (a literal
or a parameter) narrows what that expression may be: numbers to an interval (integers to whole
numbers), enumeration and text values to a set, booleans to one truth value. Any other conjunct
is kept whole, as an opaque fact that only an identical conjunct implies.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from fractions import Fraction

import attrs

from policydsl.language import ir

_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "!=": "!="}


@attrs.frozen
class Bound:
    value: Fraction
    inclusive: bool


@attrs.define
class Range:
    """What the conjuncts allow for one tested expression."""

    low: Bound | None = None
    high: Bound | None = None
    allowed: frozenset | None = None  # None: anything (of the type)
    excluded: frozenset = frozenset()
    integer: bool = False
    sources: list = attrs.field(factory=list)  # the conjuncts that narrowed it

    def narrow_low(self, bound: Bound) -> None:
        if self.low is None or bound.value > self.low.value or (
                bound.value == self.low.value and not bound.inclusive):
            self.low = bound

    def narrow_high(self, bound: Bound) -> None:
        if self.high is None or bound.value < self.high.value or (
                bound.value == self.high.value and not bound.inclusive):
            self.high = bound

    def _whole(self) -> tuple[Bound | None, Bound | None]:
        """Bounds moved onto whole numbers for an integer: `> 4` is `>= 5`."""
        low, high = self.low, self.high
        if self.integer:
            if low is not None:
                value = low.value
                low = Bound(Fraction(math.ceil(value) if low.inclusive else math.floor(value) + 1), True)
            if high is not None:
                value = high.value
                high = Bound(Fraction(math.floor(value) if high.inclusive else math.ceil(value) - 1), True)
        return low, high

    @property
    def empty(self) -> bool:
        if self.allowed is not None:
            remaining = {v for v in self.allowed - self.excluded if self._inside(v)}
            if not remaining:
                return True
        low, high = self._whole()
        if low is not None and high is not None:
            if low.value > high.value:
                return True
            if low.value == high.value:
                return not (low.inclusive and high.inclusive) or low.value in self.excluded
        return False

    def _inside(self, value: object) -> bool:
        number = _number(value)
        if number is None:
            return True
        low, high = self._whole()
        if low is not None and (number < low.value or (number == low.value and not low.inclusive)):
            return False
        return not (high is not None and (number > high.value or (number == high.value and not high.inclusive)))

    def within(self, other: Range) -> bool:
        """Whether every value this range allows, `other` allows too."""
        if other.allowed is not None:
            if self.allowed is None or not (self.allowed - self.excluded) <= other.allowed:
                return False
        for value in other.excluded:
            ruled_out = (value in self.excluded or (self.allowed is not None and value not in self.allowed)
                         or not self._inside(value))
            if not ruled_out:
                return False
        low, high = self._whole()
        other_low, other_high = other._whole()
        if other_low is not None and (low is None or low.value < other_low.value or (
                low.value == other_low.value and low.inclusive and not other_low.inclusive)):
            return False
        return not (other_high is not None and (high is None or high.value > other_high.value or (
            high.value == other_high.value and high.inclusive and not other_high.inclusive)))


def _number(value: object) -> Fraction | None:
    if isinstance(value, bool) or not isinstance(value, (int, Fraction)):
        return None
    return Fraction(value)


def conjuncts(expr: ir.Expr | None) -> list[ir.Expr]:
    if expr is None:
        return []
    if isinstance(expr, ir.Logic) and expr.op == "and":
        return [part for operand in expr.operands for part in conjuncts(operand)]
    return [expr]


def constant_of(expr: ir.Expr, parameters: Mapping[str, object]) -> tuple[bool, object]:
    """(True, value) for a literal or a parameter, else (False, None)."""
    match expr:
        case ir.Const(value=value):
            return True, value
        case ir.Param(name=name) if name in parameters:
            return True, parameters[name]
        case ir.Arith(op="neg", operands=(inner,)):
            known, value = constant_of(inner, parameters)
            number = _number(value) if known else None
            if number is not None:
                return True, -number
    return False, None


def _subject_type(expr: ir.Expr):
    return getattr(expr, "type", None)


@attrs.define
class Facts:
    """A conjunction, as ranges per tested expression plus the conjuncts kept whole."""

    ranges: dict = attrs.field(factory=dict)
    opaque: list = attrs.field(factory=list)

    def range_of(self, subject: ir.Expr) -> Range:
        if subject not in self.ranges:
            kind = _subject_type(subject)
            self.ranges[subject] = Range(integer=getattr(kind, "name", None) == "integer")
        return self.ranges[subject]

    def contradiction(self) -> Range | None:
        for found in self.ranges.values():
            if found.empty:
                return found
        return None

    def implies(self, other: Facts) -> bool:
        """Whether every case these facts allow is allowed by `other` (sound, not complete)."""
        for subject, wanted in other.ranges.items():
            have = self.ranges.get(subject)
            if have is None or not have.within(wanted):
                return False
        return all(any(part == mine for mine in self.opaque) for part in other.opaque)


def facts_of(condition: ir.Expr | None, parameters: Mapping[str, object]) -> Facts:
    facts = Facts()
    for part in conjuncts(condition):
        if not _narrow(facts, part, parameters):
            facts.opaque.append(part)
    return facts


def _narrow(facts: Facts, part: ir.Expr, parameters: Mapping[str, object]) -> bool:
    match part:
        case ir.Compare(op=op, left=left, right=right):
            known, value = constant_of(right, parameters)
            subject = left
            if not known:
                known, value = constant_of(left, parameters)
                subject, op = right, _FLIP[op]
                if not known or constant_of(right, parameters)[0]:
                    return False
            if value is None:
                return False
            found = facts.range_of(subject)
            number = _number(value)
            if op == "=":
                found.allowed = frozenset({value}) if found.allowed is None else found.allowed & {value}
            elif op == "!=":
                found.excluded = found.excluded | {value}
            elif number is None:
                return False
            elif op in (">", ">="):
                found.narrow_low(Bound(number, op == ">="))
            else:
                found.narrow_high(Bound(number, op == "<="))
            found.sources.append(part)
            return True
        case ir.Member(operand=operand, options=options, negated=negated):
            values = [constant_of(o, parameters) for o in options]
            if not all(known for known, _ in values) or constant_of(operand, parameters)[0]:
                return False
            members = frozenset(v for _, v in values)
            found = facts.range_of(operand)
            if negated:
                found.excluded = found.excluded | members
            else:
                found.allowed = members if found.allowed is None else found.allowed & members
            found.sources.append(part)
            return True
        case ir.Logic(op="not", operands=(inner,)) if getattr(_subject_type(inner), "name", None) == "boolean" \
                and not isinstance(inner, (ir.Logic, ir.Compare, ir.Member)):
            found = facts.range_of(inner)
            found.allowed = frozenset({False}) if found.allowed is None else found.allowed & {False}
            found.sources.append(part)
            return True
        case ir.Fact() | ir.Derived() if getattr(_subject_type(part), "name", None) == "boolean":
            found = facts.range_of(part)
            found.allowed = frozenset({True}) if found.allowed is None else found.allowed & {True}
            found.sources.append(part)
            return True
    return False
