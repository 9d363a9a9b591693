"""The single-decision executor's decision tables: the rules in force at a decider's period, as a
table over the values their conditions read.

In: the conditions of the rules a `single.Decider` evaluates at its one period (IR expressions)
and the kind's compiled closures (`fastpath.Prepared`). Out: the conditions' *leaves* (`Leaf`:
each maximal sub-expression that is not a pure combination — a fact, a derived value or a
history function at the period — with its closure, the one the conditions themselves call, and
the classes a known value of its static type has), or None where a table is not made.

Why a table is exact. Above its leaves a condition is a combination of comparisons,
`and`/`or`/`not`, membership, arithmetic, `if`, `min`/`max`/`abs`/`round`, `is_missing`/
`value_or`, table look-ups, constants, parameters and the period's own dates (the period is the
decider's, fixed): a function of the leaves' values alone, whatever entity they come from. So
which conditions hold is the same for every entity whose leaves have the same values, and the
decider keeps it per tuple of leaf values, filled by its normal evaluation on a miss. Only known
values of the leaf's static type are keys (`Leaf.classes`: an unknown, G8, or any other value
takes the normal path, which then decides — short-circuits and all — as it always does); a leaf
that fails takes the normal path too (which fails only if it reads that leaf). It is a compiled
decision table over the conditions' inputs, not a memo of requests: two entities with different
histories and the same streak share an entry, and the table is bounded by the leaves' values
(`TABLE_SIZE`; a full table ends it, the decider then evaluating every call).

No table where it would not pay: a condition or leaf reading other entities (group aggregates,
references, aggregates across kinds: computing those eagerly would build the entity's world
where a short-circuit may not need it), or more than `MAX_LEAVES` leaves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from fractions import Fraction

import attrs

from policydsl.engine.plan import child_node
from policydsl.language import ir
from policydsl.values import Percent

MAX_LEAVES = 16  # distinct leaves a decider's conditions may read and still have a table
TABLE_SIZE = 4096  # entries (tuples of leaf values) a decider's table holds

_NUMBERS = frozenset({int, Fraction})
# the classes of a known value of each type (`values.py`: exact numbers are int or Fraction)
_CLASSES: Mapping[str, frozenset[type]] = {
    "integer": frozenset({int}), "decimal": _NUMBERS, "money": _NUMBERS, "percent": frozenset({Percent}),
    "boolean": frozenset({bool}), "text": frozenset({str}), "date": frozenset({dt.date}), "ref": frozenset({str})}

# the nodes a condition combines its leaves with: their value is a function of their operands'
_PURE = (ir.Const, ir.Param, ir.Builtin, ir.Compare, ir.Logic, ir.Member, ir.Arith, ir.Scalar, ir.Cond,
         ir.Lookup, ir.ListOf)
# the nodes that read other entities (a group, a reference, the members of another kind)
_ELSEWHERE = (ir.Aggregate, ir.Members, ir.Via)


@attrs.frozen
class Leaf:
    """One value a decider's conditions read: its expression, node id and the classes of its
    known values; `fact`, for a fact of the decided period's kind, its name (read straight from
    the entity's row at the period: present, it is what the fact's closure returns)."""

    expr: ir.Expr
    node: str
    classes: frozenset[type]
    fact: str | None = None


def leaves(conditions: Iterable[tuple[ir.Expr, str]], program: ir.Program, kind: str, pk: str
           ) -> tuple[Leaf, ...] | None:
    """The distinct leaves of the conditions (each given with its node id) evaluated in periods
    of kind pk, the facts of that kind first, each group in order of first reading; None when the
    conditions have no table (see the module's docstring)."""
    found: dict[ir.Expr, Leaf] = {}
    pending = [(expr, node) for expr, node in conditions]
    pending.reverse()
    while pending:
        expr, node = pending.pop()
        if isinstance(expr, _PURE):
            pending.extend(reversed([(child, child_node(node, i)) for i, child in enumerate(ir.children(expr))]))
            continue
        if not isinstance(expr, (ir.Fact, ir.Derived, ir.History)) or not _local(expr, program, kind):
            return None
        if expr not in found:
            classes = _CLASSES.get("text" if expr.type.is_enum else expr.type.name)
            if classes is None or len(found) == MAX_LEAVES:
                return None  # a list, a duration...: no value of it is a key
            fact = expr.name if isinstance(expr, ir.Fact) and expr.period_kind == pk else None
            found[expr] = Leaf(expr=expr, node=node, classes=classes, fact=fact)
    return tuple(sorted(found.values(), key=lambda leaf: leaf.fact is None))


def _local(expr: ir.Expr, program: ir.Program, kind: str) -> bool:
    """Whether computing the expression reads the entity alone (its derived values followed)."""
    pending, seen = [expr], set()
    while pending:
        node = pending.pop()
        if isinstance(node, _ELSEWHERE) or (isinstance(node, ir.Derived) and node.entity != kind):
            return False
        if isinstance(node, ir.Derived):
            if node.name in seen:
                continue
            seen.add(node.name)
            pending.append(program.values[(kind, node.name)].expr)
        pending.extend(ir.children(node))
    return True
