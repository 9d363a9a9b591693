"""Part of stage 7, explain: what a traced condition says about its decision.

In: trace nodes and rule traces (`explain.TraceNode`, `explain.RuleTrace`), plain data. Out: the
parts of a condition that decided it (Kleene logic, as `ops.logic_and` computes it), whether
missing data left a rule undecided, the facts a trace read, and the periods a missing fact was
read in where its entity has no record at all. `explain` builds an `Explanation` from these, so
its status, its failed parts and its missing facts come from one reading of the trace.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from policydsl.values import NO_RECORD, MissingFact, Period, Unknown

if TYPE_CHECKING:  # the trace's classes live in `explain`, which imports this module
    from policydsl.engine.explain import RuleTrace, TraceNode


def failed_parts(node: TraceNode) -> tuple[TraceNode, ...]:
    """The smallest parts of a condition that decided it false, or left it unknown.

    Each deciding operand of an `and` is reported on its own. Logic is Kleene's (`false and
    unknown` is false): a false `and` is decided by its false operands alone, so an unknown one
    beside them is not to blame and the facts it lacks are not what the decision lacks; an unknown
    `and` (no operand false) by its unknown ones. An `or` or a `not` that failed is reported
    whole, since no single part of it is to blame (a false `or` has no unknown operand, and an
    unknown one is unknown exactly because no operand is true).
    """
    if node.value is True:
        return ()
    if node.kind == "logic" and node.op == "and":
        deciding = [child for child in node.children if child.value is False] if node.value is False \
            else node.children
        return tuple(part for child in deciding for part in failed_parts(child))
    return (node,)


def undecided(trace: RuleTrace) -> bool:
    """Whether missing data left the rule undecided: its condition unknown, or its condition held
    and a payload it would pay is unknown."""
    if trace.condition is not None and trace.condition.value is not True:
        return isinstance(trace.condition.value, Unknown)
    return any(isinstance(part.value, Unknown) for part in trace.failed)


def facts_read(nodes: tuple[TraceNode, ...]) -> tuple[TraceNode, ...]:
    """Every fact the traces read, once, in entity/fact/period order."""
    seen: dict[tuple[str, str, str], TraceNode] = {}

    def visit(node: TraceNode) -> None:
        if node.kind == "fact":
            seen.setdefault((node.entity, node.text, node.period), node)
        for child in node.children:
            visit(child)
    for node in nodes:
        visit(node)
    return tuple(seen[k] for k in sorted(seen))


def unrecorded(facts: tuple[TraceNode, ...], missing: Iterable[MissingFact], kinds: Iterable[str],
               has_record: Callable[[str, str, Period], bool]) -> tuple[tuple[str, str, str], ...]:
    """The periods in which a missing fact (of the facts read, or of the decision's `missing`)
    was read from an entity with no record at all then, as (kind, entity, period): a data
    owner adds a row there, not a cell (`previous(x)` in an entity's first period of data)."""
    kinds = set(kinds)
    found = set()
    for fact in (*missing, *(m for node in facts for m in node.missing)):
        if fact.period and fact.fact != NO_RECORD and fact.entity_kind in kinds:
            key = (fact.entity_kind, fact.entity, fact.period)
            try:
                at = Period.parse(fact.period)
            except ValueError:  # not a period of the data: nothing to say about its records
                continue
            if key not in found and not has_record(fact.entity_kind, fact.entity, at):
                found.add(key)
    return tuple(sorted(found))
