"""The meaning of each operator on run-time values, shared by every evaluator.

Unknown in, unknown out (with the missing facts merged), except where logic decides without
the unknown operand: `false and unknown` is false, `true or unknown` is true (Kleene logic).
Numbers stay exact: division yields a Fraction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from fractions import Fraction

from dateutil.relativedelta import relativedelta

from policydsl.values import Duration, Unknown, normalise_number, unknown_of


def add_duration(date: dt.date, duration: Duration, sign: int = 1) -> dt.date:
    """A calendar date moved by a duration; 2016-02-29 + 1 year is 2017-02-28."""
    return date + relativedelta(months=sign * duration.months, days=sign * duration.days)


def arith(op: str, operands: Sequence[object]) -> object:
    if any(isinstance(v, Unknown) for v in operands):
        return unknown_of(*operands)
    if op == "neg":
        return -operands[0]
    left, right = operands
    if isinstance(left, dt.date) and isinstance(right, Duration):
        return add_duration(left, right, 1 if op == "+" else -1)
    if isinstance(left, Duration) and isinstance(right, dt.date):
        return add_duration(right, left)
    if isinstance(left, Duration) and isinstance(right, Duration):
        sign = 1 if op == "+" else -1
        return Duration(months=left.months + sign * right.months, days=left.days + sign * right.days)
    if op == "+":
        return normalise_number(left + right)
    if op == "-":
        return normalise_number(left - right)
    if op == "*":
        return normalise_number(left * right)
    if right == 0:
        return Unknown()  # division by zero has no value; the explanation shows the zero divisor
    return normalise_number(Fraction(left) / Fraction(right))


def compare(op: str, left: object, right: object) -> object:
    if isinstance(left, Unknown) or isinstance(right, Unknown):
        return unknown_of(left, right)
    if op == "=":
        return left == right
    if op == "!=":
        return left != right
    if op == "<":
        return left < right
    if op == "<=":
        return left <= right
    if op == ">":
        return left > right
    return left >= right


def logic_and(values: Sequence[object]) -> object:
    if any(v is False for v in values):
        return False
    if any(isinstance(v, Unknown) for v in values):
        return unknown_of(*values)
    return True


def logic_or(values: Sequence[object]) -> object:
    if any(v is True for v in values):
        return True
    if any(isinstance(v, Unknown) for v in values):
        return unknown_of(*values)
    return False


def logic_not(value: object) -> object:
    return value if isinstance(value, Unknown) else not value


def member(value: object, options: Sequence[object], negated: bool) -> object:
    if isinstance(value, Unknown):
        return value
    if value in [o for o in options if not isinstance(o, Unknown)]:
        return not negated
    if any(isinstance(o, Unknown) for o in options):
        return unknown_of(*options)
    return negated


def scalar(function: str, operands: Sequence[object]) -> object:
    if function == "is_missing":
        return isinstance(operands[0], Unknown)
    if function == "value_or":
        return operands[1] if isinstance(operands[0], Unknown) else operands[0]
    if any(isinstance(v, Unknown) for v in operands):
        return unknown_of(*operands)
    if function == "min":
        return min(operands)
    if function == "max":
        return max(operands)
    if function == "abs":
        return abs(operands[0])
    places = operands[1] if len(operands) > 1 else 0
    return round_half_away_from_zero(Fraction(operands[0]), places)


def round_half_away_from_zero(value: Fraction, places: int) -> object:
    """四舍五入, as the documents mean it: 2.5 rounds to 3 and -2.5 to -3 (Python's `round`
    would give 2, rounding halves to even)."""
    scale = Fraction(10) ** places
    whole, rest = divmod(abs(value) * scale, 1)
    if rest >= Fraction(1, 2):
        whole += 1
    return normalise_number(Fraction(int(whole) if value >= 0 else -int(whole)) / scale)


def competition_rank(own: object, others: Sequence[object], descending: bool) -> int:
    """1 + the number of members strictly better: equal values share the better rank (1, 1, 3)."""
    if descending:
        return 1 + sum(1 for v in others if v > own)
    return 1 + sum(1 for v in others if v < own)


def aggregate(function: str, own: object, members: Sequence[object], descending: bool, n: int,
              own_included: bool = True) -> object:
    """An aggregate over the known values of a group's members (own: this entity's value).

    An entity left out of the members by a `where:` filter has no rank of its own.
    """
    known = [v for v in members if not isinstance(v, Unknown)]
    if function in ("rank", "top", "bottom") and not own_included:
        return Unknown()
    if function == "group_count":
        return sum(1 for v in known if v is True)
    if function in ("rank", "top", "bottom"):
        if isinstance(own, Unknown):
            return own
        if function == "bottom":
            return competition_rank(own, known, not descending) <= n
        rank = competition_rank(own, known, descending)
        return rank if function == "rank" else rank <= n
    if not known:
        return unknown_of(*members)
    if function == "group_sum":
        return normalise_number(sum(known))
    if function == "group_mean":
        return normalise_number(Fraction(sum(known)) / len(known))
    if function == "group_min":
        return min(known)
    return max(known)
