"""Explanations rendered as data: JSON (`explain --format json`, the service's answers) and DOT.

In: an `Explanation`. Out: a JSON-ready dict, or Graphviz text. Nothing here computes a value.
"""

from __future__ import annotations

from policydsl.engine.explain import Explanation, TraceNode
from policydsl.render.decisions import decision_to_json
from policydsl.render.text import arithmetic
from policydsl.values import Unknown, format_value, json_value

def _node_json(node: TraceNode) -> dict:
    out = {"kind": node.kind, "text": node.text, "value": json_value(node.value), "entity": node.entity,
           "period": node.period or None, "span": node.span}
    if node.label:
        out["label"] = node.label
    if node.op:
        out["op"] = node.op
    if isinstance(node.value, Unknown):
        out["missing"] = [str(m) for m in sorted(node.value.missing)]
    if node.detail:
        out["detail"] = list(node.detail)
    worked = arithmetic(node) if node.kind in ("expr", "history", "value") else None
    if worked:
        out["arithmetic"] = worked
    if node.children:
        out["children"] = [_node_json(c) for c in node.children]
    if node.members is not None:
        listed = node.members
        out["members"] = {
            "kind": listed.kind, "via": listed.via, "where": listed.condition,
            "counted": [{"entity": m, "value": json_value(v)} for m, v in listed.counted],
            "excluded": [{"entity": s.member, "failed": [_node_json(f) for f in s.failed]} for s in listed.excluded],
            "left_out": [{"entity": m, "missing": [str(f) for f in missing]} for m, missing in listed.left_out],
        }
    return out


def explanation_json(explanation: Explanation) -> dict:
    e = explanation
    return {
        "question": e.question, "entity": e.entity, "entity_kind": e.entity_kind, "period": e.period,
        "outcome": e.outcome, "label": e.outcome_label, "outcome_kind": e.outcome_kind, "status": e.status,
        "decision": decision_to_json(e.decision) if e.decision else None,
        "superseded_by": [decision_to_json(d) for d in e.superseded_by],
        "rules": [{
            "rule": t.implements, "name": t.rule, "policy": t.policy, "cite": t.clause, "quote": t.quote,
            "span": t.span, "fired": t.fired,
            "condition": _node_json(t.condition) if t.condition else None,
            "failed": [_node_json(f) for f in t.failed],
            "payload": [_node_json(p) for p in t.payload],
        } for t in e.rules],
        "facts": [{"entity": f.entity, "fact": f.text, "period": f.period or None,
                   "value": json_value(f.value)} for f in e.facts],
        "missing": [str(m) for m in e.missing],
    }


def explanation_dot(explanation: Explanation) -> str:
    lines = ["digraph explanation {", "  rankdir=TB;", "  node [shape=box];"]
    counter = iter(range(1_000_000))

    def quote(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'

    def add(node: TraceNode) -> str:
        name = f"n{next(counter)}"
        where = f" [{node.period}]" if node.kind == "fact" and node.period else ""
        caption = f"{node.text}{where} = {format_value(node.value)}"
        worked = arithmetic(node) if node.kind in ("expr", "history", "value") else None
        if worked:
            caption += f"\n{worked}"
        if node.members is not None:  # every member counted, one per line
            caption += "\n" + "\n".join(m if v is True else f"{m} {format_value(v)}" for m, v in node.members.counted)
        lines.append(f"  {name} [label={quote(caption)}];")
        for child in node.children:
            if child.kind != "const":
                lines.append(f"  {add(child)} -> {name};")
        return name

    root = "outcome"
    e = explanation
    caption = f"{e.outcome} {e.outcome_label or ''}: {e.status}"
    lines.append(f"  {root} [shape=doubleoctagon, label={quote(caption)}];")
    for trace in e.rules:
        rule = f"r{next(counter)}"
        lines.append(f"  {rule} [shape=hexagon, label={quote(trace.implements + ' ' + trace.clause)}];")
        lines.append(f"  {rule} -> {root};")
        if trace.condition is not None:
            lines.append(f"  {add(trace.condition)} -> {rule};")
    lines.append("}")
    return "\n".join(lines) + "\n"
