"""Stage 4, graph: a checked `ir.Program` in, its dependency graph (networkx) out.

Nodes are facts, parameters, tables, derived values, rules and outcomes; an edge runs from what
is read to what reads it and carries the spans of the references that made it. The graph orders
evaluation (`plan`), finds cycles among derived values (reported edge by edge, with the source
line of each reference) and answers "what does this outcome depend on" for explanations.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import networkx as nx

from policydsl.language import ir
from policydsl.diagnostics import Diagnostic, Note, Span, error


def fact_node(entity: str, name: str) -> str:
    return f"fact:{entity}.{name}"


def value_node(entity: str, name: str) -> str:
    return f"value:{entity}.{name}"


def param_node(name: str) -> str:
    return f"param:{name}"


def table_node(name: str) -> str:
    return f"table:{name}"


def rule_node(name: str) -> str:
    return f"rule:{name}"


def outcome_node(name: str) -> str:
    return f"outcome:{name}"


def _references(expr: ir.Expr, earlier: bool = False) -> list[tuple[str, Span, bool]]:
    """Every name an expression reads, with its span, and whether it reads only an earlier
    period (inside `previous`): such a reference may close a loop, as a running total does."""
    found = []
    match expr:
        case ir.Fact(entity=entity, name=name):
            found.append((fact_node(entity, name), expr.span, earlier))
        case ir.Derived(entity=entity, name=name):
            found.append((value_node(entity, name), expr.span, earlier))
        case ir.Param(name=name):
            found.append((param_node(name), expr.span, earlier))
        case ir.Lookup(table=name):
            found.append((table_node(name), expr.span, earlier))
        case ir.Members(path=path):
            # the references that make an entity a member are read as well
            found.extend((fact_node(kind, attribute), expr.span, earlier) for kind, attribute in path)
    inner_earlier = earlier or (isinstance(expr, ir.History) and expr.function == "previous")
    for child in ir.children(expr):
        found.extend(_references(child, inner_earlier))
    return found


def _link(graph: nx.DiGraph, source: str, target: str, span: Span, earlier: bool = False) -> None:
    if graph.has_edge(source, target):
        graph.edges[source, target]["spans"].append(span)
        graph.edges[source, target]["same_period"] |= not earlier
    else:
        graph.add_edge(source, target, spans=[span], same_period=not earlier)


def build_graph(program: ir.Program) -> nx.DiGraph:
    graph = nx.DiGraph()
    for kind, schema in program.entities.items():
        for name, fact in schema.facts.items():
            graph.add_node(fact_node(kind, name), kind="fact", entity=kind, name=name,
                           label=fact.label, period_kind=fact.period_kind)
    for name, parameter in program.parameters.items():
        graph.add_node(param_node(name), kind="parameter", name=name, label=parameter.label,
                       span=parameter.span)
    for name, table in program.tables.items():
        graph.add_node(table_node(name), kind="table", name=name, label=table.label, span=table.span)
        for _, value in table.rows:
            for source, span, earlier in _references(value):
                _link(graph, source, table_node(name), span, earlier)
    for name, parameter in program.parameters.items():
        for source, span, earlier in _references(parameter.expr):
            _link(graph, source, param_node(name), span, earlier)
    for (kind, name), value in program.values.items():
        graph.add_node(value_node(kind, name), kind="value", entity=kind, name=name, label=value.label,
                       span=value.span)
    for (kind, name), value in program.values.items():
        for source, span, earlier in _references(value.expr):
            _link(graph, source, value_node(kind, name), span, earlier)
    for name, outcome in program.outcomes.items():
        graph.add_node(outcome_node(name), kind="outcome", name=name, label=outcome.label,
                       outcome_kind=outcome.kind, span=outcome.span)
    for rule in program.rules:
        node = rule_node(rule.name)
        graph.add_node(node, kind="rule", name=rule.name, label=rule.label, implements=rule.implements,
                       clause=rule.clause, policy=rule.policy, span=rule.span)
        exprs = [rule.condition] if rule.condition else []
        exprs += [e for c in rule.consequences for e in c.expressions]
        for expr in exprs:
            for source, span, earlier in _references(expr):
                _link(graph, source, node, span, earlier)
        for consequence in rule.consequences:
            _link(graph, node, outcome_node(consequence.outcome), consequence.span)
    return graph


def cycle_diagnostics(graph: nx.DiGraph, program: ir.Program) -> list[Diagnostic]:
    """One diagnostic per cycle among derived values and parameters, each edge as a note."""
    computed = same_period(graph).subgraph(
        n for n, d in graph.nodes(data=True) if d["kind"] in ("value", "parameter", "table"))
    diagnostics = []
    for component in sorted(nx.strongly_connected_components(computed), key=lambda c: sorted(c)):
        if len(component) == 1:
            node = next(iter(component))
            if not computed.has_edge(node, node):
                continue
        # edges run from what is read to its reader; reversed, the cycle reads "a reads b reads …"
        cycle = [(b, a) for a, b in reversed(nx.find_cycle(computed.subgraph(component), source=min(component)))]
        names = [computed.nodes[reader]["name"] for reader, _ in cycle] + [computed.nodes[cycle[0][0]]["name"]]
        notes = tuple(
            Note(message=f"`{computed.nodes[reader]['name']}` reads `{computed.nodes[read]['name']}` here",
                 span=computed.edges[read, reader]["spans"][0])
            for reader, read in cycle)
        first = computed.nodes[cycle[0][0]]
        diagnostics.append(error(
            "E401", "these values are defined in terms of each other: " + " reads ".join(f"`{n}`" for n in names),
            first.get("span") or notes[0].span, notes=notes,
            hint="a value may read earlier periods of itself only through a fact; break the cycle"))
    return diagnostics


def same_period(graph: nx.DiGraph) -> nx.DiGraph:
    """The graph without the edges that only read earlier periods (`previous`)."""
    return graph.edge_subgraph((a, b) for a, b, d in graph.edges(data=True) if d["same_period"]).copy() \
        if any(not d["same_period"] for _, _, d in graph.edges(data=True)) else graph


def recursive_values(graph: nx.DiGraph) -> set[str]:
    """Values that read their own earlier periods, directly or through others."""
    found = set()
    for component in nx.strongly_connected_components(graph):
        node = next(iter(component))
        if len(component) > 1 or graph.has_edge(node, node):
            found |= {n for n in component if graph.nodes[n]["kind"] == "value"}
    return found


def node_order(graph: nx.DiGraph) -> list[str]:
    """A deterministic topological order (ties broken by node name) of the same-period dependencies."""
    ordered = same_period(graph)
    missing = [n for n in graph if n not in ordered]  # nodes that only had earlier-period edges
    ordered = ordered.copy() if ordered is not graph else ordered
    ordered.add_nodes_from(missing)
    return list(nx.lexicographical_topological_sort(ordered))


def ancestors(graph: nx.DiGraph, node: str) -> set[str]:
    return nx.ancestors(graph, node)


def select(graph: nx.DiGraph, *, policies: Sequence[str] = (), outcomes: Sequence[str] = (),
           depth: int | None = None) -> nx.DiGraph:
    """The part of the graph that decides the chosen outcomes: the rules of the chosen policies
    (all rules if none) that produce the chosen outcomes (any if none), their outcomes, and what
    they read, at most `depth` edges upstream of an outcome. Facts no rule reads are left out."""
    rules = [n for n, d in graph.nodes(data=True) if d["kind"] == "rule"
             and (not policies or d.get("policy") in policies)
             and (not outcomes or any(graph.nodes[o].get("name") in outcomes for o in graph.successors(n)))]
    roots = {o for r in rules for o in graph.successors(r)
             if graph.nodes[o]["kind"] == "outcome" and (not outcomes or graph.nodes[o]["name"] in outcomes)}
    # distances upstream from the chosen outcomes, through the chosen rules only
    distance = {o: 0 for o in roots}
    frontier = sorted(roots)
    chosen_rules = set(rules)
    while frontier:
        following = []
        for node in frontier:
            if depth is not None and distance[node] >= depth:
                continue
            for source in graph.predecessors(node):
                if graph.nodes[source]["kind"] == "rule" and source not in chosen_rules:
                    continue
                if source not in distance:
                    distance[source] = distance[node] + 1
                    following.append(source)
        frontier = following
    return graph.subgraph(distance).copy()


def to_json(graph: nx.DiGraph) -> str:
    def clean(data: dict) -> dict:
        out = {}
        for key, value in data.items():
            if key == "span":
                out[key] = str(value)
            elif key == "spans":
                out[key] = [str(s) for s in value]
            else:
                out[key] = value
        return out

    payload = {
        "nodes": [{"id": n, **clean(d)} for n, d in sorted(graph.nodes(data=True))],
        "edges": [{"source": a, "target": b, **clean(d)} for a, b, d in sorted(graph.edges(data=True))],
    }
    return json.dumps(payload, ensure_ascii=False, indent=2)


_SHAPES = {"fact": "box", "parameter": "note", "table": "note", "value": "ellipse", "rule": "hexagon",
           "outcome": "doubleoctagon"}


def _dot_quote(text: str) -> str:
    """A DOT string; a line break in the text becomes DOT's own `\\n` (a centred line break)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(graph: nx.DiGraph) -> str:
    lines = ["digraph policy {", "  rankdir=LR;", '  node [fontname="Noto Sans CJK SC,sans-serif"];']
    for node, data in sorted(graph.nodes(data=True)):
        caption = data.get("name", node)
        if data["kind"] == "rule" and data.get("implements"):
            caption = f"{caption}\n{data['implements']}"
        if data.get("label"):
            caption = f"{caption}\n{data['label']}"
        lines.append(f"  {_dot_quote(node)} [shape={_SHAPES[data['kind']]}, label={_dot_quote(caption)}];")
    for source, target, data in sorted(graph.edges(data=True)):
        where = data["spans"][0]
        lines.append(f"  {_dot_quote(source)} -> {_dot_quote(target)} [tooltip={_dot_quote(str(where))}];")
    lines.append("}")
    return "\n".join(lines) + "\n"
