"""The dependency graph: nodes of every kind, edges carrying the spans of references."""

from __future__ import annotations

import json

from conftest import ROOT

import policydsl
from policydsl.engine.graph import ancestors, build_graph, node_order, to_dot, to_json


def kaifeng_graph():
    compiled = policydsl.compile_paths([ROOT / "policies" / "kaifeng2014"])
    assert compiled.ok
    return compiled.graph


def test_graph_has_facts_parameters_values_rules_and_outcomes():
    graph = kaifeng_graph()
    kinds = {data["kind"] for _, data in graph.nodes(data=True)}
    assert kinds == {"fact", "parameter", "table", "value", "rule", "outcome"}


def test_edges_run_from_facts_through_values_and_rules_to_outcomes():
    graph = kaifeng_graph()
    path = ["fact:industrial_zone.absolute_index_position", "value:industrial_zone.composite_position",
            "value:industrial_zone.position_fall", "rule:kaifeng2014::fall_of_twenty_places", "outcome:zone_head_replacement_ordered"]
    assert all(graph.has_edge(a, b) for a, b in zip(path, path[1:]))


def test_every_edge_carries_the_span_of_its_reference():
    graph = kaifeng_graph()
    spans = graph.edges["value:industrial_zone.composite_position", "value:industrial_zone.position_fall"]["spans"]
    assert spans and all(s.path.endswith("zone_sanctions.pol") for s in spans)
    assert all(span.line > 0 for _, _, data in graph.edges(data=True) for span in data["spans"])


def test_an_outcome_traces_back_to_the_facts_it_needs():
    needed = {n for n in ancestors(kaifeng_graph(), "outcome:zone_criticised_low_growth") if n.startswith("fact:")}
    assert needed == {"fact:industrial_zone.tax_revenue", "fact:industrial_zone.value_added",
                      "fact:industrial_zone.fixed_asset_investment", "fact:industrial_zone.city"}


def test_order_is_topological_and_deterministic():
    graph = kaifeng_graph()
    order = node_order(graph)
    position = {n: i for i, n in enumerate(order)}
    # an edge made inside `previous` reads an earlier period (a running total may loop on itself)
    assert all(position[a] < position[b] for a, b, d in graph.edges(data=True) if d["same_period"])
    assert any(not d["same_period"] for _, _, d in graph.edges(data=True))
    assert order == node_order(kaifeng_graph())


def test_graph_exports_as_json_and_dot():
    graph = kaifeng_graph()
    payload = json.loads(to_json(graph))
    assert {"nodes", "edges"} <= payload.keys() and payload["edges"][0]["spans"]
    dot = to_dot(graph)
    assert dot.startswith("digraph policy {") and '"rule:kaifeng2014::fall_of_five_places" -> "outcome:zone_criticised_rank_drop"' in dot


def test_graph_of_a_single_file_matches_the_program():
    compiled = policydsl.compile_paths([ROOT / "policies" / "zhoukou2017"])
    graph = build_graph(compiled.program)
    assert {n for n in graph if n.startswith("rule:")} == {f"rule:{r.name}" for r in compiled.program.rules}
