"""Columnar stage, cells to columns: a column of cell texts (as a CSV holds them) and a fact's
type in; the typed column the columnar executor reads out, with the same values the row loader's
cell conversion (`engine/cells.py`, `cells.converter`) gives each cell — or word that the column
needs the row loader (a cell it refuses), or has no columnar form (numbers too fine for Int64).

One meaning: `cells.converter` stays the only definition of what a cell means. Vectorised here is
only what can be proven to read exactly as it does: a number written plainly (`-123.45`, at most 18
digits: the converter's own fast case, `cells._plain`) becomes its exact numerator over a power of
ten by integer arithmetic, and a text of printable ASCII without spaces at its ends is itself (a
text, an id). Every other distinct text of a column is converted once by `cells.converter` itself;
a blank text (empty or spaces only) is a missing cell, as the row loader skips it. A text the
converter refuses returns `NEEDS_ROWS`: the caller hands the table to the row loader, whose error
names the file, row and column.

Numbers come out as `columns.scaled` makes them from the row loader's values: Int64 numerators
over the least common denominator of the column's values, or no column when that passes
`MAX_SCALE` or a numerator 2^62 (the rules reading it then run on the row executor).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction

import attrs
import polars as pl

from policydsl.engine.cells import CellError, converter, is_blank
from policydsl.engine.columnar.columns import MAX_NUMERATOR, MAX_SCALE
from policydsl.types import Type
from policydsl.values import Percent

NEEDS_ROWS = object()  # a cell the row loader must word (the conversion refuses it)
# a plain decimal the converter's fast case reads (`cells._PLAIN`), narrowed to 18 digits in all, so
# that its digits without the point are an Int64: -?W(.F)? is int(WF) / 10^len(F)
_PLAIN_NUMBER = r"\A-?[0-9]{1,18}(?:\.[0-9]{1,18})?\z"
# a text that reads as itself (NFC, stripped, not blank): printable ASCII, CJK ideographs (basic and
# extension A), the CJK punctuation 、。〃〄々〆〇〈〉《》「」『』【】 and the full-width forms of ASCII,
# no space at either end. None of these characters has a canonical decomposition, a combining class
# or a part in a canonical composition, and none is white space (tests/test_columnar_files.py
# checks each against `unicodedata`): a text of them is NFC whatever surrounds them
_PLAIN_CHAR = r"\x21-\x7e\x{3001}-\x{3011}\x{3400}-\x{4DBF}\x{4E00}-\x{9FFF}\x{FF01}-\x{FF5E}"
PLAIN_RANGES = ((0x21, 0x7E), (0x3001, 0x3011), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xFF01, 0xFF5E))
PLAIN_TEXT = rf"\A[{_PLAIN_CHAR}](?:[\x20{_PLAIN_CHAR}]*[{_PLAIN_CHAR}])?\z"
NUMERIC = frozenset({"integer", "decimal", "money", "percent"})


def _converted(texts: list[str], convert) -> dict[str, object] | object:
    """`convert` of each distinct text (a blank text: None); NEEDS_ROWS when it refuses one."""
    found: dict[str, object] = {}
    for text in texts:
        if is_blank(text):  # a missing cell, as the row loader skips it
            found[text] = None
            continue
        try:
            found[text] = convert(text)
        except CellError:
            return NEEDS_ROWS
    return found


@attrs.frozen
class _Column:
    frame: int  # which frame
    name: str
    type: Type
    values: pl.Series  # the texts


def typed_frames(frames: Sequence[tuple[pl.DataFrame, Mapping[str, Type]]]
                 ) -> list[tuple[pl.DataFrame, dict[str, int]] | object]:
    """Per frame, its text columns typed as its `types` say (a column missing from the frame is
    all missing) and the denominators of its number columns; or NEEDS_ROWS. A number column with
    no columnar form (too fine for Int64 numerators) is left out. The columns of one result type, of every frame, are
    read as one long column (column after column), so that the reading costs a few queries
    whatever the number of frames and columns."""
    groups: dict[str, list[_Column]] = {}
    refused: set[int] = set()
    for number, (frame, types) in enumerate(frames):
        for name, fact_type in types.items():
            values = frame[name] if name in frame.columns else pl.Series(name, [None] * frame.height, dtype=pl.String)
            if fact_type.name in NUMERIC:
                group = "number"
            elif fact_type.name in ("boolean", "date"):
                group = fact_type.name
            elif fact_type.is_enum or fact_type.is_reference or fact_type.name == "text":
                group = "string"
            else:
                refused.add(number)  # a type with no columnar form (a list): the row loader
                continue
            groups.setdefault(group, []).append(_Column(number, name, fact_type, values))
    typed: dict[tuple[int, str], pl.Series] = {}
    scales: dict[tuple[int, str], int] = {}
    for group, columns in groups.items():
        long = _long(columns)
        if group == "number":
            found, dens, failed = _numbers(long, columns)
            scales.update(dens)
        else:
            found, failed = _others(long, columns, {"boolean": pl.Boolean, "date": pl.Date}.get(group, pl.String))
        typed.update(found)
        refused |= {columns[at].frame for at in failed}
    results = []
    for number, (frame, types) in enumerate(frames):
        if number in refused:
            results.append(NEEDS_ROWS)
            continue
        results.append((pl.DataFrame([typed[(number, n)] for n in types if (number, n) in typed]),
                        {n: scales[(number, n)] for n in types if (number, n) in scales}))
    return results


def _long(columns: list[_Column]) -> pl.DataFrame:
    """The columns one after the other (`@v`), with each cell's column number (`@k`)."""
    values = pl.concat([c.values.rename("@v") for c in columns], rechunk=False)  # no copy of the texts
    numbers = pl.Series("@k", range(len(columns)), dtype=pl.Int64)
    heights = pl.Series([c.values.len() for c in columns], dtype=pl.Int64)
    return pl.DataFrame({"@k": numbers.repeat_by(heights).explode(), "@v": values})


def _split(column: pl.Series, columns: list[_Column], kept: Iterable[int] | None = None
           ) -> dict[tuple[int, str], pl.Series]:
    """The long column cut back into the columns (those of `kept`, by number)."""
    starts, at = [], 0
    for c in columns:
        starts.append(at)
        at += c.values.len()
    return {(columns[k].frame, columns[k].name): column.slice(starts[k], columns[k].values.len()).alias(columns[k].name)
            for k in (range(len(columns)) if kept is None else kept)}


def _distinct(long: pl.DataFrame, among: pl.Expr) -> dict[int, list[str]]:
    """Per column number, its distinct texts where `among` holds (not null)."""
    pairs = long.filter(among & pl.col("@v").is_not_null()).select("@k", "@v").unique()
    found: dict[int, list[str]] = {}
    for number, text in pairs.iter_rows():
        found.setdefault(number, []).append(text)
    return found


def _mapping(long: pl.DataFrame, mapped: dict[int, dict[str, object]], dtype) -> pl.Series:
    """Each cell's converted value from its column's mapping (null where it has none); only the
    cells not read as themselves (`@p` false) are looked up."""
    rows = [(number, text, value) for number, values in mapped.items() for text, value in values.items()]
    table = pl.DataFrame(rows, schema={"@k": pl.Int64, "@v": pl.String, "@x": dtype}, orient="row")
    asked = long.with_row_index("@i").filter(~pl.col("@p") & pl.col("@v").is_not_null()).select("@i", "@k", "@v")
    found = asked.join(table, on=["@k", "@v"], how="inner")
    return pl.Series("@x", [None] * long.height, dtype=dtype).scatter(found["@i"], found["@x"])


def _converted_columns(long: pl.DataFrame, columns: list[_Column], among: pl.Expr
                       ) -> tuple[dict[int, dict[str, object]], set[int]]:
    """Per column number, `cells.converter`'s value of each distinct text where `among` holds;
    and the columns where it refuses one."""
    mapped, failed = {}, set()
    for number, texts in _distinct(long, among).items():
        values = _converted(texts, converter(columns[number].type))
        if values is NEEDS_ROWS:
            failed.add(number)
        else:
            mapped[number] = values
    return mapped, failed


def _others(long: pl.DataFrame, columns: list[_Column], dtype):
    """Text, enumeration, reference and id columns (a plain text reads as itself; an enumeration's
    every distinct text is checked), booleans and dates: the other distinct texts through
    `cells.converter`. (typed columns, the columns refused)"""
    if dtype == pl.String:
        enums = [number for number, c in enumerate(columns) if c.type.is_enum]
        plain = pl.col("@v").str.contains(PLAIN_TEXT)
        if enums:
            plain = plain & ~pl.col("@k").is_in(pl.lit(pl.Series(enums, dtype=pl.Int64)).implode())
        long = long.with_columns(plain.fill_null(True).alias("@p"))
    else:
        long = long.with_columns(pl.lit(False).alias("@p"))
    mapped, failed = _converted_columns(long, columns, ~pl.col("@p"))
    converted = _mapping(long, mapped, dtype) if mapped else pl.Series([None] * long.height, dtype=dtype)
    if dtype == pl.String:
        converted = long.select(pl.when(pl.col("@p")).then(pl.col("@v")).otherwise(pl.lit(converted)))
        converted = converted.to_series()
    return _split(converted, columns, [k for k in range(len(columns)) if k not in failed]), failed


_POWERS = 20  # places at most (18 digits and a percent's 2): the factors 2 and 5 counted up to this


def _numbers(long: pl.DataFrame, columns: list[_Column]):
    """Number columns: (numerators per column, denominators, the columns refused). A plain text
    (`_PLAIN_NUMBER`, its digits an Int64) is digits / 10^places (a percent's ratio: 2 places
    more); every other distinct text goes through `cells.converter`."""
    value = pl.col("@v")
    integers = [number for number, c in enumerate(columns) if c.type.name == "integer"]
    percents = [number for number, c in enumerate(columns) if c.type.name == "percent"]
    digits = value.str.replace(".", "", literal=True).str.to_integer(strict=False)
    # at most 18 digits in all (the pattern allows 18 on each side of the point): below 10^18, so
    # that a divisor past 10^18 can only divide a zero (the clipped steps below)
    plain = value.str.contains(_PLAIN_NUMBER).fill_null(False) & digits.is_between(-(10 ** 18 - 1), 10 ** 18 - 1).fill_null(False)
    if integers:  # a whole number: the converter reads 5.0 as 5 and refuses 5.5
        fractional = value.str.contains(r"\.[0-9]*[1-9]").fill_null(False)
        plain = plain & ~(fractional & pl.col("@k").is_in(pl.lit(pl.Series(integers, dtype=pl.Int64)).implode()))
    shift = pl.col("@k").is_in(pl.lit(pl.Series(percents, dtype=pl.Int64)).implode()).cast(pl.Int64) * 2 \
        if percents else pl.lit(0, pl.Int64)
    after = (value.str.len_bytes().cast(pl.Int64) - value.str.find(".", literal=True).cast(pl.Int64) - 1).fill_null(0)
    long = long.with_columns(plain.alias("@p"), digits.alias("@d")).with_columns(
        pl.when("@p").then(pl.col("@d")).alias("@d"), pl.when("@p").then(after + shift).alias("@n"))
    # per column: the most places, the extreme digits, and per prime the least of (its factors in
    # the digits, counted up to _POWERS) − places: the common factors at the largest scale
    d, n = pl.col("@d"), pl.col("@n")
    most = min(int(long["@n"].max() or 0), _POWERS)  # a factor counts only up to the places it can cancel
    factors = {prime: sum((((d % prime ** power) == 0).cast(pl.Int64) for power in range(1, most + 1)),
                          pl.lit(0, pl.Int64)) for prime in (2, 5)}
    stats = long.filter(pl.col("@p")).group_by("@k").agg(
        n.max().alias("top"), d.min().alias("low"), d.max().alias("high"),
        *((factors[prime] - n).min().alias(f"f{prime}") for prime in (2, 5)))
    found = {row["@k"]: row for row in stats.iter_rows(named=True)}
    converted, failed = _converted_columns(long, columns, ~pl.col("@p"))
    mapped = {number: {text: None if v is None else Fraction(v.ratio if isinstance(v, Percent) else v)
                       for text, v in values.items()} for number, values in converted.items()}
    dens, steps, others, kept = {}, [], {}, []
    for number, column in enumerate(columns):
        if number in failed:
            continue
        row = found.get(number)
        top = row["top"] if row else 0
        den = 10 ** top
        if row:
            for prime in (2, 5):
                den //= prime ** (top + min(0, row[f"f{prime}"]))
        for fraction in mapped.get(number, {}).values():
            if fraction is not None:
                den = math.lcm(den, fraction.denominator)
        if den > MAX_SCALE:
            continue  # no column: the rules reading it run on the row executor
        scaled = {text: None if f is None else f.numerator * (den // f.denominator)
                  for text, f in mapped.get(number, {}).items()}
        if any(v is not None and abs(v) > MAX_NUMERATOR for v in scaled.values()):
            continue
        if row:
            # digits × den / 10^places = digits // (10^places / g) × (den / g), g = gcd(10^places, den):
            # 10^places / g divides the digits, den being a multiple of the value's denominator
            over = {places: Fraction(den, 10 ** places) for places in range(0, top + 1)}
            biggest = max(abs(row["low"]), abs(row["high"]))
            if biggest * max(over.values()) > MAX_NUMERATOR and not _within(long, number, over):
                continue
            # a step whose divisor passes the digits' 18 digits (below 10^18: `plain`) divides only
            # zeros: clipped, it stays an Int64
            steps += [(number, places, f.numerator, min(f.denominator, 10 ** 18)) for places, f in over.items()]
        others[number] = scaled
        dens[(column.frame, column.name)] = den
        kept.append(number)
    steps = pl.DataFrame(steps, schema={"@k": pl.Int64, "@n": pl.Int64, "@up": pl.Int64, "@down": pl.Int64}, orient="row")
    joined = long.join(steps, on=["@k", "@n"], how="left", maintain_order="left")
    numerators = joined.select(pl.col("@d") // pl.col("@down") * pl.col("@up")).to_series()
    slow = {k: v for k, v in others.items() if v}
    if slow:
        numerators = joined.select(pl.when(pl.col("@p")).then(pl.lit(numerators))
                                   .otherwise(pl.lit(_mapping(long, slow, pl.Int64)))).to_series()
    return _split(numerators, columns, kept), dens, failed


def _within(long: pl.DataFrame, number: int, steps: Mapping[int, Fraction]) -> bool:
    """Whether every plain numerator of column `number` stays within MAX_NUMERATOR over its
    denominator (checked exactly, row by row, in Python integers)."""
    rows = long.filter((pl.col("@k") == number) & pl.col("@p")).select("@d", "@n").rows()
    return all(abs(d * steps[n]) <= MAX_NUMERATOR for d, n in rows)
