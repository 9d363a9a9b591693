"""Explanations rendered as text, in English or Chinese (`explain`, `--lang zh|en`).

In: an `Explanation`. Out: lines of text; `arithmetic` writes out the sums behind a computed number
from the trace's own values. Every word comes from the message catalogue (`messages.py`): in
English an expression is shown as the policy writes it, in Chinese as its reading in the declared
labels (the identifiers of facts and values stay beside their labels). Nothing here computes a value.
"""

from __future__ import annotations

from policydsl.engine.explain import Explanation, MemberList, RuleTrace, TraceNode
from policydsl.engine.explain_verdict import failed_parts
from policydsl.render.messages import CATALOGUE, say, status_key, value_text, word
from policydsl.values import NO_RECORD, Percent, Unknown, format_value

_ARITH_SIGNS = {"+": "+", "-": "−", "*": "×", "/": "÷"}
_ARITH_STRENGTH = {"+": 1, "-": 1, "*": 2, "/": 2}
_COMPARE_SIGNS = {">=": "≥", "<=": "≤", "!=": "≠"}


def _substituted(node: TraceNode, lang: str, parent_op: str | None = None, right: bool = False,
                 ratios: bool = False) -> str:
    """An arithmetic expression with each operand replaced by its value: 0.4 × 117 + 0.6 × 31.
    `ratios`: the line's result is a plain number, so a percent operand is written as the ratio it
    is in arithmetic (0.5 × 0.2 = 0.1, not 0.5 × 20% = 0.1: one scale in one line)."""
    if node.kind == "expr" and node.op in _ARITH_SIGNS and len(node.children) == 2:
        left, right_child = node.children
        text = (f"{_substituted(left, lang, node.op, ratios=ratios)} {_ARITH_SIGNS[node.op]} "
                f"{_substituted(right_child, lang, node.op, right=True, ratios=ratios)}")
        if parent_op is not None and (_ARITH_STRENGTH[node.op] < _ARITH_STRENGTH[parent_op]
                                      or (right and _ARITH_STRENGTH[node.op] == _ARITH_STRENGTH[parent_op]
                                          and parent_op in "-/")):
            return f"({text})"
        return text
    if node.kind == "expr" and node.op == "neg" and len(node.children) == 1:
        return f"−{_substituted(node.children[0], lang, '*', ratios=ratios)}"
    if ratios and isinstance(node.value, Percent):
        return value_text(node.value.ratio, lang)
    return value_text(node.value, lang)


def _on_ratio_scale(node: TraceNode) -> bool:
    """Whether an arithmetic result is a plain number (no unit): a ratio, for a percent operand
    (`P × D` is a decimal, docs/units.md); money keeps its percents (`tax × 5%`)."""
    return node.unit is None and not isinstance(node.value, (Percent, bool, Unknown))


def is_conversion(node: TraceNode) -> bool:
    """The typechecker's conversion of a computed ratio to a declared percent (`as_percent`)."""
    return node.kind == "expr" and node.op == "as_percent" and len(node.children) == 1


def arithmetic(node: TraceNode, lang: str = "en") -> str | None:
    """The arithmetic behind a computed number, from the trace's own values (nothing recomputed):
    `0.4 × 117 + 0.6 × 31 = 65.4` for an expression, `65.4 − 24.2 = 41.2` for `change(x)`;
    None for anything that is not arithmetic, or whose value is unknown. Values are written as
    `lang` writes them (a duration: `1 year`, 「1年」)."""
    if isinstance(node.value, Unknown) or isinstance(node.value, bool):
        return None
    if node.kind == "expr" and node.op in (*_ARITH_SIGNS, "neg"):
        return f"{_substituted(node, lang, ratios=_on_ratio_scale(node))} = {value_text(node.value, lang)}"
    if is_conversion(node):  # the ratio, then the same quantity as the percent declared: 0.25 = 25%
        ratio = node.children[0]
        worked = arithmetic(ratio, lang) or value_text(ratio.value, lang)
        return f"{worked} = {value_text(node.value, lang)}"
    if node.kind == "history" and node.reading is not None and node.reading.key == "hist.change" \
            and len(node.children) == 2:
        now, before = node.children
        return f"{format_value(now.value)} − {format_value(before.value)} = {format_value(node.value)}"
    if node.kind == "value" and len(node.children) == 1:
        inner = arithmetic(node.children[0], lang)
        # the value's own form of the result (a percent stays a percent)
        return inner.rsplit(" = ", 1)[0] + f" = {format_value(node.value)}" if inner else None
    return None


class Writer:
    """The words of one language: expressions, names, values and the catalogue's templates."""

    def __init__(self, lang: str, fact_labels: tuple = (), unrecorded: tuple = ()):
        self.lang = lang
        self.labelled = lang == "zh"  # names read in their labels; identifiers in second place
        self.fact_labels = dict(fact_labels)
        self.unrecorded = frozenset(unrecorded)  # (kind, entity, period) without a record (`Explanation`)

    def without_record(self, fact) -> bool:
        """Whether a missing fact was read in a period its entity has no record in at all."""
        return (fact.entity_kind, fact.entity, fact.period) in self.unrecorded

    def missing(self, facts) -> str:
        """Missing facts, each with its entity and period: `x of E1 in 2019`, 「E1 2019 的某指标」;
        one read where the entity has no record says so (the row is absent, not the cell)."""
        return self("list.separator").join(
            self("word.missing_unrecorded" if self.without_record(m) else
                 "word.missing_fact" if m.period else "word.missing_static", entity=m.entity, period=m.period,
                 fact=self("word.a_record") if m.fact == NO_RECORD
                 else self.fact_labels.get((m.entity_kind, m.fact), m.fact) if self.labelled else m.fact)
            for m in sorted(facts))

    def __call__(self, key: str, /, **args: object) -> str:
        return word(key, self.lang, **args)

    def expr(self, node: TraceNode) -> str:
        """The node's expression: the policy's own text in English, its reading in Chinese."""
        if self.labelled and node.reading is not None:
            return say(node.reading, self.lang)
        return node.text

    def name(self, node: TraceNode) -> tuple[str, str]:
        """A fact, value or parameter: (what to show first, what to show in parentheses after)."""
        if self.labelled and node.label:
            return node.label, node.text
        return node.text, node.label or ""

    def value(self, value: object, unit: str | None = None) -> str:
        text = value_text(value, self.lang)
        if unit == "万元" and not isinstance(value, Unknown):
            return self("unit.money", value=text)
        return text


def _rank_words(node: TraceNode, w: Writer) -> str | None:
    """`第4名（共10个）` for a rank, from the group size the explainer noted."""
    reading = node.reading
    while reading is not None and reading.key in ("agg.where", "agg.within_all"):  # options of the rank
        reading = reading.arg("aggregate")
    if node.kind != "aggregate" or reading is None or reading.key not in ("agg.rank", "agg.rank_ascending") \
            or isinstance(node.value, (Unknown, bool)):
        return None
    size = next((d.arg("n") for d in node.detail if d.key == "note.group"), None)
    rank = format_value(node.value)
    return w("word.rank", rank=rank, n=str(size)) if size is not None else w("word.rank_alone", rank=rank)


def _mark(value: object) -> str:
    if value is True:
        return "✓ "
    if value is False:
        return "✗ "
    if isinstance(value, Unknown):
        return "? "
    return ""


def _compare_detail(node: TraceNode, w: Writer) -> str:
    left, right = node.children
    op = _COMPARE_SIGNS.get(node.op, node.op)
    unit = left.unit if left.unit == right.unit else None  # a unit shown on one side only would mislead
    if node.value is False and right.kind in ("const", "parameter"):
        return w("word.needed", left=w.expr(left), value=w.value(left.value, unit), op=op,
                 threshold=w.value(right.value, unit))
    return f"{w.value(left.value, unit)} {op} {w.value(right.value, unit)}"


def fact_value(node: TraceNode, w: Writer) -> str:
    """A fact's value; a missing one is "(missing)", or "(no record in P)" where its entity has no
    row in that period at all."""
    if not isinstance(node.value, Unknown):
        return w.value(node.value, node.unit)
    if any(w.without_record(m) for m in node.missing):
        return w("word.no_record_in", period=node.period)
    return f"({w('word.missing')})"


# Derived values are expanded this many levels deep in text; JSON and DOT always carry the whole tree.
TEXT_VALUE_DEPTH = 3


def _node_lines(node: TraceNode, indent: int, w: Writer, lines: list[str], prefix: str = "",
                value_depth: int = 0, shown: set | None = None) -> None:
    pad = "  " * indent
    shown = set() if shown is None else shown
    if node.kind == "fact":
        where = f" [{node.period}]" if node.period else ""
        first, second = w.name(node)
        lines.append(f"{pad}{prefix}{first}{where} = {fact_value(node, w)}"
                     + (f"  ({second})" if second else ""))
        return
    if node.kind == "const":
        return
    named = node.kind in ("value", "parameter")
    first, second = w.name(node) if named else (w.expr(node), "")
    head = f"{pad}{prefix}{_mark(node.value)}{first}"
    worked = arithmetic(node, w.lang) if node.kind in ("expr", "history") else None
    if node.kind == "compare" and len(node.children) == 2:
        head += f"   [{_compare_detail(node, w)}]"
    elif worked:
        head += f" = {worked}"
    elif w.labelled and _rank_words(node, w):
        head += f" = {_rank_words(node, w)}"
    elif node.value is not True and node.value is not False:
        head += f" = {w.value(node.value, node.unit)}"
    if named and second:
        head += f"  ({second})"
    lines.append(head)
    for item in node.detail:
        lines.append(f"{pad}    · {say(item, w.lang)}")
    if node.kind == "history":  # a derived value walked over periods: its arithmetic at each period
        for child in node.children:
            if child.kind == "value" and arithmetic(child, w.lang):
                lines.append(f"{pad}    · " + w("word.at_period", period=child.period,
                                                     text=f"{w.name(child)[0]} = {arithmetic(child, w.lang)}"))
    if isinstance(node.value, Unknown) and node.value.missing and node.kind != "logic":
        lines.append(f"{pad}    · " + w("word.missing_list", facts=w.missing(node.value.missing)))
    if node.members is not None:
        _member_lines(node.members, pad, w, lines)
    if node.kind == "history":
        return  # the periods walked are listed above; their facts appear under "facts read"
    if node.kind == "value" and not node.children:
        return  # a value traced in full above (its note says so): nothing under it
    if node.kind == "value":
        key = (node.text, node.entity, node.period)
        if key in shown:  # a value used twice is explained once
            lines.append(f"{pad}    · {w('word.above')}")
            return
        if value_depth >= TEXT_VALUE_DEPTH:
            lines.append(f"{pad}    · {w('word.deeper')}")
            return
        shown.add(key)
        value_depth += 1
    # a conversion's line shows its ratio's arithmetic already: the ratio's operands come next
    children = _chain_terms(node.children[0]) if is_conversion(node) and arithmetic(node.children[0], w.lang) \
        else _chain_terms(node)
    for child in children:
        # a derived value shows its definition one level down, introduced by "="
        _node_lines(child, indent + 1, w, lines, prefix="= " if node.kind == "value" else "",
                    value_depth=value_depth, shown=shown)


def _chain_terms(node: TraceNode) -> tuple[TraceNode, ...]:
    """The operands of a node; of a chain of one sum or product (`a + b + c`, traced as
    `(a + b) + c`), its terms, each once: its line has written them all, so the partial sums
    (`a + b`) are not repeated beneath it."""
    if not (node.kind == "expr" and node.op in ("+", "*") and len(node.children) == 2):
        return node.children
    terms, at = [], node
    while at.kind == "expr" and at.op == node.op and len(at.children) == 2:
        terms.append(at.children[1])
        at = at.children[0]
    return (at, *reversed(terms))


# Members named in text; JSON and DOT carry every one.
TEXT_MEMBERS = 10
TEXT_SHORTFALLS = 5


def _member_lines(listed: MemberList, pad: str, w: Writer, lines: list[str]) -> None:
    """`7 enterprise where …: E012, E031, … (3 more)`, the nearest misses and why they missed,
    and the members left out for missing data."""
    kind = say(listed.kind_name, w.lang)
    where = w("word.members_where", condition=listed.condition_reading if w.labelled else listed.condition) \
        if listed.condition else ""
    head = w("word.members", n=str(len(listed.counted)), kind=kind, where=where,
             via=w("word.members_via", via=listed.via_reading if w.labelled and listed.via_reading else listed.via))
    names = [m if value is True else f"{m} {w.value(value)}" for m, value in listed.counted[:TEXT_MEMBERS]]
    if len(listed.counted) > TEXT_MEMBERS:
        names.append(w("word.more", n=str(len(listed.counted) - TEXT_MEMBERS)))
    lines.append(f"{pad}    · " + w("word.members_list", head=head, names=", ".join(names) or w("word.none")))
    if listed.excluded:
        lines.append(f"{pad}    · " + w("word.excluded", n=str(len(listed.excluded)), kind=kind))
        for shortfall in listed.excluded[:TEXT_SHORTFALLS]:
            parts = w("word.parts").join(why_failed(part, w) for part in shortfall.failed)
            lines.append(f"{pad}        " + w("word.short", member=shortfall.member, parts=parts))
        if len(listed.excluded) > TEXT_SHORTFALLS:
            lines.append(f"{pad}        " + w("word.more", n=str(len(listed.excluded) - TEXT_SHORTFALLS)))
    if listed.left_out:
        lines.append(f"{pad}    · " + w("word.left_out", n=str(len(listed.left_out)), kind=kind))
        for member, missing in listed.left_out[:TEXT_SHORTFALLS]:
            lines.append(f"{pad}        " + w("word.lacks", member=member, facts=w.missing(missing)))
        if len(listed.left_out) > TEXT_SHORTFALLS:
            lines.append(f"{pad}        " + w("word.more", n=str(len(listed.left_out) - TEXT_SHORTFALLS)))


# How far `why_failed` follows derived values into their definitions.
WHY_DEPTH = 3


def why_failed(part: TraceNode, w: Writer, depth: int = 0) -> str:
    """One failed part of a condition on one line, with what made it fail: a comparison with its
    two sides; a derived value with its value and, after `←`, its definition and the parts of
    that which failed (`✗ retrofitted = false ← … ≤ period_end   [2021-03-01 ≤ 2020-12-31]`)."""
    if part.kind == "compare" and len(part.children) == 2 and not isinstance(part.value, Unknown):
        text = f"{_mark(part.value)}{w.expr(part)}   [{_compare_detail(part, w)}]"
        return text if depth else _compare_detail(part, w)
    if part.kind == "fact":
        return f"{w.name(part)[0]} = {fact_value(part, w)}"
    first = w.name(part)[0] if part.kind in ("value", "parameter") else w.expr(part)
    text = f"{_mark(part.value)}{first}"
    worked = arithmetic(part, w.lang) if part.kind in ("expr", "history", "value") else None
    if worked:
        text += f" = {worked}"
    elif part.value is not True and part.value is not False and not isinstance(part.value, Unknown):
        text += f" = {w.value(part.value, part.unit)}"
    if isinstance(part.value, Unknown) and part.value.missing:
        text += w("word.missing_in", facts=w.missing(part.value.missing))
    if part.kind == "value" and part.children and depth < WHY_DEPTH:
        inner = part.children[0]
        causes = failed_parts(inner) if isinstance(part.value, (bool, Unknown)) else ()
        if inner.kind == "logic" and causes:
            text += " ← " + w("word.because_parts", expr=w.expr(inner),
                              parts=w("word.parts").join(why_failed(c, w, depth + 1) for c in causes))
        else:
            text += f" ← {why_failed(inner, w, depth + 1)}"
    return text


def _rule_lines(trace: RuleTrace, w: Writer, lines: list[str], *, why_not: bool) -> None:
    local_name = trace.rule.split("::")[-1]
    lines.append(f"  {w('word.rule')}: {trace.implements} (`{local_name}`, {w('word.policy')} {trace.policy}, "
                 f"{trace.span})")
    lines.append(f"  {w('word.clause')}: {trace.clause}" + (f" 「{trace.quote}」" if trace.quote else ""))
    if not trace.in_force:
        lines.append(f"  {w('word.not_in_force')}")
        if trace.outside is not None:
            lines.append(f"    · {say(trace.outside, w.lang)}")
        return
    if trace.condition is None:
        return
    if why_not and not trace.fired:
        lines.append(f"  {w('word.failed')}:")
        for part in trace.failed:
            _node_lines(part, 2, w, lines)
        return
    verdict = w("word.holds") if trace.condition.value is True else (
        w("word.fails") if trace.condition.value is False else w("word.unknown"))
    lines.append(f"  {w('word.because')}: {w.expr(trace.condition)} — {verdict}")
    children = trace.condition.children if trace.condition.kind == "logic" and trace.condition.op == "and" \
        else (trace.condition,)
    shown: set = set()
    for child in children:
        _node_lines(child, 2, w, lines, shown=shown)
    for payload in trace.payload:
        worked = arithmetic(payload, w.lang) or (w.labelled and _rank_words(payload, w)) or w.value(payload.value,
                                                                                             payload.unit)
        lines.append(f"  = {w.expr(payload)} = {worked}")
        for item in payload.detail:
            lines.append(f"      · {say(item, w.lang)}")
        for child in payload.children:
            _node_lines(child, 2, w, lines, shown=shown)


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


def as_of_text(e: Explanation, w: Writer) -> str:
    """The day a document status is decided on under --as-of (not the end of the period asked)."""
    return w("word.as_of", day=e.as_of)


def explanation_text(explanation: Explanation, lang: str = "en", *, width: int | None = None) -> str:
    """The explanation in words; wrapped to `width` terminal cells when given."""
    if width is not None:
        return wrap_lines(explanation_text(explanation, lang), width)
    e = explanation
    w = Writer(lang, e.fact_labels, e.unrecorded)
    kind = word("name.kind", lang, id=e.entity_kind, label=e.entity_kind_label)
    lines = [f"{e.entity} ({kind}) · {e.period or '-'}"]
    title = f"{e.outcome_label} ({e.outcome})" if e.outcome_label else e.outcome
    outcome_kind = w(f"kind.{e.outcome_kind}") if f"kind.{e.outcome_kind}" in CATALOGUE[lang] else e.outcome_kind
    lines.append(f"{title} [{outcome_kind}]: {w(status_key(e.status, e.missing))}")
    if e.as_of is not None:
        lines.append("  " + as_of_text(e, w))
    if e.decision is not None:
        for key, payload in (("word.amount", e.decision.amount), ("word.value", e.decision.value)):
            if payload is not None:  # an amount may come with payload fields
                unit = " 万元" if key == "word.amount" else ""
                lines.append(f"  {w(key)}: {format_value(payload)}{unit}")
    for winner in e.superseded_by:
        lines.append(f"  {w('word.superseded_by')}: {winner.rule_id} → "
                     f"{winner.label or ''} ({winner.outcome})")
    for trace in e.rules:
        lines.append("")
        _rule_lines(trace, w, lines, why_not=e.question == "why_not" and e.decision is None)
    if e.missing:
        lines.append("")
        lines.append(f"{w('word.cannot')}: " + w.missing(e.missing))
    if e.facts:
        lines.append("")
        lines.append(f"{w('word.facts')}:")
        for fact in e.facts:
            where = f" {fact.period}" if fact.period else f" ({w('word.static')})"
            first, second = w.name(fact)
            lines.append(f"  {fact.entity} {first}{where} = {fact_value(fact, w)}"
                         + (f"  ({second})" if second else ""))
    return "\n".join(lines)


def outcome_periods_text(entity: str, outcome: str, decisions, explained: str | None,
                         lang: str = "en", label: str | None = None) -> str:
    """Without --period: the periods the entity received `outcome` in (its active decisions), the
    periods it was recorded but superseded in, and which period is explained (`explained`). The
    outcome is named by its id, in Chinese by its label (`label`) as the explanation reads names."""
    w = Writer(lang)
    mine = [d for d in decisions if d.entity == entity and d.outcome == outcome]
    named = label if label and lang == "zh" else outcome
    active = sorted({d.period for d in mine if d.status == "active"})
    superseded = sorted({d.period for d in mine if d.status != "active"} - set(active))

    def listed(periods) -> str:
        return w("list.separator").join(str(p) for p in periods)
    if active:
        parts = [w("periods.received", entity=entity, outcome=named, periods=listed(active))]
        if superseded:
            parts.append(w("periods.superseded", periods=listed(superseded)))
    elif superseded:
        parts = [w("periods.only_superseded", entity=entity, outcome=named, periods=listed(superseded))]
    else:
        parts = [w("periods.never", entity=entity, outcome=named)]
    if explained is not None:
        late = not active and explained in {str(p) for p in superseded}
        parts.append(w("periods.explaining_superseded" if late else "periods.explaining", period=explained))
    return w("periods.separator").join(parts)
