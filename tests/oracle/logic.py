"""The oracle's own operators: Kleene three-valued logic written as truth tables, exact
arithmetic, comparisons, and membership. `UNKNOWN` is the oracle's unknown value (it does not
track which facts were missing: the differential test compares values, not reasons)."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from typing import NamedTuple

from oracle.calendar import Span, add_span


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()
T, F, U = True, False, UNKNOWN

AND = {(T, T): T, (T, F): F, (T, U): U,
       (F, T): F, (F, F): F, (F, U): F,
       (U, T): U, (U, F): F, (U, U): U}
OR = {(T, T): T, (T, F): T, (T, U): T,
      (F, T): T, (F, F): F, (F, U): U,
      (U, T): T, (U, F): U, (U, U): U}
NOT = {T: F, F: T, U: U}


def truth(value: object) -> object:
    """A boolean value as a key of the truth tables (True, False or UNKNOWN)."""
    return UNKNOWN if value is UNKNOWN else bool(value)


def all_of(values: list) -> object:
    result = T
    for value in values:
        result = AND[(result, truth(value))]
    return result


def any_of(values: list) -> object:
    result = F
    for value in values:
        result = OR[(result, truth(value))]
    return result


def negation(value: object) -> object:
    return NOT[truth(value)]


def is_unknown(value: object) -> bool:
    return value is UNKNOWN


class Pct(NamedTuple):
    """A percentage by the ratio it stands for: 12.5% is Pct(1/8)."""

    ratio: Fraction

    @staticmethod
    def written(number) -> Pct:
        return Pct(Fraction(number) / 100)


def number(value) -> Fraction:
    return value.ratio if isinstance(value, Pct) else Fraction(value)


def percent_arithmetic(op: str, left: object, right: object) -> object:
    """A percent is a ratio in arithmetic; the result is a percent when the units say so:
    percent ± percent, percent × percent, percent / number. Otherwise a plain number."""
    both = isinstance(left, Pct) and isinstance(right, Pct)
    a, b = number(left), number(right)
    if op == "+":
        return Pct(a + b)
    if op == "-":
        return Pct(a - b)
    if op == "*":
        return Pct(a * b) if both else a * b
    if b == 0:
        return UNKNOWN
    return Pct(a / b) if isinstance(left, Pct) and not both else a / b


def negative(value: object) -> object:
    if value is UNKNOWN:
        return UNKNOWN
    return Pct(-value.ratio) if isinstance(value, Pct) else -Fraction(value)


def arithmetic(op: str, left: object, right: object) -> object:
    if left is UNKNOWN or right is UNKNOWN:
        return UNKNOWN
    if isinstance(left, Pct) or isinstance(right, Pct):
        return percent_arithmetic(op, left, right)
    if isinstance(left, dt.date) and isinstance(right, Span):
        return add_span(left, right, 1 if op == "+" else -1)
    if isinstance(left, Span) and isinstance(right, dt.date):
        return add_span(right, left)
    if isinstance(left, Span) and isinstance(right, Span):
        sign = 1 if op == "+" else -1
        return Span(left.months + sign * right.months, left.days + sign * right.days)
    a, b = number(left), number(right)
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if b == 0:
        return UNKNOWN  # nothing divided by zero has a value
    return a / b


def comparison(op: str, left: object, right: object) -> object:
    if left is UNKNOWN or right is UNKNOWN:
        return UNKNOWN
    if isinstance(left, Span):
        left, right = (left.months, left.days), (right.months, right.days)
    if isinstance(left, Pct) or isinstance(right, Pct):
        left, right = number(left), number(right)
    return {"=": left == right, "!=": left != right, "<": left < right, "<=": left <= right,
            ">": left > right, ">=": left >= right}[op]


def one_of(value: object, options: list, negated: bool) -> object:
    """`x in {a, b}` is `x = a or x = b`; `x not in {…}` is its negation."""
    found = any_of([comparison("=", value, option) for option in options])
    return negation(found) if negated else found


def round_half_away(value: Fraction, places: int) -> Fraction:
    """四舍五入: to `places` decimal places, halves away from zero."""
    scale = Fraction(10) ** places
    scaled = abs(value) * scale
    whole = int(scaled)
    if scaled - whole >= Fraction(1, 2):
        whole += 1
    return (whole if value >= 0 else -whole) / scale
