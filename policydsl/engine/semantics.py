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
from collections.abc import Callable, Hashable, Mapping
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
        earlier = period.shift(-n)
        before = recorded(operand(earlier), run.has_record(kind, entity, earlier), kind, entity, earlier)
        if function == "previous":
            return Walk(value=before, periods=(earlier,))
        return Walk(value=ops.arith("-", [operand(period), before]), periods=(period, earlier))
    value, depth = WALKS[function](n, None, period, *_walk_reads(run, kind, entity, period, operand))
    return Walk(value=value, periods=tuple(period.shift(-back) for back in range(depth)))


def history_value(function: str, n: int, run: RunView, kind: str, entity: str, period: Period,
                  operand: AtPeriod) -> object:
    """The value of `history` alone (what the plan's closures compute): no `Walk` is made."""
    if function in ("previous", "change"):
        earlier = period.shift(-n)
        before = recorded(operand(earlier), run.has_record(kind, entity, earlier), kind, entity, earlier)
        return before if function == "previous" else ops.arith("-", [operand(period), before])
    return WALKS[function](n, None, period, *_walk_reads(run, kind, entity, period, operand))[0]


def _walk_reads(run: RunView, kind: str, entity: str, period: Period, operand: AtPeriod):
    """What a walk reads of a run (`Walker`, the subject unused): the test of a period, the
    entity's first period of the kind, the operand itself."""
    def test(_, at: Period) -> object:
        return operand(at) if run.has_record(kind, entity, at) else UNRECORDED
    return test, lambda _: run.earliest(kind, entity, period.kind), lambda _, at: operand(at)


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
# value at `now` and how many periods it read, counting back from `now` (now included). A period
# is anything that steps back by `at - 1` and compares with another (a `Period`, or the
# single-decision executor's ordinal integers). A walk reads the periods of one subject (what
# the executor evaluates: an entity) and reads each period once, through `test(subject, at)`:
# the operand's value at `at` where the subject has a record there, else `UNRECORDED` (so an
# executor may fuse the record check and the operand, e.g. read a fact straight from the
# entity's row); `earliest(subject)` is its first period of this kind (None: none) and
# `operand(subject, at)` the operand's value whatever the records, read only at `now` when it
# has no record (what streak and first_time answer there). The functions are the executor's
# own, made once; the subject is passed, so a walk allocates nothing per call.
Walker = Callable[[int, object, object, Callable[[object, object], object], Callable[[object], object],
                   Callable[[object, object], object]], tuple[object, int]]


def count_periods(n: int, subject, now, test, earliest, operand) -> tuple[object, int]:
    """In how many of the last n periods the condition held (only periods with a record count:
    a round without an evaluation never satisfies)."""
    count, at = 0, now
    for _ in range(n):
        if test(subject, at) is True:
            count += 1
        at = at - 1
    return count, n


def streak(n: int, subject, now, test, earliest, operand) -> tuple[object, int]:
    """For how many periods in a row, back from now, the condition has held. A period without
    a record, or without the facts to decide, breaks the run (G4)."""
    current = test(subject, now)
    if current is not True:
        if current is UNRECORDED:
            current = operand(subject, now)
        return (current if isinstance(current, Unknown) else 0), 1
    count, at = 1, now - 1
    while test(subject, at) is True:
        count += 1
        at = at - 1
    return count, count + 1


def first_time(n: int, subject, now, test, earliest, operand) -> tuple[object, int]:
    """The condition holds now and held at no earlier period with a record."""
    current = test(subject, now)
    if current is UNRECORDED:
        current = operand(subject, now)
    if current is not True:
        return (current if isinstance(current, Unknown) else False), 1
    first = earliest(subject)
    if first is None:
        return True, 1
    depth, at = 1, now - 1
    while at >= first:
        depth += 1
        if test(subject, at) is True:
            return False, depth
        at = at - 1
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
