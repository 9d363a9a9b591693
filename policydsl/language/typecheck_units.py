"""Stage 3b, check expressions: where a percent meets a plain number (docs/units.md).

Mixed into `typecheck.ExprChecker`: a written plain number where a percent is wanted is an error
(is `30` 30% or 3000%?), a written 0 is 0%, a computed plain number is a ratio shown as a percent,
and a percent converted by hand (`* 100`, `/ 100`) is E219. Also the shared wording of types in
messages (`describe`).
"""

from __future__ import annotations

import attrs

from policydsl import types as T
from policydsl.engine import ops
from policydsl.language import ast, ir
from policydsl.values import Percent, format_number


class UnitChecks:
    """The percent rules of the expression checker (needs `fail` of `ExprChecker`)."""

    @staticmethod
    def _zero_as_percent(checked: ir.Expr, source: ast.Expr, other: T.Type) -> ir.Expr:
        """A written 0 beside a percent is 0%: the one plain number that means the same either way."""
        if other == T.PERCENT and checked.type in ops.PLAIN and plain_literal(source) == 0:
            return ir.Const(value=Percent(0), type=T.PERCENT, span=checked.span)
        return checked

    def as_declared(self, checked: ir.Expr, source: ast.Expr, wanted: T.Type | None) -> ir.Expr:
        """An expression where a type is declared: a plain number where a percent is wanted is
        0% if it is a written 0, a ratio shown as a percent if it is computed (`a / b` is 25%),
        and an error if it is written (is `30` 30% or 3000%?)."""
        if wanted != T.PERCENT or checked.type not in ops.PLAIN:
            return checked
        # the places a value passes through, each declared in turn: `if … then 30 else 20` has two
        # written plain numbers (E219), `value_or(a / b, 0)` a computed ratio and a written 0
        if isinstance(checked, ir.Cond) and isinstance(source, ast.If):
            return attrs.evolve(checked, then=self.as_declared(checked.then, source.then, wanted),
                                otherwise=self.as_declared(checked.otherwise, source.otherwise, wanted), type=T.PERCENT)
        if isinstance(checked, ir.Scalar) and checked.function in _PASSING and isinstance(source, ast.Call) \
                and len(source.args) == len(checked.operands):
            return attrs.evolve(checked, type=T.PERCENT, operands=tuple(
                self.as_declared(operand, written, wanted) for operand, written in zip(checked.operands, source.args)))
        if isinstance(source, ast.Binary) and source.op == "*" and 100 in (
                plain_literal(source.left), plain_literal(source.right)):
            self.fail("E219", "a ratio multiplied by 100 by hand, where a percent is expected", source.span,
                      hint="drop `* 100`: a ratio is shown as a percent by itself (1/4 is 25%)")
            return ir.Const(value=None, type=T.ERROR, span=checked.span)
        if plain_literal(source) is not None:
            zero = self._zero_as_percent(checked, source, T.PERCENT)
            if zero is checked:  # reported once: an invalid value from here on, no cascade of errors
                self._percent_literal(source)
                return ir.Const(value=None, type=T.ERROR, span=checked.span)
            return zero
        if _written_plain(source):  # `30 + 0`, `round(30)`: written numbers, not a computed ratio
            self.fail("E219", "plain numbers written where a percent is expected", source.span,
                      hint="write the percents with `%` (`30%`), or compute a ratio (`a / b`)")
            return ir.Const(value=None, type=T.ERROR, span=checked.span)
        return ir.Scalar(function="as_percent", operands=(checked,), type=T.PERCENT, span=checked.span)

    def _percent_literal(self, source: ast.Expr) -> None:
        number = plain_literal(source)
        self.fail("E219", f"the plain number {_number_text(number)} stands where a percent is expected",
                  source.span, hint=f"write `{_number_text(number)}%` for {_number_text(number)} percent, "
                                    f"or `{_number_text(number * 100)}%` for the ratio {_number_text(number)}")

    def _percent_operands(self, left: ir.Expr, left_source: ast.Expr, right: ir.Expr,
                          right_source: ast.Expr) -> tuple[ir.Expr, ir.Expr]:
        """Two values set side by side (compared, or the branches of `if`): a percent meets a
        written plain number only if it is 0; a computed plain number is a ratio."""
        if right.type == T.PERCENT and left.type in ops.PLAIN:
            return self.as_declared(left, left_source, T.PERCENT), right
        if left.type == T.PERCENT and right.type in ops.PLAIN:
            return left, self.as_declared(right, right_source, T.PERCENT)
        return left, right



# functions whose value is one of their operands: each operand is declared in turn
_PASSING = ("value_or", "min", "max")
# ... and those that keep a written number written (`round(30)` is still the number 30)
_KEEPING = (*_PASSING, "abs", "round")
_WRITTEN_SHAPES = (ast.NumberLit, ast.Negate, ast.Binary, ast.Call)


def _written_plain(source: ast.Expr) -> bool:
    """Only written plain numbers, added, subtracted, multiplied, rounded…: no name, no unit and no
    division (a written quotient, `1 / 4`, is a ratio: 25%)."""
    for node in ast.walk(source):
        if not isinstance(node, _WRITTEN_SHAPES) or (isinstance(node, ast.NumberLit) and node.unit is not None) \
                or (isinstance(node, ast.Binary) and node.op == "/") \
                or (isinstance(node, ast.Call) and node.function not in _KEEPING):
            return False
    return True


def scaled_by_percent(e: ir.Expr) -> bool:
    """A percent, or a product with a percent in it (`tax * growth`)."""
    if e.type == T.PERCENT:
        return True
    return isinstance(e, ir.Arith) and e.op == "*" and any(scaled_by_percent(o) for o in e.operands)


def plain_literal(e: ast.Expr):
    """The number of a written plain number (`30`, `-0.5`), else None."""
    if isinstance(e, ast.NumberLit) and e.unit is None:
        return e.value
    if isinstance(e, ast.Negate):
        inner = plain_literal(e.operand)
        return -inner if inner is not None else None
    return None


def _number_text(number) -> str:
    return format_number(number)


def describe(t: T.Type) -> str:
    if T.is_error(t):
        return "an invalid value"
    if t.is_enum:
        return f"a `{t}` value"
    article = "an" if t.name[0] in "aeiou" else "a"
    return f"{article} {t.name}"
