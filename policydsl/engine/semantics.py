"""History walks and group aggregates: their meaning, written once for the plan and the explainer.

The compiled plan (`plan.py`) computes values with these functions and the explainer
(`explain.py`) shows the periods a history function walked and the group an aggregate saw with
the very same functions, so the two cannot disagree. `RunView` is the interface the compiled
plan asks of a run (`evaluate.Run` implements it): facts, derived values, the periods each
entity has a record for, group members, the members of another kind (`members.py`) and the
evaluation date. In: a run and an expression's operands; out: values.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from itertools import islice
from typing import Protocol, runtime_checkable

import attrs

from policydsl.engine import ops
from policydsl.values import NO_RECORD, MissingFact, Period, Unknown


@runtime_checkable
class RunView(Protocol):
    """What compiled expressions ask of a run — one evaluation's data and stored values: facts,
    derived values, records per period, group members (`group`), the members of another kind
    whose references lead to an entity (`engine/members.py`), the day a period is evaluated."""

    cache: dict  # per-run memo for group values and member sets, keyed by node id, entity or group, period

    def exists(self, kind: str, entity: str) -> bool: ...

    def has_record(self, kind: str, entity: str, period: Period) -> bool: ...

    def earliest(self, kind: str, entity: str, period_kind: str) -> Period | None: ...

    def fact(self, kind: str, entity: str, period: Period, name: str, period_kind: str | None) -> object: ...

    def derived(self, kind: str, name: str, entity: str, period: Period) -> object: ...

    def evaluation_date(self, period: Period) -> dt.date:
        """The day the period is evaluated: its end (G5), or the date the run is made as of."""
        ...

    def members(self, kind: str, group: str | None, entity: str, period: Period) -> tuple[str, ...] | Unknown:
        """The entities of the entity's group (sorted ids) that have a record in the period;
        unknown when the entity's group attribute is missing."""
        ...

    def related(self, kind: str, path: tuple[tuple[str, str], ...], entity: str, period: Period
                ) -> tuple[str, ...]:
        """The entities of `kind` (sorted ids) taking part in the period whose chain of static
        references `path` leads to `entity`."""
        ...


# An operand of a history function: the operand's value for the same entity at a period.
AtPeriod = Callable[[Period], object]
# An operand of an aggregate: its value for a member entity in the same period.
ForEntity = Callable[[str], object]


@attrs.frozen(kw_only=True)
class Walk:
    """The value of a history function and the periods it read, most recent first."""

    value: object
    periods: tuple[Period, ...]


def history(function: str, n: int, run: RunView, kind: str, entity: str, period: Period,
            operand: AtPeriod) -> Walk:
    """previous, change, streak, count_periods or first_time of `operand` for one entity."""
    if function in ("previous", "change"):
        value, periods = _looking_back(function, n, run, kind, entity, period, operand)
        return Walk(value=value, periods=periods)
    value, depth = WALKS[function](n, period_tests(run, kind, entity, period, operand), operand, period, _at)
    return Walk(value=value, periods=tuple(period.shift(-back) for back in range(depth)))


def history_value(function: str, n: int, run: RunView, kind: str, entity: str, period: Period,
                  operand: AtPeriod) -> object:
    """The value of `history` alone (what the plan's closures compute): no `Walk` is made."""
    if function in ("previous", "change"):
        return _looking_back(function, n, run, kind, entity, period, operand)[0]
    return WALKS[function](n, period_tests(run, kind, entity, period, operand), operand, period, _at)[0]


def _looking_back(function: str, n: int, run: RunView, kind: str, entity: str, period: Period,
                  operand: AtPeriod) -> tuple[object, tuple[Period, ...]]:
    """`previous` (the value n periods back) or `change` (now less that value), and the periods read."""
    earlier = period.shift(-n)
    before = recorded(operand(earlier), run.has_record(kind, entity, earlier), kind, entity, earlier)
    if function == "previous":
        return before, (earlier,)
    return ops.arith("-", [operand(period), before]), (period, earlier)


def _at(operand: AtPeriod, at: Period) -> object:
    """A walk's `operand(subject, at)` for the row executor, whose walks take the operand itself
    as their subject."""
    return operand(at)


def period_tests(run: RunView, kind: str, entity: str, period: Period, operand: AtPeriod) -> Iterator[object]:
    """What a walk reads of a run (`Walker`'s `tests`), lazily: the operand's value at `period`,
    the period before, ..., where the entity has a record, else `UNRECORDED`, down to its first
    period of the kind (found only when a period without a record is reached)."""
    at, first = period, None
    while True:
        if run.has_record(kind, entity, at):
            yield operand(at)
        else:
            if first is None:
                first = run.earliest(kind, entity, period.kind)
                if first is None:
                    return
            if at < first:
                return
            yield UNRECORDED
        at = at - 1


def recorded(value: object, has_record: bool, kind: str, entity: str, at: object) -> object:
    """What `previous`/`change` read at an earlier period `at`: the operand's value where the
    entity has a record there, else unknown for want of the record (G4/G8) — a derived value
    computed from nothing (a default, a count of no members, a total carried over a gap) is
    never read as if it had been. An operand already unknown keeps what it lacks (the fact)."""
    if has_record or isinstance(value, Unknown):
        return value
    return Unknown(frozenset({MissingFact(kind, entity, NO_RECORD, str(at))}))


class _Unrecorded:
    """The type of `UNRECORDED`."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "UNRECORDED"


# What a walk's test gives for a period in which the entity has no record (never `True`).
UNRECORDED = _Unrecorded()

# The walks back in time, the one writing every executor and the explainer use. Each gives the
# value at `now` and how many periods it read, counting back from `now` (now included). A walk
# reads `tests`, an iterable the executor makes: for `now`, the period before, and so on, the
# operand's value where the subject (what the executor evaluates: an entity) has a record, else
# `UNRECORDED`, ending at the subject's first period of this kind (every period before it has no
# record; none at all when the subject has no record of the kind). A walk takes what it needs
# of it, in order, and reads nothing more, so an executor may make it lazily (a generator: the
# row executor) or at once (a list made in one comprehension over the entity's rows: the
# single-decision executor, which shares it between the walks over one operand). `operand(subject,
# now)` is the operand's value at `now` whatever the records, read only when `now` has none (what
# streak and first_time answer there). Periods are counted, never made, so a period is whatever
# the executor's `tests` walk (`Period`s, or the single-decision executor's ordinal integers).
Walker = Callable[[int, Iterable[object], object, object, Callable[[object, object], object]], tuple[object, int]]


def count_periods(n: int, tests: Iterable[object], subject, now, operand) -> tuple[object, int]:
    """In how many of the last n periods the condition held (only periods with a record count:
    a round without an evaluation never satisfies; an earlier period whose facts leave the
    condition unknown is such a round). Unknown now, the count is unknown (G8), as a streak is."""
    tests = iter(tests)
    current = next(tests, UNRECORDED)
    if current is UNRECORDED:
        current = operand(subject, now)
        if isinstance(current, Unknown):
            return current, 1
        current = None  # no record now: not counted
    elif isinstance(current, Unknown):
        return current, 1
    count = 1 if current is True else 0
    for value in islice(tests, n - 1):
        if value is True:
            count += 1
    return count, n


def streak(n: int, tests: Iterable[object], subject, now, operand) -> tuple[object, int]:
    """For how many periods in a row, back from now, the condition has held. A period without
    a record, or without the facts to decide, breaks the run (G4)."""
    tests = iter(tests)
    current = next(tests, UNRECORDED)
    if current is not True:
        if current is UNRECORDED:
            current = operand(subject, now)
        return (current if isinstance(current, Unknown) else 0), 1
    count = 1
    for value in tests:
        if value is not True:
            break
        count += 1
    return count, count + 1


def first_time(n: int, tests: Iterable[object], subject, now, operand) -> tuple[object, int]:
    """The condition holds now and held at no earlier period with a record."""
    tests = iter(tests)
    current = next(tests, UNRECORDED)
    if current is UNRECORDED:
        current = operand(subject, now)
    if current is not True:
        return (current if isinstance(current, Unknown) else False), 1
    depth = 1
    for value in tests:
        depth += 1
        if value is True:
            return False, depth
    return True, depth


WALKS: dict[str, Walker] = {"count_periods": count_periods, "streak": streak, "first_time": first_time}


@attrs.frozen(kw_only=True)
class Group:
    """The members of a group that take part in an aggregate (after `where:`) and their values."""

    values: Mapping[str, object]  # member id -> its value, in member order
    present: int  # members with a record in the period, before the filter
    summary: dict = attrs.field(factory=dict, eq=False, repr=False)  # what every member shares, once

    @property
    def members(self) -> tuple[str, ...]:
        return tuple(self.values)


def group(run: RunView, node: Hashable, kind: str, group_by: str | None, entity: str, period: Period,
          operand: ForEntity, where: ForEntity | None) -> Group | Unknown:
    """The group an aggregate sees for `entity`, computed once per run, node, group and period."""
    present = run.members(kind, group_by, entity, period)
    if isinstance(present, Unknown):
        return present
    key = (node, present, period)
    found = run.cache.get(key)
    if found is None:
        taking_part = tuple(m for m in present if where is None or where(m) is True)
        found = Group(values={m: operand(m) for m in taking_part}, present=len(present))
        run.cache[key] = found
    return found


def aggregate(function: str, descending: bool, n: int, seen: Group | Unknown, entity: str,
              operand: ForEntity, filtered: bool) -> object:
    """rank, top, bottom or a group_* value for `entity` over the group it sees."""
    if isinstance(seen, Unknown):
        return seen
    included = entity in seen.values
    # computed once per group and period, never per member (a city-wide mean is one sum)
    if function in ("rank", "top", "bottom"):
        known = seen.summary.get("sorted")
        if known is None:
            known = seen.summary["sorted"] = ops.sorted_known(list(seen.values.values()))
        own = seen.values[entity] if included else operand(entity)
        return ops.rank_aggregate(function, own, known, descending, n, own_included=included or not filtered)
    if function not in seen.summary:
        seen.summary[function] = ops.aggregate(function, None, list(seen.values.values()), descending, n)
    return seen.summary[function]
