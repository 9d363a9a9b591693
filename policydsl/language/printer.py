"""AST back to policy text, in one canonical layout.

Used by the round-trip property (text → AST → text → the same AST) and by the generators of
the property tests; it is also the core of a future `policydsl fmt`. Parentheses are written
wherever an operand binds more loosely than its operator, so printing never changes meaning.
"""

from __future__ import annotations

from policydsl.language import ast
from policydsl.values import format_number

# Binding strength, loosest first (the grammar's order).
_IF, _OR, _AND, _NOT, _COMPARE, _SUM, _PRODUCT, _UNARY, _ATOM = range(9)


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


def expr_text(expr: ast.Expr) -> str:
    def wrap(child: ast.Expr, minimum: int) -> str:
        text = expr_text(child)
        return f"({text})" if _strength(child) < minimum else text

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
        case ast.Call(function=function, args=args, keywords=keywords):
            parts = [expr_text(a) for a in args] + [f"{k.name}: {expr_text(k.value)}" for k in keywords]
            return f"{function}({', '.join(parts)})"
        case ast.Binary(op=op, left=left, right=right):
            level = _SUM if op in "+-" else _PRODUCT
            return f"{wrap(left, level)} {op} {wrap(right, level + 1)}"
        case ast.Negate(operand=operand):
            return f"-{wrap(operand, _UNARY + 1)}"
        case ast.Compare(op=op, left=left, right=right):
            return f"{wrap(left, _SUM)} {op} {wrap(right, _SUM)}"
        case ast.Member(operand=operand, options=options, negated=negated):
            keyword = "not in" if negated else "in"
            return f"{wrap(operand, _SUM)} {keyword} {{{', '.join(expr_text(o) for o in options)}}}"
        case ast.And(operands=operands):
            return " and ".join(wrap(o, _NOT) for o in operands)
        case ast.Or(operands=operands):
            return " or ".join(wrap(o, _AND) for o in operands)
        case ast.Not(operand=operand):
            return f"not {wrap(operand, _NOT)}"
        case ast.If(condition=c, then=t, otherwise=o):
            return f"if {expr_text(c)} then {expr_text(t)} else {expr_text(o)}"
        case ast.Index(target=target, key=key):
            return f"{wrap(target, _ATOM)}[{expr_text(key)}]"
        case ast.Attribute(target=target, name=name):
            return f"{wrap(target, _ATOM)}.{name}"
    raise TypeError(f"cannot print {type(expr).__name__}")


def _label(label: str | None) -> str:
    return f" {_quote(label)}" if label is not None else ""


def _type(t: ast.TypeExpr) -> str:
    return f"ref {t.names[0]}" if t.reference else " | ".join(t.names)


def declaration_text(decl: ast.Declaration) -> str:
    match decl:
        case ast.PolicyDecl(name=name, meta=meta) | ast.ReferenceDecl(document=name, meta=meta):
            lines = [f"policy {name}" if isinstance(decl, ast.PolicyDecl) else f"reference {_quote(name)}"]
            for item in meta:
                value = (_quote(item.value) if isinstance(item.value, str)
                         else str(item.value) if isinstance(item.value, int) else item.value.isoformat())
                lines.append(f"  {item.key} {value}")
            return "\n".join(lines)
        case ast.ImportDecl(path=path):
            return f"import {_quote(path)}"
        case ast.TypeDecl(name=name, label=label, members=members):
            return f"type {name}{_label(label)} = {' | '.join(members)}"
        case ast.EntityDecl(name=name, label=label, group=group, facts=facts):
            lines = [f"entity {name}{_label(label)}"]
            if group is not None:
                lines.append(f"  group by {group.name}")
            lines += [f"  {f.periodicity} {f.name}{_label(f.label)}: {_type(f.type)}" for f in facts]
            return "\n".join(lines)
        case ast.ParameterDecl(name=name, label=label, type=type_, value=value):
            annotation = f": {_type(type_)}" if type_ else ""
            return f"parameter {name}{_label(label)}{annotation} = {expr_text(value)}"
        case ast.TableDecl(name=name, label=label, key_type=key_type, value_type=value_type, rows=rows):
            lines = [f"table {name}{_label(label)}: {_type(key_type)} -> {_type(value_type)}"]
            lines += [f"  {expr_text(r.key)} -> {expr_text(r.value)}" for r in rows]
            return "\n".join(lines)
        case ast.ValueDecl(name=name, label=label, entity=entity, type=type_, expr=expr):
            annotation = f": {_type(type_)}" if type_ else ""
            return f"value {name}{_label(label)} for {entity.name}{annotation} =\n  {expr_text(expr)}"
        case ast.OutcomeDecl(name=name, label=label, kind=kind, payload=payload, value_type=value_type):
            tail = ""
            if payload == "amount":
                tail = " with amount"
            elif payload == "value":
                tail = f" with value: {_type(value_type)}"
            return f"outcome {name}{_label(label)} is {kind.name}{tail}"
        case ast.LadderDecl(name=name, label=label, levels=levels):
            body = "\n  < ".join(" + ".join(r.name for r in level) for level in levels)
            return f"ladder {name}{_label(label)}:\n  {body}"
        case ast.HighestDecl(name=name, label=label, members=members):
            return f"highest only {name}{_label(label)}: {', '.join(m.name for m in members)}"
        case ast.RuleDecl():
            return _rule_text(decl)
        case ast.TargetDecl() | ast.DeadlineDecl():
            return _goal_text(decl)
        case ast.ScopeDecl(entity=entity, label=label, condition=condition):
            return f"scope {entity.name}{_label(label)}: {expr_text(condition)}"
    raise TypeError(f"cannot print {type(decl).__name__}")


def _rule_text(rule: ast.RuleDecl) -> str:
    lines = [f"rule {rule.name}{_label(rule.label)}", *_header_lines(rule)]
    if rule.condition is not None:
        lines.append(f"  when {expr_text(rule.condition)}")
    if rule.consequences:
        parts = []
        for c in rule.consequences:
            part = c.outcome.name
            if c.amount is not None:
                part += f" amount {expr_text(c.amount)}"
            if c.value is not None:
                part += f" = {expr_text(c.value)}"
            parts.append(part)
        lines.append("  then " + ", ".join(parts))
    return "\n".join(lines)


def _header_lines(decl) -> list[str]:
    lines = []
    if decl.implements:
        lines.append(f"  implements {decl.implements}")
    if getattr(decl, "part", None):
        lines.append(f"  part {decl.part}")
    if decl.clause is not None:
        lines.append(f"  cite {_quote(decl.clause)}" + (f" {_quote(decl.quote)}" if decl.quote is not None else ""))
    if decl.entity is not None:
        lines.append(f"  for {decl.entity.name}")
    return lines


def _goal_text(decl) -> str:
    keyword = "target" if isinstance(decl, ast.TargetDecl) else "deadline"
    lines = [f"{keyword} {decl.name}{_label(decl.label)}", *_header_lines(decl)]
    if isinstance(decl, ast.TargetDecl):
        if decl.applies is not None:
            lines.append(f"  when {expr_text(decl.applies)}")
        if decl.require is not None:
            lines.append(f"  require {expr_text(decl.require)}")
        if decl.measure is not None:
            tolerance = f" within {expr_text(decl.tolerance)}" if decl.tolerance is not None else ""
            lines.append(f"  approximately {expr_text(decl.measure)} near {expr_text(decl.near)}{tolerance}")
    else:
        if decl.applies is not None:
            lines.append(f"  when {expr_text(decl.applies)}")
        if decl.due is not None:
            lines.append(f"  due {decl.due.isoformat()}")
        if decl.done is not None:
            lines.append(f"  done {expr_text(decl.done)}")
        if decl.unfinished is not None:
            lines.append(f"  unfinished {expr_text(decl.unfinished)}")
    return "\n".join(lines)


def module_text(module: ast.Module) -> str:
    return "\n\n".join(declaration_text(d) for d in module.declarations) + "\n"
