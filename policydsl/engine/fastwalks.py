"""The single-decision executor's history walks over one fact tested against constants.

In: an entity's rows of one period kind (`{ordinal: {fact: value}}`, the single path's own
form), the ordinal period walked back from, and the operand as a *row test*: a fact's name, the
test of a known value (`ops.known_test`/`member_test`: `rating = D`, `class in {C, D}`) and the
operand's general closure for a row that lacks the fact. Out: the walk's value only.

These are `semantics.streak`, `first_time` and `count_periods` for the case the fast path meets
most (`streak(rating = D)`), with the per-period operand call inlined: the meaning stays the one
of `semantics.WALKS` — anything unusual (no record at the walked period, a fact missing from a
row) is handed to the general closure or to the shared walk itself, and
`tests/test_single.py` checks each function against `semantics.WALKS` on generated histories
with gaps and missing facts. They are only used when the entity's records are its rows (an
entity with periodic records: `has_record(at)` is `at in rows`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from policydsl.values import Unknown

Rows = Mapping[int, Mapping[str, object]]
Known = Callable[[object], object]
General = Callable[[object, int], object]  # general(entity, at): the operand's general closure


_NO_RECORD = object()


def _test_now(rows: Rows, now: int, name: str, known: Known, general: General, entity: object) -> object:
    """The operand's test at the walked period itself, or `_NO_RECORD` when it has no record."""
    row = rows.get(now)
    if row is None:
        return _NO_RECORD
    value = row.get(name)
    return known(value) if value is not None else general(entity, now)


def streak(n: int, rows: Rows, now: int, name: str, known: Known, general: General, entity: object) -> object | None:
    """`semantics.streak`; None when the walked period has no record (the caller then runs the
    shared walk)."""
    current = _test_now(rows, now, name, known, general, entity)
    if current is _NO_RECORD:
        return None
    if current is not True:
        return current if isinstance(current, Unknown) else 0
    count, at = 1, now - 1
    while True:
        row = rows.get(at)
        if row is None:
            return count
        value = row.get(name)
        if (known(value) if value is not None else general(entity, at)) is not True:
            return count
        count += 1
        at -= 1


def first_time(n: int, rows: Rows, now: int, name: str, known: Known, general: General, entity: object) -> object | None:
    """`semantics.first_time`: every earlier record is read (in any order: one that holds
    decides); None when the walked period has no record."""
    current = _test_now(rows, now, name, known, general, entity)
    if current is _NO_RECORD:
        return None
    if current is not True:
        return current if isinstance(current, Unknown) else False
    for at, row in rows.items():
        if at < now:
            value = row.get(name)
            if (known(value) if value is not None else general(entity, at)) is True:
                return False
    return True


def count_periods(n: int, rows: Rows, now: int, name: str, known: Known, general: General, entity: object) -> int:
    """`semantics.count_periods`: the records of the last n periods (now included) at which the
    test holds."""
    count, since = 0, now - n
    for at, row in rows.items():
        if since < at <= now:
            value = row.get(name)
            if (known(value) if value is not None else general(entity, at)) is True:
                count += 1
    return count


# by function name, as `semantics.WALKS`: walk(n, rows, now, name, known, general, entity)
ROW_WALKS = {"streak": streak, "first_time": first_time, "count_periods": count_periods}
