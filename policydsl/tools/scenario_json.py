"""A scenario file's JSON, read strictly: what the standard parser would let pass silently is an error.

- A key written twice in one object (`"expect"` twice in a case, `"cases"` twice in the file):
  a JSON parser keeps the last one, so the first would test nothing without a word. It is
  refused with the line and column of the second one.
- A UTF-8 byte order mark is skipped, as `.pol` files skip it.
- A number JSON cannot hold exactly is flagged by `unfit_numbers` with its field, for its case
  to fail: `1e400` (and `NaN`, `Infinity`, which Python's parser accepts) read as a float that is
  not finite, and a whole number of thousands of digits (Python refuses to convert it: it is kept
  as a Decimal so that it can be reported where it is).
"""

from __future__ import annotations

import json
import json.decoder
import json.scanner
import math
from decimal import Decimal

# Python converts whole numbers of at most 4,300 digits; anything near that is out of any range.
_MAX_WHOLE_DIGITS = 4000


class JsonProblem(ValueError):
    """Text that is not a scenario file's JSON; `line` and `column` count from 1."""

    def __init__(self, message: str, line: int, column: int):
        super().__init__(message)
        self.message, self.line, self.column = message, line, column


class _Repeated(Exception):
    """Raised by the fast parse at the first object with a key written twice."""


def _whole_number(text: str) -> int | Decimal:
    return int(text) if len(text.lstrip("-")) <= _MAX_WHOLE_DIGITS else Decimal(text)


def _refuse_repeats(pairs: list[tuple[str, object]]) -> dict:
    content = dict(pairs)
    if len(content) != len(pairs):
        seen: set[str] = set()
        raise _Repeated(next(key for key, _ in pairs if key in seen or seen.add(key)))
    return content


def parse(text: str) -> object:
    """The content of a scenario file's text; JsonProblem when it is not JSON, or repeats a key."""
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        return json.loads(text, parse_int=_whole_number, object_pairs_hook=_refuse_repeats)
    except json.JSONDecodeError as err:
        raise JsonProblem(f"invalid JSON: {err.msg}", err.lineno, err.colno) from None
    except RecursionError:
        raise JsonProblem("invalid JSON: nested too deeply", 1, 1) from None
    except _Repeated as repeated:
        key = repeated.args[0]
    # Found a repeated key: parse again, slowly, to say where (only for a file that is refused).
    try:
        position, key, first = _first_repeat(text)
    except RecursionError:  # the slow parser nests deeper per level than the fast one
        raise JsonProblem(f"key `{key}` given twice in one object (nested too deeply to say where): "
                          "JSON keeps only the last one, so write each key once", 1, 1) from None
    line, column = _line_column(text, position)
    first_line, first_column = _line_column(text, first)
    raise JsonProblem(f"key `{key}` given twice in one object (first at line {first_line}, column "
                      f"{first_column}): JSON keeps only the last one, so write each key once", line, column)


def _line_column(text: str, position: int) -> tuple[int, int]:
    return text.count("\n", 0, position) + 1, position - text.rfind("\n", 0, position)


def _first_repeat(text: str) -> tuple[int, str, int]:
    """(position of the repeated key, the key, position of its first writing), in the first
    object that repeats one (objects end before the objects that hold them: the innermost first)."""
    found: list[tuple[int, str, int]] = []
    decoder = json.JSONDecoder(parse_int=_whole_number)

    def parse_object(s_and_end, strict, scan_once, object_hook, object_pairs_hook, memo=None):
        text, start = s_and_end  # `start` is just past the `{`
        pairs, end = json.decoder.JSONObject(s_and_end, strict, scan_once, None, list, memo)
        if not found:
            positions = _key_positions(text, start - 1, end)
            seen: dict[str, int] = {}
            for (key, _), position in zip(pairs, positions):
                if key in seen:
                    found.append((position, key, seen[key]))
                    break
                seen[key] = position
        return dict(pairs), end

    decoder.parse_object = parse_object
    decoder.scan_once = json.scanner.py_make_scanner(decoder)  # the C scanner would not call parse_object
    decoder.decode(text)
    return found[0]


def _key_positions(text: str, start: int, end: int) -> list[int]:
    """Where each key of the object text[start:end] (valid JSON, `{` at start) begins: a string
    right after the object's own `{` or `,`."""
    positions, depth, last, index = [], 0, "", start
    while index < end:
        char = text[index]
        if char == '"':
            if depth == 1 and last in ("{", ","):
                positions.append(index)
            index += 1
            while text[index] != '"':
                index += 2 if text[index] == "\\" else 1
            last = '"'
        elif char in "{[":
            depth, last = depth + 1, char
        elif char in "}]":
            depth, last = depth - 1, char
        elif not char.isspace():
            last = char
        index += 1
    return positions


def unfit_numbers(content: object) -> list[tuple[tuple, str]]:
    """(field path, what is wrong) for each number in the content that is not an exact, finite
    number: compared or read as one, it would crash or mean nothing."""
    found = []
    # A stack, and paths as (parent, key) links made into tuples only for what is found: a value
    # nested a hundred thousand levels deep is valid JSON.
    pending: list[tuple[object, tuple | None]] = [(content, None)]
    while pending:
        value, link = pending.pop()
        if isinstance(value, dict):
            pending.extend((item, (link, key)) for key, item in reversed(value.items()))
        elif isinstance(value, list):
            pending.extend((item, (link, index)) for index, item in reversed(list(enumerate(value))))
        elif isinstance(value, float) and not math.isfinite(value):
            found.append((_path(link), f"{value} is not a finite number (JSON numbers beyond ±1.8e308, such "
                                       "as 1e400, read as infinite; NaN and Infinity are not JSON): "
                                       "write an exact number"))
        elif isinstance(value, Decimal):
            digits = len(value.as_tuple().digits)
            found.append((_path(link), f"a whole number of {digits} digits is out of range"))
    return found


def _path(link: tuple | None) -> tuple:
    keys = []
    while link is not None:
        link, key = link
        keys.append(key)
    return tuple(reversed(keys))
