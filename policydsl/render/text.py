"""Explanations rendered as text, in English or Chinese (`explain`, `--lang zh|en`).

In: an `Explanation`. Out: lines of text; `arithmetic` writes out the sums behind a computed number
from the trace's own values. Nothing here computes a value.
"""

from __future__ import annotations

import re

from policydsl.engine.explain import Explanation, RuleTrace, TraceNode
from policydsl.render.words import TEXT, _OPS
from policydsl.values import Unknown, format_value

_ARITH_SIGNS = {"+": "+", "-": "−", "*": "×", "/": "÷"}
_ARITH_STRENGTH = {"+": 1, "-": 1, "*": 2, "/": 2}


def _substituted(node: TraceNode, parent_op: str | None = None, right: bool = False) -> str:
    """An arithmetic expression with each operand replaced by its value: 0.4 × 117 + 0.6 × 31."""
    if node.kind == "expr" and node.op in _ARITH_SIGNS and len(node.children) == 2:
        left, right_child = node.children
        text = (f"{_substituted(left, node.op)} {_ARITH_SIGNS[node.op]} "
                f"{_substituted(right_child, node.op, right=True)}")
        if parent_op is not None and (_ARITH_STRENGTH[node.op] < _ARITH_STRENGTH[parent_op]
                                      or (right and _ARITH_STRENGTH[node.op] == _ARITH_STRENGTH[parent_op]
                                          and parent_op in "-/")):
            return f"({text})"
        return text
    if node.kind == "expr" and node.op == "neg" and len(node.children) == 1:
        return f"−{_substituted(node.children[0], '*')}"
    return format_value(node.value)


def arithmetic(node: TraceNode) -> str | None:
    """The arithmetic behind a computed number, from the trace's own values (nothing recomputed):
    `0.4 × 117 + 0.6 × 31 = 65.4` for an expression, `65.4 − 24.2 = 41.2` for `change(x)`;
    None for anything that is not arithmetic, or whose value is unknown."""
    if isinstance(node.value, Unknown) or isinstance(node.value, bool):
        return None
    if node.kind == "expr" and node.op in (*_ARITH_SIGNS, "neg"):
        return f"{_substituted(node)} = {format_value(node.value)}"
    if node.kind == "history" and node.text.startswith("change(") and len(node.children) == 2:
        now, before = node.children
        return f"{format_value(now.value)} − {format_value(before.value)} = {format_value(node.value)}"
    if node.kind == "value" and len(node.children) == 1:
        inner = arithmetic(node.children[0])
        # the value's own form of the result (a percent stays a percent)
        return inner.rsplit(" = ", 1)[0] + f" = {format_value(node.value)}" if inner else None
    return None


# Chinese for the words of the policy language and of the explainer's notes, for `--lang zh`.
_ZH_OPERATORS = ((" and ", " 且 "), (" or ", " 或 "), ("not ", "非 "), (">=", "≥"), ("<=", "≤"), ("!=", "≠"),
                 (" in {", " 属于 {"))
_ZH_KINDS = {"sanction": "惩戒", "reward": "奖励", "eligibility": "资格", "measure": "措施",
             "classification": "认定", "target": "目标", "deadline": "时限", "computed": "计算值",
             "status": "文件效力"}
_ZH_DETAIL = (
    (re.compile(r"^group (.+?): (\d+) members where (.+) in (\S+)(, (\d+) without a value)?$"),
     lambda m: f"分组 {m[1]}：{m[4]} 期满足 {m[3]} 的成员共{m[2]}个" + (f"，其中{m[6]}个无数值" if m[6] else "")),
    (re.compile(r"^group (.+?): (\d+) members in (\S+)(, (\d+) without a value)?$"),
     lambda m: f"分组 {m[1]}：{m[3]} 期成员共{m[2]}个" + (f"，其中{m[5]}个无数值" if m[5] else "")),
    (re.compile(r"^ordered descending: (.*)$"), lambda m: f"从高到低：{m[1]}"),
    (re.compile(r"^ordered ascending: (.*)$"), lambda m: f"从低到高：{m[1]}"),
    (re.compile(r"^(\S+): no record$"), lambda m: f"{m[1]}：无记录"),
)


def _zh_code(text: str) -> str:
    """Policy text with its operators in Chinese; quoted strings are left as they are."""
    parts = re.split(r'("[^"]*")', text)
    for n in range(0, len(parts), 2):
        for english, chinese in _ZH_OPERATORS:
            parts[n] = parts[n].replace(english, chinese)
    return "".join(parts)


def _zh_detail(item: str) -> str:
    for pattern, say in _ZH_DETAIL:
        found = pattern.match(item)
        if found:
            return say(found)
    return item


def _rank_words(node: TraceNode) -> str | None:
    """`第4名（共10个）` for a rank, from the group size the explainer noted."""
    if node.kind != "aggregate" or not node.text.startswith("rank(") or isinstance(node.value, (Unknown, bool)):
        return None
    size = next((re.search(r": (\d+) members", d) for d in node.detail if d.startswith("group ")), None)
    return f"第{format_value(node.value)}名" + (f"（共{size[1]}个）" if size else "")


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
    zh = words is TEXT["zh"]
    head = f"{pad}{prefix}{_mark(node.value)}{_zh_code(node.text) if zh else node.text}"
    worked = arithmetic(node) if node.kind in ("expr", "history") else None
    if node.kind == "compare" and len(node.children) == 2:
        head += f"   [{_compare_detail(node, words)}]"
    elif worked:
        head += f" = {worked}"
    elif zh and _rank_words(node):
        head += f" = {_rank_words(node)}"
    elif node.value is not True and node.value is not False:
        head += f" = {format_value(node.value)}"
    if node.kind == "value" and node.label:
        head += f"  ({node.label})"
    lines.append(head)
    for item in node.detail:
        lines.append(f"{pad}    · {_zh_detail(item) if zh else item}")
    if node.kind == "history":  # a derived value walked over periods: its arithmetic at each period
        for child in node.children:
            if child.kind == "value" and arithmetic(child):
                lines.append(f"{pad}    · {child.period}: {child.text} = {arithmetic(child)}")
    if isinstance(node.value, Unknown) and node.value.missing and node.kind != "logic":
        lines.append(f"{pad}    · {words['missing']}: " + ", ".join(str(m) for m in sorted(node.value.missing)))
    if node.members is not None:
        _member_lines(node, pad, words, lines)
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


# Members named in text; JSON and DOT carry every one.
TEXT_MEMBERS = 10
TEXT_SHORTFALLS = 5


def _member_lines(node: TraceNode, pad: str, words: dict, lines: list[str]) -> None:
    """`7 enterprise where …: E012, E031, … (3 more)`, the nearest misses and what they lacked,
    and the members left out for missing data."""
    listed = node.members
    where = f" where {listed.condition}" if listed.condition else ""
    head = words["members"].format(n=len(listed.counted), kind=listed.kind, where=where, via=f" (via {listed.via})")
    names = [m if value is True else f"{m} {format_value(value)}" for m, value in listed.counted[:TEXT_MEMBERS]]
    if len(listed.counted) > TEXT_MEMBERS:
        names.append(words["more"].format(n=len(listed.counted) - TEXT_MEMBERS))
    lines.append(f"{pad}    · {head}: {', '.join(names) or words['none']}")
    if listed.excluded:
        lines.append(f"{pad}    · " + words["excluded"].format(n=len(listed.excluded), kind=listed.kind) + ":")
        for shortfall in listed.excluded[:TEXT_SHORTFALLS]:
            parts = "; ".join(_shortfall_text(part, words) for part in shortfall.failed)
            lines.append(f"{pad}        {words['short'].format(member=shortfall.member)}: {parts}")
        if len(listed.excluded) > TEXT_SHORTFALLS:
            lines.append(f"{pad}        " + words["more"].format(n=len(listed.excluded) - TEXT_SHORTFALLS))
    if listed.left_out:
        lines.append(f"{pad}    · " + words["left_out"].format(n=len(listed.left_out), kind=listed.kind) + ":")
        for member, missing in listed.left_out[:TEXT_SHORTFALLS]:
            lines.append(f"{pad}        {member}: {words['missing']} " + ", ".join(str(m) for m in missing))
        if len(listed.left_out) > TEXT_SHORTFALLS:
            lines.append(f"{pad}        " + words["more"].format(n=len(listed.left_out) - TEXT_SHORTFALLS))


def _shortfall_text(part: TraceNode, words: dict) -> str:
    if part.kind == "compare" and len(part.children) == 2:
        return _compare_detail(part, words)
    return f"{_mark(part.value)}{part.text}"


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
    condition = _zh_code(trace.condition.text) if words is TEXT["zh"] else trace.condition.text
    lines.append(f"  {words['because']}: {condition} — {verdict}")
    children = trace.condition.children if trace.condition.kind == "logic" and trace.condition.op == "and" \
        else (trace.condition,)
    shown: set = set()
    for child in children:
        _node_lines(child, 2, words, lines, shown=shown)
    for payload in trace.payload:
        zh = words is TEXT["zh"]
        worked = arithmetic(payload) or (zh and _rank_words(payload)) or format_value(payload.value)
        lines.append(f"  = {_zh_code(payload.text) if zh else payload.text} = {worked}")
        for item in payload.detail:
            lines.append(f"      · {_zh_detail(item) if zh else item}")
        for child in payload.children:
            _node_lines(child, 2, words, lines, shown=shown)


def wrap_lines(text: str, width: int) -> str:
    """Lines longer than `width` terminal cells wrapped, each continuation indented four cells
    deeper than its line. A break falls at a space near the end of the room, else anywhere
    (Chinese text has no spaces; wide characters count two cells)."""
    from rich.cells import cell_len

    out = []
    for line in text.split("\n"):
        indent = len(line) - len(line.lstrip(" "))
        hanging = " " * min(indent + 4, width // 2)
        while cell_len(line) > width:
            cut, used = 0, 0
            while cut < len(line) and used + cell_len(line[cut]) <= width:
                used += cell_len(line[cut])
                cut += 1
            space = line.rfind(" ", len(hanging) + 1, cut)
            if space > 0 and cell_len(line[space:cut]) < width // 2:
                cut = space
            out.append(line[:cut].rstrip())
            line = hanging + line[cut:].lstrip(" ")
        out.append(line)
    return "\n".join(out)


def explanation_text(explanation: Explanation, lang: str = "en", *, width: int | None = None) -> str:
    """The explanation in words; wrapped to `width` terminal cells when given."""
    if width is not None:
        return wrap_lines(explanation_text(explanation, lang), width)
    words = TEXT[lang]
    e = explanation
    lines = [f"{e.entity} ({e.entity_kind}) · {e.period or '-'}"]
    title = f"{e.outcome_label} ({e.outcome})" if e.outcome_label else e.outcome
    kind = _ZH_KINDS.get(e.outcome_kind, e.outcome_kind) if lang == "zh" else e.outcome_kind
    lines.append(f"{title} [{kind}]: {words[e.status]}")
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
