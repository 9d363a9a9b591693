"""Rendering of results: decisions as a table or JSON; explanations as text (zh/en), JSON, DOT.

Each format is its own function over the same data (`Decision`, `Explanation`); nothing here
computes a value.
"""

from __future__ import annotations

import io
import json
import re
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
        "members": "{n} {kind}{where}{via}", "more": "… ({n} more)", "none": "none",
        "excluded": "{n} {kind} excluded by the condition", "short": "{member} fell short",
        "left_out": "{n} {kind} left out (missing data)",
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
        "members": "{n} 个 {kind}{where}{via}", "more": "…（另 {n} 个）", "none": "无",
        "excluded": "{n} 个 {kind} 不满足条件", "short": "{member} 未达到",
        "left_out": "{n} 个 {kind} 因数据缺失未计入",
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


def decisions_json(decisions: Sequence[Decision], warnings: Sequence = ()) -> str:
    """The `eval --format json` contract: the decisions, and the data warnings of the load."""
    return json.dumps({"decisions": [decision_to_json(d) for d in decisions],
                       "warnings": [w.to_json() for w in warnings]}, ensure_ascii=False, indent=2)


# The order in which kinds of outcome are shown: what an analyst looks for first comes first.
OUTCOME_KIND_ORDER = ("sanction", "reward", "eligibility", "measure", "classification", "target", "deadline",
                      "computed", "status")

# Column headings of exported decisions: the keys of the JSON contract, and their Chinese names.
DECISION_COLUMNS = (
    ("entity", "主体"), ("entity_kind", "主体类型"), ("period", "期间"), ("outcome", "结果"),
    ("outcome_kind", "结果类别"), ("label", "结果名称"), ("amount", "金额（万元）"), ("value", "数值"),
    ("rule", "规则"), ("policy", "政策"), ("cite", "条款"), ("status", "状态"),
    ("superseded_by", "被取代于"), ("target", "目标"), ("as_of", "截至日期"),
)

KIND_HEADINGS = {
    "en": {"sanction": "sanctions", "reward": "rewards", "eligibility": "eligibility", "measure": "measures",
           "classification": "classifications", "target": "targets", "deadline": "deadlines",
           "computed": "computed values", "status": "document status"},
    "zh": {"sanction": "惩戒", "reward": "奖励", "eligibility": "资格", "measure": "措施",
           "classification": "认定", "target": "目标", "deadline": "时限", "computed": "计算值",
           "status": "文件效力"},
}


def grouped_by_kind(decisions: Sequence[Decision], entity_order: Sequence[str] = ()
                    ) -> list[tuple[str, list[Decision]]]:
    """Decisions grouped by kind of outcome (sanctions first), each group ordered by entity kind
    in the schema's order of declaration, then entity, period and rule."""
    kind_rank = {k: n for n, k in enumerate(OUTCOME_KIND_ORDER)}
    entity_rank = {k: n for n, k in enumerate(entity_order)}
    groups: dict[str, list[Decision]] = {}
    for d in decisions:
        groups.setdefault(d.outcome_kind, []).append(d)
    ordered = sorted(groups.items(), key=lambda item: (kind_rank.get(item[0], len(kind_rank)), item[0]))
    return [(kind, sorted(items, key=lambda d: (entity_rank.get(d.entity_kind, len(entity_rank)),
                                                d.entity_kind, d.entity, d.period, d.rule_id, d.outcome)))
            for kind, items in ordered]


def _payload(d: Decision) -> str:
    shown = [format_value(d.amount) + " 万元"] if d.amount is not None else []
    shown += [format_value(d.value)] if d.value is not None else []  # an amount may come with payload fields
    return "; ".join(shown)


def decisions_table(decisions: Sequence[Decision], *, width: int = 120, entity_order: Sequence[str] = (),
                    lang: str = "en") -> str:
    """Decisions as tables that fit `width` columns, one per kind of outcome (rich wraps long cells)."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    console = Console(file=io.StringIO(), width=width, color_system=None, highlight=False, emoji=False,
                      soft_wrap=False)
    headings = KIND_HEADINGS[lang]
    for kind, items in grouped_by_kind(decisions, entity_order):
        table = Table(title=f"{headings.get(kind, kind)} ({len(items)})", title_justify="left", box=box.SIMPLE_HEAD,
                      expand=False, pad_edge=False, show_edge=False, padding=(0, 1, 0, 0))
        payloads = [_payload(d) for d in items]
        columns = ["entity", "period", "outcome", "amount/value", "rule · cite"]
        rows = []
        for d, payload in zip(items, payloads):
            outcome = f"{d.label}\n{d.outcome}" if d.label else d.outcome
            if d.target:
                outcome += f"\n→ {d.target}"
            if d.status != "active":  # the status shows only where it is not the usual one
                outcome += f"\n↑ {d.status}" + (f" by {d.superseded_by}" if d.superseded_by else "")
            rows.append([f"{d.entity}\n{d.entity_kind}", str(d.period), outcome, payload, f"{d.rule_id}\n{d.cite}"])
        if not any(payloads):  # sanctions and the like carry no amount: no empty column
            del columns[3]
            rows = [row[:3] + row[4:] for row in rows]
        widths = fit_widths(columns, rows, width, flexible=2)
        for name, column_width in zip(columns, widths):
            table.add_column(name, overflow="fold", width=column_width,
                             justify="right" if name == "amount/value" else "left")
        for row in rows:
            table.add_row(*row)
        console.print(table)
    console.print(f"{len(decisions)} decision{'s' if len(decisions) != 1 else ''}")
    return "\n".join(line.rstrip() for line in console.file.getvalue().splitlines())


def fit_widths(columns: Sequence[str], rows: Sequence[Sequence[str]], width: int, *, flexible: int,
               gap: int = 2, floor: int = 8) -> list[int]:
    """Column widths (in terminal cells) that fit `width`: each column as wide as its widest line,
    the flexible one taking what is left; when that is too little, the widest others give way.

    Widths are fixed here rather than left to rich, whose own squeezing can crop a cell that
    cannot be folded narrow enough; with fixed widths every cell folds and nothing is lost."""
    from rich.cells import cell_len

    natural = [max([cell_len(name)] + [cell_len(line) for row in rows for line in str(row[i]).split("\n")])
               for i, name in enumerate(columns)]
    room = width - gap * (len(columns) - 1)
    widths = list(natural)
    floors = [min(w, floor) for w in natural]
    want = min(natural[flexible], 20)  # the flexible column keeps at least this much before others give way
    while sum(w for i, w in enumerate(widths) if i != flexible) + want > room:
        others = [i for i in range(len(widths)) if i != flexible and widths[i] > floors[i]]
        if not others:
            break
        widest = max(others, key=lambda i: widths[i])
        widths[widest] -= 1
    widths[flexible] = max(floors[flexible], min(natural[flexible],
                                                 room - sum(w for i, w in enumerate(widths) if i != flexible)))
    return widths


def decision_rows(decisions: Sequence[Decision]) -> list[list[object]]:
    """Decisions as rows of the JSON contract's columns (numbers as JSON numbers, for spreadsheets;
    a value of named payload fields as one cell of JSON text, so that the columns never vary)."""
    return [[_cell(decision_to_json(d)[key]) for key, _ in DECISION_COLUMNS] for d in decisions]


def _cell(value: object) -> object:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else value


def csv_text(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    import csv

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(["" if cell is None else cell for cell in row] for row in rows)
    return out.getvalue()


def decisions_csv(decisions: Sequence[Decision]) -> str:
    return csv_text([key for key, _ in DECISION_COLUMNS], decision_rows(decisions))


def write_xlsx(path: str, header: Sequence[str], rows: Sequence[Sequence[object]], *, sheet: str) -> None:
    """A workbook with one sheet: a bold, frozen header row, columns sized to their contents."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from rich.cells import cell_len

    book = Workbook()
    page = book.active
    page.title = sheet
    page.append(list(header))
    for cell in page[1]:
        cell.font = Font(bold=True)
    for row in rows:
        page.append([cell for cell in row])
    page.freeze_panes = "A2"
    for n, title in enumerate(header, start=1):
        longest = max([cell_len(str(title))] + [cell_len(str(r[n - 1])) for r in rows if r[n - 1] is not None])
        page.column_dimensions[get_column_letter(n)].width = min(60, longest + 2)
    book.save(path)


def decisions_xlsx(decisions: Sequence[Decision], path: str) -> None:
    write_xlsx(path, [zh for _, zh in DECISION_COLUMNS], decision_rows(decisions), sheet="决定")


# ---- explanations as text ---------------------------------------------------------------

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
        for key, payload in (("amount", e.decision.amount), ("value", e.decision.value)):
            if payload is not None:  # an amount may come with payload fields
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
