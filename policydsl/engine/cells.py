"""The data contract, cell by cell: the validation rules every data reader shares.

In: one raw cell (text from CSV, a JSON value, an Excel value, possibly wrapped in a marker that
says how Excel showed it) and the declared type of its fact. Out: a typed, exact value, or a
`CellError` whose message is written for the person fixing the data. Also here: how a column
header or a file name maps to a declared fact or entity kind. The row readers (`tables.py`)
and the loader (`data.py`) use these functions; a columnar reader should too, so that every
reader accepts and refuses the same data with the same words.

Numbers are read exactly as written: ASCII digits, an optional sign, point and exponent; no
thousands separators are guessed (`1,5` is an error, not 15), and a number must lie within
`MAX_MAGNITUDE` with at most `MAX_FRACTION_DIGITS` digits after the point. Dates and periods
must fall within `FIRST_YEAR`..`LAST_YEAR`.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Mapping
import numbers
from decimal import Decimal
from fractions import Fraction

import attrs

from policydsl.diagnostics import did_you_mean
from policydsl.schema import EntitySchema
from policydsl.types import NUMERIC_NAMES, Type
from policydsl.values import Number, Percent, Period

FIRST_YEAR, LAST_YEAR = 1900, 2199
MAX_MAGNITUDE = 10 ** 30
MAX_FRACTION_DIGITS = 30
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,4})?", re.ASCII)
_TRUE = {"true", "1", "yes", "是", "y", "t"}
_FALSE = {"false", "0", "no", "否", "n", "f"}
TABLE_SUFFIXES = (".csv", ".json", ".xlsx", ".parquet")


class CellError(ValueError):
    """A cell that cannot be read as its fact's type; the message says why and what to write."""


# ---- how a spreadsheet showed a cell (made by the Excel reader) ----------------------------

@attrs.frozen
class ShownAsPercent:
    """A number cell formatted as a percentage: 0.125 shown as 12.5%."""

    value: Number
    cell: str


@attrs.frozen
class FormulaWithoutValue:
    """A formula cell saved without its computed value (the workbook was never recalculated)."""

    formula: str
    cell: str


@attrs.frozen
class SpreadsheetError:
    """A cell holding a spreadsheet error such as #DIV/0!."""

    code: str
    cell: str


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def is_skipped(raw: object) -> bool:
    """A fact's cell the row loader skips as missing (`data.KindLoader._row`): null, an empty text,
    or a `str` of white space only, as the readers give them."""
    return raw is None or raw == "" or (type(raw) is str and raw.isspace())


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text.strip())


_SURROGATE = re.compile("[\ud800-\udfff]")


def _characters(text: str) -> str:
    """Text that holds only characters: a lone surrogate (JSON's `\\ud800`) is none, and no output,
    log or file could hold it."""
    if not text.isascii():
        found = _SURROGATE.search(text)
        if found is not None:
            raise CellError(f"\"{text.encode('unicode_escape').decode('ascii')[:60]}\" holds a lone surrogate "
                            f"(\\u{ord(found.group()):04x}), which is no character")
    return text


# ---- cells -------------------------------------------------------------------------------

def parse_number(value: object) -> Number:
    """An exact number from text, an int, a Decimal or a float; CellError otherwise."""
    if isinstance(value, bool):
        raise CellError(f"{value} is a boolean, not a number")
    if isinstance(value, int):
        return _in_range(value, _whole_text(value))
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise CellError(f"{float.__repr__(value)} is not a finite number")
        value = Decimal(float.__repr__(value))  # the decimal it prints as, for a subclass too (numpy)
    elif isinstance(value, numbers.Integral):  # a whole number of another type (numpy's)
        value = int(value)
        return _in_range(value, _whole_text(value))
    elif isinstance(value, numbers.Real) and not isinstance(value, (Decimal, Fraction)):
        value = _real(value)  # a float of another precision (numpy's float32): as it prints
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise CellError(f'"{value}" is not a finite number')
        return _exact(value, str(value))
    if isinstance(value, Fraction):  # a whole one is an int, as every exact number read is
        return _in_range(value.numerator if value.denominator == 1 else value, str(value))
    if not isinstance(value, str):
        raise CellError(f"{_show(value)} is not a number")
    text = value.strip()
    if not _NUMBER.fullmatch(text):
        raise CellError(_not_a_number(text))
    return _exact(Decimal(text), text)


def _digits(value: int) -> str | None:
    """A whole number's decimal text; None past the digits Python converts to text (4,300)."""
    try:
        return str(value)
    except ValueError:
        return None


def _about(value: int) -> str:
    return f"about {int(value.bit_length() * 0.30103)} digits"


def _whole_text(value: int) -> str:
    """A whole number as it is written, or how long it is where Python writes no text of it: such a
    number is out of range, and its message must not fail."""
    text = _digits(value)
    return text if text is not None else f"a whole number of {_about(value)}"


def _real(value: numbers.Real) -> Decimal:
    """A real number of another type as the decimal it prints as (`str`: numpy prints a float32
    0.3 as 0.3); CellError for a value that is not finite or does not print as a number."""
    text = str(value).strip()
    if not _NUMBER.fullmatch(text):
        raise CellError(f"{_show(value)} is not a finite number")
    return Decimal(text)


def _not_a_number(text: str) -> str:
    lowered = text.lower().lstrip("+-")
    if lowered in ("inf", "infinity", "nan", "∞"):
        return f'"{text}" is not a finite number'
    if re.fullmatch(r"[+-]?[\d.]+(?:[,，_ ][\d.]+)+", text):
        return (f'"{text}" is not a number: separators inside a number are not guessed '
                "(write it without separators, with a point as the decimal mark: 1500, 1.5)")
    return f'"{text}" is not a number'


def _exact(number: Decimal, shown: str) -> Number:
    sign, digits, exponent = number.as_tuple()
    if isinstance(exponent, int) and any(digits) and (len(digits) + exponent > 31 or -exponent > MAX_FRACTION_DIGITS + len(digits)):
        raise CellError(f'"{shown}" is out of range (numbers up to 10^30, at most '
                        f"{MAX_FRACTION_DIGITS} digits after the point)")
    fraction = Fraction(number)
    result = fraction.numerator if fraction.denominator == 1 else fraction
    return _in_range(result, shown)


def _in_range(number: Number, shown: str) -> Number:
    if abs(number) >= MAX_MAGNITUDE:
        raise CellError(f'"{shown[:40]}{"…" if len(shown) > 40 else ""}" is out of range (numbers up to 10^30)')
    if isinstance(number, Fraction) and number.denominator > 10 ** MAX_FRACTION_DIGITS:
        raise CellError(f'"{shown[:40]}" has more than {MAX_FRACTION_DIGITS} digits after the point')
    return number


def percent_points(ratio: Number) -> Number:
    """The percent fact a cell formatted as a percentage means: 0.125 shown as 12.5% is 12.5 %.

    Percent facts hold the number written before the % sign, as `12.5%` in a CSV does."""
    value = Fraction(ratio) * 100
    return value.numerator if value.denominator == 1 else value


def parse_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):  # a spreadsheet's or a typed file's date: at midnight
        if value.time() != dt.time(0):
            raise CellError(f"{value.isoformat(sep=' ')} has a time of day; the fact is a date (YYYY-MM-DD)")
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    elif type(value).__name__ == "datetime64" and hasattr(value, "astype"):  # numpy's: the date-time it holds
        if str(value.dtype) in ("datetime64[Y]", "datetime64[M]", "datetime64[W]"):  # not one day
            raise CellError(f"{value} is not a date (write YYYY-MM-DD)")
        micro = value.astype("datetime64[us]")
        held = micro.item()  # a datetime (an int out of its range, None for NaT)
        if not isinstance(held, dt.datetime):
            raise CellError(f"{value} is not a date (write YYYY-MM-DD)")
        if micro != value:  # nanoseconds past midnight: a time of day all the same
            raise CellError(f"{value} has a time of day; the fact is a date (YYYY-MM-DD)")
        return parse_date(held)
    elif isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip(), re.ASCII):
        try:
            day = dt.date.fromisoformat(value.strip())
        except ValueError:
            raise CellError(f'"{value}" is not a date of the calendar') from None
    else:
        raise CellError(f"{_show(value)} is not a date (write YYYY-MM-DD)")
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise CellError(f"{day.isoformat()} is out of range (dates from {FIRST_YEAR} to {LAST_YEAR})")
    return day


def parse_period(value: object) -> Period:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise CellError(f"{_show(value)} is not a period: write a year (2017) or a quarter (2017-Q3)")
    try:
        period = Period.parse(value if isinstance(value, str) else _whole_text(value))
    except ValueError as err:
        raise CellError(str(err)) from None
    if not FIRST_YEAR <= period.year <= LAST_YEAR:
        raise CellError(f"{period} is out of range (periods from {FIRST_YEAR} to {LAST_YEAR})")
    return period


def _show(value: object) -> str:
    text = str(value)
    return f'"{text[:40]}{"…" if len(text) > 40 else ""}"'


MAX_ID_LENGTH = 200  # characters of an entity id


def _decoded(value: object) -> object:
    """Binary data (bytes, a Parquet column without a text annotation) as the UTF-8 text it holds;
    any other value as it is. CellError when it is not UTF-8."""
    if not isinstance(value, (bytes, bytearray, memoryview)):
        return value
    try:
        return bytes(value).decode("utf-8")
    except UnicodeDecodeError:
        raise CellError("binary data that is not UTF-8 text") from None


def entity_id(value: object) -> str:
    """An entity id (or a reference to one) from a non-blank cell: text as written (NFC, stripped,
    at most MAX_ID_LENGTH characters) or a whole number as its decimal text (an int of any
    library: `7`, numpy's int64). Any other number is refused, never respelled (`7.0`, a
    Decimal 7.00 would name no entity `7`), and so is a boolean, a list or an object."""
    value = _decoded(value)
    if isinstance(value, str):
        if len(value) > MAX_ID_LENGTH:
            raise CellError(f"an id is at most {MAX_ID_LENGTH} characters, not {len(value)}")
        return _characters(nfc(value))
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return _id_digits(int(value))
    if isinstance(value, Decimal) and value.is_finite() and value.as_tuple().exponent == 0:
        return _id_digits(int(value))  # a whole number of a decimal type with no places (a decimal(p, 0) column)
    shown = f"{type(value).__name__} {str(value)[:40]}" if isinstance(value, (Decimal, Fraction)) else repr(value)[:40]
    raise CellError(f"an id is text or a whole number, not {shown}")


def _id_digits(value: int) -> str:
    """A whole-number id as its decimal text, at most MAX_ID_LENGTH characters (as a text id is)."""
    text = _digits(value)
    if text is None or len(text) > MAX_ID_LENGTH:
        raise CellError(f"an id is at most {MAX_ID_LENGTH} characters, not "
                        f"{_about(value) if text is None else len(text)}")
    return text


def convert(value: object, fact_type: Type) -> object:
    """A typed value from one non-blank cell, or CellError."""
    if isinstance(value, FormulaWithoutValue):
        raise CellError(f"cell {value.cell} holds the formula {value.formula} without a computed value "
                        "(open and save the workbook in a spreadsheet program, or paste the values)")
    if isinstance(value, SpreadsheetError):
        raise CellError(f"cell {value.cell} holds the spreadsheet error {value.code}")
    value = _decoded(value)
    name = fact_type.name
    if isinstance(value, numbers.Integral) and not isinstance(value, bool) and name not in NUMERIC_NAMES \
            and _digits(int(value)) is None:  # past what Python writes as text: no text, member, flag or date
        raise CellError(f"{_whole_text(int(value))} is not {fact_type}")
    if isinstance(value, ShownAsPercent):
        if name == "percent":
            return Percent.shown_as(percent_points(value.value))
        raise CellError(f"cell {value.cell} is formatted as a percentage ({format_shown_percent(value.value)}) "
                        f"but the fact is {fact_type}: format the cell as a number, or declare the fact percent")
    if fact_type.is_enum:
        text = nfc(str(value))
        if text not in fact_type.members:
            hint = did_you_mean(text, fact_type.members)
            raise CellError(f'unknown value "{text}"; expected one of {", ".join(fact_type.members)}'
                            + (f" ({hint})" if hint else ""))
        return text
    if name == "boolean":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise CellError(f"{_show(value)} is not true/false")
    if name in ("integer", "decimal", "money", "percent"):
        if isinstance(value, Percent):  # a typed value from the API: a percent already
            if name != "percent":
                raise CellError(f"{value} is a percent, but the fact is {fact_type}")
            return Percent(parse_number(value.ratio))  # its ratio checked as any number is
        written = value
        if name == "percent" and isinstance(value, str) and value.strip().endswith("%"):
            value = value.strip()[:-1]
        try:
            number = parse_number(value)
        except CellError:
            if written is value:
                raise
            number = parse_number(written)  # its message quotes the cell as written (`12.5%%`)
        if name == "integer" and not isinstance(number, int):
            raise CellError(f"{_show(value)} is not a whole number")
        # a percent column holds the number shown before `%`: 12.5 (or "12.5%") is 12.5 %, the ratio 1/8
        return Percent.shown_as(number) if name == "percent" else number
    if name == "date":
        return parse_date(value)
    if fact_type.is_reference:  # another entity's id, read as ids are
        return entity_id(value)
    # text, or a number as it prints (a JSON 12 for a text fact is "12"); nothing else is text:
    # `true` is not "True", nor a date, a list, an object, a numpy boolean
    if isinstance(value, str):
        return _characters(nfc(value))
    if isinstance(value, float):
        return nfc(float.__repr__(value))  # as it prints, for a subclass too (numpy's repr names its type)
    if isinstance(value, numbers.Number) and not isinstance(value, bool):
        return nfc(str(value))
    raise CellError(f"a {type(value).__name__} is not {fact_type}")


_PLAIN = re.compile(r"(-?\d{1,30})(?:\.(\d{1,30}))?", re.ASCII)
_MEMO_LIMIT = 4096  # distinct texts remembered per column (grades, towns, dates repeat; numbers rarely)


def _plain(text: str, scale: int) -> Number | None:
    """The common case fast: `-123.45` is -12345 / 10^2 (then divided by 10^scale); None otherwise."""
    match = _PLAIN.fullmatch(text)
    if match is None:
        return None
    whole, fraction = match.groups()
    if fraction is None and not scale:
        return int(whole)
    value = Fraction(int(whole + (fraction or "")), 10 ** (len(fraction or "") + scale))
    return value.numerator if value.denominator == 1 else value


def converter(fact_type: Type):
    """`convert` for one column: the same answers, faster over many cells — numbers written
    plainly skip the general parser, and the values of other texts seen before are remembered."""
    name = fact_type.name
    if name in ("decimal", "money", "integer", "percent"):
        scale = 2 if name == "percent" else 0

        def number(value: object) -> object:
            if type(value) is str:
                found = _plain(value, scale)
                if found is not None and (name != "integer" or type(found) is int):
                    return Percent(found) if scale else found
            return convert(value, fact_type)
        return number
    memo: dict[str, object] = {}

    def remembered(value: object) -> object:
        if type(value) is not str:
            return convert(value, fact_type)
        found = memo.get(value)
        if found is None:
            found = convert(value, fact_type)
            if len(memo) < _MEMO_LIMIT:
                memo[value] = found
        return found
    return remembered


def format_shown_percent(ratio: Number) -> str:
    points = Fraction(percent_points(ratio))
    return f"{float(points):g}%"


# ---- headers and file names -------------------------------------------------------------

@attrs.frozen(kw_only=True)
class ColumnName:
    """What a header means: a fact, `id` or `period` (`fact`), or nothing known (`hint`)."""

    fact: str | None
    hint: str | None = None


def header_names(schema: EntitySchema) -> dict[str, str]:
    """Every accepted header of a kind: fact names, the declared labels (所在市), id and period."""
    names = {"id": "id", "period": "period"}
    for fact in schema.facts.values():
        if fact.label:
            names.setdefault(nfc(fact.label), fact.name)
    names.update({name: name for name in schema.facts})
    return names


def column_name(header: str, schema: EntitySchema, names: Mapping[str, str] | None = None) -> ColumnName:
    names = names if names is not None else header_names(schema)
    text = nfc(str(header))
    if text in names:
        return ColumnName(fact=names[text])
    return ColumnName(fact=None, hint=did_you_mean(text, names))


def file_kind(name: str, kinds: Iterable[str]) -> tuple[str | None, str | None]:
    """The entity kind a file in a data folder holds — `<kind>.<ext>` exactly — and otherwise
    (None, a hint): `industrial_zones.csv` → did you mean `industrial_zone.csv`?"""
    kinds = list(kinds)
    stem, dot, suffix = name.rpartition(".")
    suffix = f".{suffix}".lower() if dot else ""
    if dot and suffix in TABLE_SUFFIXES and stem in kinds:
        return stem, None
    base = stem if dot else name
    if dot and base in kinds:
        return None, f"`{suffix}` is not a table format (use {', '.join(TABLE_SUFFIXES)})"
    close = did_you_mean(base.split(".")[0], kinds)
    if close:
        ext = suffix if suffix in TABLE_SUFFIXES else ".csv"
        candidates = re.findall(r"`([^`]+)`", close)
        return None, "did you mean " + " or ".join(f"`{c}{ext}`" for c in candidates) + "?"
    return None, None
