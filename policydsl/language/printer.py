"""AST back to policy text, in one canonical layout.

Used by `policydsl fmt` (`tools/fmt.py`, which adds the comments and blank lines back), by the
round-trip property (text → AST → text → the same AST) and by the generators of the property
tests. Parentheses are written wherever an operand binds more loosely than its operator, so
printing never changes meaning.

The layout: a declaration's head on one line, each clause on its own line indented two spaces
(`implements`, `part`, `cite`, `for`, `when`/`require`/…, `then`), a value's definition after
` =` on the same line when it fits in `WIDTH` columns (CJK characters count two), otherwise on
the next line; an expression too long for its line is broken before each operator of its loosest
chain (`and`, `or`, `+`, `-`, …), continuation lines indented two more spaces.

`declaration_lines` returns each printed line with the source lines of the node it prints
(`Line.start`/`Line.end`, None for a line printed from a node without a span), which is how the
formatter puts every comment back next to the code it was written beside.
"""

from __future__ import annotations

import unicodedata

import attrs

from policydsl.language import ast
from policydsl.values import format_number

WIDTH = 110  # the project's line length (ruff's too)
INDENT = "  "

# Binding strength, loosest first (the grammar's order).
_IF, _OR, _AND, _NOT, _COMPARE, _SUM, _PRODUCT, _UNARY, _ATOM = range(9)


@attrs.frozen
class Line:
    """One printed line and the source lines (1-based, inclusive) of the node it came from."""

    text: str
    start: int | None = None
    end: int | None = None


def display_width(text: str) -> int:
    """Columns a terminal or editor gives the text: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _strength(expr: ast.Expr) -> int:
    match expr:
        case ast.If():
            return _IF
        case ast.Or():
            return _OR
        case ast.And():
            return _AND
        case ast.Not():
            return _NOT
        case ast.Compare() | ast.Member():
            return _COMPARE
        case ast.Binary(op=op):
            return _SUM if op in "+-" else _PRODUCT
        case ast.Negate():
            return _UNARY
        case ast.NumberLit(value=value) if value < 0:
            return _UNARY
    return _ATOM


def _wrap(child: ast.Expr, minimum: int) -> str:
    text = expr_text(child)
    return f"({text})" if _strength(child) < minimum else text


def expr_text(expr: ast.Expr) -> str:
    match expr:
        case ast.NumberLit(value=value, unit=unit):
            text = format_number(abs(value)) if not isinstance(value, int) else str(abs(value))
            return ("-" if value < 0 else "") + text + (unit or "")
        case ast.StringLit(value=value):
            return _quote(value)
        case ast.DateLit(value=value):
            return value.isoformat()
        case ast.BoolLit(value=value):
            return "true" if value else "false"
        case ast.DurationLit(value=value):
            return str(value)
        case ast.Name(name=name):
            return name
        case ast.ListLit(items=items):
            return "[" + ", ".join(expr_text(item) for item in items) + "]"
        case ast.Call(function=function, args=args, keywords=keywords):
            parts = [expr_text(a) for a in args] + [f"{k.name}: {expr_text(k.value)}" for k in keywords]
            return f"{function}({', '.join(parts)})"
        case ast.Binary() | ast.And() | ast.Or():
            first, rest = _chain(expr)
            return " ".join([first, *(f"{op} {operand}" for op, operand in rest)])
        case ast.Negate(operand=operand):
            return f"-{_wrap(operand, _UNARY + 1)}"
        case ast.Compare(op=op, left=left, right=right):
            return f"{_wrap(left, _SUM)} {op} {_wrap(right, _SUM)}"
        case ast.Member(operand=operand, options=options, negated=negated):
            keyword = "not in" if negated else "in"
            return f"{_wrap(operand, _SUM)} {keyword} {{{', '.join(expr_text(o) for o in options)}}}"
        case ast.Not(operand=operand):
            return f"not {_wrap(operand, _SUM)}"  # `not (a < b)`, not `not a < b`
        case ast.If(condition=c, then=t, otherwise=o):
            return f"if {expr_text(c)} then {expr_text(t)} else {expr_text(o)}"
        case ast.Index(target=target, key=key):
            return f"{_wrap(target, _ATOM)}[{expr_text(key)}]"
        case ast.Attribute(target=target, name=name):
            return f"{_wrap(target, _ATOM)}.{name}"
        case ast.Members(function=function, operand=operand, kind=kind, via=via, where=where):
            text = expr_text(operand)
            text += f" over {kind}" if kind else ""
            text += f" via {'.'.join(via)}" if via else ""
            text += f" where {expr_text(where)}" if where is not None else ""
            return f"{function}({text})"
    raise TypeError(f"cannot print {type(expr).__name__}")


def _chain(expr: ast.Expr) -> tuple[str, list[tuple[str, str]]]:
    """An operator chain as its first operand and (operator, operand) pairs, each operand printed.

    `a + b - c` is `Binary(-, Binary(+, a, b), c)`: the left-nested operands of the same binding
    strength are the chain; a right operand of that strength keeps its parentheses.
    """
    match expr:
        case ast.And(operands=operands):
            return _wrap(operands[0], _NOT), [("and", _wrap(o, _NOT)) for o in operands[1:]]
        case ast.Or(operands=operands):
            # `a and b or c` needs no parentheses, but nobody should have to remember that
            return _wrap(operands[0], _NOT), [("or", _wrap(o, _NOT)) for o in operands[1:]]
        case ast.Binary(op=op, left=left, right=right):
            level = _SUM if op in "+-" else _PRODUCT
            if isinstance(left, ast.Binary) and _strength(left) == level:
                first, rest = _chain(left)
            else:
                first, rest = _wrap(left, level), []
            return first, [*rest, (op, _wrap(right, level + 1))]
    return expr_text(expr), []


def _segments(expr: ast.Expr) -> list[tuple[str, ast.Expr | None, str]]:
    """Where a long expression may break, as (text before, operand, text after) pieces: before
    each operator of its loosest chain, before each `else` of a conditional, after each comma
    of a call. An operand given with its pieces may itself be broken further."""
    match expr:
        case ast.If():
            pieces: list[tuple[str, ast.Expr | None, str]] = [
                (f"if {expr_text(expr.condition)}", None, ""), (f"then {expr_text(expr.then)}", None, "")]
            otherwise = expr.otherwise
            while isinstance(otherwise, ast.If):
                pieces += [(f"else if {expr_text(otherwise.condition)}", None, ""),
                           (f"then {expr_text(otherwise.then)}", None, "")]
                otherwise = otherwise.otherwise
            return [*pieces, ("else ", otherwise, "")]
        case ast.Call(function=function, args=args, keywords=keywords) if args or keywords:
            items = [("", a) for a in args] + [(f"{k.name}: ", k.value) for k in keywords]
            pieces = []
            for i, (lead, value) in enumerate(items):
                before = (f"{function}(" if i == 0 else "") + lead
                pieces.append((before, value, ")" if i == len(items) - 1 else ","))
            return pieces
        case ast.And() | ast.Or() | ast.Binary(op="+" | "-"):
            return _chain_pieces(expr)
    return [("", expr, "")]  # products and the rest stay whole: breaking them reads worse


def _chain_pieces(expr: ast.Expr) -> list[tuple[str, ast.Expr | None, str]]:
    match expr:
        case ast.And(operands=operands) | ast.Or(operands=operands):
            op = "and" if isinstance(expr, ast.And) else "or"
            return [*_operand("", operands[0], _NOT), *(p for o in operands[1:] for p in _operand(op + " ", o, _NOT))]
        case ast.Binary(op=op, left=left, right=right):
            level = _SUM if op in "+-" else _PRODUCT
            if isinstance(left, ast.Binary) and _strength(left) == level:
                first = _chain_pieces(left)
            else:
                first = _operand("", left, level)
            return [*first, *_operand(op + " ", right, level + 1)]
    return [("", expr, "")]


def _operand(lead: str, operand: ast.Expr, minimum: int) -> list[tuple[str, ast.Expr | None, str]]:
    if _strength(operand) < minimum:
        return [(lead + "(", operand, ")")]
    return [(lead, operand, "")]


def expr_lines(prefix: str, expr: ast.Expr, indent: str) -> list[str]:
    """`prefix + expr`, broken where `_segments` allows when it is wider than WIDTH; pieces are
    filled greedily, continuation lines start with `indent`; a piece too wide for a line of its
    own is broken inside (a parenthesised chain, a call's arguments) one level deeper."""
    whole = prefix + expr_text(expr)
    if display_width(whole) <= WIDTH:
        return [whole]
    pieces = _segments(expr)
    if len(pieces) == 1 and pieces[0][1] is expr:
        return [whole]
    if isinstance(expr, ast.Call):
        indent += INDENT  # a call's arguments sit deeper than the line the call starts on
    lines: list[str] = []
    for i, (before, operand, after) in enumerate(pieces):
        text = before + (expr_text(operand) if operand is not None else "") + after
        if i and display_width(f"{lines[-1]} {text}") <= WIDTH:
            lines[-1] = f"{lines[-1]} {text}"
            continue
        start = prefix if i == 0 else indent
        if display_width(start + text) <= WIDTH or operand is None:
            lines.append(start + text)
            continue
        inner = expr_lines(start + before, operand, indent + INDENT)
        inner[-1] += after
        lines += inner
    return lines


def fill(head: str, items: list[str], indent: str, *, own_lines: bool = False) -> list[str]:
    """`head` followed by comma-separated items, as many per line as fit; with `own_lines`, the
    items start on the line after the head unless they all fit beside it."""
    texts = [item + ("," if i < len(items) - 1 else "") for i, item in enumerate(items)]
    whole = " ".join([head, *texts])
    if display_width(whole) <= WIDTH or not texts:
        return [whole]
    lines, rest = ([head], texts) if own_lines else ([f"{head} {texts[0]}"], texts[1:])
    for text in rest:
        if lines[-1] != head and display_width(f"{lines[-1]} {text}") <= WIDTH:
            lines[-1] += " " + text
        else:
            lines.append(indent + text)
    return lines


def _parenthesised(items: list[str]) -> list[str]:
    """Items of a parenthesised list for `fill`: `(a`, `b`, `c)`."""
    return [("(" if i == 0 else "") + item + (")" if i == len(items) - 1 else "") for i, item in enumerate(items)]


def _label(label: str | None) -> str:
    return f" {_quote(label)}" if label is not None else ""


def type_text(t: ast.TypeExpr) -> str:
    if t.element is not None:
        return f"list of {type_text(t.element)}"
    return f"ref {t.names[0]}" if t.reference else " | ".join(t.names)


def _lines_of(node, texts: list[str]) -> list[Line]:
    span = getattr(node, "span", None)
    if span is None or span.line <= 0 or span.generated:
        return [Line(text) for text in texts]
    return [Line(text, span.line, span.end_line) for text in texts]


def _head(decl, text: str) -> Line:
    """The first line of a declaration: anchored at the declaration's first source line only."""
    span = getattr(decl, "span", None)
    line = span.line if span is not None and span.line > 0 else None
    return Line(text, line, line)


def declaration_lines(decl: ast.Declaration) -> list[Line]:
    """The printed lines of one declaration, each with the source lines it came from."""
    match decl:
        case ast.PolicyDecl(name=name, meta=meta) | ast.ReferenceDecl(document=name, meta=meta):
            lines = [_head(decl, f"policy {name}" if isinstance(decl, ast.PolicyDecl) else f"reference {_quote(name)}")]
            for item in meta:
                value = (_quote(item.value) if isinstance(item.value, str)
                         else str(item.value) if isinstance(item.value, int) else item.value.isoformat())
                lines += _lines_of(item, [f"{INDENT}{item.key} {value}"])
            return lines
        case ast.ImportDecl(path=path):
            return _lines_of(decl, [f"import {_quote(path)}"])
        case ast.TypeDecl(name=name, label=label, members=members):
            return _lines_of(decl, [f"type {name}{_label(label)} = {' | '.join(members)}"])
        case ast.EntityDecl(name=name, label=label, group=group, facts=facts):
            lines = [_head(decl, f"entity {name}{_label(label)}")]
            if group is not None:
                lines += _lines_of(group, [f"{INDENT}group by {group.name}"])
            for fact in facts:
                lines += _lines_of(fact, [f"{INDENT}{fact.periodicity} {fact.name}{_label(fact.label)}: "
                                          f"{type_text(fact.type)}"])
            return lines
        case ast.ParameterDecl(name=name, label=label, type=type_, value=value):
            annotation = f": {type_text(type_)}" if type_ else ""
            return _definition(decl, f"parameter {name}{_label(label)}{annotation} =", value)
        case ast.TableDecl(name=name, label=label, key_type=key_type, value_type=value_type, rows=rows):
            lines = [_head(decl, f"table {name}{_label(label)}: {type_text(key_type)} -> {type_text(value_type)}")]
            for row in rows:
                lines += _lines_of(row, [f"{INDENT}{expr_text(row.key)} -> {expr_text(row.value)}"])
            return lines
        case ast.ValueDecl(name=name, label=label, entity=entity, type=type_, expr=expr, when=when):
            annotation = f": {type_text(type_)}" if type_ else ""
            lines = _definition(decl, f"value {name}{_label(label)} for {entity.name}{annotation} =", expr)
            return lines + (_clause(when, "when", when) if when is not None else [])
        case ast.OutcomeDecl(name=name, label=label, kind=kind, payload=payload, value_type=value_type,
                             fields=fields):
            tail = ""
            if payload == "amount":
                tail = " with amount" + (" and" if fields else "")
            elif payload == "value":
                tail = f" with value: {type_text(value_type)}"
            elif fields:
                tail = " with"
            head = f"outcome {name}{_label(label)} is {kind.name}{tail}"
            if not fields:
                return _lines_of(decl, [head])
            items = [f"{'optional ' if f.optional else ''}{f.name}{_label(f.label)}: {type_text(f.type)}" for f in fields]
            one = f"{head} fields ({', '.join(items)})"
            if display_width(one) <= WIDTH:
                return _lines_of(decl, [one])
            # one field a line after the opening parenthesis, each anchored at its own source line
            return [_head(decl, f"{head} fields (")] + [
                line for i, (field, item) in enumerate(zip(fields, items))
                for line in _lines_of(field, [f"{INDENT}{item}{',' if i < len(items) - 1 else ')'}"])]
        case ast.LadderDecl(name=name, label=label, levels=levels):
            one = f"ladder {name}{_label(label)}: " + " < ".join(" + ".join(r.name for r in lv) for lv in levels)
            if display_width(one) <= WIDTH:
                return _lines_of(decl, [one])
            lines = [_head(decl, f"ladder {name}{_label(label)}:")]
            for i, level in enumerate(levels):
                text = f"{INDENT}{'< ' if i else ''}{' + '.join(r.name for r in level)}"
                lines += _lines_of(level[0], [text])
            return lines
        case ast.HighestDecl(name=name, label=label, members=members):
            return _lines_of(decl, fill(f"highest only {name}{_label(label)}:", [m.name for m in members], INDENT,
                                        own_lines=True))
        case ast.RuleDecl():
            return _rule_lines(decl)
        case ast.TargetDecl() | ast.DeadlineDecl():
            return _goal_lines(decl)
        case ast.ScopeDecl(entity=entity, label=label, condition=condition):
            return _lines_of(decl, expr_lines(f"scope {entity.name}{_label(label)}: ", condition, INDENT))
    raise TypeError(f"cannot print {type(decl).__name__}")


def _definition(decl, head: str, expr: ast.Expr) -> list[Line]:
    """`head expr` on one line when it fits, else the expression on the lines after the head."""
    one = f"{head} {expr_text(expr)}"
    if display_width(one) <= WIDTH:
        return _lines_of(decl, [one])
    return [_head(decl, head), *_lines_of(expr, expr_lines(INDENT, expr, INDENT))]


def _clause(node, keyword: str, expr: ast.Expr) -> list[Line]:
    return _lines_of(expr, expr_lines(f"{INDENT}{keyword} ", expr, INDENT * 2))


def _header_lines(decl) -> list[Line]:
    lines = []
    if decl.implements:
        lines.append(Line(f"{INDENT}implements {decl.implements}"))
    if getattr(decl, "part", None):
        lines.append(Line(f"{INDENT}part {decl.part}"))
    if decl.clause is not None:
        quote = f" {_quote(decl.quote)}" if decl.quote is not None else ""
        lines.append(Line(f"{INDENT}cite {_quote(decl.clause)}{quote}"))
    if decl.entity is not None:
        lines += _lines_of(decl.entity, [f"{INDENT}for {decl.entity.name}"])
    return lines


def _consequence_text(consequence: ast.Consequence) -> str:
    text = consequence.outcome.name
    if consequence.amount is not None:
        text += f" amount {_wrap(consequence.amount, _OR)}"  # `amount (if … then … else …)`
    if consequence.value is not None:
        text += f" = {expr_text(consequence.value)}"
    if consequence.fields:
        text += " with " + ", ".join(_parenthesised([f"{f.name} = {expr_text(f.value)}" for f in consequence.fields]))
    return text


def _rule_lines(rule: ast.RuleDecl) -> list[Line]:
    lines = [_head(rule, f"rule {rule.name}{_label(rule.label)}"), *_header_lines(rule)]
    if rule.condition is not None:
        lines += _clause(rule, "when", rule.condition)
    if rule.consequences:
        first, last = rule.consequences[0].span, rule.consequences[-1].span
        texts = fill(f"{INDENT}then", [_consequence_text(c) for c in rule.consequences], INDENT * 2)
        single = rule.consequences[0]
        if len(rule.consequences) == 1 and display_width(texts[0]) > WIDTH:
            if single.fields:  # one field per line: a line break is as good as a space
                head = _consequence_text(attrs.evolve(single, fields=()))
                texts = fill(f"{INDENT}then {head} with", _parenthesised(
                    [f"{f.name} = {expr_text(f.value)}" for f in single.fields]), INDENT * 2)
            elif single.value is not None:
                texts = expr_lines(f"{INDENT}then {single.outcome.name} = ", single.value, INDENT * 2)
            elif single.amount is not None:
                texts = expr_lines(f"{INDENT}then {single.outcome.name} amount ", single.amount, INDENT * 2)
        place = (first.line, last.end_line) if first.line > 0 else (None, None)
        lines += [Line(text, *place) for text in texts]
    return lines


def _goal_lines(decl) -> list[Line]:
    keyword = "target" if isinstance(decl, ast.TargetDecl) else "deadline"
    lines = [_head(decl, f"{keyword} {decl.name}{_label(decl.label)}"), *_header_lines(decl)]
    if decl.applies is not None:
        lines += _clause(decl, "when", decl.applies)
    if isinstance(decl, ast.TargetDecl):
        if decl.require is not None:
            lines += _clause(decl, "require", decl.require)
        if decl.measure is not None:
            tolerance = f" within {expr_text(decl.tolerance)}" if decl.tolerance is not None else ""
            lines += _lines_of(decl.measure, [f"{INDENT}approximately {expr_text(decl.measure)} near "
                                              f"{expr_text(decl.near)}{tolerance}"])
    else:
        if decl.due is not None:
            lines.append(Line(f"{INDENT}due {decl.due.isoformat()}"))
        if decl.done is not None:
            lines += _clause(decl, "done", decl.done)
        if decl.unfinished is not None:
            lines += _clause(decl, "unfinished", decl.unfinished)
    return lines


def declaration_text(decl: ast.Declaration) -> str:
    return "\n".join(line.text for line in declaration_lines(decl))


def module_text(module: ast.Module) -> str:
    return "\n\n".join(declaration_text(d) for d in module.declarations) + "\n"
