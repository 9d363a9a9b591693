"""Stage 5, plan: a checked program and its graph in, an executable `Plan` out.

Derived values are taken in the graph's topological order and each expression is compiled once
into a Python closure `(run, entity_id, period) -> value`; parameters and tables, which read no
data, are computed here once. The closures ask the run (`evaluate.Run`) for facts, stored
derived values, group members and earlier periods, so that one plan serves any data set.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import attrs
import networkx as nx

from policydsl.engine import graph as g
from policydsl.language import ir
from policydsl.engine import ops
from policydsl.values import MissingFact, Period, Unknown

Compiled = Callable[[object, str, Period], object]


@attrs.frozen(kw_only=True)
class CompiledRule:
    rule: ir.Rule
    condition: Compiled | None
    consequences: tuple[tuple[ir.Consequence, Compiled | None, Compiled | None], ...]


@attrs.frozen(kw_only=True)
class Plan:
    program: ir.Program
    graph: nx.DiGraph
    value_order: tuple[tuple[str, str], ...]  # (entity kind, name), dependencies first
    values: Mapping[tuple[str, str], Compiled]
    parameters: Mapping[str, object]
    tables: Mapping[str, Mapping[object, object]]
    rules: tuple[CompiledRule, ...]
    recursive: frozenset[tuple[str, str]] = frozenset()  # values that read their own earlier periods


def constant(expr: ir.Expr, parameters: Mapping[str, object], tables: Mapping[str, Mapping]) -> object:
    """The value of an expression that reads no data (a parameter's or a table row's)."""
    return compile_expr(expr, None, parameters, tables)(None, "", Period(0))


def compile_expr(expr: ir.Expr, kind: str | None, parameters: Mapping, tables: Mapping) -> Compiled:
    def sub(e: ir.Expr) -> Compiled:
        return compile_expr(e, kind, parameters, tables)

    match expr:
        case ir.Const(value=value):
            return lambda run, entity, period: value
        case ir.Fact(entity=fact_kind, name=name, period_kind=period_kind):
            return lambda run, entity, period: run.fact(fact_kind, entity, period, name, period_kind)
        case ir.Derived(entity=value_kind, name=name):
            return lambda run, entity, period: run.derived(value_kind, name, entity, period)
        case ir.Param(name=name):
            return lambda run, entity, period: parameters[name]
        case ir.Builtin(name="period_start"):
            return lambda run, entity, period: period.start
        case ir.Builtin(name="period_end"):
            return lambda run, entity, period: period.end
        case ir.Builtin(name="evaluation_date"):
            return lambda run, entity, period: run.evaluation_date(period)
        case ir.Lookup(table=table, key=key):
            rows, key_fn = tables[table], sub(key)

            def lookup(run, entity, period):
                found = key_fn(run, entity, period)
                if isinstance(found, Unknown):
                    return found
                return rows.get(found, Unknown())
            return lookup
        case ir.Arith(op=op, operands=operands):
            fns = tuple(sub(o) for o in operands)
            return lambda run, entity, period: ops.arith(op, [f(run, entity, period) for f in fns])
        case ir.Compare(op=op, left=left, right=right):
            lf, rf = sub(left), sub(right)
            return lambda run, entity, period: ops.compare(op, lf(run, entity, period), rf(run, entity, period))
        case ir.Logic(op=op, operands=operands):
            fns = tuple(sub(o) for o in operands)
            if op == "not":
                return lambda run, entity, period: ops.logic_not(fns[0](run, entity, period))
            combine = ops.logic_and if op == "and" else ops.logic_or
            return lambda run, entity, period: combine([f(run, entity, period) for f in fns])
        case ir.Member(operand=operand, options=options, negated=negated):
            of, option_fns = sub(operand), tuple(sub(o) for o in options)
            return lambda run, entity, period: ops.member(
                of(run, entity, period), [f(run, entity, period) for f in option_fns], negated)
        case ir.Cond(condition=condition, then=then, otherwise=otherwise):
            cf, tf, of = sub(condition), sub(then), sub(otherwise)

            def conditional(run, entity, period):
                test = cf(run, entity, period)
                if isinstance(test, Unknown):
                    return test
                return tf(run, entity, period) if test else of(run, entity, period)
            return conditional
        case ir.Scalar(function=function, operands=operands):
            fns = tuple(sub(o) for o in operands)
            return lambda run, entity, period: ops.scalar(function, [f(run, entity, period) for f in fns])
        case ir.History():
            return _history(expr, kind, sub(expr.operand))
        case ir.Aggregate():
            return _aggregate(expr, kind, sub(expr.operand), sub(expr.where) if expr.where is not None else None)
        case ir.Via(ref=ref, kind=target, inner=inner):
            return _via(target, sub(ref), compile_expr(inner, target, parameters, tables))
    raise TypeError(f"cannot compile {type(expr).__name__}")  # unreachable for a checked program


def _history(expr: ir.History, kind: str, operand: Compiled) -> Compiled:
    n = expr.periods
    if expr.function == "previous":
        return lambda run, entity, period: operand(run, entity, period.shift(-n))
    if expr.function == "change":
        return lambda run, entity, period: ops.arith(
            "-", [operand(run, entity, period), operand(run, entity, period.shift(-n))])
    if expr.function == "streak":
        def streak(run, entity, period):
            now = operand(run, entity, period)
            if isinstance(now, Unknown):
                return now
            length, at = 0, period
            # A period without a record, or without the facts to decide, breaks the run.
            while run.has_record(kind, entity, at) and operand(run, entity, at) is True:
                length += 1
                at = at.shift(-1)
            return length
        return streak
    if expr.function == "count_periods":
        # only periods with a record count: a round without an evaluation never satisfies
        return lambda run, entity, period: sum(
            1 for back in range(n) if run.has_record(kind, entity, period.shift(-back))
            and operand(run, entity, period.shift(-back)) is True)

    def first_time(run, entity, period):
        now = operand(run, entity, period)
        if now is not True:
            return now if isinstance(now, Unknown) else False
        earliest = run.earliest(kind, entity, period.kind)
        at = period.shift(-1)
        while earliest is not None and at >= earliest:
            if run.has_record(kind, entity, at) and operand(run, entity, at) is True:
                return False
            at = at.shift(-1)
        return True
    return first_time


def _via(target: str, ref: Compiled, inner: Compiled) -> Compiled:
    def via(run, entity, period):
        other = ref(run, entity, period)
        if isinstance(other, Unknown):
            return other
        if not run.exists(target, str(other)):
            return Unknown(frozenset({MissingFact(target, str(other), "(no such entity)", "")}))
        return inner(run, str(other), period)
    return via


def _aggregate(expr: ir.Aggregate, kind: str, operand: Compiled, where: Compiled | None) -> Compiled:
    def aggregate(run, entity, period):
        members = run.members(kind, expr.group, entity, period)
        if isinstance(members, Unknown):
            return members
        key = (id(expr), members, period)
        values = run.cache.get(key)
        if values is None:
            taking_part = [m for m in members if where is None or where(run, m, period) is True]
            values = {m: operand(run, m, period) for m in taking_part}
            run.cache[key] = values
        own = values.get(entity, operand(run, entity, period))
        return ops.aggregate(expr.function, own, list(values.values()), expr.descending, expr.n,
                             own_included=entity in values or where is None)
    return aggregate


def make_plan(program: ir.Program, graph: nx.DiGraph) -> Plan:
    order = g.node_order(graph)
    parameters: dict[str, object] = {}
    tables: dict[str, dict] = {}
    for node in order:  # parameters and tables in dependency order: they may read each other
        data = graph.nodes[node]
        if data["kind"] == "parameter":
            parameters[data["name"]] = constant(program.parameters[data["name"]].expr, parameters, tables)
        elif data["kind"] == "table":
            table = program.tables[data["name"]]
            tables[table.name] = {key: constant(value, parameters, tables) for key, value in table.rows}
    value_order = tuple((graph.nodes[n]["entity"], graph.nodes[n]["name"]) for n in order
                        if graph.nodes[n]["kind"] == "value")
    values = {key: compile_expr(program.values[key].expr, key[0], parameters, tables) for key in value_order}
    def compiled(expr: ir.Expr | None, kind: str) -> Compiled | None:
        return compile_expr(expr, kind, parameters, tables) if expr is not None else None

    rules = tuple(
        CompiledRule(rule=rule, condition=compiled(rule.condition, rule.entity),
                     consequences=tuple((c, compiled(c.amount, rule.entity), compiled(c.value, rule.entity))
                                        for c in rule.consequences))
        for rule in program.rules)
    recursive = frozenset((graph.nodes[n]["entity"], graph.nodes[n]["name"]) for n in g.recursive_values(graph))
    return Plan(program=program, graph=graph, value_order=value_order, values=values, parameters=parameters,
                tables=tables, rules=rules, recursive=recursive)
