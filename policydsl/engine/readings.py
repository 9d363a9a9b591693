"""Part of stage 7, explain: the explainer's words as data, never as English text.

In: IR expressions (and the explainer's observations: a group's members, a period walked). Out:
`Message`s — a key of the message catalogue (`render/messages.py`, one template per key and
language) and its arguments. `reading(expr)` is an expression as a tree of messages whose names
carry their declared labels, so that each renderer writes it in its language: `position_fall >=
replacement_fall` in English, 「省综合位次较上年度后退 ≥ 后退20个位次」 in Chinese. The explainer never
writes a sentence and no renderer parses one.
"""

from __future__ import annotations

import attrs

from policydsl.language import ir
from policydsl.values import Unknown, format_value

# Every key the explainer emits; the catalogue must have each in every language (a test checks).
NAME_KEYS = frozenset({"name.fact", "name.value", "name.parameter", "name.table", "name.kind", "name.builtin",
                       "builtin.period_start", "builtin.period_end", "builtin.evaluation_date"})
EXPR_KEYS = frozenset({
    "expr.const", "expr.text", "expr.paren", "expr.code", "expr.via", "expr.lookup",
    "expr.add", "expr.sub", "expr.mul", "expr.div", "expr.neg",
    "expr.eq", "expr.ne", "expr.lt", "expr.le", "expr.gt", "expr.ge",
    "expr.and", "expr.or", "expr.not", "expr.in", "expr.not_in", "expr.if", "expr.when", "expr.list", "expr.list_literal",
    "fn.min", "fn.max", "fn.abs", "fn.round", "fn.is_missing", "fn.value_or", "fn.call",
    "hist.previous", "hist.previous_n", "hist.change", "hist.change_n", "hist.streak", "hist.count_periods",
    "hist.first_time",
    "agg.rank", "agg.rank_ascending", "agg.top", "agg.bottom", "agg.group_sum", "agg.group_mean",
    "agg.group_min", "agg.group_max", "agg.group_count", "agg.where", "agg.within_all",
    "members.count", "members.sum", "members.mean", "members.min", "members.max", "members.any", "members.all",
    "members.where", "members.reported",
})
NOTE_KEYS = frozenset({
    "note.no_record", "note.period_value", "note.via", "note.group", "note.group_all", "note.group_where",
    "note.group_by", "note.without_value", "note.descending", "note.ascending", "note.member_value", "note.more_hidden",
    "note.cut", "note.above",
    "outside.governs_from", "outside.governs_until", "outside.not_yet_in_effect", "outside.repealed",
})
MESSAGE_KEYS = NAME_KEYS | EXPR_KEYS | NOTE_KEYS


@attrs.frozen
class Message:
    """A message key and its arguments: texts, numbers, values, other messages, or tuples of them."""

    key: str
    args: tuple[tuple[str, object], ...] = ()

    def arg(self, name: str, default: object = None) -> object:
        return next((value for key, value in self.args if key == name), default)


def message(key: str, /, **args: object) -> Message:
    if key not in MESSAGE_KEYS:
        raise ValueError(f"no message key `{key}` (add it to readings.py and to every language's catalogue)")
    return Message(key, tuple(args.items()))


_COMPARE = {"=": "eq", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge"}
_ARITH = {"+": "add", "-": "sub", "*": "mul", "/": "div"}
_LOGIC_STRENGTH = {"or": 1, "and": 2, "not": 3}
_ARITH_STRENGTH = {"+": 1, "-": 1, "*": 2, "/": 2, "neg": 3}


def needs_parentheses(child: ir.Expr, parent_op: str, right: bool = False) -> bool:
    """Whether a child expression is bracketed under its parent's operator, in the reading and in
    `ir_text` alike: where the parent binds more tightly, and (for the reader's sake) a conditional
    as an operand and a comparison or membership test under `not`, a comparison or arithmetic."""
    if isinstance(child, ir.Logic) and _LOGIC_STRENGTH[child.op] < _LOGIC_STRENGTH.get(parent_op, 9):
        return True
    if isinstance(child, ir.Arith) and child.op in _ARITH_STRENGTH and parent_op in _ARITH_STRENGTH:
        mine, theirs = _ARITH_STRENGTH[child.op], _ARITH_STRENGTH[parent_op]
        return mine < theirs or (right and mine == theirs and parent_op in ("-", "/"))
    return isinstance(child, ir.Cond) or (isinstance(child, (ir.Compare, ir.Member))
                                          and parent_op not in ("and", "or"))


class Reader:
    """Readings of a program's expressions: names with their declared labels."""

    def __init__(self, program: ir.Program):
        self.program = program
        self._read_before: dict[int, tuple[ir.Expr, Message]] = {}  # by id: a trace reads each node often

    def kind(self, kind: str) -> Message:
        schema = self.program.entities.get(kind)
        return message("name.kind", id=kind, label=schema.label if schema else None)

    def chain(self, path: tuple[tuple[str, str], ...]) -> Message | None:
        """A chain of references (`zone.city`: each (kind, attribute) hop) in the attributes' labels."""
        read = None
        for kind, attribute in path:
            schema = self.program.entities.get(kind)
            fact = schema.facts.get(attribute) if schema else None
            hop = message("name.fact", id=attribute, label=fact.label if fact else None)
            read = hop if read is None else message("expr.via", ref=read, inner=hop)
        return read

    def reading(self, expr: ir.Expr) -> Message:
        known = self._read_before.get(id(expr))
        if known is not None and known[0] is expr:
            return known[1]
        read = self._read(expr)
        self._read_before[id(expr)] = (expr, read)
        return read

    def _wrapped(self, child: ir.Expr, parent_op: str, right: bool = False) -> Message:
        """A child's reading, in parentheses where the parent's operator binds more tightly."""
        read = self.reading(child)
        return message("expr.paren", inner=read) if needs_parentheses(child, parent_op, right) else read

    def _read(self, expr: ir.Expr) -> Message:  # noqa: C901 - one case per kind of expression
        program = self.program
        match expr:
            case ir.Const(value=value):
                if isinstance(value, str) and not expr.type.is_enum:
                    return message("expr.text", value=value)
                return message("expr.const", value=value)
            case ir.Fact(entity=kind, name=name):
                fact = program.entities[kind].facts.get(name)
                return message("name.fact", id=name, label=fact.label if fact else None)
            case ir.Derived(entity=kind, name=name):
                value = program.values.get((kind, name))
                return message("name.value", id=name, label=value.label if value else None)
            case ir.Param(name=name):
                parameter = program.parameters.get(name)
                return message("name.parameter", id=name.split("::")[-1],
                               label=parameter.label if parameter else None)
            case ir.Builtin(name=name):
                key = f"builtin.{name}"
                return message(key) if key in NAME_KEYS else message("name.builtin", id=name)
            case ir.Via(ref=ref, inner=inner):
                return message("expr.via", ref=self.reading(ref), inner=self.reading(inner))
            case ir.Lookup(table=table, key=key):
                declared = program.tables.get(table)
                return message("expr.lookup", key=self.reading(key), table=message(
                    "name.table", id=table.split("::")[-1], label=declared.label if declared else None))
            case ir.Arith(op="neg", operands=(operand,)):
                return message("expr.neg", operand=self._wrapped(operand, "neg"))
            case ir.Arith(op=op, operands=(left, right)) if op in _ARITH:
                return message(f"expr.{_ARITH[op]}", left=self._wrapped(left, op),
                               right=self._wrapped(right, op, right=True))
            case ir.Compare(op=op, left=left, right=right) if op in _COMPARE:
                # a conditional compared is read in parentheses (`(if c then a else b) > 0`)
                return message(f"expr.{_COMPARE[op]}", left=self._wrapped(left, op), right=self._wrapped(right, op))
            case ir.Logic(op="not", operands=(operand,)):
                return message("expr.not", operand=self._wrapped(operand, "not"))
            case ir.Logic(op=op, operands=operands) if op in ("and", "or") and operands:
                read = self._wrapped(operands[0], op)
                for operand in operands[1:]:
                    read = message(f"expr.{op}", left=read, right=self._wrapped(operand, op, right=True))
                return read
            case ir.Member(operand=operand, options=options, negated=negated):
                return message("expr.not_in" if negated else "expr.in", operand=self.reading(operand),
                               options=message("expr.list", items=tuple(self.reading(o) for o in options)))
            case ir.ListOf(items=items):
                return message("expr.list_literal", items=message("expr.list", items=tuple(
                    self.reading(item) for item in items)))
            case ir.Cond(condition=condition, then=then, otherwise=ir.Const(value=Unknown())):
                return message("expr.when", value=self.reading(then), condition=self.reading(condition))
            case ir.Cond(condition=condition, then=then, otherwise=otherwise):
                return message("expr.if", condition=self.reading(condition), then=self.reading(then),
                               otherwise=self.reading(otherwise))
            case ir.Scalar(function="as_percent", operands=(operand,)):
                return self.reading(operand)  # a ratio shown as a percent: the same quantity
            case ir.Scalar(function=function, operands=operands):
                read = tuple(self.reading(o) for o in operands)
                if function in ("min", "max"):
                    return message(f"fn.{function}", items=message("expr.list", items=read))
                if function in ("abs", "is_missing") and len(read) == 1:
                    return message(f"fn.{function}", operand=read[0])
                if function in ("round", "value_or") and len(read) == 2:
                    return message(f"fn.{function}", operand=read[0], other=read[1])
                return message("fn.call", name=function, items=message("expr.list", items=read))
            case ir.History(function=function, operand=operand, periods=periods):
                read = self.reading(operand)
                if function in ("previous", "change") and periods != 1:
                    return message(f"hist.{function}_n", operand=read, n=periods)
                if f"hist.{function}" in EXPR_KEYS:
                    return message(f"hist.{function}", operand=read, n=periods)
            case ir.Aggregate(function=function, operand=operand, descending=descending, n=n, where=where,
                              group=group):
                key = "agg.rank_ascending" if function == "rank" and not descending else f"agg.{function}"
                if key in EXPR_KEYS:
                    read = message(key, operand=self.reading(operand), n=n)
                    if where is not None:
                        read = message("agg.where", aggregate=read, where=self.reading(where))
                    return read if group is not None else message("agg.within_all", aggregate=read)
            case ir.Members(function=function, kind=kind, path=path, operand=operand, where=where):
                if f"members.{function}" in EXPR_KEYS:
                    return message(f"members.{function}", kind=self.kind(kind),
                                   operand=self.reading(operand) if operand is not None else None,
                                   via=".".join(attribute for _, attribute in path),
                                   where=None if where is None else message("members.where",
                                                                            where=self.reading(where)))
        return message("expr.code", text=ir_text(expr))  # a construct without a reading of its own: its code


def ir_text(expr: ir.Expr) -> str:
    """Policy text for an expression that a lowering wrote (it has no source of its own)."""
    def wrapped(child: ir.Expr, parent_op: str, right: bool = False) -> str:
        text = ir_text(child)
        return f"({text})" if needs_parentheses(child, parent_op, right) else text

    match expr:
        case ir.Const(value=value):
            return format_value(value) if not isinstance(value, str) else (
                value if expr.type.is_enum else f'"{value}"')
        case ir.Fact(name=name) | ir.Derived(name=name) | ir.Param(name=name) | ir.Builtin(name=name):
            return name.split("::")[-1]  # a policy's own parameter is written without its policy
        case ir.Logic(op="not", operands=(operand,)):
            return f"not {wrapped(operand, 'not')}"
        case ir.Logic(op=op, operands=operands):
            return f" {op} ".join(wrapped(o, op) for o in operands)
        case ir.Compare(op=op, left=left, right=right):
            return f"{wrapped(left, op)} {op} {wrapped(right, op, right=True)}"
        case ir.Arith(op="neg", operands=(operand,)):
            return f"-{wrapped(operand, 'neg')}"
        case ir.Arith(op=op, operands=(left, right)):
            return f"{wrapped(left, op)} {op} {wrapped(right, op, right=True)}"
        case ir.ListOf(items=items):
            return "[" + ", ".join(ir_text(item) for item in items) + "]"
        case ir.Scalar(function=function, operands=operands):
            return f"{function}({', '.join(ir_text(o) for o in operands)})"
        case ir.Via(ref=ref, inner=inner):
            return f"{ir_text(ref)}.{ir_text(inner)}"
        case ir.Cond(condition=condition, then=then, otherwise=ir.Const(value=Unknown())):
            return f"{ir_text(then)} when {ir_text(condition)}"
        case ir.Cond(condition=condition, then=then, otherwise=otherwise):
            return f"if {ir_text(condition)} then {ir_text(then)} else {ir_text(otherwise)}"
        case ir.Member(operand=operand, options=options, negated=negated):
            return f"{ir_text(operand)} {'not in' if negated else 'in'} {{{', '.join(ir_text(o) for o in options)}}}"
        case ir.Lookup(table=table, key=key):
            return f"{table.split('::')[-1]}[{ir_text(key)}]"
        case ir.History(function=function, operand=operand, periods=periods):
            shows_periods = function == "count_periods" or (function in ("previous", "change") and periods != 1)
            return f"{function}({ir_text(operand)}" + (f", {periods})" if shows_periods else ")")
        case ir.Aggregate(function=function, operand=operand, group=group, descending=descending, n=n, where=where):
            arguments = [ir_text(operand)]
            if function == "rank" and not descending:
                arguments.append("ascending")
            if function in ("top", "bottom"):
                arguments.append(str(n))
            if where is not None:
                arguments.append(f"where: {ir_text(where)}")
            if group is None:
                arguments.append("within: all")
            return f"{function}({', '.join(arguments)})"
        case ir.Members(function=function, kind=kind, path=path, operand=operand, where=where):
            text = kind if operand is None else f"{ir_text(operand)} over {kind}"
            text += " via " + ".".join(attribute for _, attribute in path)
            return f"{function}({text}" + (f" where {ir_text(where)})" if where is not None else ")")
    return type(expr).__name__
