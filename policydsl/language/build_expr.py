"""Stage 2, build: the expressions of a Lark tree in, `ast` expressions out.

`ExpressionBuilder` is the base of `build._Builder`: it knows the file being built (spans,
diagnostics) and turns every expression subtree into `ast` nodes — operators, literals (numbers,
dates and durations within `limits`), calls and aggregates over members. The Lark tree goes no
further than the `build` stage.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

import attrs
import lark

from policydsl.diagnostics import Diagnostic, Span, error
from policydsl.language import ast, limits
from policydsl.language.syntax import normalise
from policydsl.values import Duration, to_number

_COMPARATORS = {"≥": ">=", "≤": "<=", "≠": "!="}

# The aggregates over the members of another entity kind (`count(enterprise where …)`).
MEMBER_FUNCTIONS = ("count", "sum", "mean", "min", "max", "any", "all", "reported")


def span_of(path: str, meta_or_token) -> Span:
    item = meta_or_token
    if isinstance(item, lark.Token):
        return Span(path=path, line=item.line or 0, column=item.column or 0,
                    end_line=item.end_line or item.line or 0,
                    end_column=item.end_column or item.column or 0)
    if getattr(item, "empty", True):
        return Span(path=path, line=0, column=0, end_line=0, end_column=0)
    return Span(path=path, line=item.line, column=item.column, end_line=item.end_line,
                end_column=item.end_column)


_ESCAPES = {"n": "\n", '"': '"', "\\": "\\"}  # as the printer writes them; any other `\x` stays as written


def unquote(token: lark.Token) -> str:
    """A string's text, its escapes read in one pass (`"C:\\\\new"` is a backslash and `new`)."""
    body = str(token)[1:-1]
    return normalise(re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(0)), body, flags=re.DOTALL))


class ExpressionBuilder:
    """Turns the expressions of one file's Lark tree into `ast` nodes, collecting diagnostics."""

    def __init__(self, path: str):
        self.path = path
        self.diagnostics: list[Diagnostic] = []

    def span(self, item) -> Span:
        return span_of(self.path, item)

    def fail(self, code: str, message: str, item, hint: str | None = None) -> None:
        self.diagnostics.append(error(code, message, self.span(item), hint=hint))

    # ---- expressions -------------------------------------------------------------------
    def expr(self, tree) -> ast.Expr:
        if isinstance(tree, lark.Token):  # a table key reached through inlining
            span = self.span(tree)
            if tree.type == "STRING":
                return ast.StringLit(value=unquote(tree), span=span)
            if tree.type == "DATE":
                return ast.DateLit(value=self._date(tree) or dt.date.min, span=span)
            if tree.type in ("TRUE", "FALSE"):
                return ast.BoolLit(value=tree.type == "TRUE", span=span)
            return ast.Name(name=str(tree), span=span)
        handler = getattr(self, "x_" + tree.data)
        return handler(tree, self.span(tree.meta))

    def x_if_expr(self, tree, span):
        c, t, o = (self.expr(x) for x in tree.children)
        return ast.If(condition=c, then=t, otherwise=o, span=span)

    def x_or_chain(self, tree, span):
        operands = tuple(self.expr(x) for x in tree.children)
        return operands[0] if len(operands) == 1 else ast.Or(operands=operands, span=span)

    def x_and_chain(self, tree, span):
        operands = tuple(self.expr(x) for x in tree.children)
        return operands[0] if len(operands) == 1 else ast.And(operands=operands, span=span)

    def x_not_op(self, tree, span):
        return ast.Not(operand=self.expr(tree.children[0]), span=span)

    def x_compare(self, tree, span):
        left, op_tree, right = tree.children
        op = str(op_tree.children[0])
        return ast.Compare(op=_COMPARATORS.get(op, op), left=self.expr(left), right=self.expr(right),
                           span=span)

    def x_member(self, tree, span, negated=False):
        operand, options = tree.children
        return ast.Member(operand=self.expr(operand),
                          options=tuple(self.expr(o) for o in options.children),
                          negated=negated, span=span)

    def x_not_member(self, tree, span):
        return self.x_member(tree, span, negated=True)

    def x_arith_chain(self, tree, span):
        items = tree.children
        result = self.expr(items[0])
        for op_tree, operand in zip(items[1::2], items[2::2]):
            right = self.expr(operand)
            joined = Span(path=self.path, line=result.span.line, column=result.span.column,
                          end_line=right.span.end_line, end_column=right.span.end_column)
            result = ast.Binary(op=str(op_tree.children[0]), left=result, right=right, span=joined)
        return result

    def x_negate(self, tree, span):
        operand = self.expr(tree.children[0])
        if isinstance(operand, ast.NumberLit):
            return attrs.evolve(operand, value=-operand.value, span=span)
        return ast.Negate(operand=operand, span=span)

    def x_attribute(self, tree, span):
        target, name = tree.children
        return ast.Attribute(target=self.expr(target), name=str(name), span=span)

    def x_index(self, tree, span):
        target, key = tree.children
        return ast.Index(target=self.expr(target), key=self.expr(key), span=span)

    def _number(self, token: lark.Token):
        whole, _, fraction = str(token).partition(".")
        if len(whole.lstrip("0")) > limits.MAX_INTEGER_DIGITS or len(fraction) > limits.MAX_FRACTION_DIGITS:
            self.fail("E114", f"`{str(token)[:20]}…` is too long a number: at most {limits.MAX_INTEGER_DIGITS} digits "
                              f"before the point and {limits.MAX_FRACTION_DIGITS} after it", token)
            return 0
        try:
            return to_number(Decimal(str(token)))
        except InvalidOperation:  # the grammar admits only digits, so this is a safety net
            self.fail("E114", f"`{token}` is not a number", token)
            return 0

    def x_number(self, tree, span):
        number, *unit = tree.children
        return ast.NumberLit(value=self._number(number), unit=str(unit[0]) if unit else None, span=span)

    def x_signed_number(self, tree, span):
        negative = tree.children[0].type == "NEGATIVE"
        rest = tree.children[1:] if negative else tree.children
        number, *unit = rest
        value = self._number(number)
        return ast.NumberLit(value=-value if negative else value, unit=str(unit[0]) if unit else None,
                             span=span)

    def x_string(self, tree, span):
        return ast.StringLit(value=unquote(tree.children[0]), span=span)

    def _date(self, token: lark.Token) -> dt.date | None:
        try:
            day = dt.date.fromisoformat(str(token))
        except ValueError:
            self.fail("E115", f"`{token}` is not a calendar date", token)
            return None
        if not limits.FIRST_YEAR <= day.year <= limits.LAST_YEAR:
            self.fail("E115", f"`{token}` is out of range: dates from {limits.FIRST_YEAR} to {limits.LAST_YEAR}",
                      token)
            return None
        return day

    def x_date(self, tree, span):
        value = self._date(tree.children[0])
        return ast.DateLit(value=value or dt.date.min, span=span)

    def x_true(self, tree, span):
        return ast.BoolLit(value=True, span=span)

    def x_false(self, tree, span):
        return ast.BoolLit(value=False, span=span)

    def x_duration(self, tree, span):
        number, unit = tree.children
        amount = self._number(number)
        unit = str(unit)
        most = limits.MAX_DURATION_YEARS * {"y": 1, "m": 12, "d": 366}[unit[0]]
        if not isinstance(amount, int):
            self.fail("E114", f"a duration is a whole number of {unit}", number)
            amount = 0
        elif amount > most:
            self.fail("E114", f"a duration is at most {limits.MAX_DURATION_YEARS} years"
                              + ("" if unit.startswith("year") else f" ({most} {unit})"), number)
            amount = 0
        if unit.startswith("year"):
            value = Duration(months=12 * amount)
        elif unit.startswith("month"):
            value = Duration(months=amount)
        else:
            value = Duration(days=amount)
        return ast.DurationLit(value=value, span=span)

    def x_paren(self, tree, span):
        # The parentheses belong to the expression's text, so that explanations quote it whole.
        return attrs.evolve(self.expr(tree.children[0]), span=span)

    def x_list_literal(self, tree, span):
        return ast.ListLit(items=tuple(self.expr(item) for item in tree.children if item is not None), span=span)

    def x_name(self, tree, span):
        return ast.Name(name=str(tree.children[0]), span=span)

    def x_call(self, tree, span):
        function, *arguments = tree.children
        args, keywords = [], []
        for argument in arguments:
            if argument.data == "keyword":
                key, value = argument.children
                keywords.append(ast.Keyword(name=str(key), value=self.expr(value),
                                            span=self.span(argument.meta)))
            else:
                if keywords:
                    self.fail("E116", "a positional argument cannot follow a named one", argument.meta)
                args.append(self.expr(argument.children[0]))
        if str(function) in MEMBER_FUNCTIONS and len(args) == 1 and not keywords and str(function) not in ("min", "max"):
            # `count(enterprise)`: an aggregate over members with no clause
            return ast.Members(function=str(function), operand=args[0], span=span)
        return ast.Call(function=str(function), args=tuple(args), keywords=tuple(keywords), span=span)

    def x_members(self, tree, span):
        function, operand, scope = tree.children
        kind, via, where = None, (), None
        for clause in scope.children:
            if clause.data == "over_clause":
                kind = str(clause.children[0])
            elif clause.data == "via_clause":
                via = tuple(str(name) for name in clause.children)
            else:
                where = self.expr(clause.children[0])
        return ast.Members(function=str(function), operand=self.expr(operand), kind=kind, via=via, where=where,
                           span=span)

