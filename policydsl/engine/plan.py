"""Stage 5, plan: a checked program and its graph in, an executable `Plan` out.

Derived values are taken in the graph's topological order and each expression is compiled once
into a Python closure `(run, entity_id, period) -> value`, when it is first read (a derived value,
a rule's condition and payloads, or any node id of theirs: the columnar executor reads the closures
of the few rules it leaves to the row executor only); parameters and tables, which read no
data, are computed here once. The closures ask the run (`semantics.RunView`, implemented by
`evaluate.Run`) for facts, stored derived values, group members and earlier periods, so that one
plan serves any data set; history walks and aggregates are `semantics`' functions. Every
compiled sub-expression is kept under a stable node id (a path from its declaration), which
the explainer uses to read the same closures and the aggregate cache uses as its key. Two threads
reading one closure first may both compile it: the same closure, either is kept.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping

import attrs
import networkx as nx

from policydsl.engine import graph as g
from policydsl.engine import members, ops, semantics
from policydsl.engine.semantics import RunView
from policydsl.language import ir
from policydsl.values import Fields, MissingFact, Period, Unknown, unknown_of

# A compiled expression: its value for an entity at a period, read from a run.
Compiled = Callable[[RunView, str, Period], object]


@attrs.frozen(kw_only=True)
class CompiledRule:
    """A rule with its condition and payloads compiled when first read (`compile` makes them): the
    columnar executor reads the closures of the few rules it leaves to the row executor only."""

    rule: ir.Rule
    compile: Callable[[], tuple[Compiled | None, tuple]] = attrs.field(eq=False, repr=False)

    @functools.cached_property
    def _parts(self) -> tuple[Compiled | None, tuple]:
        return self.compile()

    @functools.cached_property
    def condition(self) -> Compiled | None:
        return self._parts[0]

    @functools.cached_property
    def consequences(self) -> tuple[tuple[ir.Consequence, Compiled | None, Compiled | None], ...]:
        return self._parts[1]


class OnFirstUse(dict):
    """A mapping whose entries are made when first read by `[]` (`make(key)` stores the key's entry,
    and may store others with it); `get`, `in` and iteration see only what was made so far."""

    def __init__(self, make: Callable[[object], None]):
        super().__init__()
        self._make = make

    def __missing__(self, key):
        self._make(key)
        return dict.__getitem__(self, key)


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
    # every compiled sub-expression by its stable node id (see `node_id`), for the explainer; a
    # declaration's nodes are compiled when one of them is first read (`OnFirstUse`)
    nodes: Mapping[str, Compiled] = attrs.field(factory=dict, eq=False, repr=False)


def value_node(kind: str, name: str) -> str:
    """The node id of a derived value's definition."""
    return f"value:{kind}.{name}"


def condition_node(rule: ir.Rule) -> str:
    return f"rule:{rule.name}:when"


def payload_node(rule: ir.Rule, index: int, part: str) -> str:
    """The node id of the amount or value (`part`) of a rule's `index`-th consequence."""
    return f"rule:{rule.name}:then{index}:{part}"


def field_part(name: str) -> str:
    """The `part` of a payload field's node id (`payload_node(rule, i, field_part("amount_min"))`)."""
    return f"field.{name}"


def payload_fields(outcome: ir.Outcome, given: Mapping[str, Callable[..., object]]) -> Callable[..., object]:
    """The value of an outcome with payload fields: every declared field in order (an optional one
    not set is None), or unknown when a field set needs missing data (G8: the rule does not fire).
    `given` are the compiled fields, called with whatever arguments the executor's closures take
    (the plan's `(run, entity, period)`, the single-decision path's `(entity, t)`)."""
    names = tuple(f.name for f in outcome.fields)
    units = tuple((f.name, " 万元") for f in outcome.fields if f.type.unit == "万元")

    def fields(*at):
        values = tuple(given[name](*at) if name in given else None for name in names)
        if any(isinstance(v, Unknown) for v in values):
            return unknown_of(*values)
        return Fields(items=tuple(zip(names, values)), units=units)
    return fields


def child_node(parent: str, index: int) -> str:
    """The node id of the `index`-th child (in `ir.children` order) of the node `parent`.

    Node ids are paths from a declaration, so they are the same in every compilation of the same
    program and serve as cache keys (never `id(expr)`, which a later object may reuse)."""
    return f"{parent}/{index}"


def constant(expr: ir.Expr, parameters: Mapping[str, object], tables: Mapping[str, Mapping]) -> object:
    """The value of an expression that reads no data (a parameter's or a table row's)."""
    return compile_expr(expr, None, parameters, tables, "constant")(None, "", Period(0))


def compile_expr(expr: ir.Expr, kind: str | None, parameters: Mapping, tables: Mapping, node: str,
                 nodes: dict[str, Compiled] | None = None) -> Compiled:
    """Compile an expression whose node id is `node`; every compiled sub-expression is recorded
    in `nodes` (when given) under its own node id."""
    children = ir.children(expr)

    def sub(index: int, in_kind: str | None = kind) -> Compiled:
        return compile_expr(children[index], in_kind, parameters, tables, child_node(node, index), nodes)

    compiled = _compile(expr, kind, parameters, tables, node, sub)
    if nodes is not None:
        nodes[node] = compiled
    return compiled


def _compile(expr: ir.Expr, kind: str | None, parameters: Mapping, tables: Mapping, node: str,
             sub: Callable[..., Compiled]) -> Compiled:
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
        case ir.Lookup(table=table):
            rows, key_fn = tables[table], sub(0)

            return lambda run, entity, period: ops.lookup(rows, key_fn(run, entity, period))
        case ir.Arith(op=op, operands=operands):
            fns = tuple(sub(i) for i in range(len(operands)))
            return lambda run, entity, period: ops.arith(op, [f(run, entity, period) for f in fns])
        case ir.Compare(op=op):
            lf, rf, comparison = sub(0), sub(1), ops.comparator(op)
            return lambda run, entity, period: comparison(lf(run, entity, period), rf(run, entity, period))
        case ir.Logic(op=op, operands=operands):
            fns = tuple(sub(i) for i in range(len(operands)))
            if op == "not":
                return lambda run, entity, period: ops.logic_not(fns[0](run, entity, period))
            join = ops.logic_and if op == "and" else ops.logic_or
            return lambda run, entity, period: join([f(run, entity, period) for f in fns])
        case ir.Member(options=options, negated=negated):
            of, option_fns = sub(0), tuple(sub(i + 1) for i in range(len(options)))
            return lambda run, entity, period: ops.member(
                of(run, entity, period), [f(run, entity, period) for f in option_fns], negated)
        case ir.Cond():
            cf, tf, of = sub(0), sub(1), sub(2)

            def conditional(run, entity, period):
                test = cf(run, entity, period)
                if isinstance(test, Unknown):
                    return test
                return tf(run, entity, period) if test else of(run, entity, period)
            return conditional
        case ir.Scalar(function=function, operands=operands):
            fns = tuple(sub(i) for i in range(len(operands)))
            return lambda run, entity, period: ops.scalar(function, [f(run, entity, period) for f in fns])
        case ir.ListOf(items=items, type=list_type):
            fns = tuple(sub(i) for i in range(len(items)))
            return lambda run, entity, period: ops.list_value([f(run, entity, period) for f in fns],
                                                              list_type.element)
        case ir.History(function=function, periods=n):
            operand = sub(0)
            return lambda run, entity, period: semantics.history_value(
                function, n, run, kind, entity, period, lambda at: operand(run, entity, at))
        case ir.Aggregate():
            return _aggregate(expr, kind, node, sub(0), sub(1) if expr.where is not None else None)
        case ir.Via(kind=target):
            return _via(target, sub(0), sub(1, target))
        case ir.Members():
            parts = [sub(i, expr.kind) for i in range(len(ir.children(expr)))]
            operand = parts.pop(0) if expr.operand is not None else None
            return _members(expr, kind, node, operand, parts[0] if parts else None)
    raise TypeError(f"cannot compile {type(expr).__name__}")  # unreachable for a checked program


def _via(target: str, ref: Compiled, inner: Compiled) -> Compiled:
    def via(run, entity, period):
        other = ref(run, entity, period)
        if isinstance(other, Unknown):
            return other
        if not run.exists(target, str(other)):
            return Unknown(frozenset({MissingFact(target, str(other), "(no such entity)", "")}))
        return inner(run, str(other), period)
    return via


def _aggregate(expr: ir.Aggregate, kind: str, node: str, operand: Compiled, where: Compiled | None) -> Compiled:
    def aggregate(run, entity, period):
        def value_of(member: str) -> object:
            return operand(run, member, period)
        seen = semantics.group(run, node, kind, expr.group, entity, period, value_of,
                               (lambda member: where(run, member, period)) if where is not None else None)
        return semantics.aggregate(expr.function, expr.descending, expr.n, seen, entity, value_of,
                                   filtered=where is not None)
    return aggregate


def _members(expr: ir.Members, kind: str, node: str, operand: Compiled | None, where: Compiled | None
             ) -> Compiled:
    """An aggregate over another kind's members: `members.gather`, then `members.fold`."""
    def aggregate(run, entity, period):
        seen = members.gather(
            run, node, expr.kind, expr.path, entity, period,
            (lambda m: operand(run, m, period)) if operand else None,
            (lambda m: where(run, m, period)) if where else None)
        return members.fold(expr.function, seen, kind, entity, period)
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
    # each declaration (a derived value, a rule) is compiled when first read: by an executor
    # (`values`, a rule's `condition`), or by the explainer through one of its node ids (`nodes`)
    owners: dict[str, Callable[[], object]] = {}

    def compile_owner(node: str) -> None:
        owner = owners.get(node.split("/", 1)[0])
        if owner is None:
            raise KeyError(node)
        owner()

    nodes: dict[str, Compiled] = OnFirstUse(compile_owner)

    def compile_value(key: tuple[str, str]) -> None:
        if key not in program.values:
            raise KeyError(key)
        values[key] = compile_expr(program.values[key].expr, key[0], parameters, tables, value_node(*key), nodes)

    values: dict[tuple[str, str], Compiled] = OnFirstUse(compile_value)
    for key in value_order:
        owners[value_node(*key)] = lambda key=key: values[key]

    def compiled(expr: ir.Expr | None, kind: str, node: str) -> Compiled | None:
        return compile_expr(expr, kind, parameters, tables, node, nodes) if expr is not None else None

    def value_of(rule: ir.Rule, index: int, consequence: ir.Consequence) -> Compiled | None:
        outcome = program.outcomes[consequence.outcome]
        if not outcome.fields:
            return compiled(consequence.value, rule.entity, payload_node(rule, index, "value"))
        given = {f.name: compiled(f.expr, rule.entity, payload_node(rule, index, field_part(f.name)))
                 for f in consequence.fields}
        return payload_fields(outcome, given)

    def rule_parts(rule: ir.Rule) -> Callable[[], tuple]:
        def compile_rule() -> tuple:
            return (compiled(rule.condition, rule.entity, condition_node(rule)),
                    tuple((c, compiled(c.amount, rule.entity, payload_node(rule, i, "amount")), value_of(rule, i, c))
                          for i, c in enumerate(rule.consequences)))
        return compile_rule

    rules = tuple(CompiledRule(rule=rule, compile=rule_parts(rule)) for rule in program.rules)
    for compiled_rule in rules:
        rule = compiled_rule.rule
        # every node id the rule owns: its condition's, and each payload's (amount, value, field)
        for node in [condition_node(rule)] + [payload_node(rule, i, part) for i, c in enumerate(rule.consequences)
                                              for part in ("amount", "value", *(field_part(f.name) for f in c.fields))]:
            owners[node] = lambda compiled_rule=compiled_rule: compiled_rule.condition
    recursive = frozenset((graph.nodes[n]["entity"], graph.nodes[n]["name"]) for n in g.recursive_values(graph))
    return Plan(program=program, graph=graph, value_order=value_order, values=values, parameters=parameters,
                tables=tables, rules=rules, recursive=recursive, nodes=nodes)
