"""Rendering of results: decisions as a table or JSON; explanations as text (zh/en), JSON, DOT.

Each format is its own function over the same data (`Decision`, `Explanation`); nothing here
computes a value.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from policydsl.engine.evaluate import Decision
from policydsl.engine.explain import Explanation, RuleTrace, TraceNode
from policydsl.values import Unknown, format_value, json_value

_OPS = {">=": "≥", "<=": "≤", "!=": "≠"}

TEXT = {
    "en": {
        "active": "applies", "superseded": "recorded, but superseded", "not_fired": "did not happen",
        "not_evaluable": "could not be decided (missing data)", "no_record": "no data for this entity and period",
        "not_in_force": "the policy does not govern this period, or was not in force when it was evaluated",
        "no_rule": "no rule of the loaded policies produces this outcome for this entity kind",
        "rule": "rule", "policy": "policy", "clause": "clause", "because": "because",
        "holds": "holds", "fails": "does not hold", "unknown": "is unknown",
        "facts": "facts read", "missing": "missing", "superseded_by": "superseded by",
        "needed": "{left} = {value}; {op} {threshold} needed", "failed": "what failed", "amount": "amount", "value": "value",
        "of": "of", "in": "in", "万元": "万元", "static": "static",
        "stronger": "the stronger outcome", "cannot": "cannot be decided without",
        "deeper": "… (deeper values: --format json)", "above": "(explained above)",
    },
    "zh": {
        "active": "适用", "superseded": "已触发，但被更重/更高的结果取代", "not_fired": "未触发",
        "not_evaluable": "因数据缺失无法判定", "no_record": "该主体在该期间没有数据",
        "not_in_force": "政策不适用于该期间，或评价时不在有效期内",
        "no_rule": "已加载的政策中没有规则对该类主体产生此结果",
        "rule": "规则", "policy": "政策", "clause": "条款", "because": "依据",
        "holds": "成立", "fails": "不成立", "unknown": "未知",
        "facts": "读取的事实", "missing": "缺失", "superseded_by": "被取代于",
        "needed": "{left} = {value}，需要 {op} {threshold}", "failed": "不满足的条件", "amount": "金额", "value": "数值",
        "of": "的", "in": "于", "万元": "万元", "static": "静态",
        "stronger": "更强的结果", "cannot": "无法判定，缺少",
        "deeper": "…（更深层的数值见 --format json）", "above": "（见上文）",
    },
}


# ---- decisions --------------------------------------------------------------------------

def decision_to_json(d: Decision) -> dict:
    return {
        "entity": d.entity, "entity_kind": d.entity_kind, "period": str(d.period), "outcome": d.outcome,
        "outcome_kind": d.outcome_kind, "label": d.label,
        "amount": json_value(d.amount) if d.amount is not None else None,
        "value": json_value(d.value) if d.value is not None else None,
        "rule": d.rule_id, "policy": d.policy, "cite": d.cite, "status": d.status,
        "superseded_by": d.superseded_by, "target": d.target,
        "as_of": d.as_of.isoformat() if d.as_of is not None else None,
    }


def decisions_json(decisions: Sequence[Decision]) -> str:
    return json.dumps({"decisions": [decision_to_json(d) for d in decisions]}, ensure_ascii=False, indent=2)


def decisions_table(decisions: Sequence[Decision]) -> str:
    header = ("entity", "kind", "period", "outcome", "label", "amount/value", "rule", "cite", "status")
    rows = [header]
    for d in decisions:
        payload = d.amount if d.amount is not None else d.value
        status = d.status if d.status == "active" else f"superseded by {d.superseded_by}"
        rows.append((d.entity, d.entity_kind, str(d.period), d.outcome, d.label or "",
                     format_value(payload) if payload is not None else "", d.rule_id, d.cite, status))
    widths = [max(_width(r[i]) for r in rows) for i in range(len(header))]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(cell + " " * (w - _width(cell)) for cell, w in zip(row, widths)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    lines.append(f"{len(decisions)} decision{'s' if len(decisions) != 1 else ''}")
    return "\n".join(lines)


def _width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


# ---- explanations as text ---------------------------------------------------------------

def _mark(value: object) -> str:
    if value is True:
        return "✓ "
    if value is False:
        return "✗ "
    if isinstance(value, Unknown):
        return "? "
    return ""


def _compare_detail(node: TraceNode, words: dict) -> str:
    left, right = node.children
    op = _OPS.get(node.op, node.op)
    if node.value is False and right.kind in ("const", "parameter"):
        return words["needed"].format(left=left.text, value=format_value(left.value), op=op,
                                      threshold=format_value(right.value))
    return f"{format_value(left.value)} {op} {format_value(right.value)}"


def _fact_value(node: TraceNode, words: dict) -> str:
    return f"({words['missing']})" if isinstance(node.value, Unknown) else format_value(node.value)


# Derived values are expanded this many levels deep in text; JSON and DOT always carry the whole tree.
TEXT_VALUE_DEPTH = 3


def _node_lines(node: TraceNode, indent: int, words: dict, lines: list[str], prefix: str = "",
                value_depth: int = 0, shown: set | None = None) -> None:
    pad = "  " * indent
    shown = set() if shown is None else shown
    if node.kind == "fact":
        where = f" [{node.period}]" if node.period else ""
        lines.append(f"{pad}{prefix}{node.text}{where} = {_fact_value(node, words)}"
                     + (f"  ({node.label})" if node.label else ""))
        return
    if node.kind == "const":
        return
    head = f"{pad}{prefix}{_mark(node.value)}{node.text}"
    if node.kind == "compare" and len(node.children) == 2:
        head += f"   [{_compare_detail(node, words)}]"
    elif node.value is not True and node.value is not False:
        head += f" = {format_value(node.value)}"
    if node.kind == "value" and node.label:
        head += f"  ({node.label})"
    lines.append(head)
    for item in node.detail:
        lines.append(f"{pad}    · {item}")
    if isinstance(node.value, Unknown) and node.value.missing and node.kind != "logic":
        lines.append(f"{pad}    · {words['missing']}: " + ", ".join(str(m) for m in sorted(node.value.missing)))
    if node.kind == "history":
        return  # the periods walked are listed above; their facts appear under "facts read"
    if node.kind == "value":
        key = (node.text, node.entity, node.period)
        if key in shown:  # a value used twice is explained once
            lines.append(f"{pad}    · {words['above']}")
            return
        if value_depth >= TEXT_VALUE_DEPTH:
            lines.append(f"{pad}    · {words['deeper']}")
            return
        shown.add(key)
        value_depth += 1
    for child in node.children:
        # a derived value shows its definition one level down, introduced by "="
        _node_lines(child, indent + 1, words, lines, prefix="= " if node.kind == "value" else "",
                    value_depth=value_depth, shown=shown)


def _rule_lines(trace: RuleTrace, words: dict, lines: list[str], *, why_not: bool) -> None:
    local_name = trace.rule.split("::")[-1]
    lines.append(f"  {words['rule']}: {trace.implements} (`{local_name}`, {words['policy']} {trace.policy}, "
                 f"{trace.span})")
    lines.append(f"  {words['clause']}: {trace.clause}" + (f" 「{trace.quote}」" if trace.quote else ""))
    if trace.condition is None:
        return
    if why_not and not trace.fired:
        lines.append(f"  {words['failed']}:")
        for part in trace.failed:
            _node_lines(part, 2, words, lines)
        return
    verdict = words["holds"] if trace.condition.value is True else (
        words["fails"] if trace.condition.value is False else words["unknown"])
    lines.append(f"  {words['because']}: {trace.condition.text} — {verdict}")
    children = trace.condition.children if trace.condition.kind == "logic" and trace.condition.op == "and" \
        else (trace.condition,)
    shown: set = set()
    for child in children:
        _node_lines(child, 2, words, lines, shown=shown)
    for payload in trace.payload:
        lines.append(f"  = {payload.text} = {format_value(payload.value)}")
        for child in payload.children:
            _node_lines(child, 2, words, lines, shown=shown)


def explanation_text(explanation: Explanation, lang: str = "en") -> str:
    words = TEXT[lang]
    e = explanation
    lines = [f"{e.entity} ({e.entity_kind}) · {e.period or '-'}"]
    title = f"{e.outcome_label} ({e.outcome})" if e.outcome_label else e.outcome
    lines.append(f"{title} [{e.outcome_kind}]: {words[e.status]}")
    if e.decision is not None:
        payload = e.decision.amount if e.decision.amount is not None else e.decision.value
        if payload is not None:
            key = "amount" if e.decision.amount is not None else "value"
            unit = " 万元" if key == "amount" else ""
            lines.append(f"  {words[key]}: {format_value(payload)}{unit}")
    for winner in e.superseded_by:
        lines.append(f"  {words['superseded_by']}: {winner.rule_id} → "
                     f"{winner.label or ''} ({winner.outcome})")
    for trace in e.rules:
        lines.append("")
        _rule_lines(trace, words, lines, why_not=e.question == "why_not" and e.decision is None)
    if e.missing:
        lines.append("")
        lines.append(f"{words['cannot']}: " + ", ".join(str(m) for m in e.missing))
    if e.facts:
        lines.append("")
        lines.append(f"{words['facts']}:")
        for fact in e.facts:
            where = f" {fact.period}" if fact.period else f" ({words['static']})"
            label = f"  ({fact.label})" if fact.label else ""
            lines.append(f"  {fact.entity} {fact.text}{where} = {_fact_value(fact, words)}{label}")
    return "\n".join(lines)


# ---- explanations as JSON and DOT -------------------------------------------------------

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
    if node.children:
        out["children"] = [_node_json(c) for c in node.children]
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
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    def add(node: TraceNode) -> str:
        name = f"n{next(counter)}"
        where = f" [{node.period}]" if node.kind == "fact" and node.period else ""
        caption = f"{node.text}{where} = {format_value(node.value)}"
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
