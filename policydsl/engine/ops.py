"""The meaning of each operator, shared by the type checker and every evaluator.

Units first: `arith_type` is the table of what each operator yields for each combination of
types (docs/units.md prints it), and `arith` gives the same operators their meaning on run-time
values. A percent is a ratio in arithmetic (`tax * 50%` is half the tax) and keeps its percent
form where its type is percent (`12.5% + 1%` is 13.5%); it is a `values.Percent` at run time.

Unknown in, unknown out (with the missing facts merged), except where logic decides without
the unknown operand: `false and unknown` is false, `true or unknown` is true (Kleene logic).
Numbers stay exact: division yields a Fraction.
"""

from __future__ import annotations

import bisect
import operator
from functools import partial
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction

from dateutil.relativedelta import relativedelta

from policydsl import types as T
from policydsl.values import Duration, Percent, Unknown, ValueList, normalise_number, unknown_of

# ---- units: what each operator yields ------------------------------------------------------

PLAIN = (T.INTEGER, T.DECIMAL)
_PERCENT_AND_PLAIN = ("is `5% + 1` 6% or 105%? write both sides as percents, e.g. `5% + 1%`, "
                      "or `100% + 5%` for 1 + 5%")


def arith_type(op: str, left: T.Type, right: T.Type) -> tuple[T.Type | None, str | None]:
    """The type of `left op right` (op one of + - * /), or None and a hint when it is an error.

    The table (docs/units.md):
      + -  same unit: that unit; integer with integer: integer; integer/decimal mixed: decimal;
           money with a plain number: money (the number is in 万元); percent with a plain number,
           money with percent: error; date ± duration, duration + date: date;
           duration ± duration: duration.
      *    plain × plain: integer if both integer, else decimal; money × plain: money;
           percent × percent: percent; percent × X: X scaled (integer × percent: decimal);
           money × money: error.
      /    plain / plain: decimal; money / plain: money; money / money: decimal (a ratio);
           percent / plain: percent; percent / percent: decimal; X / percent: X (integer: decimal);
           plain / money, percent / money: error.
    Anything with a date, duration or non-number beyond these is an error.
    """
    if T.is_error(left) or T.is_error(right):
        return T.ERROR, None
    if op in "+-":
        if left == T.DATE and right == T.DURATION:
            return T.DATE, None
        if op == "+" and left == T.DURATION and right == T.DATE:
            return T.DATE, None
        if left == right == T.DURATION:
            return T.DURATION, None
        if T.DATE in (left, right) or T.DURATION in (left, right):
            hint = "a date moves by a duration: `d + 1 year`, `d - 30 days`" if T.DATE in (left, right) else None
            return None, hint
        if not (left.is_numeric and right.is_numeric):
            return None, None
        if T.PERCENT in (left, right) and left != right:
            if T.MONEY in (left, right):
                return None, "a share of money is written `amount * 5%`"
            return None, _PERCENT_AND_PLAIN
        return _join_numbers(left, right), None
    if not (left.is_numeric and right.is_numeric):
        hint = "durations are written with their number: `2 years`, not `1 year * 2`" \
            if T.DURATION in (left, right) else None
        return None, hint
    if op == "*":
        if left == right == T.MONEY:
            return None, "money times money has no meaning; one side should be a number or a percent"
        if left == right == T.PERCENT:
            return T.PERCENT, None
        if T.PERCENT in (left, right):  # a percent scales the other operand
            other = right if left == T.PERCENT else left
            return (T.DECIMAL if other == T.INTEGER else other), None
        return _join_numbers(left, right), None
    # division
    if right == T.MONEY and left != T.MONEY:
        return None, "only money is divided by money (giving a ratio)"
    if left == right:
        return (T.DECIMAL if left in (T.INTEGER, T.MONEY, T.PERCENT) else left), None
    if right == T.PERCENT:  # dividing by a ratio
        return (T.DECIMAL if left == T.INTEGER else left), None
    if left in (T.MONEY, T.PERCENT):
        return left, None
    return T.DECIMAL, None


def _join_numbers(left: T.Type, right: T.Type) -> T.Type:
    if left.unit or right.unit:
        return left if left.unit else right
    return T.INTEGER if left == right == T.INTEGER else T.DECIMAL


def join_type(left: T.Type, right: T.Type) -> T.Type | None:
    """The one type of two values that may stand in the same place (`min`, `if` branches):
    the `+` table, where percent and a plain number do not mix."""
    return arith_type("+", left, right)[0] if left.is_numeric and right.is_numeric else None


# Money is computed in 万元; a literal may be written in 亿元 (1亿元 = 10000万元), as the documents
# state their targets, so that the figure in the policy is the figure of the quote.
MONEY_UNITS = {"万元": 1, "亿元": 10000}


def number_literal(value: int | Fraction, unit: str | None) -> object:
    """The run-time value of a number written in a policy: `12.5%` is the ratio 1/8, `825亿元`
    is 8250000 (万元)."""
    if unit == "%":
        return Percent.shown_as(value)
    return normalise_number(value * MONEY_UNITS[unit]) if unit in MONEY_UNITS else value


def _ratio(value: object) -> object:
    return value.ratio if isinstance(value, Percent) else value


def _percent_arith(op: str, left: object, right: object) -> object:
    both = isinstance(left, Percent) and isinstance(right, Percent)
    if op in "+-":
        if not both:
            raise TypeError(f"cannot {op} a percent and a plain number")  # the checker refuses it
        ratio = left.ratio + right.ratio if op == "+" else left.ratio - right.ratio
        return Percent(normalise_number(ratio))
    if op == "*":
        product = normalise_number(_ratio(left) * _ratio(right))
        return Percent(product) if both else product
    if _ratio(right) == 0:
        return Unknown()
    quotient = normalise_number(Fraction(_ratio(left)) / Fraction(_ratio(right)))
    return Percent(quotient) if isinstance(left, Percent) and not both else quotient



def add_duration(date: dt.date, duration: Duration, sign: int = 1) -> dt.date | Unknown:
    """A calendar date moved by a duration; 2016-02-29 + 1 year is 2017-02-28."""
    try:
        return date + relativedelta(months=sign * duration.months, days=sign * duration.days)
    except (OverflowError, ValueError):  # beyond year 1..9999: no such date
        return Unknown()


def arith(op: str, operands: Sequence[object]) -> object:
    if any(isinstance(v, Unknown) for v in operands):
        return unknown_of(*operands)
    if op == "neg":
        return -operands[0]
    left, right = operands
    if isinstance(left, Percent) or isinstance(right, Percent):
        return _percent_arith(op, left, right)
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


def comparator(op: str) -> Callable[[object, object], object]:
    """The comparison `op` (= != < <= > >=) as a function of its two operands, chosen once when
    an expression is compiled: `compare(op, l, r)` is `comparator(op)(l, r)`."""
    test = _TESTS[op]

    def comparison(left: object, right: object) -> object:
        kind = left.__class__
        if kind is right.__class__ and kind is not Unknown and kind is not Percent:
            return test(left, right)  # the common case: two known values of one plain type
        if isinstance(left, Unknown) or isinstance(right, Unknown):
            return unknown_of(left, right)
        if isinstance(left, Percent) != isinstance(right, Percent):  # a computed ratio with a percent
            left, right = _ratio(left), _ratio(right)
        return test(left, right)
    return comparison


def known_test(op: str, left_type: T.Type, right_type: T.Type, constant: object) -> Callable[[object], bool] | None:
    """`comparator(op)(value, constant)` for a *known* value, as one call (the constant bound
    first, the operator mirrored: `v >= 3` is `3 <= v`); None when a percent may meet a plain
    ratio (then ratios are compared) or the constant is unknown."""
    if T.PERCENT in (left_type, right_type) or isinstance(constant, Unknown):
        return None
    return partial(_TESTS[_MIRRORED[op]], constant)


def member_test(options: Sequence[object], negated: bool) -> Callable[[object], bool] | None:
    """`member(value, options, negated)` for a *known* value and constant options, as one
    call; None when an option is unknown."""
    if any(isinstance(o, Unknown) for o in options):
        return None
    try:
        choices = frozenset(options)
    except TypeError:
        return None
    return choices.__contains__ if not negated else (lambda value: value not in choices)


_TESTS = {"=": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt,
          ">=": operator.ge}
_COMPARATORS = {op: comparator(op) for op in _TESTS}
_MIRRORED = {"=": "=", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


def compare(op: str, left: object, right: object) -> object:
    return _COMPARATORS[op](left, right)


def _kleene(values: Sequence[object], decisive: bool) -> object:
    """`and` (decisive False) or `or` (decisive True): one decisive operand decides; else an
    unknown operand makes it unknown; else it is the other truth value."""
    unknown = False
    for value in values:
        if value is decisive:
            return decisive
        if value is not (not decisive) and isinstance(value, Unknown):
            unknown = True
    return unknown_of(*values) if unknown else not decisive


def logic_and(values: Sequence[object]) -> object:
    return _kleene(values, False)


def logic_or(values: Sequence[object]) -> object:
    return _kleene(values, True)


def lookup(rows: Mapping[object, object], key: object) -> object:
    """A table row by its key; an unknown key, or one the table lacks, has no value."""
    if isinstance(key, Unknown):
        return key
    return rows.get(key, Unknown())


def logic_not(value: object) -> object:
    return value if isinstance(value, Unknown) else not value


def list_value(items: Sequence[object], element: T.Type) -> object:
    """A list literal's value: its items in order, or unknown when one is (G8: a payload that
    needs missing data keeps its rule from firing, as an amount does)."""
    if any(isinstance(item, Unknown) for item in items):
        return unknown_of(*items)
    return ValueList(items=tuple(items), unit=" 万元" if element.unit == "万元" else "")


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
    if function == "as_percent":  # a computed ratio declared as a percent: 1/4 is 25%
        return Percent(operands[0])
    places = operands[1] if len(operands) > 1 else 0
    if isinstance(operands[0], Percent):  # rounds the percent as shown: round(12.345%, 1) is 12.3%
        return Percent.shown_as(round_half_away_from_zero(Fraction(operands[0].shown), places))
    return round_half_away_from_zero(Fraction(operands[0]), places)


def round_half_away_from_zero(value: Fraction, places: int) -> object:
    """四舍五入, as the documents mean it: 2.5 rounds to 3 and -2.5 to -3 (Python's `round`
    would give 2, rounding halves to even)."""
    scale = Fraction(10) ** places
    whole, rest = divmod(abs(value) * scale, 1)
    if rest >= Fraction(1, 2):
        whole += 1
    return normalise_number(Fraction(int(whole) if value >= 0 else -int(whole)) / scale)


def total(values: Sequence[object]) -> object:
    """The sum of known values of one type (percents as the percent of their summed ratios)."""
    if values and isinstance(values[0], Percent):
        return Percent(normalise_number(sum(v.ratio for v in values)))
    return normalise_number(sum(values))


def mean(values: Sequence[object]) -> object:
    """The mean of known values (at least one), exact: a group's, or of a set of members'."""
    return arith("/", [total(values), len(values)])


def competition_rank(own: object, others: Sequence[object], descending: bool) -> int:
    """1 + the number of members strictly better: equal values share the better rank (1, 1, 3)."""
    if descending:
        return 1 + sum(1 for v in others if v > own)
    return 1 + sum(1 for v in others if v < own)


def sorted_known(members: Sequence[object]) -> list:
    """The known values of a group, ascending: computed once per group and period, they rank any
    member by bisection (`ranked`)."""
    return sorted(v for v in members if not isinstance(v, Unknown))


def ranked(own: object, ascending_known: Sequence[object], descending: bool) -> int:
    """`competition_rank(own, known, descending)` over pre-sorted known values, in O(log n)."""
    if descending:
        return 1 + len(ascending_known) - bisect.bisect_right(ascending_known, own)
    return 1 + bisect.bisect_left(ascending_known, own)


def rank_aggregate(function: str, own: object, ascending_known: Sequence[object], descending: bool, n: int,
                   own_included: bool = True) -> object:
    """rank, top or bottom as `aggregate` gives them, over pre-sorted known values."""
    if not own_included:
        return Unknown()
    if isinstance(own, Unknown):
        return own
    if function == "bottom":
        return ranked(own, ascending_known, not descending) <= n
    rank = ranked(own, ascending_known, descending)
    return rank if function == "rank" else rank <= n


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
        return total(known)
    if function == "group_mean":
        return mean(known)
    if function == "group_min":
        return min(known)
    return max(known)
