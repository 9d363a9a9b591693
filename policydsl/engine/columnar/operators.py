"""Columnar stage, the operators of lowered values: the value types (`Num`, `Plain`) and what
every operator, history walk and group aggregate of the language is over them, as Polars
expressions over one frame (`lowering` walks the IR and calls these; see its docstring for the
frame).

Meanings follow `engine/ops.py` exactly:
- unknown is null; `and`/`or`/`not` are Polars' Kleene operators, which are G8's;
- numbers are exact rationals: a numerator column (Int64) over a denominator that is either a
  Python int shared by every row (`Num.den` an int: a scaled integer) or a positive Int64 column
  (after a division by a column, or a `group_mean`). Comparisons cross-multiply, so a fall of
  exactly 20.0 from 0.4/0.6 weights or a growth rate equal to the city mean decide as with
  Fractions. Each `Num` carries a bound on its magnitude computed from the data's extremes;
  when an intermediate could exceed 2**62 the lowering raises `Inexact` and the rule runs on
  the row executor instead (never a wrapped integer);
- history walks one entity's periods by position: the grid is dense and laid out period after
  period, so `previous(x, n)` is a shift by n periods' rows (null before the grid's first period);
  `streak` counts periods with a record where the operand holds back to the last one where it
  does not (G4), and `first_time` looks back over every earlier period, both in log2(periods)
  doubling steps;
- aggregates are window expressions over (group, period), computed once per group and period:
  members are the rows with a record (and, with `where:`, for which the filter holds); unknown
  operands are left out; ranks are Polars' `min` ranks, which are competition ranks (G9).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
import functools
import math
from fractions import Fraction

import attrs
import polars as pl

from policydsl.engine.columnar import dates
from policydsl.engine.columnar.dates import Span
from policydsl.values import Duration, Percent

LIMIT = 2 ** 62  # headroom under Int64's 2**63: a product is checked before it is formed

ENTITY, PERIOD, RECORD = "@id", "@t", "@rec"
EVALUATED = "@eval"  # the rows rules are evaluated at: the periods the entity has a record in


class Unsupported(Exception):
    """An expression with no columnar form (support.py reports these at compile time)."""


class Inexact(Exception):
    """An expression whose exact integers could overflow on this data set."""


@attrs.frozen
class Num:
    """An exact number: `num / den` on every row, |num| <= `bound` and 0 < den <= `den_max`, both
    at most LIMIT (a `Num` that could pass it is never made: `Inexact`)."""

    num: pl.Expr
    den: int | pl.Expr  # an int: the same for every row; else a positive Int64 column
    bound: int  # |num| <= bound on every row
    den_bound: int = 1  # a per-row denominator's bound (a static one is its own: `den_max`)
    # the number itself when it is a constant (`constant`): operators fold it instead of asking
    # Polars to multiply by 1 or test a literal for null on every row
    value: Fraction | None = None

    def __attrs_post_init__(self):
        _checked(self.bound, self.den_max)

    @property
    def static(self) -> bool:
        return isinstance(self.den, int)

    @property
    def den_max(self) -> int:
        """The largest denominator of any row: what every product with it is bounded by."""
        return self.den if isinstance(self.den, int) else self.den_bound


@attrs.frozen
class Plain:
    """A boolean, text, enumeration or reference column."""

    expr: pl.Expr


@attrs.frozen(kw_only=True)
class ColumnInfo:
    """What the data stage knows of a fact column: its scale and the extreme of its numerators."""

    den: int = 1
    bound: int = 0
    numeric: bool = False


Lowered = Num | Plain | Span


@functools.lru_cache(maxsize=4096)
def lit(value: object, dtype=None) -> pl.Expr:
    """A literal expression, made once per value: building one costs more than using it, and a
    program repeats the same few constants (expressions are immutable, so sharing is safe)."""
    return pl.lit(value, dtype=dtype)


INT = pl.Int64


def _checked(*bounds: int) -> None:
    for bound in bounds:
        if bound > LIMIT:
            raise Inexact("an intermediate value could exceed 64-bit integers on this data")


def constant(value: object) -> Lowered:
    if isinstance(value, bool) or isinstance(value, str):
        return Plain(lit(value))
    if isinstance(value, dt.date):
        return Plain(lit(value, pl.Date))
    if isinstance(value, Duration):
        return dates.duration(value)
    if isinstance(value, Percent):  # a percent is its ratio in every operator (ops, docs/units.md)
        value = value.ratio
    if isinstance(value, int):
        _checked(abs(value))
        return Num(lit(value, INT), 1, abs(value), value=Fraction(value))
    if isinstance(value, Fraction):
        _checked(abs(value.numerator), value.denominator)
        return Num(lit(value.numerator, INT), value.denominator, abs(value.numerator), value=value)
    raise Unsupported(f"a constant {value!r}")


def null_of(t) -> Lowered:
    """An unknown of type t (null in the column that type lowers to)."""
    if t.is_numeric:
        return Num(lit(None, INT), 1, 0)
    if t.name in ("date", "boolean", "text"):
        return Plain(lit(None, {"date": pl.Date, "boolean": pl.Boolean, "text": pl.Utf8}[t.name]))
    raise Unsupported(f"an unknown {t}")


def rescale(value: Num, den: int) -> pl.Expr:
    """The numerator over a common static denominator `den` (a multiple of value.den)."""
    factor = den // value.den
    _checked(value.bound * factor)
    if value.value is not None:  # a constant: its numerator over `den`, one literal
        return lit(value.value.numerator * factor, INT)
    return value.num if factor == 1 else value.num * lit(factor, INT)


Factor = int | pl.Expr  # a static denominator stays a Python int until an expression needs it


def times(left: Factor, right: Factor) -> Factor:
    """left * right, folded where a factor is an int: a factor 1 is left out (every product is
    an expression Polars plans and runs on every row)."""
    if isinstance(left, int) and isinstance(right, int):
        return left * right
    if isinstance(left, int):
        left, right = right, left
    if isinstance(right, int):
        return left if right == 1 else left * lit(right, INT)
    return left * right


def expr_of(value: Factor) -> pl.Expr:
    return lit(value, INT) if isinstance(value, int) else value


def as_pair(value: Num) -> tuple[pl.Expr, Factor]:
    """Numerator and denominator; a static denominator as its int (`times` folds it)."""
    return value.num, value.den


def common(values: list[Num]) -> list[Num]:
    """The values over one denominator: static if every one is, else each as its own pair."""
    if all(v.static for v in values):
        den = math.lcm(*(v.den for v in values))
        _checked(den)
        return [Num(rescale(v, den), den, v.bound * (den // v.den)) for v in values]
    raise Unsupported("values with different per-row denominators in one column")


def arith(op: str, left: Num, right: Num | None = None) -> Num:
    if op == "neg":
        return Num(-left.num, left.den, left.bound, left.den_bound)
    if op in ("+", "-"):
        if left.static and right.static:
            a, b = common([left, right])
            return Num(a.num + b.num if op == "+" else a.num - b.num, a.den, _sum(a.bound, b.bound))
        (ln, ld), (rn, rd) = as_pair(left), as_pair(right)
        _checked(left.bound * right.den_max, right.bound * left.den_max, left.den_max * right.den_max)
        num = times(ln, rd) + times(rn, ld) if op == "+" else times(ln, rd) - times(rn, ld)
        return Num(num, times(ld, rd), _sum(left.bound * right.den_max, right.bound * left.den_max),
                   left.den_max * right.den_max)
    if op == "*":
        _checked(left.bound * right.bound, left.den_max * right.den_max)
        if left.static and right.static:
            return Num(left.num * right.num, left.den * right.den, left.bound * right.bound)
        (ln, ld), (rn, rd) = as_pair(left), as_pair(right)
        return Num(ln * rn, times(ld, rd), left.bound * right.bound, left.den_max * right.den_max)
    return _divide(left, right)


def _sum(*bounds: int) -> int:
    total = sum(bounds)
    _checked(total)
    return total


def _divide(left: Num, right: Num) -> Num:
    """left / right; a zero divisor is unknown (ops.arith)."""
    if right.value is not None and right.value != 0 and left.static:
        # by a constant p/q: times q over den * |p|, the denominator stays one int
        p, q = right.value.numerator, right.value.denominator
        _checked(left.bound * q, left.den * abs(p))
        num = times(left.num, q if p > 0 else -q)
        return Num(num, left.den * abs(p), left.bound * q)
    (ln, ld), (rn, rd) = as_pair(left), as_pair(right)
    _checked(left.bound * right.den_max, left.den_max * right.bound)
    num = expr_of(times(ln, rd))
    den = expr_of(times(ld, rn))
    # keep the denominator positive, so that comparisons may cross-multiply
    negative = den < 0
    # unknown when either side is (a static denominator leaves the numerator known alone) or /0
    undefined = num.is_null() | den.is_null() | (den == 0)
    num = pl.when(undefined).then(None).when(negative).then(-num).otherwise(num)
    den = pl.when(undefined).then(None).when(negative).then(-den).otherwise(den)
    return Num(num, den, left.bound * right.den_max, left.den_max * right.bound)


def compare(op: str, left: Lowered, right: Lowered) -> pl.Expr:
    if isinstance(left, Span) or isinstance(right, Span):
        raise Unsupported("a comparison of durations")
    if isinstance(left, Num) != isinstance(right, Num):
        raise Unsupported("a comparison of a number with a non-number")
    if isinstance(left, Num):
        if left.static and right.static:
            a, b = common([left, right])
            lhs, rhs = a.num, b.num
        else:
            (ln, ld), (rn, rd) = as_pair(left), as_pair(right)
            _checked(left.bound * right.den_max, right.bound * left.den_max)
            lhs, rhs = times(ln, rd), times(rn, ld)
    else:
        lhs, rhs = left.expr, right.expr
    if not lhs.meta.root_names() and rhs.meta.root_names():
        # a constant on the left, mirrored to the right: Polars 2.1 folds `constant < when(…)` over
        # an all-missing fact column to one row and fails (`1万元 < points[qscore]`; differential test)
        lhs, rhs, op = rhs, lhs, {"<": ">", "<=": ">=", ">": "<", ">=": "<="}.get(op, op)
    return COMPARISONS[op](lhs, rhs)  # only the one asked for: each is an expression Polars builds


COMPARISONS = {"=": pl.Expr.eq, "!=": pl.Expr.ne, "<": pl.Expr.lt, "<=": pl.Expr.le, ">": pl.Expr.gt, ">=": pl.Expr.ge}


def choose(condition: pl.Expr, then: Lowered, otherwise: Lowered) -> Lowered:
    """`if c then a else b`: unknown when c is (ops/plan: an unknown test is unknown)."""
    if isinstance(then, Num) and isinstance(otherwise, Num):
        if then.static and otherwise.static:
            a, b = common([then, otherwise])
            return Num(pl.when(condition.is_null()).then(None).when(condition).then(a.num).otherwise(b.num),
                       a.den, max(a.bound, b.bound))
        (an, ad), (bn, bd) = as_pair(then), as_pair(otherwise)
        pick = lambda x, y: pl.when(condition.is_null()).then(None).when(condition).then(x).otherwise(y)  # noqa: E731
        return Num(pick(an, bn), pick(expr_of(ad), expr_of(bd)), max(then.bound, otherwise.bound),
                   max(then.den_max, otherwise.den_max))
    if isinstance(then, Plain) and isinstance(otherwise, Plain):
        return Plain(pl.when(condition.is_null()).then(None).when(condition).then(then.expr)
                     .otherwise(otherwise.expr))
    if isinstance(then, Span) and isinstance(otherwise, Span):
        pick = lambda x, y: pl.when(condition.is_null()).then(None).when(condition).then(x).otherwise(y)  # noqa: E731
        return Span(pick(then.months, otherwise.months), pick(then.days, otherwise.days))
    raise Unsupported("branches of different kinds")


def coalesce(first: Lowered, fallback: Lowered) -> Lowered:
    """value_or(x, d): d where x is unknown."""
    if isinstance(first, Num) and isinstance(fallback, Num):
        if first.static and fallback.static:
            a, b = common([first, fallback])
            return Num(pl.coalesce(a.num, b.num), a.den, max(a.bound, b.bound))
        (an, ad), (bn, bd) = as_pair(first), as_pair(fallback)
        present = known(first)
        return Num(pl.when(present).then(an).otherwise(bn), pl.when(present).then(expr_of(ad)).otherwise(expr_of(bd)),
                   max(first.bound, fallback.bound), max(first.den_max, fallback.den_max))
    if isinstance(first, Plain) and isinstance(fallback, Plain):
        return Plain(pl.coalesce(first.expr, fallback.expr))
    raise Unsupported("value_or over values of different kinds")


def known(value: Lowered) -> pl.Expr:
    if isinstance(value, Num) and value.value is not None:
        return lit(True)
    if isinstance(value, Num) and not value.static:
        return value.num.is_not_null() & value.den.is_not_null()
    if isinstance(value, Span):
        return value.months.is_not_null() & value.days.is_not_null()
    return (value.num if isinstance(value, Num) else value.expr).is_not_null()


def shift(value: Lowered, n: int, stride: int) -> Lowered:
    """The value n periods earlier in the same entity (n × `stride` rows back on the grid, period
    after period): null before the grid's first period and where the entity has no record in that
    period (G4/G8, as `semantics.recorded`)."""
    def back(e: pl.Expr) -> pl.Expr:
        # `when` also broadcasts: a literal is one value, and shifting it would lose it
        return pl.when(pl.col(EVALUATED)).then(e).shift(n * stride)

    if isinstance(value, Num):
        return Num(back(value.num), value.den if value.static else back(value.den), value.bound, value.den_bound)
    if isinstance(value, Span):
        return Span(back(value.months), back(value.days))
    return Plain(back(value.expr))


def holds(condition: pl.Expr) -> pl.Expr:
    """Rows with a record where the condition is true (what streak and count walk over)."""
    return pl.col(RECORD) & condition.fill_null(False)


def small_count(span: int):
    """The narrowest integer type that counts up to `span` periods."""
    return pl.Int8 if span < 2 ** 7 else pl.Int16 if span < 2 ** 15 else pl.Int32


def streak(condition: pl.Expr, stride: int, span: int,
           column: Callable[[str, pl.Expr], pl.Expr] = lambda name, e: e) -> pl.Expr:
    """Consecutive periods ending here with a record where the condition holds; unknown if it is
    now. By doubling: a run capped at w periods becomes one capped at 2w by adding, where it is
    w, the capped run w periods back (`stride` rows per period; before the grid's first period
    the shift brings 0), until w covers the grid's `span` periods: log2(span) steps, each `column`
    (a small integer per row, `small_count`; so is the result)."""
    dtype = small_count(span)
    run = column("1", holds(condition).cast(dtype))
    width = 1
    while width < span:
        back = run.shift(width * stride, fill_value=pl.lit(0, dtype))
        run = column(str(2 * width), run + pl.when(run == width).then(back).otherwise(pl.lit(0, dtype)))
        width *= 2
    return pl.when(condition.is_null()).then(None).otherwise(run)


def count_periods(condition: pl.Expr, n: int, stride: int) -> pl.Expr:
    """The periods of the last n where it held (an earlier unknown is not counted); unknown now,
    unknown (`semantics.count_periods`)."""
    ok = holds(condition).cast(pl.Int64)
    return pl.when(condition.is_null()).then(None).otherwise(
        pl.sum_horizontal([ok.shift(k * stride, fill_value=0) for k in range(n)]))


def first_time(condition: pl.Expr, stride: int, span: int,
               column: Callable[[str, pl.Expr], pl.Expr] = lambda name, e: e) -> pl.Expr:
    """It holds now and in no earlier period of the entity: whether it held in any of the last w
    periods doubles its window each step (`streak`), until the window covers the grid."""
    seen = column("1", holds(condition))
    width = 1
    while width < span:
        seen = column(str(2 * width), seen | seen.shift(width * stride, fill_value=False))
        width *= 2
    earlier = seen.shift(stride, fill_value=False)
    return pl.when(condition.is_null()).then(None).when(~condition).then(False).otherwise(~earlier)


def aggregate(function: str, operand: Lowered, group: str | None, where: pl.Expr | None,
              descending: bool, n: int, members_bound: int,
              column: Callable[[str, pl.Expr], pl.Expr] = lambda name, e: e) -> Lowered:
    """An aggregate over the group's members in the same period, once per (group, period).
    `column(name, window)`: the window as a column of the frame (a window read in several places of
    one expression is otherwise computed once per place by Polars' in-memory engine)."""
    keys = [PERIOD] if group is None else [group, PERIOD]
    member = pl.col(RECORD) if group is None else pl.col(RECORD) & pl.col(group).is_not_null()
    taking_part = member if where is None else member & where.fill_null(False)
    no_group = lit(False) if group is None else pl.col(group).is_null()

    def per_group(e: pl.Expr) -> pl.Expr:
        return pl.when(no_group).then(None).otherwise(e.over(keys))

    if function == "group_count":
        counted = (taking_part & operand.expr.fill_null(False)).cast(pl.Int64)
        return Num(per_group(counted.sum()), 1, members_bound)
    if isinstance(operand, Plain) and function in ("group_min", "group_max"):  # dates
        values = pl.when(taking_part).then(operand.expr)
        return Plain(per_group(values.min() if function == "group_min" else values.max()))
    if not isinstance(operand, Num) or not operand.static:
        raise Unsupported(f"`{function}` over per-row denominators")
    present = taking_part & operand.num.is_not_null()
    values = pl.when(present).then(operand.num)
    if function in ("rank", "top", "bottom"):
        order = descending if function != "bottom" else not descending
        ranked = values.rank("min", descending=order)
        rank = per_group(ranked)
        if function == "rank":
            return Num(rank.cast(pl.Int64), 1, members_bound)
        return Plain(rank <= n)
    count = column("count", per_group(present.cast(pl.Int64).sum()))
    if function == "group_sum":
        _checked(operand.bound * members_bound)
        total = column("total", per_group(values.sum()))
        return Num(pl.when(count > 0).then(total), operand.den, operand.bound * members_bound)
    if function == "group_mean":
        _checked(operand.bound * members_bound, operand.den * members_bound)
        total = column("total", per_group(values.sum()))
        return Num(pl.when(count > 0).then(total), pl.when(count > 0).then(expr_of(times(count, operand.den))),
                   operand.bound * members_bound, operand.den * members_bound)
    extreme = per_group(values.min() if function == "group_min" else values.max())
    return Num(extreme, operand.den, operand.bound)


def extreme_of(function: str, parts: list[Num]) -> Num:
    """min or max of values with per-row denominators: compared by cross-multiplying, pairwise.
    Rows where a part is unknown are null in the end, so inside the comparisons a constant
    numerator 0 times a denominator is 0 (denominators are positive where known)."""
    unknown_parts = [known(p) for p in parts if p.value is None]
    best = parts[0]
    for part in parts[1:]:
        (bn, bd), (pn, pd) = as_pair(best), as_pair(part)
        _checked(best.bound * part.den_max, part.bound * best.den_max)
        left = lit(0, INT) if best.value == 0 else expr_of(times(bn, pd))
        right = lit(0, INT) if part.value == 0 else expr_of(times(pn, bd))
        keep = left <= right if function == "min" else left >= right
        best = Num(pl.when(keep).then(bn).otherwise(pn), pl.when(keep).then(expr_of(bd)).otherwise(expr_of(pd)),
                   max(best.bound, part.bound), max(best.den_max, part.den_max))
    if not unknown_parts:
        return best
    known_all = unknown_parts[0] if len(unknown_parts) == 1 else pl.all_horizontal(unknown_parts)
    return Num(pl.when(known_all).then(best.num), pl.when(known_all).then(expr_of(best.den)), best.bound,
               best.den_max)


def round_half_away(value: Num, places: int) -> Num:
    """ops.round_half_away_from_zero: |v| * 10**places + 1/2, floored, with v's sign; exact."""
    scale = 10 ** places
    num, den = as_pair(value)
    _checked(2 * value.bound * scale + value.den_max, 2 * value.den_max)
    whole = (num.abs() * lit(2 * scale, INT) + expr_of(den)) // expr_of(times(den, 2))
    return Num(pl.when(num < 0).then(-whole).otherwise(whole), scale, value.bound * scale + 1)


def member_of(value: Lowered, options: list[Lowered], negated: bool) -> pl.Expr:
    """x in {a, b}: Kleene OR of the equalities (ops.member)."""
    found = None
    for option in options:
        equal = compare("=", value, option)
        found = equal if found is None else found | equal
    return ~found if negated else found
