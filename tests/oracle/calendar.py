"""The oracle's own calendar: periods (a year or a quarter), their first and last days, and
adding years, months and days to a date. Written from the calendar's rules, not from
`policydsl.values` or dateutil."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple


def is_leap_year(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def days_in_month(year: int, month: int) -> int:
    if month == 2:
        return 29 if is_leap_year(year) else 28
    return 30 if month in (4, 6, 9, 11) else 31


class Span(NamedTuple):
    """A calendar duration: whole months and days."""

    months: int
    days: int


def add_span(date: dt.date, span: Span, sign: int = 1) -> dt.date:
    """Move by months first (a day past the month's end becomes its last day: 29 February plus
    one year is 28 February), then by days."""
    month_index = date.year * 12 + (date.month - 1) + sign * span.months
    year, month = month_index // 12, month_index % 12 + 1
    day = min(date.day, days_in_month(year, month))
    return dt.date(year, month, day) + dt.timedelta(days=sign * span.days)


class Period(NamedTuple):
    """A year (quarter 0) or a quarter of a year. Tuples order by year, then quarter."""

    year: int
    quarter: int = 0

    @staticmethod
    def parse(text: str) -> Period:
        text = str(text)
        if "-Q" in text:
            year, quarter = text.split("-Q")
            return Period(int(year), int(quarter))
        return Period(int(text))

    @property
    def kind(self) -> str:
        return "quarter" if self.quarter else "year"

    def back(self, count: int) -> Period:
        """The period `count` periods earlier (negative: later), counted one period at a time."""
        year, quarter = self.year, self.quarter
        step = 1 if count > 0 else -1
        for _ in range(abs(count)):
            if quarter == 0:
                year -= step
            else:
                quarter -= step
                if quarter == 0:
                    year, quarter = year - 1, 4
                elif quarter == 5:
                    year, quarter = year + 1, 1
        return Period(year, quarter)

    @property
    def first_day(self) -> dt.date:
        if self.quarter == 0:
            return dt.date(self.year, 1, 1)
        return dt.date(self.year, {1: 1, 2: 4, 3: 7, 4: 10}[self.quarter], 1)

    @property
    def last_day(self) -> dt.date:
        if self.quarter == 0:
            return dt.date(self.year, 12, 31)
        month = {1: 3, 2: 6, 3: 9, 4: 12}[self.quarter]
        return dt.date(self.year, month, days_in_month(self.year, month))

    def __str__(self) -> str:
        return f"{self.year}-Q{self.quarter}" if self.quarter else str(self.year)
