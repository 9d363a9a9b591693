"""Aggregates over the members of another entity kind: their meaning, written once.

`count(enterprise where class = A)` for a zone, `sum(amount over tax_payment)` for an
enterprise, `mean(x over industrial_zone)` for a city: the members are the entities of the
member kind whose chain of static references (`ir.Members.path`) leads to the entity, and that
take part in the period (a record in it, or no periodic record at all: an entity described by
static attributes only belongs to every period). The compiled plan computes the value with
`gather` and `fold` (the run is read through `semantics.RunView`, the one interface the plan
asks of a run); the explainer lists the members from the very same `MemberSet`, so the two
cannot disagree. In: a run, the member kind and path, the operand and filter as functions of a
member; out: a `MemberSet`, then a value.

Missing data (catalogue G8): a member whose filter or operand needs missing data is left out
of count, sum, mean, min and max, and the `MemberSet` keeps it with the facts it lacks, so that
the explanation says how many were counted, which were left out and why. `reported` says whether
any member takes part (a kind has rows for this entity in the period). With no member
counted, sum is 0 and count is 0, but mean, min and max are unknown; if every member was left
out, the value is unknown. any and all follow Kleene logic: `all` is false as soon as one
member fails, unknown when none fails but one is unknown, true otherwise (true for no members).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping

import attrs

from policydsl.engine import ops
from policydsl.engine.semantics import RunView
from policydsl.values import MissingFact, Period, Unknown

# The value of an operand or filter for a member entity in the same period.
ForMember = Callable[[str], object]


@attrs.frozen(kw_only=True)
class MemberSet:
    """The members an aggregate saw for one entity and period, in id order."""

    kind: str
    counted: Mapping[str, object]  # member -> operand value (True for a count)
    excluded: tuple[str, ...]  # members for which the `where` filter is false
    left_out: Mapping[str, Unknown]  # members whose filter or operand needs missing data


def gather(run: RunView, node: Hashable, kind: str, path: tuple[tuple[str, str], ...], entity: str,
           period: Period, operand: ForMember | None, where: ForMember | None) -> MemberSet:
    """The members of `entity` at `period`, each counted, excluded by the filter, or left out."""
    key = ("members", node, entity, period)
    found = run.cache.get(key)
    if found is not None:
        return found
    counted: dict[str, object] = {}
    excluded: list[str] = []
    left_out: dict[str, Unknown] = {}
    for member in run.related(kind, path, entity, period):
        holds = where(member) if where is not None else True
        if isinstance(holds, Unknown):
            left_out[member] = holds
            continue
        if holds is not True:
            excluded.append(member)
            continue
        value = operand(member) if operand is not None else True
        if isinstance(value, Unknown):
            left_out[member] = value
        else:
            counted[member] = value
    found = MemberSet(kind=kind, counted=counted, excluded=tuple(excluded), left_out=left_out)
    run.cache[key] = found
    return found


def fold(function: str, members: MemberSet, entity_kind: str, entity: str, period: Period) -> object:
    """count, sum, mean, min, max, any or all over the members counted."""
    values = list(members.counted.values())
    if function == "count":
        return len(values)
    if function == "reported":  # some member has a row in the period (unknown if only a doubtful one)
        return True if values else _unknown(members) if members.left_out else False
    if function in ("any", "all"):
        decisive = function == "any"  # any: one true member decides; all: one false member does
        if any(v is decisive for v in values):
            return decisive
        if members.left_out:
            return _unknown(members)
        return not decisive
    if not values:
        if members.left_out:
            return _unknown(members)
        if function == "sum":
            return 0
        return Unknown(frozenset({MissingFact(entity_kind, entity, f"(no {members.kind} to take the {function} of)",
                                              str(period))}))
    if function == "sum":  # the group aggregates' own sum and mean (percents too)
        return ops.total(values)
    if function == "mean":
        return ops.mean(values)
    return min(values) if function == "min" else max(values)


def _unknown(members: MemberSet) -> Unknown:
    return Unknown(frozenset(m for u in members.left_out.values() for m in u.missing))
