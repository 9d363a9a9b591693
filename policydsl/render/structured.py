"""Explanations rendered as data: JSON (`explain --format json`, the service's answers) and DOT.

In: an `Explanation` and a language. Out: a JSON-ready dict, or Graphviz text. JSON keeps the
identifiers (`text` is the policy's own text) and adds each node's `reading` and each note's text
in the language asked for, beside the note's key and arguments. Nothing here computes a value.
"""

from __future__ import annotations

from policydsl.engine.explain import Explanation, TraceNode
from policydsl.engine.readings import Message
from policydsl.render.decisions import decision_to_json
from policydsl.render.messages import say, status_key
from policydsl.render.text import Writer, arithmetic, as_of_text, fact_value, why_failed
from policydsl.values import Unknown, json_value


def message_json(message: Message, lang: str) -> dict:
    """A note as data: its catalogue key, its arguments, and its text in `lang`."""
    return {"key": message.key, "args": {name: _argument_json(value) for name, value in message.args},
            "text": say(message, lang)}


def _argument_json(value: object) -> object:
    if isinstance(value, Message):
        return {"key": value.key, "args": {name: _argument_json(v) for name, v in value.args}}
    if isinstance(value, tuple):
        return [_argument_json(v) for v in value]
    if isinstance(value, str) or value is None:
        return value
    return json_value(value)


def _node_json(node: TraceNode, w: Writer) -> dict:
    out = {"kind": node.kind, "text": node.text, "value": json_value(node.value), "entity": node.entity,
           "period": node.period or None, "span": node.span}
    if node.reading is not None:
        out["reading"] = say(node.reading, w.lang)
    if node.label:
        out["label"] = node.label
    if node.unit:
        out["unit"] = node.unit
    if node.op:
        out["op"] = node.op
    if isinstance(node.value, Unknown):
        out["missing"] = [str(m) for m in sorted(node.value.missing)]
    if node.detail:
        out["detail"] = [message_json(d, w.lang) for d in node.detail]
    worked = arithmetic(node, w.lang) if node.kind in ("expr", "history", "value") else None
    if worked:
        out["arithmetic"] = worked
    if node.children:
        out["children"] = [_node_json(c, w) for c in node.children]
    if node.members is not None:
        listed = node.members
        out["members"] = {
            "kind": listed.kind, "kind_label": listed.kind_name.arg("label"), "via": listed.via,
            "via_reading": say(listed.via_reading, w.lang) if listed.via_reading else None,
            "where": listed.condition,
            "where_reading": say(listed.condition_reading, w.lang) if listed.condition_reading else None,
            "counted": [{"entity": m, "value": json_value(v)} for m, v in listed.counted],
            "excluded": [{"entity": s.member, "why": [why_failed(f, w) for f in s.failed],
                          "failed": [_node_json(f, w) for f in s.failed]} for s in listed.excluded],
            "left_out": [{"entity": m, "missing": [str(f) for f in missing]} for m, missing in listed.left_out],
        }
    return out


def explanation_json(explanation: Explanation, lang: str = "en") -> dict:
    w = Writer(lang, explanation.fact_labels, explanation.unrecorded)
    e = explanation
    return {
        "question": e.question, "lang": lang, "entity": e.entity, "entity_kind": e.entity_kind,
        "entity_kind_label": e.entity_kind_label, "period": e.period,
        "outcome": e.outcome, "label": e.outcome_label, "outcome_kind": e.outcome_kind, "status": e.status,
        "status_text": w(status_key(e.status, e.missing)),
        "as_of": e.as_of,  # a document status under --as-of: the day it is decided on
        "decision": decision_to_json(e.decision) if e.decision else None,
        "superseded_by": [decision_to_json(d) for d in e.superseded_by],
        "rules": [{
            "rule": t.implements, "name": t.rule, "policy": t.policy, "cite": t.clause, "quote": t.quote,
            "span": t.span, "fired": t.fired, "in_force": t.in_force,
            "outside": say(t.outside, lang) if t.outside is not None else None,  # why not in force, with dates
            "condition": _node_json(t.condition, w) if t.condition else None,
            "failed": [_node_json(f, w) for f in t.failed],
            "payload": [_node_json(p, w) for p in t.payload],
        } for t in e.rules],
        "facts": [_fact_json(f, w) for f in e.facts],
        "missing": [str(m) for m in e.missing],
        # the periods a missing fact was read in where its entity has no record at all
        "no_record": [{"entity_kind": kind, "entity": entity, "period": period}
                      for kind, entity, period in e.unrecorded],
    }


def _fact_json(fact: TraceNode, w: Writer) -> dict:
    out = {"entity": fact.entity, "fact": fact.text, "label": fact.label, "period": fact.period or None,
           "value": json_value(fact.value)}
    if any(w.without_record(m) for m in fact.missing):  # the row is absent, not the cell
        out["no_record"] = True
    return out


def explanation_dot(explanation: Explanation, lang: str = "en") -> str:
    w = Writer(lang, explanation.fact_labels, explanation.unrecorded)
    lines = ["digraph explanation {", "  rankdir=TB;", "  node [shape=box];"]
    counter = iter(range(1_000_000))

    def quote(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'

    def add(node: TraceNode) -> str:
        name = f"n{next(counter)}"
        where = f" [{node.period}]" if node.kind == "fact" and node.period else ""
        first = w.name(node)[0] if node.kind in ("fact", "value", "parameter") else w.expr(node)
        # a fact of a period without a record says so; any other unknown reads as the value it is
        shown = fact_value(node, w) if node.kind == "fact" and any(w.without_record(m) for m in node.missing) \
            else w.value(node.value, node.unit)
        caption = f"{first}{where} = {shown}"
        worked = arithmetic(node, w.lang) if node.kind in ("expr", "history", "value") else None
        if worked:
            caption += f"\n{worked}"
        if node.members is not None:  # every member counted, one per line; then each excluded, and why
            listed = node.members
            caption += "".join(f"\n{m}" if v is True else f"\n{m} {w.value(v)}" for m, v in listed.counted)
            caption += "".join("\n✗ " + w("word.short", member=s.member,
                                             parts=w("word.parts").join(why_failed(f, w) for f in s.failed))
                               for s in listed.excluded)
        lines.append(f"  {name} [label={quote(caption)}];")
        for child in node.children:
            if child.kind != "const":
                lines.append(f"  {add(child)} -> {name};")
        return name

    root = "outcome"
    e = explanation
    caption = f"{e.outcome} {e.outcome_label or ''}: {w(status_key(e.status, e.missing)) if w.labelled else e.status}"
    if e.as_of is not None:
        caption += "\n" + as_of_text(e, w)
    lines.append(f"  {root} [shape=doubleoctagon, label={quote(caption)}];")
    for trace in e.rules:
        rule = f"r{next(counter)}"
        label = trace.implements + " " + trace.clause
        if trace.outside is not None:  # not evaluated: why, with the dates
            label += "\n" + say(trace.outside, lang)
        lines.append(f"  {rule} [shape=hexagon, label={quote(label)}];")
        lines.append(f"  {rule} -> {root};")
        if trace.condition is not None:
            lines.append(f"  {add(trace.condition)} -> {rule};")
    lines.append("}")
    return "\n".join(lines) + "\n"
