"""Columnar stage, lowering of the calendar: dates, durations and the period's own dates.

In: lowered operands (Polars `Date` expressions, durations as month and day counts); out: Polars
expressions with the meaning of `engine/ops.py` (`add_duration`: dateutil's `relativedelta`):

- a date plus a duration moves by the months first, keeping the day of the month but never past
  the month's end (2016-02-29 + 1 year is 2017-02-28, 01-31 + 1 month is 02-28 or 02-29), then by
  the days; minus a duration is plus its negation, the same two steps;
- a date that would leave years 1..9999 (where `datetime.date` ends) is unknown, as `ops` makes it;
- `period_start`/`period_end` of the frame's period kind (a year, or a quarter ending on its last
  month's last day), `evaluation_date` the period's end or the date evaluated as of.

The grid's period column `@t` is the year for yearly frames and `year * 4 + quarter - 1` for
quarterly ones (`columns.period_index`).
"""

from __future__ import annotations

import datetime as dt

import attrs
import polars as pl

from policydsl.values import Duration

FIRST_YEAR, LAST_YEAR = 1, 9999  # datetime.date's range: beyond it ops.add_duration is unknown


@attrs.frozen
class Span:
    """A duration as two Int64 expressions (a duration is never data: constants and their sums)."""

    months: pl.Expr
    days: pl.Expr


def duration(value: Duration) -> Span:
    return Span(pl.lit(value.months, dtype=pl.Int64), pl.lit(value.days, dtype=pl.Int64))


def span_arith(op: str, left: Span, right: Span | None = None) -> Span:
    if op == "neg":
        return Span(-left.months, -left.days)
    if op == "+":
        return Span(left.months + right.months, left.days + right.days)
    return Span(left.months - right.months, left.days - right.days)


def _in_calendar(year: pl.Expr) -> pl.Expr:
    return (year >= FIRST_YEAR) & (year <= LAST_YEAR)


def add_months(date: pl.Expr, months: pl.Expr) -> pl.Expr:
    """The date `months` calendar months later (earlier if negative), clipped to the month's end."""
    index = date.dt.year().cast(pl.Int64) * 12 + date.dt.month().cast(pl.Int64) - 1 + months
    year = index // 12  # floor division: the year of a negative month index is below zero
    month = index - year * 12 + 1
    safe_year = pl.when(_in_calendar(year)).then(year).otherwise(2000)
    first = pl.date(safe_year, month, 1)
    last_day = first.dt.month_end().dt.day().cast(pl.Int64)
    day = pl.min_horizontal(date.dt.day().cast(pl.Int64), last_day)
    moved = first + pl.duration(days=day - 1)
    return pl.when(_in_calendar(year)).then(moved)


def add_duration(date: pl.Expr, span: Span, sign: int = 1) -> pl.Expr:
    """ops.add_duration: months first (clipped to the month's end), then days; unknown outside
    the calendar."""
    moved = add_months(date, span.months * sign)
    moved = moved + pl.duration(days=span.days * sign)
    return pl.when(_in_calendar(moved.dt.year().cast(pl.Int64))).then(moved)


def period_start(period_kind: str, period: pl.Expr) -> pl.Expr:
    if period_kind == "quarter":
        return pl.date(period // 4, (period % 4) * 3 + 1, 1)
    return pl.date(period, 1, 1)


def period_end(period_kind: str, period: pl.Expr) -> pl.Expr:
    if period_kind == "quarter":
        return pl.date(period // 4, (period % 4) * 3 + 3, 1).dt.month_end()
    return pl.date(period, 12, 31)


def evaluation_date(period_kind: str, period: pl.Expr, as_of: dt.date | None) -> pl.Expr:
    """The day a period is evaluated: its end (G5), or the date the evaluation is made as of."""
    return pl.lit(as_of, dtype=pl.Date) if as_of is not None else period_end(period_kind, period)
