"""Columnar stage, lowering: checked IR expressions in, Polars expressions over one frame out.

A frame is the long table of one entity kind and one period kind on a dense grid: one row per
(entity, period) for every entity of the kind and every period from the first (less the
deepest `previous`) to the last of the data set, sorted by entity then period, with `@rec`
saying whether the entity has a record in that period (see `columns`). Every row is computed,
as the row executor would compute the value at that period; rules then keep the rows with a
record.

Meanings follow `engine/ops.py` exactly:
- unknown is null; `and`/`or`/`not` are Polars' Kleene operators, which are G8's;
- numbers are exact rationals: a numerator column (Int64) over a denominator that is either a
  Python int shared by every row (`Num.den` an int: a scaled integer) or a positive Int64 column
  (after a division by a column, or a `group_mean`). Comparisons cross-multiply, so a fall of
  exactly 20.0 from 0.4/0.6 weights or a growth rate equal to the city mean decide as with
  Fractions. Each `Num` carries a bound on its magnitude computed from the data's extremes;
  when an intermediate could exceed 2**62 the lowering raises `Inexact` and the rule runs on
  the row executor instead (never a wrapped integer);
- history walks one entity's rows by position: the grid is dense, so `previous(x, n)` is a shift
  by n that is null where it would cross into the previous entity; `streak` counts rows with a
  record where the operand holds back to the last row where it does not (G4);
- aggregates are window expressions over (group, period), computed once per group and period:
  members are the rows with a record (and, with `where:`, for which the filter holds); unknown
  operands are left out; ranks are Polars' `min` ranks, which are competition ranks (G9).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Callable, Mapping
from fractions import Fraction

import attrs
import polars as pl

from policydsl.engine.columnar import dates
from policydsl.engine.columnar.dates import Span
from policydsl.language import ir
from policydsl.values import Duration, Percent, Unknown

LIMIT = 2 ** 62  # headroom under Int64's 2**63: a product is checked before it is formed

ENTITY, PERIOD, RECORD = "@id", "@t", "@rec"
EVALUATED = "@eval"  # the rows rules are evaluated at: the periods the entity has a record in


class Unsupported(Exception):
    """An expression with no columnar form (support.py reports these at compile time)."""


class Inexact(Exception):
    """An expression whose exact integers could overflow on this data set."""


@attrs.frozen
class Num:
    num: pl.Expr
    den: int | pl.Expr  # an int: the same for every row; else a positive Int64 column
    bound: int  # |num| <= bound on every row
    den_bound: int = 1

    @property
    def static(self) -> bool:
        return isinstance(self.den, int)


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


SMALL = 1_000_000  # rows: below this a frame is computed by Polars' in-memory engine


def collect(frame: pl.LazyFrame, rows: int) -> pl.DataFrame:
    """Run a frame's query. Polars' default (streaming) engine pays a start-up per query that
    dominates on the small frames of a province (hundreds of rows, hundreds of expressions: three
    times the CPU, ten times the wall time); large frames keep the default, which bounds memory."""
    return frame.collect(engine="in-memory") if rows < SMALL else frame.collect()


@attrs.frozen
class ReadJoin:
    """A step that brings the values of another frame at the entity a reference names (`ref`):
    every read over the same reference to the same frame shares one join (`across.via`)."""

    right: pl.LazyFrame  # the other frame, as computed so far
    key: str  # this frame's column naming the other entity
    target: tuple[str, str]  # the other frame's (kind, period kind)
    columns: tuple[tuple[str, str], ...]  # (column there, name here)


@attrs.frozen
class GroupJoin:
    """A step that brings aggregates over the members of another kind (`across.members`): the
    members that take part, grouped by the entity their references lead to and the period; every
    aggregate over the same members shares one group-by."""

    members: pl.LazyFrame  # the member frame's rows that take part, with `@a`: the entity reached
    source: tuple[str, str, tuple]  # member kind, period kind, path
    aggregates: tuple[pl.Expr, ...]


def apply_steps(frame: pl.LazyFrame, steps: list) -> pl.LazyFrame:
    """The frame with the lowered columns added in order (columns, and joins from other frames)."""
    for step in steps:
        if isinstance(step, ReadJoin):
            right = step.right.select(pl.col(ENTITY).alias("@read:id"), pl.col(PERIOD).alias("@read:t"),
                                      *[pl.col(there).alias(here) for there, here in step.columns])
            frame = frame.join(right, left_on=[step.key, PERIOD], right_on=["@read:id", "@read:t"], how="left",
                               maintain_order="left")
        elif isinstance(step, GroupJoin):
            grouped = step.members.group_by("@a", PERIOD).agg(step.aggregates)
            frame = frame.join(grouped.rename({"@a": "@group:a", PERIOD: "@group:t"}), left_on=[ENTITY, PERIOD],
                               right_on=["@group:a", "@group:t"], how="left", maintain_order="left")
        else:
            frame = frame.with_columns(step)
    return frame


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
        return Num(lit(value, INT), 1, abs(value))
    if isinstance(value, Fraction):
        _checked(abs(value.numerator), value.denominator)
        return Num(lit(value.numerator, INT), value.denominator, abs(value.numerator))
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
    return value.num if factor == 1 else value.num * lit(factor, INT)


def as_pair(value: Num) -> tuple[pl.Expr, pl.Expr]:
    return value.num, (lit(value.den, INT) if value.static else value.den)


def common(values: list[Num]) -> list[Num]:
    """The values over one denominator: static if every one is, else each as its own pair."""
    if all(v.static for v in values):
        den = math.lcm(*(v.den for v in values))
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
        _checked(left.bound * right.den_bound, right.bound * left.den_bound, left.den_bound * right.den_bound)
        num = ln * rd + rn * ld if op == "+" else ln * rd - rn * ld
        return Num(num, ld * rd, left.bound * right.den_bound + right.bound * left.den_bound,
                   left.den_bound * right.den_bound)
    if op == "*":
        _checked(left.bound * right.bound, left.den_bound * right.den_bound)
        if left.static and right.static:
            return Num(left.num * right.num, left.den * right.den, left.bound * right.bound)
        (ln, ld), (rn, rd) = as_pair(left), as_pair(right)
        return Num(ln * rn, ld * rd, left.bound * right.bound, left.den_bound * right.den_bound)
    return _divide(left, right)


def _sum(*bounds: int) -> int:
    total = sum(bounds)
    _checked(total)
    return total


def _divide(left: Num, right: Num) -> Num:
    """left / right; a zero divisor is unknown (ops.arith)."""
    (ln, ld), (rn, rd) = as_pair(left), as_pair(right)
    _checked(left.bound * right.den_bound, left.den_bound * right.bound)
    num = ln * rd
    den = ld * rn
    # keep the denominator positive, so that comparisons may cross-multiply
    negative = den < 0
    # unknown when either side is (a static denominator leaves the numerator known alone) or /0
    undefined = num.is_null() | den.is_null() | (den == 0)
    num = pl.when(undefined).then(None).when(negative).then(-num).otherwise(num)
    den = pl.when(undefined).then(None).when(negative).then(-den).otherwise(den)
    return Num(num, den, left.bound * right.den_bound, left.den_bound * right.bound)


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
            _checked(left.bound * right.den_bound, right.bound * left.den_bound)
            lhs, rhs = ln * rd, rn * ld
    else:
        lhs, rhs = left.expr, right.expr
    if not lhs.meta.root_names() and rhs.meta.root_names():
        # a constant on the left, mirrored to the right: Polars 2.1 folds `constant < when(…)` over
        # an all-missing fact column to one row and fails (`1万元 < points[qscore]`; differential test)
        lhs, rhs, op = rhs, lhs, {"<": ">", "<=": ">=", ">": "<", ">=": "<="}.get(op, op)
    return {"=": lhs.eq(rhs), "!=": lhs.ne(rhs), "<": lhs < rhs, "<=": lhs <= rhs,
            ">": lhs > rhs, ">=": lhs >= rhs}[op]


def choose(condition: pl.Expr, then: Lowered, otherwise: Lowered) -> Lowered:
    """`if c then a else b`: unknown when c is (ops/plan: an unknown test is unknown)."""
    if isinstance(then, Num) and isinstance(otherwise, Num):
        if then.static and otherwise.static:
            a, b = common([then, otherwise])
            return Num(pl.when(condition.is_null()).then(None).when(condition).then(a.num).otherwise(b.num),
                       a.den, max(a.bound, b.bound))
        (an, ad), (bn, bd) = as_pair(then), as_pair(otherwise)
        pick = lambda x, y: pl.when(condition.is_null()).then(None).when(condition).then(x).otherwise(y)  # noqa: E731
        return Num(pick(an, bn), pick(ad, bd), max(then.bound, otherwise.bound),
                   max(then.den_bound, otherwise.den_bound))
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
        known = an.is_not_null() & ad.is_not_null()
        return Num(pl.when(known).then(an).otherwise(bn), pl.when(known).then(ad).otherwise(bd),
                   max(first.bound, fallback.bound), max(first.den_bound, fallback.den_bound))
    if isinstance(first, Plain) and isinstance(fallback, Plain):
        return Plain(pl.coalesce(first.expr, fallback.expr))
    raise Unsupported("value_or over values of different kinds")


def known(value: Lowered) -> pl.Expr:
    if isinstance(value, Num) and not value.static:
        return value.num.is_not_null() & value.den.is_not_null()
    if isinstance(value, Span):
        return value.months.is_not_null() & value.days.is_not_null()
    return (value.num if isinstance(value, Num) else value.expr).is_not_null()


def shift(value: Lowered, n: int, start: int) -> Lowered:
    """The value n periods earlier in the same entity: null before the grid's first period and
    where the entity has no record in that period (G4/G8, as `semantics.recorded`)."""
    inside = pl.col(PERIOD) - n >= start

    def back(e: pl.Expr) -> pl.Expr:
        # `when` also broadcasts: a literal is one value, and shifting it would lose it
        return pl.when(inside).then(pl.when(pl.col(EVALUATED)).then(e).shift(n))

    if isinstance(value, Num):
        return Num(back(value.num), value.den if value.static else back(value.den), value.bound, value.den_bound)
    if isinstance(value, Span):
        return Span(back(value.months), back(value.days))
    return Plain(back(value.expr))


def holds(condition: pl.Expr) -> pl.Expr:
    """Rows with a record where the condition is true (what streak and count walk over)."""
    return pl.col(RECORD) & condition.fill_null(False)


def streak(condition: pl.Expr, start: int, index_type=pl.Int64) -> pl.Expr:
    """Consecutive rows ending here with a record where the condition holds; unknown if it is now.
    `index_type`: the frame's row numbers (Int32 below 2**31 rows: half the memory of the walk)."""
    ok = holds(condition)
    index = pl.int_range(pl.len(), dtype=index_type)
    # the last row (at or before this one, in this entity) that breaks the run
    breaker = (pl.when(~ok).then(index).when(pl.col(PERIOD) == start).then(index - 1)
               .otherwise(None).forward_fill())
    return pl.when(condition.is_null()).then(None).otherwise((index - breaker).cast(pl.Int64))


def count_periods(condition: pl.Expr, n: int, start: int) -> pl.Expr:
    ok = holds(condition).cast(pl.Int64)
    terms = [pl.when(pl.col(PERIOD) - k >= start).then(ok.shift(k)).otherwise(0) for k in range(n)]
    return pl.sum_horizontal(terms)


def first_time(condition: pl.Expr, start: int, index_type=pl.Int64) -> pl.Expr:
    """It holds now and in no earlier row of the entity; running counts in `index_type` (a count of
    rows never exceeds the frame's rows)."""
    ok = holds(condition).cast(index_type)
    running = ok.cum_sum()
    before_entity = pl.when(pl.col(PERIOD) == start).then(running - ok).otherwise(None).forward_fill()
    earlier = running - ok - before_entity
    return (pl.when(condition.is_null()).then(None).when(~condition).then(False)
            .otherwise(earlier == 0))


def aggregate(function: str, operand: Lowered, group: str | None, where: pl.Expr | None,
              descending: bool, n: int, members_bound: int) -> Lowered:
    """An aggregate over the group's members in the same period, once per (group, period)."""
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
    count = per_group(present.cast(pl.Int64).sum())
    if function == "group_sum":
        _checked(operand.bound * members_bound)
        total = per_group(values.sum())
        return Num(pl.when(count > 0).then(total), operand.den, operand.bound * members_bound)
    if function == "group_mean":
        _checked(operand.bound * members_bound, operand.den * members_bound)
        total = per_group(values.sum())
        return Num(pl.when(count > 0).then(total), pl.when(count > 0).then(count * lit(operand.den, INT)),
                   operand.bound * members_bound, operand.den * members_bound)
    extreme = per_group(values.min() if function == "group_min" else values.max())
    return Num(extreme, operand.den, operand.bound)


def extreme_of(function: str, parts: list[Num]) -> Num:
    """min or max of values with per-row denominators: compared by cross-multiplying, pairwise."""
    known_all = pl.all_horizontal([known(p) for p in parts])
    best = parts[0]
    for part in parts[1:]:
        (bn, bd), (pn, pd) = as_pair(best), as_pair(part)
        _checked(best.bound * part.den_bound, part.bound * best.den_bound)
        keep = bn * pd <= pn * bd if function == "min" else bn * pd >= pn * bd
        best = Num(pl.when(keep).then(bn).otherwise(pn), pl.when(keep).then(bd).otherwise(pd),
                   max(best.bound, part.bound), max(best.den_bound, part.den_bound))
    return Num(pl.when(known_all).then(best.num), pl.when(known_all).then(as_pair(best)[1]), best.bound,
               best.den_bound)


def round_half_away(value: Num, places: int) -> Num:
    """ops.round_half_away_from_zero: |v| * 10**places + 1/2, floored, with v's sign; exact."""
    scale = 10 ** places
    num, den = as_pair(value)
    _checked(2 * value.bound * scale + value.den_bound, 2 * value.den_bound)
    whole = (num.abs() * lit(2 * scale, INT) + den) // (den * lit(2, INT))
    return Num(pl.when(num < 0).then(-whole).otherwise(whole), scale, value.bound * scale + 1)


def member_of(value: Lowered, options: list[Lowered], negated: bool) -> pl.Expr:
    """x in {a, b}: Kleene OR of the equalities (ops.member)."""
    found = None
    for option in options:
        equal = compare("=", value, option)
        found = equal if found is None else found | equal
    return ~found if negated else found



SHARED = (ir.History, ir.Aggregate, ir.Via, ir.Members)  # lowered once per frame, however often written


class FrameLowering:
    """Lowers the expressions of one frame (entity kind, period kind), derived values once each.

    `steps` are the columns to add, in dependency order (each derived value and each aggregate
    is materialised once); `lower` returns the lowered form of any expression of the kind.
    """

    def __init__(self, *, program: ir.Program, parameters: Mapping[str, object],
                 tables: Mapping[str, Mapping], kind: str, start: int, members_bound: int,
                 columns: Mapping[str, ColumnInfo], static_column: Callable[[str], str],
                 fact_column: Callable[[str], str], period_kind: str = "year", as_of: dt.date | None = None,
                 frames=None, rows: int | None = None):
        self.program, self.parameters, self.tables = program, parameters, tables
        # the frame's row numbers and running counts fit Int32 below 2**31 rows (unknown: Int64)
        self.index_type = pl.Int32 if rows is not None and rows < 2 ** 31 else pl.Int64
        self.period_kind, self.as_of = period_kind, as_of
        self.frames = frames  # across.Frames: the other kinds' frames, for `ref` and member aggregates
        self.kind, self.start, self.members_bound = kind, start, members_bound
        self.columns = columns
        self.static_column, self.fact_column = static_column, fact_column
        self.steps: list[pl.Expr] = []
        self.derived: dict[str, Lowered] = {}
        self.shared: dict[ir.Expr, Lowered] = {}  # history walks, aggregates, reads of other kinds

    def materialise(self, name: str, value: Lowered) -> Lowered:
        if isinstance(value, Span):
            self.steps += [value.months.alias(name + "/months"), value.days.alias(name + "/days")]
            return Span(pl.col(name + "/months"), pl.col(name + "/days"))
        if isinstance(value, Plain):
            self.steps.append(value.expr.alias(name))
            return Plain(pl.col(name))
        self.steps.append(value.num.alias(name))
        if value.static:
            return Num(pl.col(name), value.den, value.bound)
        self.steps.append(value.den.alias(name + "/den"))
        return Num(pl.col(name), pl.col(name + "/den"), value.bound, value.den_bound)

    def lower(self, expr: ir.Expr) -> Lowered:
        if isinstance(expr, SHARED):
            # the same walk, aggregate or read written in several rules (equal IR: spans aside) is
            # computed once: one window, one join, not one per place it is written
            try:
                found = self.shared.get(expr)
            except TypeError:  # a part that cannot be hashed: lowered each time
                return self._lower(expr)
            if found is None:
                found = self.shared[expr] = self._lower(expr)
            return found
        return self._lower(expr)

    def _lower(self, expr: ir.Expr) -> Lowered:
        match expr:
            case ir.Const(value=Unknown()):  # `E when C` where C fails: unknown, of E's type
                return null_of(expr.type)
            case ir.Const(value=value):
                return constant(value)
            case ir.Param(name=name):
                return constant(self.parameters[name])
            case ir.Fact(name=name, period_kind=period_kind):
                column = self.fact_column(name) if period_kind is not None else self.static_column(name)
                info = self.columns.get(column)
                if info is None:
                    raise Unsupported(f"no column for `{name}`")
                if info.numeric:
                    return Num(pl.col(column), info.den, info.bound)
                return Plain(pl.col(column))
            case ir.Derived(name=name):
                if name not in self.derived:
                    value = self.lower(self.program.values[(self.kind, name)].expr)
                    self.derived[name] = self.materialise(f"v:{name}", value)
                return self.derived[name]
            case ir.Builtin(name=name):
                return Plain(self.builtin(name))
            case ir.Arith(op=op, operands=operands, type=result) if result.name in ("date", "duration"):
                return self.calendar(op, [self.lower(o) for o in operands])
            case ir.Arith(op=op, operands=operands):
                parts = [self.number(o) for o in operands]
                return arith(op, *parts)
            case ir.Compare(op=op, left=left, right=right):
                return Plain(compare(op, self.lower(left), self.lower(right)))
            case ir.Logic(op="not", operands=(operand,)):
                return Plain(~self.boolean(operand))
            case ir.Logic(op=op, operands=operands):
                parts = [self.boolean(o) for o in operands]
                combined = parts[0]
                for part in parts[1:]:
                    combined = combined & part if op == "and" else combined | part
                return Plain(combined)
            case ir.Member(operand=operand, options=options, negated=negated):
                return Plain(member_of(self.lower(operand), [self.lower(o) for o in options], negated))
            case ir.Cond(condition=condition, then=then, otherwise=otherwise):
                return choose(self.boolean(condition), self.lower(then), self.lower(otherwise))
            case ir.Scalar(function="is_missing", operands=(operand,)):
                return Plain(~known(self.lower(operand)))
            case ir.Scalar(function="value_or", operands=(operand, fallback)):
                return coalesce(self.lower(operand), self.lower(fallback))
            case ir.Scalar(function="abs", operands=(operand,)):
                value = self.number(operand)
                return Num(value.num.abs(), value.den, value.bound, value.den_bound)
            case ir.Scalar(function="as_percent", operands=(operand,)):
                return self.number(operand)  # a ratio declared a percent: the same number
            case ir.Scalar(function="round", operands=operands):
                places = operands[1].value if len(operands) > 1 else 0
                # a percent rounds as shown: round(12.345%, 1) is 12.3%, the ratio to places + 2
                shown = 2 if operands[0].type.name == "percent" else 0
                return round_half_away(self.number(operands[0]), places + shown)
            case ir.Scalar(function=("min" | "max") as function, operands=operands) \
                    if operands[0].type.name == "date":
                parts = [self.plain(o) for o in operands]
                pick = pl.min_horizontal if function == "min" else pl.max_horizontal
                return Plain(pl.when(pl.all_horizontal([p.is_not_null() for p in parts])).then(pick(parts)))
            case ir.Scalar(function=("min" | "max") as function, operands=operands):
                parts = [self.number(o) for o in operands]
                if not all(p.static for p in parts):
                    return extreme_of(function, parts)
                parts = common(parts)
                known_all = pl.all_horizontal([p.num.is_not_null() for p in parts])
                pick = pl.min_horizontal if function == "min" else pl.max_horizontal
                return Num(pl.when(known_all).then(pick([p.num for p in parts])), parts[0].den,
                           max(p.bound for p in parts))
            case ir.Lookup(table=table, key=key):
                return self.lookup(self.tables[table], self.lower(key))
            case ir.History():
                return self.history(expr)
            case ir.Via() | ir.Members() if self.frames is not None:
                from policydsl.engine.columnar import across
                return across.via(self, expr) if isinstance(expr, ir.Via) else across.members(self, expr)
            case ir.Aggregate():
                return self.aggregate(expr)
        raise Unsupported(f"{type(expr).__name__} has no columnar form")

    def number(self, expr: ir.Expr) -> Num:
        value = self.lower(expr)
        if not isinstance(value, Num):
            raise Unsupported("a number expected")
        return value

    def plain(self, expr: ir.Expr) -> pl.Expr:
        value = self.lower(expr)
        if not isinstance(value, Plain):
            raise Unsupported("a date, text or condition expected")
        return value.expr

    def builtin(self, name: str) -> pl.Expr:
        period = pl.col(PERIOD)
        if name == "period_start":
            return dates.period_start(self.period_kind, period)
        if name == "period_end":
            return dates.period_end(self.period_kind, period)
        if name == "evaluation_date":
            return dates.evaluation_date(self.period_kind, period, self.as_of)
        raise Unsupported(f"`{name}`")

    def calendar(self, op: str, parts: list[Lowered]) -> Lowered:
        """Dates moved by durations, and durations added (the checker admits nothing else)."""
        if all(isinstance(p, Span) for p in parts):
            return dates.span_arith(op, *parts)
        if len(parts) == 2 and isinstance(parts[0], Plain) and isinstance(parts[1], Span):
            return Plain(dates.add_duration(parts[0].expr, parts[1], 1 if op == "+" else -1))
        if op == "+" and len(parts) == 2 and isinstance(parts[0], Span) and isinstance(parts[1], Plain):
            return Plain(dates.add_duration(parts[1].expr, parts[0]))
        raise Unsupported(f"`{op}` over dates and durations")

    def boolean(self, expr: ir.Expr) -> pl.Expr:
        value = self.lower(expr)
        if not isinstance(value, Plain):
            raise Unsupported("a condition expected")
        return value.expr

    def lookup(self, rows: Mapping[object, object], key: Lowered) -> Lowered:
        if not rows:
            return Plain(lit(None))
        values = [constant(v) for v in rows.values()]
        if all(isinstance(v, Num) for v in values):
            values = common(values)
        elif not all(isinstance(v, Plain) for v in values):
            raise Unsupported("a table of mixed values")
        chain = None
        for row_key, value in zip(rows, values):
            test = compare("=", key, constant(row_key))
            target = value.num if isinstance(value, Num) else value.expr
            chain = pl.when(test).then(target) if chain is None else chain.when(test).then(target)
        if isinstance(values[0], Num):
            return Num(chain.otherwise(None), values[0].den, max(v.bound for v in values))
        return Plain(chain.otherwise(None))

    def history(self, expr: ir.History) -> Lowered:
        n, start = expr.periods, self.start
        if expr.function == "previous":
            return shift(self.lower(expr.operand), n, start)
        if expr.function == "change":
            now = self.number(expr.operand)
            return arith("-", now, shift(now, n, start))
        condition = self.boolean(expr.operand)
        if expr.function == "streak":
            return self.materialise(f"h:{id(expr)}", Num(streak(condition, start, self.index_type), 1, LIMIT // 4))
        if expr.function == "count_periods":
            return Num(count_periods(condition, n, start), 1, n)
        return self.materialise(f"h:{id(expr)}", Plain(first_time(condition, start, self.index_type)))

    def aggregate(self, expr: ir.Aggregate) -> Lowered:
        group = self.static_column(expr.group) if expr.group is not None else None
        if group is not None and group not in self.columns:
            raise Unsupported(f"no column for the group `{expr.group}`")
        # operands become columns first: a window evaluates its input per (group, period), where a
        # history walk inside it would shift across entities
        where = None
        if expr.where is not None:
            where = self.materialise(f"w:{id(expr)}", Plain(self.boolean(expr.where))).expr
        operand = self.materialise(f"o:{id(expr)}", self.lower(expr.operand))
        value = aggregate(expr.function, operand, group, where, expr.descending, expr.n, self.members_bound)
        return self.materialise(f"a:{id(expr)}", value)
