"""Stage 3, checks around resolution: the order untyped parameters are checked in, the period kind
of every value and rule, and the values of reported targets (which no rule reads).

In: the AST modules, or the resolved `ir.Program`, and the resolver's checker. Out: diagnostics
(added to the list given), and the program with its period kinds set.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from policydsl.diagnostics import Diagnostic, Note, Span, error
from policydsl.language import ast, ir

if TYPE_CHECKING:
    from policydsl.language.resolve import _Resolver


def _period_kinds(expr: ir.Expr, program_values: dict, memo: dict) -> dict[str, tuple[str, Span]]:
    """Which period kinds an expression reads, each with the first fact that brings it in."""
    found: dict[str, tuple[str, Span]] = {}
    for item in ir.walk(expr):
        if isinstance(item, ir.Fact) and item.period_kind:
            found.setdefault(item.period_kind, (item.name, item.span))
        elif isinstance(item, ir.Derived):
            key = (item.entity, item.name)
            if key not in memo:
                memo[key] = {}  # guards against cycles, which `graph` reports
                value = program_values.get(key)
                memo[key] = _period_kinds(value.expr, program_values, memo) if value else {}
            for kind, (name, _) in memo[key].items():
                found.setdefault(kind, (name, item.span))
    return found


def check_period_kinds(program: ir.Program, diagnostics: list[Diagnostic]) -> ir.Program:
    memo: dict = {}
    values = {}

    def single(kinds: dict, span: Span, what: str) -> str | None:
        if len(kinds) > 1:
            (name_a, span_a), (name_b, span_b) = kinds["year"], kinds["quarter"]
            diagnostics.append(error(
                "E214", f"{what} mixes the yearly fact `{name_a}` with the quarterly fact `{name_b}`", span_b,
                notes=(Note(message=f"`{name_a}` is read here", span=span_a),),
                hint="a yearly rule reads yearly facts; compute quarterly values in a quarterly rule"))
            return None
        return next(iter(kinds), None)

    for key, value in program.values.items():
        kinds = _period_kinds(value.expr, program.values, memo)
        values[key] = attrs.evolve(value, period_kind=single(kinds, value.span, f"value `{value.name}`"))
    rules = []
    for rule in program.rules:
        kinds: dict = {}
        exprs = [rule.condition] if rule.condition else []
        exprs += [e for c in rule.consequences for e in c.expressions]
        for expr in exprs:
            for kind, where in _period_kinds(expr, program.values, memo).items():
                kinds.setdefault(kind, where)
        local_name = rule.name.split("::")[-1]  # `resolve.qualified`'s policy prefix off
        rules.append(attrs.evolve(rule, period_kind=single(kinds, rule.span, f"rule `{local_name}`")))
    return attrs.evolve(program, values=values, rules=tuple(rules))


def check_reported_targets(modules: tuple[ast.Module, ...], resolver: _Resolver) -> None:
    """`approximately M near V` without `within` reports M and gives no verdict, so V is in no
    rule: it is checked here as compared with M (its names, its unit, a written plain number
    beside a percent), as it would be with a tolerance."""
    for module in modules:
        for decl in module.declarations:
            if not (isinstance(decl, ast.TargetDecl) and decl.near is not None and decl.measure is not None
                    and decl.tolerance is None and decl.entity is not None
                    and decl.entity.name in resolver.entities):
                continue
            resolver.checker.policy = resolver.policy_of(module)
            resolver.checker.check(ast.Compare(op="=", left=decl.measure, right=decl.near, span=decl.near.span),
                                   decl.entity.name)


def readers_last(decls: list[tuple[str, ast.ParameterDecl]]) -> list[tuple[str, ast.ParameterDecl]]:
    """The parameters in an order where one without a declared type is checked before those that
    read it: its type is its value's, and until checked it is unknown (which any check would let
    pass: `parameter b: integer = a` with `a = 2.5` declared below). A cycle keeps the written
    order (the graph stage reports it)."""
    untyped = {(policy, d.name) for policy, d in decls if d.type is None}
    order, placed, visiting = [], set(), set()
    by_name = {(policy, d.name): (policy, d) for policy, d in decls}

    def place(key: tuple[str, str]) -> None:
        if key in placed or key in visiting:
            return
        visiting.add(key)
        policy, decl = by_name[key]
        for node in ast.walk(decl.value):
            if isinstance(node, ast.Name):  # as `ExprChecker._own` reads a name: the policy's own, else a shared one
                read = (policy, node.name) if (policy, node.name) in by_name else (None, node.name)
                if read in untyped:
                    place(read)
        visiting.discard(key)
        placed.add(key)
        order.append(by_name[key])
    for policy, decl in decls:
        place((policy, decl.name))
    return order
