"""Run-time values: periods, exact numbers, and the unknown value that missing data produces.

An expression over a missing fact evaluates to `Unknown`, which remembers which fact of which
entity and period was missing, so that an explanation can say so.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from fractions import Fraction

import attrs

Number = int | Fraction

_PERIOD_RE = re.compile(r"^(\d{4})(?:-Q([1-4]))?$", re.ASCII)  # ASCII digits only, as every number


@attrs.frozen(order=False, cache_hash=True)
class Period:
    """A year (`2017`) or a quarter (`2017-Q3`)."""

    year: int
    quarter: int = 0  # 0 for a yearly period

    # Ordering compares plain tuples: periods are sorted often, and attrs' generated
    # comparisons are several times slower.
    def __lt__(self, other: Period) -> bool:
        return (self.year, self.quarter) < (other.year, other.quarter)

    def __le__(self, other: Period) -> bool:
        return (self.year, self.quarter) <= (other.year, other.quarter)

    def __gt__(self, other: Period) -> bool:
        return (self.year, self.quarter) > (other.year, other.quarter)

    def __ge__(self, other: Period) -> bool:
        return (self.year, self.quarter) >= (other.year, other.quarter)

    @classmethod
    def parse(cls, text: str) -> Period:
        match = _PERIOD_RE.match(str(text).strip())
        if not match:
            raise ValueError(f"`{text}` is not a period: write a year (2017) or a quarter (2017-Q3)")
        return cls(int(match.group(1)), int(match.group(2) or 0))

    @property
    def kind(self) -> str:
        return "quarter" if self.quarter else "year"

    def shift(self, periods: int) -> Period:
        if not self.quarter:
            return Period(self.year + periods)
        index = self.year * 4 + (self.quarter - 1) + periods
        return Period(index // 4, index % 4 + 1)

    def __sub__(self, periods: int) -> Period:
        """`period - 1` is the period before: history walks step back this way (semantics.WALKS)."""
        return self.shift(-periods)

    @property
    def start(self) -> dt.date:
        month = 1 if not self.quarter else 3 * (self.quarter - 1) + 1
        return dt.date(self.year, month, 1)

    @property
    def end(self) -> dt.date:
        if not self.quarter:
            return dt.date(self.year, 12, 31)
        nxt = self.shift(1).start
        return nxt - dt.timedelta(days=1)

    def __str__(self) -> str:
        return f"{self.year}-Q{self.quarter}" if self.quarter else str(self.year)


@attrs.frozen(order=True)
class MissingFact:
    """One fact that an expression needed and the data did not have."""

    entity_kind: str
    entity: str
    fact: str
    period: str  # "" for a static attribute

    def __str__(self) -> str:
        at = f" in {self.period}" if self.period else ""
        return f"{self.fact} of {self.entity}{at}"


# The `fact` of a `MissingFact` when what is missing is the entity's whole record in a period
# (`previous(x)` of a value computed without one: G4/G8 make that period unknown).
NO_RECORD = "(record)"


@attrs.frozen
class Unknown:
    """The value of an expression that needed a missing fact."""

    missing: frozenset[MissingFact] = frozenset()

    def __bool__(self) -> bool:  # an unknown is never silently taken as true or false
        raise TypeError("Unknown has no truth value")

    def __str__(self) -> str:
        return "unknown"


def unknown_of(*values: object) -> Unknown:
    """Merge the reasons of every unknown among values."""
    missing: set[MissingFact] = set()
    for value in values:
        if isinstance(value, Unknown):
            missing |= value.missing
    return Unknown(frozenset(missing))


@attrs.frozen(order=True)
class Duration:
    """A calendar duration written in a policy: `1 year`, `12 months`, `30 days`."""

    months: int = 0
    days: int = 0

    def __str__(self) -> str:
        parts = []
        if self.months:
            years, months = divmod(self.months, 12)
            if years and not months:
                parts.append(f"{years} year{'s' if years != 1 else ''}")
            else:
                parts.append(f"{self.months} month{'s' if self.months != 1 else ''}")
        if self.days or not parts:
            parts.append(f"{self.days} day{'s' if self.days != 1 else ''}")
        return " ".join(parts)


@attrs.frozen(order=False)
class Percent:
    """A percentage: in arithmetic the ratio it stands for (12.5% is 1/8), shown as `12.5%`.

    Only a value whose declared or computed type is `percent` is a `Percent`; `engine/ops.py`
    gives every operator its meaning over it (see docs/units.md).
    """

    ratio: Number

    @classmethod
    def shown_as(cls, number: Number) -> Percent:
        """The percent written `number%` (12.5 -> 12.5%, the ratio 1/8)."""
        return cls(normalise_number(Fraction(number) / 100))

    @property
    def shown(self) -> Number:
        """The number written before the `%` sign."""
        return normalise_number(Fraction(self.ratio) * 100)

    def _key(self, other: object) -> Number:
        if not isinstance(other, Percent):
            raise TypeError(f"a percent is compared with a percent, not with {other!r}")
        return other.ratio

    def __lt__(self, other: Percent) -> bool:
        return self.ratio < self._key(other)

    def __le__(self, other: Percent) -> bool:
        return self.ratio <= self._key(other)

    def __gt__(self, other: Percent) -> bool:
        return self.ratio > self._key(other)

    def __ge__(self, other: Percent) -> bool:
        return self.ratio >= self._key(other)

    def __neg__(self) -> Percent:
        return Percent(-self.ratio)

    def __abs__(self) -> Percent:
        return Percent(abs(self.ratio))

    def __str__(self) -> str:
        return format_number(self.shown) + "%"


@attrs.frozen
class Fields:
    """The named payload fields of a decision (`talent_funding_support` with `amount_min = 500`):
    the value of an outcome declared `with fields (…)`, in the declaration's order. `units` says
    which fields are money (万元), for text; an optional field left unset is None (null in JSON)."""

    items: tuple[tuple[str, object], ...]
    units: tuple[tuple[str, str], ...] = attrs.field(default=(), eq=False, repr=False)

    def get(self, name: str, default: object = None) -> object:
        return next((value for key, value in self.items if key == name), default)

    def __str__(self) -> str:
        units = dict(self.units)
        return ", ".join(f"{name} = {format_value(value)}{units.get(name, '')}" for name, value in self.items
                         if value is not None)


@attrs.frozen
class ValueList:
    """The value of a list (`list of T`, a payload field such as xuchang2018's `dimensions`): its
    items in order; `unit` (" 万元" for money) is for text only."""

    items: tuple
    unit: str = attrs.field(default="", eq=False, repr=False)

    def __str__(self) -> str:
        return "[" + ", ".join(format_value(item) + self.unit for item in self.items) + "]"


def to_number(value: int | Decimal | Fraction | str) -> Number:
    """An exact number from an int, a Decimal, or a decimal string (never from a float)."""
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        value = Decimal(float.__repr__(value))  # as it prints, for a subclass too
    fraction = Fraction(value) if not isinstance(value, Fraction) else value
    return fraction.numerator if fraction.denominator == 1 else fraction


def normalise_number(value: Fraction | int) -> Number:
    if isinstance(value, Fraction) and value.denominator == 1:
        return value.numerator
    return value


def format_number(value: Number, digits: int = 6) -> str:
    """Exact decimal text when the number has one, else rounded to `digits` places with ≈."""
    if isinstance(value, int):
        return str(value)
    denominator, places = value.denominator, 0
    for prime in (2, 5):
        count = 0
        while denominator % prime == 0:
            denominator //= prime
            count += 1
        places = max(places, count)
    # in integers, never through a Decimal division (its 28 digits would round a 30-digit number)
    if denominator == 1:  # a finite decimal: 10^places / denominator is whole
        return _decimal_text(value.numerator * 10 ** places // value.denominator, places)
    # not a finite decimal, so never halfway between two numbers of `digits` places: any rounding
    # to the nearest gives the same digits, and `round` of a Fraction is exact
    return "≈" + _decimal_text(round(Fraction(value.numerator * 10 ** digits, value.denominator)), digits)


def _decimal_text(units: int, places: int) -> str:
    """`units` × 10^-places as decimal text without trailing zeros (`125, 2` → `1.25`)."""
    sign, digits = ("-" if units < 0 else ""), str(abs(units)).rjust(places + 1, "0")
    whole, fraction = (digits[:-places], digits[-places:].rstrip("0")) if places else (digits, "")
    return sign + whole + ("." + fraction if fraction else "")


def json_number(value: Number) -> int | float:
    """A JSON number for an exact value (the one place numbers become floats: output); a whole
    number stays an integer (300, never 300.0), whatever arithmetic produced it."""
    if isinstance(value, int):
        return value
    if value.denominator == 1:
        return value.numerator
    return float(value)


def format_value(value: object) -> str:
    if isinstance(value, Unknown):
        return "unknown"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, Fraction)):
        return format_number(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)  # a Percent shows its percent form, 12.5%


def json_value(value: object) -> object:
    if isinstance(value, Unknown):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, Fraction)):
        return json_number(value)
    if isinstance(value, Percent):  # the number as shown, 12.5 for 12.5%: how percent data arrives
        return json_number(value.shown)
    if isinstance(value, (dt.date, Duration, Period)):
        return str(value) if not isinstance(value, dt.date) else value.isoformat()
    if isinstance(value, Fields):  # the `value` of an outcome with payload fields: an object
        return {name: json_value(item) for name, item in value.items}
    if isinstance(value, ValueList):  # a list: a JSON array
        return [json_value(item) for item in value.items]
    return value
