"""Scopes against data: a policy's `scope KIND: C` that no entity of the data satisfies.

In: the scope declarations of the loaded policies (with their policy's name) and a `Dataset`.
Out: `DataIssue` warnings. `scope industrial_zone: city = "开封市"` over data whose zones say
`kaifeng` would silently give no decisions at all; the warning lists the values the data has.
Only what can be read without evaluating is checked: the conjunction of `fact = "literal"` and
`fact in {…}` comparisons of the condition. A kind absent from the data is not checked.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from policydsl.language import ast
from policydsl.language.printer import expr_text
from policydsl.schema import DataIssue, Dataset

MAX_SHOWN = 10


@attrs.frozen(kw_only=True)
class Scope:
    policy: str | None
    declaration: ast.ScopeDecl


def scopes_of(modules: Iterable[ast.Module]) -> tuple[Scope, ...]:
    found = []
    for module in modules:
        policy = next((d.name for d in module.declarations if isinstance(d, ast.PolicyDecl)), None)
        found += [Scope(policy=policy, declaration=d) for d in module.declarations if isinstance(d, ast.ScopeDecl)]
    return tuple(found)


def _atoms(condition: ast.Expr, facts) -> list[tuple[str, frozenset[str]]]:
    """(fact, accepted texts) for each comparison of a fact with literals in a conjunction."""
    def literal(expr: ast.Expr) -> str | None:
        if isinstance(expr, ast.StringLit):
            return expr.value
        if isinstance(expr, ast.Name) and expr.name not in facts:
            return expr.name  # an enumeration member
        return None

    match condition:
        case ast.And(operands=operands):
            return [atom for operand in operands for atom in _atoms(operand, facts)]
        case ast.Compare(op="=", left=ast.Name(name=name), right=right) if name in facts and literal(right):
            return [(name, frozenset({literal(right)}))]
        case ast.Compare(op="=", left=left, right=ast.Name(name=name)) if name in facts and literal(left):
            return [(name, frozenset({literal(left)}))]
        case ast.Member(operand=ast.Name(name=name), options=options, negated=False) if name in facts:
            texts = [literal(o) for o in options]
            return [(name, frozenset(texts))] if all(t is not None for t in texts) else []
    return []


def scope_warnings(scopes: Iterable[Scope], dataset: Dataset, schemas) -> tuple[DataIssue, ...]:
    warnings = []
    for scope in scopes:
        decl = scope.declaration
        kind = decl.entity.name
        if kind not in schemas:
            continue
        atoms = _atoms(decl.condition, schemas[kind].facts)
        if not atoms:
            continue
        seen: dict[str, set[str]] = {fact: set() for fact, _ in atoms}
        count, entities = _entity_values(dataset, kind, tuple(seen))
        if not count:
            continue
        matched = False
        for found in entities:
            for fact, texts in found.items():
                seen[fact] |= texts
            if all(found[fact] & accepted for fact, accepted in atoms):
                matched = True
                break
        if matched:
            continue
        parts = []
        for fact, accepted in atoms:
            shown = sorted(seen[fact])
            listing = ", ".join(shown[:MAX_SHOWN]) + (f" and {len(shown) - MAX_SHOWN} more" if len(shown) > MAX_SHOWN
                                                       else "")
            parts.append(f"`{fact}` has " + (listing if shown else "no values"))
        warnings.append(DataIssue(
            source=str(decl.condition.span), severity="warning", about="scope",
            message=f"the scope of policy `{scope.policy}` for `{kind}` ({expr_text(decl.condition)}) matches none "
                    f"of the {count} {kind} entities in the data; " + "; ".join(parts)))
    return tuple(warnings)


def _entity_values(dataset: Dataset, kind: str, facts: tuple[str, ...]
                   ) -> tuple[int, Iterable[dict[str, set[str]]]]:
    """How many entities of the kind the data has, and for each the texts of the facts (its static
    attribute, or its values in every period). A data set read into columns answers from them
    (`Dataset.entity_values`) when it can, without making the kind's records."""
    found = dataset.entity_values(kind, facts)
    if found is not None:
        return found
    records = dataset.entities(kind)

    def values(record, fact: str) -> set[str]:
        if fact in record.static:
            return {str(record.static[fact])}
        return {str(row[fact]) for row in record.periods.values() if fact in row}
    return len(records), ({fact: values(record, fact) for fact in facts} for record in records.values())
