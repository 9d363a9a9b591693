"""Table-driven tests of every operator's meaning (engine/ops.py, engine/semantics.py, values.py)
and of the oracle's own operators, from the same tables: Kleene logic over true, false and
unknown; membership; ranks, top and bottom at their boundaries with and without ties; empty and
all-unknown groups; division by zero; rounding; calendar arithmetic and period order; units.
Each row is the answer the documents' readers would give, not what the code happens to do."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest
from oracle.calendar import Period as OraclePeriod
from oracle.calendar import Span, add_span
from oracle.logic import UNKNOWN, Pct, all_of, any_of, arithmetic, comparison, negation, one_of

from policydsl.engine import ops
from policydsl.values import Duration, Percent, Period, Unknown, format_value, json_value

U = Unknown()
T, F = True, False


def engine_truth(value):
    return "U" if isinstance(value, Unknown) else value


def oracle_truth(value):
    return "U" if value is UNKNOWN else value


def oracle_value(value):
    return UNKNOWN if isinstance(value, Unknown) else value


# ---- Kleene logic ---------------------------------------------------------------------------

AND_TABLE = [(T, T, T), (T, F, F), (T, U, "U"), (F, T, F), (F, F, F), (F, U, F), (U, T, "U"), (U, F, F),
             (U, U, "U")]
OR_TABLE = [(T, T, T), (T, F, T), (T, U, T), (F, T, T), (F, F, F), (F, U, "U"), (U, T, T), (U, F, "U"),
            (U, U, "U")]
NOT_TABLE = [(T, F), (F, T), (U, "U")]


@pytest.mark.parametrize("left,right,expected", AND_TABLE)
def test_and_is_kleene_conjunction(left, right, expected):
    assert engine_truth(ops.logic_and([left, right])) == expected
    assert oracle_truth(all_of([oracle_value(left), oracle_value(right)])) == expected


@pytest.mark.parametrize("left,right,expected", OR_TABLE)
def test_or_is_kleene_disjunction(left, right, expected):
    assert engine_truth(ops.logic_or([left, right])) == expected
    assert oracle_truth(any_of([oracle_value(left), oracle_value(right)])) == expected


@pytest.mark.parametrize("operand,expected", NOT_TABLE)
def test_not_is_kleene_negation(operand, expected):
    assert engine_truth(ops.logic_not(operand)) == expected
    assert oracle_truth(negation(oracle_value(operand))) == expected


MEMBER_TABLE = [
    # value, options, negated, expected
    ("A", ["A", "B"], False, T),
    ("C", ["A", "B"], False, F),
    ("C", ["A", "B"], True, T),
    ("A", ["A", "B"], True, F),
    (U, ["A", "B"], False, "U"),
    (U, ["A", "B"], True, "U"),
    ("A", ["A", U], False, T),  # found among the known options: unknown ones cannot change that
    ("C", ["A", U], False, "U"),  # not among the known, but the unknown option might be it
    ("C", ["A", U], True, "U"),
    ("A", ["A", U], True, F),
]


@pytest.mark.parametrize("value,options,negated,expected", MEMBER_TABLE)
def test_membership_is_a_kleene_disjunction_of_equalities(value, options, negated, expected):
    assert engine_truth(ops.member(value, options, negated)) == expected
    assert oracle_truth(one_of(oracle_value(value), [oracle_value(o) for o in options], negated)) == expected


# ---- arithmetic ------------------------------------------------------------------------------

ARITH_TABLE = [
    ("/", 3, 0, "U"),  # nothing divided by zero has a value: unknown, never 0
    ("/", 0, 0, "U"),
    ("/", 3, 2, Fraction(3, 2)),
    ("/", 6, 2, 3),
    ("*", Fraction(1, 2), 4, 2),
    ("-", 2, 5, -3),
    ("+", Fraction(1, 3), Fraction(2, 3), 1),
    ("+", U, 1, "U"),
    ("*", 0, U, "U"),  # an unknown times zero is still unknown
]


@pytest.mark.parametrize("op,left,right,expected", ARITH_TABLE)
def test_arithmetic_is_exact_and_unknown_on_division_by_zero(op, left, right, expected):
    assert engine_truth(ops.arith(op, [left, right])) == expected
    assert oracle_truth(arithmetic(op, oracle_value(left), oracle_value(right))) == expected


@pytest.mark.parametrize("value,places,expected", [
    (Fraction(5, 2), 0, 3), (Fraction(-5, 2), 0, -3), (Fraction(7, 2), 0, 4), (Fraction(9, 4), 0, 2),
    (Fraction(1, 4), 1, Fraction(3, 10)), (Fraction(1, 3), 2, Fraction(33, 100)), (3, 0, 3),
])
def test_round_rounds_halves_away_from_zero(value, places, expected):
    assert ops.scalar("round", [value, places]) == expected


def test_round_of_a_percent_rounds_the_number_written_before_the_sign():
    assert ops.scalar("round", [Percent.shown_as(Fraction(1235, 100)), 1]) == Percent.shown_as(Fraction(124, 10))


@pytest.mark.parametrize("function,operands,expected", [
    ("min", [3, 1, 2], 1), ("max", [3, 1, 2], 3), ("abs", [-2], 2), ("abs", [U], "U"), ("min", [1, U], "U"),
    ("is_missing", [U], T), ("is_missing", [0], F), ("value_or", [U, 7], 7), ("value_or", [0, 7], 0),
])
def test_scalar_functions(function, operands, expected):
    assert engine_truth(ops.scalar(function, operands)) == expected


UNITS_TABLE = [
    # a percent is a ratio in arithmetic; the result keeps the percent form only where its type is percent
    ("*", 100, Percent.shown_as(50), 50),  # tax × 50% is half the tax
    ("+", Percent.shown_as(12), Percent.shown_as(1), Percent.shown_as(13)),
    ("*", Percent.shown_as(50), Percent.shown_as(50), Percent.shown_as(25)),
    ("/", Percent.shown_as(30), Percent.shown_as(10), 3),
    ("/", Percent.shown_as(30), 3, Percent.shown_as(10)),
    ("/", 10, Percent.shown_as(50), 20),
    ("/", Percent.shown_as(30), Percent.shown_as(0), "U"),
]


@pytest.mark.parametrize("op,left,right,expected", UNITS_TABLE)
def test_unit_combinations(op, left, right, expected):
    assert engine_truth(ops.arith(op, [left, right])) == expected

    def to_oracle(v):
        return Pct(Fraction(v.ratio)) if isinstance(v, Percent) else v
    assert oracle_truth(arithmetic(op, to_oracle(left), to_oracle(right))) == (
        to_oracle(expected) if expected != "U" else "U")


COMPARE_TABLE = [
    # op, left, right, expected: a comparison with an unknown side is unknown, both sides too
    # (two missing facts are not equal, nor unequal: nothing is known about either)
    *[(op, left, right, "U") for op in ("=", "!=", "<", "<=", ">", ">=")
      for left, right in ((U, U), (U, 3), (3, U), (Unknown(), U))],
    ("=", 3, 3, T), ("!=", 3, 3, F), ("<", 2, 3, T), ("<=", 3, 3, T), (">", 3, 3, F), (">=", 3, 3, T),
    ("=", "A", "A", T), ("!=", "A", "B", T), ("<", Fraction(1, 3), Fraction(1, 2), T), ("=", 1, Fraction(2, 2), T),
]


@pytest.mark.parametrize("op,left,right,expected", COMPARE_TABLE)
def test_comparisons_are_unknown_when_a_side_is_unknown(op, left, right, expected):
    assert engine_truth(ops.compare(op, left, right)) == expected
    assert engine_truth(ops.comparator(op)(left, right)) == expected
    assert oracle_truth(comparison(op, oracle_value(left), oracle_value(right))) == expected


def test_a_computed_ratio_compares_with_a_percent_by_its_ratio():
    assert ops.compare(">=", Fraction(1, 8), Percent.shown_as(Fraction(125, 10))) is True
    assert ops.compare(">", Fraction(1, 8), Percent.shown_as(Fraction(125, 10))) is False


# ---- groups ----------------------------------------------------------------------------------

TIES = [90, 80, 80, 70]  # competition ranks 1, 2, 2, 4 (descending)
NO_TIES = [90, 80, 70]

GROUP_TABLE = [
    # function, own, members, descending, n, expected
    ("rank", 80, TIES, True, 1, 2),
    ("rank", 70, TIES, True, 1, 4),  # after a tie the next rank is skipped (1, 2, 2, 4)
    ("rank", 90, TIES, True, 1, 1),
    ("rank", 70, TIES, False, 1, 1),  # ascending: the smallest is first
    ("rank", 80, TIES, False, 1, 2),
    ("top", 80, TIES, True, 2, T),  # both tied at rank 2 are in the top two
    ("top", 80, TIES, True, 1, F),
    ("top", 70, TIES, True, 3, F),  # rank 4 is outside the top three though there are only 3 others
    ("top", 70, TIES, True, 4, T),
    ("top", 80, NO_TIES, True, 2, T),  # exactly at n
    ("top", 70, NO_TIES, True, 2, F),  # one past n
    ("top", 70, NO_TIES, True, 3, T),
    ("bottom", 70, NO_TIES, True, 1, T),
    ("bottom", 80, NO_TIES, True, 1, F),
    ("bottom", 80, TIES, True, 2, T),  # tied at bottom rank 2
    ("bottom", 90, TIES, True, 3, F),
    ("bottom", 90, NO_TIES, False, 1, T),  # bottom of an ascending order is the largest
    ("rank", U, TIES, True, 1, "U"),  # no value of its own: no rank
    ("rank", 80, [90, U, 80], True, 1, 2),  # members without a value are left out
    ("group_sum", 0, [1, 2, U], True, 1, 3),
    ("group_mean", 0, [10, U, 20], True, 1, 15),  # the mean of the known values, not over all members
    ("group_mean", 0, [1, 2], True, 1, Fraction(3, 2)),
    ("group_min", 0, [3, U, 1], True, 1, 1),
    ("group_max", 0, [3, U, 1], True, 1, 3),
    ("group_sum", 0, [], True, 1, "U"),  # an empty group has no sum (not 0)
    ("group_mean", 0, [], True, 1, "U"),
    ("group_max", 0, [U, U], True, 1, "U"),  # all unknown: unknown
    ("group_sum", 0, [U, U], True, 1, "U"),
    ("group_count", 0, [], True, 1, 0),  # counting nothing is 0
    ("group_count", 0, [T, F, U, T], True, 1, 2),
]


@pytest.mark.parametrize("function,own,members,descending,n,expected", GROUP_TABLE)
def test_group_aggregates(function, own, members, descending, n, expected):
    assert engine_truth(ops.aggregate(function, own, members, descending, n)) == expected


@pytest.mark.parametrize("function,own,members,descending,n,expected",
                         [row for row in GROUP_TABLE if row[0] in ("rank", "top", "bottom")])
def test_ranks_over_members_sorted_once_are_the_group_aggregates(function, own, members, descending, n, expected):
    """`rank_aggregate` (the members' known values sorted once, shared by every member) gives
    what `aggregate` gives; the entity takes part unless a filter says otherwise."""
    ascending = ops.sorted_known(members)
    assert engine_truth(ops.rank_aggregate(function, own, ascending, descending, n)) == expected
    assert isinstance(ops.rank_aggregate(function, own, ascending, descending, n, own_included=False), Unknown)


def test_a_member_filtered_out_has_no_rank():
    assert isinstance(ops.aggregate("rank", 80, [90, 70], True, 1, own_included=False), Unknown)


# ---- calendar --------------------------------------------------------------------------------

DATE_TABLE = [
    # date, months, days, expected
    (dt.date(2016, 2, 29), 12, 0, dt.date(2017, 2, 28)),  # 29 February plus a year
    (dt.date(2016, 2, 29), 48, 0, dt.date(2020, 2, 29)),
    (dt.date(2016, 1, 31), 1, 0, dt.date(2016, 2, 29)),  # a month end stays in its month
    (dt.date(2017, 1, 31), 1, 0, dt.date(2017, 2, 28)),
    (dt.date(2017, 3, 31), -1, 0, dt.date(2017, 2, 28)),
    (dt.date(2017, 8, 31), 1, 0, dt.date(2017, 9, 30)),
    (dt.date(2017, 12, 31), 1, 1, dt.date(2018, 2, 1)),  # months first, then days
    (dt.date(2017, 3, 1), 0, -1, dt.date(2017, 2, 28)),
]


@pytest.mark.parametrize("date,months,days,expected", DATE_TABLE)
def test_calendar_arithmetic(date, months, days, expected):
    sign = -1 if months < 0 or days < 0 else 1
    duration = Duration(months=abs(months), days=abs(days))
    assert ops.add_duration(date, duration, sign) == expected
    assert add_span(date, Span(abs(months), abs(days)), sign) == expected


DURATION_ARITH_TABLE = [
    ("+", dt.date(2016, 2, 29), Duration(months=12), dt.date(2017, 2, 28)),
    ("-", dt.date(2017, 3, 31), Duration(months=1), dt.date(2017, 2, 28)),
    ("+", dt.date(2017, 1, 1), Duration(days=30), dt.date(2017, 1, 31)),
    ("-", dt.date(2017, 1, 1), Duration(days=1), dt.date(2016, 12, 31)),
    ("+", Duration(months=3), dt.date(2017, 1, 31), dt.date(2017, 4, 30)),
    ("+", Duration(months=12), Duration(months=3, days=2), Duration(months=15, days=2)),
    ("-", Duration(months=12), Duration(months=3, days=2), Duration(months=9, days=-2)),
]


@pytest.mark.parametrize("op,left,right,expected", DURATION_ARITH_TABLE)
def test_dates_and_durations_in_arithmetic(op, left, right, expected):
    assert ops.arith(op, [left, right]) == expected

    def to_oracle(v):
        return Span(v.months, v.days) if isinstance(v, Duration) else v
    assert arithmetic(op, to_oracle(left), to_oracle(right)) == to_oracle(expected)


@pytest.mark.parametrize("period,start,end", [
    (Period(2016, 1), dt.date(2016, 1, 1), dt.date(2016, 3, 31)),
    (Period(2016, 2), dt.date(2016, 4, 1), dt.date(2016, 6, 30)),
    (Period(2016, 3), dt.date(2016, 7, 1), dt.date(2016, 9, 30)),
    (Period(2016, 4), dt.date(2016, 10, 1), dt.date(2016, 12, 31)),
    (Period(2016), dt.date(2016, 1, 1), dt.date(2016, 12, 31)),
])
def test_period_starts_and_ends(period, start, end):
    assert (period.start, period.end) == (start, end)
    oracle = OraclePeriod(period.year, period.quarter)
    assert (oracle.first_day, oracle.last_day) == (start, end)


@pytest.mark.parametrize("earlier,later", [
    (Period(2017, 1), Period(2017, 2)), (Period(2017, 3), Period(2017, 4)), (Period(2017, 4), Period(2018, 1)),
    (Period(2016), Period(2017)),
])
def test_periods_order_by_year_then_quarter(earlier, later):
    assert earlier < later and later > earlier and earlier <= later and later >= earlier
    assert not (later < earlier) and not (earlier >= later)
    assert sorted([later, earlier]) == [earlier, later]


@pytest.mark.parametrize("period,shift,expected", [
    (Period(2017, 1), -1, Period(2016, 4)), (Period(2017, 1), -5, Period(2015, 4)), (Period(2017, 4), 1, Period(2018, 1)),
    (Period(2017), -2, Period(2015)), (Period(2017, 2), 0, Period(2017, 2)),
])
def test_period_shifts(period, shift, expected):
    assert period.shift(shift) == expected
    assert OraclePeriod(period.year, period.quarter).back(-shift) == OraclePeriod(expected.year, expected.quarter)


# ---- numbers shown ---------------------------------------------------------------------------

@pytest.mark.parametrize("value,shown", [
    (300, "300"), (Fraction(600, 2), "300"), (Fraction(1, 2), "0.5"), (Fraction(1, 3), "≈0.333333"),
    (-Fraction(5, 4), "-1.25"), (True, "true"), (U, "unknown"), (dt.date(2016, 2, 29), "2016-02-29"),
])
def test_numbers_are_shown_exactly(value, shown):
    assert format_value(value) == shown


def test_whole_numbers_stay_integers_in_json():
    assert json_value(Fraction(600, 2)) == 300 and isinstance(json_value(Fraction(600, 2)), int)
