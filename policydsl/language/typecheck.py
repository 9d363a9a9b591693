"""Stage 3b, check expressions: one AST expression in, a typed IR expression out.

Resolves each name in the scope of an entity kind (derived value, fact, parameter, built-in,
enumeration member), checks operand types and units, and checks the built-in functions'
arguments. Used by `resolve`, which owns the symbol tables; problems go to its diagnostics.
Two concerns live beside it, mixed into `ExprChecker`: `typecheck_units` (where a percent meets a
plain number) and `typecheck_links` (`zone.x`, `document.DATE`, aggregates over member kinds).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import attrs

from policydsl.language import ast

from policydsl.language import ir
from policydsl import types as T
from policydsl.diagnostics import Diagnostic, Note, Span, did_you_mean, error
from policydsl.engine import ops
from policydsl.language import limits
from policydsl.language.typecheck_links import LinkChecks
from policydsl.language.typecheck_units import UnitChecks, describe, plain_literal, scaled_by_percent
from policydsl.schema import EntitySchema

HISTORY_FUNCTIONS = {"previous", "change", "streak", "count_periods", "first_time"}
AGGREGATE_FUNCTIONS = {"rank", "top", "bottom", "group_sum", "group_mean", "group_min", "group_max",
                       "group_count"}
SCALAR_FUNCTIONS = {"min", "max", "abs", "round"}
MISSING_FUNCTIONS = {"is_missing", "value_or"}
# evaluation_date: the period's end, or the date an evaluation is made as of (`--as-of`)
BUILTIN_NAMES = {"period_start": T.DATE, "period_end": T.DATE, "evaluation_date": T.DATE}
ALL_FUNCTIONS = HISTORY_FUNCTIONS | AGGREGATE_FUNCTIONS | SCALAR_FUNCTIONS | MISSING_FUNCTIONS


@attrs.frozen(kw_only=True)
class Symbols:
    """What a name can mean; filled by `resolve` before expressions are checked."""

    entities: dict[str, EntitySchema]
    parameter_types: dict[str, T.Type]
    tables: dict[str, tuple[T.Type, T.Type]]
    enum_types: dict[str, T.Type]
    # The type of a derived value, computed on demand (values may refer to later ones).
    value_type: Callable[[str, str], T.Type | None]
    value_names: Callable[[str], list[str]]
    policies: Mapping[str, object] = attrs.field(factory=dict)  # name -> ir.Policy, for `document.DATE`


class ExprChecker(UnitChecks, LinkChecks):
    """The checker: literals, names, operators and the built-in functions here; percent and plain
    numbers in `typecheck_units`; reading other entities and documents in `typecheck_links`."""

    def __init__(self, symbols: Symbols, diagnostics: list[Diagnostic]):
        self.symbols = symbols
        self.diagnostics = diagnostics
        self.policy: str | None = None  # whose parameters and tables a name may mean
        self.earlier_depth = 0  # > 0 while checking the operand of `previous` (an earlier period)

    def _own(self, name: str, table: dict) -> str | None:
        """The key of a policy's own parameter or table, else of a shared one."""
        if self.policy and f"{self.policy}::{name}" in table:
            return f"{self.policy}::{name}"
        return name if name in table else None

    def fail(self, code: str, message: str, span: Span, hint: str | None = None,
             notes: tuple[Note, ...] = ()) -> None:
        self.diagnostics.append(error(code, message, span, hint=hint, notes=notes))

    # ---- entry ---------------------------------------------------------------------------
    def check(self, expr: ast.Expr, entity: str | None, expected: T.Type | None = None) -> ir.Expr:
        """Check an expression in the scope of an entity kind (None: a constant expression)."""
        method = getattr(self, "_" + type(expr).__name__)
        return method(expr, entity, expected)

    # ---- literals ------------------------------------------------------------------------
    def _NumberLit(self, e: ast.NumberLit, entity, expected):
        if e.unit in ops.MONEY_UNITS:
            t = T.MONEY
        elif e.unit == "%":
            t = T.PERCENT
        elif isinstance(e.value, int):
            t = T.INTEGER
        else:
            t = T.DECIMAL
        return ir.Const(value=ops.number_literal(e.value, e.unit), type=t, span=e.span)

    def _StringLit(self, e: ast.StringLit, entity, expected):
        if expected is not None and expected.is_enum and e.value in expected.members:
            return ir.Const(value=e.value, type=expected, span=e.span)
        return ir.Const(value=e.value, type=T.TEXT, span=e.span)

    def _DateLit(self, e: ast.DateLit, entity, expected):
        return ir.Const(value=e.value, type=T.DATE, span=e.span)

    def _BoolLit(self, e: ast.BoolLit, entity, expected):
        return ir.Const(value=e.value, type=T.BOOLEAN, span=e.span)

    def _DurationLit(self, e: ast.DurationLit, entity, expected):
        return ir.Const(value=e.value, type=T.DURATION, span=e.span)

    # ---- names ---------------------------------------------------------------------------
    def _Name(self, e: ast.Name, entity, expected):
        name = e.name
        if entity is not None:
            value_type = self.symbols.value_type(entity, name)
            if value_type is not None:
                return ir.Derived(entity=entity, name=name, type=value_type, span=e.span)
            schema = self.symbols.entities.get(entity)
            fact = schema.facts.get(name) if schema else None
            if fact is not None:
                return ir.Fact(entity=entity, name=name, type=fact.type, period_kind=fact.period_kind,
                               span=e.span)
        parameter = self._own(name, self.symbols.parameter_types)
        if parameter is not None:
            return ir.Param(name=parameter, type=self.symbols.parameter_types[parameter], span=e.span)
        if name in BUILTIN_NAMES and entity is not None:
            return ir.Builtin(name=name, type=BUILTIN_NAMES[name], span=e.span)
        if expected is not None and expected.is_enum and name in expected.members:
            return ir.Const(value=name, type=expected, span=e.span)
        owners = [t for t in self.symbols.enum_types.values() if name in t.members]
        if len({t.members for t in owners}) == 1:
            return ir.Const(value=name, type=owners[0], span=e.span)
        if expected is not None and T.is_error(expected):
            # the other side of a comparison already failed; one report is enough
            return ir.Const(value=None, type=T.ERROR, span=e.span)
        if self._own(name, self.symbols.tables) is not None:
            self.fail("E207", f"table `{name}` is used without a key", e.span,
                      hint=f"look a value up with `{name}[key]`")
            return ir.Const(value=None, type=T.ERROR, span=e.span)
        self._unknown_name(e, entity, expected)
        return ir.Const(value=None, type=T.ERROR, span=e.span)

    def _visible(self, table: dict) -> set[str]:
        """The names of a table (parameters, tables) that `_own` would find here: this policy's own
        and the shared ones, never another policy's (a hint to one would not resolve)."""
        own = f"{self.policy}::" if self.policy else None
        return {key.split("::", 1)[1] if own and key.startswith(own) else key
                for key in table if "::" not in key or (own and key.startswith(own))}

    def _unknown_name(self, e: ast.Name, entity, expected) -> None:
        candidates = self._visible(self.symbols.parameter_types)
        where = "here"
        if entity is not None:
            schema = self.symbols.entities.get(entity)
            candidates |= set(schema.facts) if schema else set()
            candidates |= set(self.symbols.value_names(entity)) | set(BUILTIN_NAMES)
            where = f"for `{entity}`"
        if expected is not None and expected.is_enum:
            candidates |= set(expected.members)
        else:
            candidates |= {m for t in self.symbols.enum_types.values() for m in t.members}
        hint = did_you_mean(e.name, candidates)
        if expected is not None and expected.is_enum and hint is None:
            hint = f"`{expected}` has the values " + ", ".join(expected.members)
        self.fail("E201", f"unknown name `{e.name}` {where}", e.span, hint=hint)

    # ---- operators -----------------------------------------------------------------------
    def _Binary(self, e: ast.Binary, entity, expected):
        left = self.check(e.left, entity)
        right = self.check(e.right, entity)
        if e.op in "+-":
            left, right = self._zero_as_percent(left, e.left, right.type), self._zero_as_percent(right, e.right, left.type)
        lt, rt = left.type, right.type
        result, hint = ops.arith_type(e.op, lt, rt)
        if result is None:
            self.fail("E202", f"cannot apply `{e.op}` to {describe(lt)} and {describe(rt)}", e.span, hint=hint)
            result = T.ERROR
        elif e.op == "/" and plain_literal(e.right) == 100 and scaled_by_percent(left):
            self.fail("E219", "a percent is already a ratio: dividing by 100 again makes 5% count as 0.05%",
                      e.span, hint="drop `/ 100`: `x * 5%` is 5 hundredths of x")
        return ir.Arith(op=e.op, operands=(left, right), type=result, span=e.span)

    def _Negate(self, e: ast.Negate, entity, expected):
        operand = self.check(e.operand, entity)
        if not (operand.type.is_numeric or T.is_error(operand.type)):
            self.fail("E202", f"cannot negate {describe(operand.type)}", e.span)
        return ir.Arith(op="neg", operands=(operand,), type=operand.type, span=e.span)

    def _Compare(self, e: ast.Compare, entity, expected):
        left = self.check(e.left, entity)
        right = self.check(e.right, entity, expected=left.type)
        if left.type.is_enum is False and right.type.is_enum and isinstance(e.left, ast.Name):
            left = self.check(e.left, entity, expected=right.type)
        left, right = self._percent_operands(left, e.left, right, e.right)
        before = len(self.diagnostics)
        self._comparable(e.op, left.type, right.type, e.span)
        if len(self.diagnostics) == before:  # one error for one mistake: not comparable says it already
            self._a_member_of(left.type, right, e.right.span)
            self._a_member_of(right.type, left, e.left.span)
        return ir.Compare(op=e.op, left=left, right=right, type=T.BOOLEAN, span=e.span)

    def _comparable(self, op: str, lt: T.Type, rt: T.Type, span: Span) -> None:
        if T.is_error(lt) or T.is_error(rt):
            return
        ordered = {T.DATE.name, T.DURATION.name} | T.NUMERIC_NAMES
        same_family = (T.assignable(lt, rt) or T.assignable(rt, lt)
                       or (lt.is_enum and rt.is_enum and set(lt.members) & set(rt.members)))
        if not same_family:
            self.fail("E203", f"cannot compare {describe(lt)} with {describe(rt)}", span,
                      hint="a grade is compared with one of its values, e.g. `= D`" if lt.is_enum or rt.is_enum
                      else None)
        elif op not in ("=", "!=") and lt.name not in ordered:
            self.fail("E203", f"`{op}` needs numbers or dates; {describe(lt)} has no order", span,
                      hint="use `=`, `!=` or `in {…}`")
        elif op not in ("=", "!=") and lt == rt == T.DURATION:  # is 45 days less than 1 month? by month
            self.fail("E203", f"`{op}` between durations: months and days have no one order", span,
                      hint="compare the dates they lead to, e.g. `opened_on + 45 days < period_end`")

    def _a_member_of(self, enumeration: T.Type, written: ir.Expr, span: Span) -> None:
        """A member written beside an enumeration's value is one of its members: `grade = E`, with
        `E` a member of another enumeration only, could never hold."""
        if enumeration.is_enum and isinstance(written, ir.Const) and written.type.is_enum \
                and written.type != enumeration and written.value not in enumeration.members:
            self.fail("E201", f"`{enumeration}` has no value `{written.value}`", span,
                      hint=did_you_mean(str(written.value), enumeration.members)
                      or f"its values are {', '.join(enumeration.members)}")

    def _logic(self, op: str, operands: tuple[ast.Expr, ...], entity, span: Span):
        checked = tuple(self.check(o, entity) for o in operands)
        for original, item in zip(operands, checked):
            if item.type not in (T.BOOLEAN, T.ERROR):
                self.fail("E202", f"`{op}` needs true/false operands, not {describe(item.type)}", original.span)
        return ir.Logic(op=op, operands=checked, type=T.BOOLEAN, span=span)

    def _And(self, e: ast.And, entity, expected):
        return self._logic("and", e.operands, entity, e.span)

    def _Or(self, e: ast.Or, entity, expected):
        return self._logic("or", e.operands, entity, e.span)

    def _Not(self, e: ast.Not, entity, expected):
        return self._logic("not", (e.operand,), entity, e.span)

    def _Member(self, e: ast.Member, entity, expected):
        operand = self.check(e.operand, entity)
        options = tuple(self._percent_operands(operand, e.operand, self.check(o, entity, expected=operand.type), o)[1]
                        for o in e.options)
        for original, option in zip(e.options, options):
            before = len(self.diagnostics)
            self._comparable("=", operand.type, option.type, original.span)
            if len(self.diagnostics) == before:
                self._a_member_of(operand.type, option, original.span)
        return ir.Member(operand=operand, options=options, negated=e.negated, type=T.BOOLEAN,
                         span=e.span)

    def _ListLit(self, e: ast.ListLit, entity, expected):
        """A list literal: values of one type; where a `list of T` is declared (a payload field),
        each item is checked as a T (an enumeration's member by its bare name, with "did you mean")."""
        wanted = expected.element if expected is not None and expected.is_list else None
        items = []
        for source in e.items:
            item = self.check(source, entity, expected=wanted)
            items.append(self.as_declared(item, source, wanted) if wanted is not None else item)
        if wanted is not None:
            for source, item in zip(e.items, items):
                if not T.declarable(item.type, wanted):  # as a declared value: no unit dropped, no fraction an integer
                    self.fail("E202", f"an item of a `{expected}` must be {describe(wanted)}, not {describe(item.type)}",
                              source.span, hint=f"`{wanted}` has the values " + ", ".join(wanted.members)
                              if wanted.is_enum else None)
            return ir.ListOf(items=tuple(items), type=expected, span=e.span)
        if not items:
            self.fail("E202", "an empty list has no type here", e.span,
                      hint="write it where a `list of …` is declared, e.g. a payload field")
            return ir.Const(value=None, type=T.ERROR, span=e.span)
        element = items[0].type
        for source, item in zip(e.items[1:], items[1:]):
            if T.assignable(item.type, element):
                continue
            if T.assignable(element, item.type):
                element = item.type
                continue
            self.fail("E202", f"a list holds values of one type: {describe(element)} and {describe(item.type)}",
                      source.span)
            element = T.ERROR
            break
        return ir.ListOf(items=tuple(items), type=T.list_of(element), span=e.span)

    def _If(self, e: ast.If, entity, expected):
        condition = self.check(e.condition, entity)
        if condition.type not in (T.BOOLEAN, T.ERROR):
            self.fail("E202", f"`if` needs a true/false condition, not {describe(condition.type)}",
                      e.condition.span)
        then = self.check(e.then, entity, expected)
        otherwise = self.check(e.otherwise, entity, expected or then.type)
        then, otherwise = self._percent_operands(then, e.then, otherwise, e.otherwise)
        result = then.type
        if T.assignable(otherwise.type, then.type):
            result = then.type if not T.is_error(then.type) else otherwise.type
        elif T.assignable(then.type, otherwise.type):
            result = otherwise.type
        else:
            self.fail("E202", f"the branches of `if` differ: {describe(then.type)} and {describe(otherwise.type)}",
                      e.span)
            result = T.ERROR
        if then.type.is_numeric and otherwise.type.is_numeric:  # either branch's value: money if one is money,
            result = ops.join_type(then.type, otherwise.type) or result  # a decimal if one may have a fraction
        return ir.Cond(condition=condition, then=then, otherwise=otherwise, type=result, span=e.span)

    def _Index(self, e: ast.Index, entity, expected):
        table = self._own(e.target.name, self.symbols.tables) if isinstance(e.target, ast.Name) else None
        if table is None:
            name = e.target.name if isinstance(e.target, ast.Name) else None
            hint = did_you_mean(name, self._visible(self.symbols.tables)) if name else None
            self.fail("E207", "only a table can be indexed" if name is None else f"unknown table `{name}`",
                      e.target.span, hint=hint)
            return ir.Const(value=None, type=T.ERROR, span=e.span)
        key_type, value_type = self.symbols.tables[table]
        key = self.as_declared(self.check(e.key, entity, expected=key_type), e.key, key_type)  # a ratio for a percent
        if not T.assignable(key.type, key_type):
            self.fail("E202", f"table `{e.target.name}` is keyed by {describe(key_type)}, not {describe(key.type)}",
                      e.key.span)
        return ir.Lookup(table=table, key=key, type=value_type, span=e.span)

    # ---- functions -----------------------------------------------------------------------
    def _Call(self, e: ast.Call, entity, expected):
        name = e.function
        if name not in ALL_FUNCTIONS:
            self.fail("E208", f"unknown function `{name}`", e.span,
                      hint=did_you_mean(name, ALL_FUNCTIONS) or "functions: " + ", ".join(sorted(ALL_FUNCTIONS)))
            return ir.Const(value=None, type=T.ERROR, span=e.span)
        if name in SCALAR_FUNCTIONS:
            return self._scalar(e, entity)
        if name in MISSING_FUNCTIONS:
            return self._missing(e, entity)
        if entity is None:
            self.fail("E209", f"`{name}` reads an entity's data and cannot be used in a parameter or table",
                      e.span)
            return ir.Const(value=None, type=T.ERROR, span=e.span)
        if name in HISTORY_FUNCTIONS:
            return self._history(e, entity)
        return self._aggregate(e, entity)

    def _arity(self, e: ast.Call, low: int, high: int, keywords: set[str] = frozenset()) -> bool:
        ok = low <= len(e.args) <= high
        if not ok:
            count = f"{low}" if low == high else f"{low} to {high}"
            self.fail("E210", f"`{e.function}` takes {count} argument{'s' if high != 1 else ''}, "
                              f"not {len(e.args)}", e.span)
        seen: set[str] = set()
        for keyword in e.keywords:
            if keyword.name not in keywords:
                self.fail("E210", f"`{e.function}` has no argument `{keyword.name}`", keyword.span,
                          hint=did_you_mean(keyword.name, keywords))
                ok = False
            elif keyword.name in seen:  # one of them would be dropped without a word
                self.fail("E210", f"`{e.function}` is given `{keyword.name}:` twice", keyword.span,
                          hint=f"join the conditions with `and` in one `{keyword.name}:`"
                          if keyword.name == "where" else None)
                ok = False
            seen.add(keyword.name)
        return ok

    def _whole_number(self, e: ast.Expr, what: str, most: int = limits.MAX_PERIOD_COUNT) -> int:
        """A literal count, checked against its documented bounds (1..most)."""
        if isinstance(e, ast.NumberLit) and isinstance(e.value, int) and 1 <= e.value <= most and e.unit is None:
            return e.value
        self.fail("E211", f"{what} must be a whole number from 1 to {most}, written as a number", e.span)
        return 1

    def _scalar(self, e: ast.Call, entity):
        name = e.function
        if name in ("abs",):
            self._arity(e, 1, 1)
        elif name == "round":
            self._arity(e, 1, 2)
        else:
            self._arity(e, 2, 99)
        if name == "round":
            # round's second argument is a literal number of places, not an expression
            operands = tuple(self.check(a, entity) for a in e.args[:1])
            if len(e.args) == 2:
                operands += (ir.Const(value=self._places(e.args[1]), type=T.INTEGER, span=e.args[1].span),)
        else:
            operands = tuple(self.check(a, entity) for a in e.args)
            if any(o.type == T.PERCENT for o in operands):  # beside a percent a written 0 is 0%, a written
                operands = tuple(self._written_beside_percent(o, a) for o, a in zip(operands, e.args))  # `5` E219
        result = operands[0].type if operands else T.ERROR
        for original, operand in zip(e.args, operands):
            if not (operand.type.is_numeric or operand.type in (T.DATE, T.ERROR)):
                self.fail("E202", f"`{name}` needs numbers, not {describe(operand.type)}", original.span)
                result = T.ERROR
            elif T.is_error(result) or T.is_error(operand.type):
                result = T.ERROR
            elif name in ("min", "max"):
                joined = result if result == operand.type == T.DATE else ops.join_type(result, operand.type)
                if joined is None:
                    self.fail("E202", f"`{name}` mixes {describe(result)} and {describe(operand.type)}", original.span)
                    joined = T.ERROR
                result = joined
        if name == "round" and result == T.DECIMAL and (len(e.args) == 1 or operands[-1].value == 0):
            result = T.INTEGER
        return ir.Scalar(function=name, operands=operands, type=result, span=e.span)

    def _missing(self, e: ast.Call, entity):
        """is_missing(x): whether x needs data that is absent; value_or(x, d): x, or d if so."""
        if e.function == "is_missing":
            self._arity(e, 1, 1)
            operands = tuple(self.check(a, entity) for a in e.args[:1])
            return ir.Scalar(function="is_missing", operands=operands, type=T.BOOLEAN, span=e.span)
        self._arity(e, 2, 2)
        if len(e.args) != 2:
            return ir.Const(value=None, type=T.ERROR, span=e.span)
        value = self.check(e.args[0], entity)
        default = self.check(e.args[1], entity, expected=value.type)
        value, default = self._percent_operands(value, e.args[0], default, e.args[1])
        if not (T.assignable(default.type, value.type) or T.assignable(value.type, default.type)):
            self.fail("E202", f"`value_or` mixes {describe(value.type)} and {describe(default.type)}", e.args[1].span)
        result = value.type  # either operand's value: as `if`'s branches, the type both fit
        if value.type.is_numeric and default.type.is_numeric:
            result = ops.join_type(value.type, default.type) or result
        return ir.Scalar(function="value_or", operands=(value, default), type=result, span=e.span)

    def _written_beside_percent(self, checked: ir.Expr, source: ast.Expr) -> ir.Expr:
        """An operand of `min`/`max` beside a percent: a written plain number is 0% if 0 and E219
        otherwise (is `5` 5% or 500%?); a computed plain number mixes (E202, by the `+` row)."""
        if checked.type in ops.PLAIN and plain_literal(source) is not None:
            return self.as_declared(checked, source, T.PERCENT)
        return checked

    def _places(self, e: ast.Expr) -> int:
        if isinstance(e, ast.NumberLit) and isinstance(e.value, int) and 0 <= e.value <= limits.MAX_ROUND_PLACES \
                and e.unit is None:
            return e.value
        self.fail("E211", f"round's places must be a whole number from 0 to {limits.MAX_ROUND_PLACES}", e.span)
        return 0

    def _history(self, e: ast.Call, entity):
        name = e.function
        if name in ("previous", "change"):
            self._arity(e, 1, 2)
        elif name == "count_periods":
            self._arity(e, 2, 2)
        else:
            self._arity(e, 1, 1)
        if not e.args:
            return ir.Const(value=None, type=T.ERROR, span=e.span)
        self.earlier_depth += name == "previous"
        try:
            operand = self.check(e.args[0], entity)
        finally:
            self.earlier_depth -= name == "previous"
        periods = 1
        if len(e.args) > 1:
            periods = self._whole_number(e.args[1], f"the period count of `{name}`")
        if name in ("streak", "count_periods", "first_time") and operand.type not in (T.BOOLEAN, T.ERROR):
            self.fail("E202", f"`{name}` counts periods in which a condition holds; "
                              f"{describe(operand.type)} is not a condition", e.args[0].span,
                      hint="e.g. `streak(performance_class = D)`")
        if name == "change" and not (operand.type.is_numeric or T.is_error(operand.type)):
            self.fail("E202", f"`change` needs a number, not {describe(operand.type)}", e.args[0].span)
        result = {"previous": operand.type, "change": operand.type if operand.type.is_numeric else T.ERROR,
                  "streak": T.INTEGER, "count_periods": T.INTEGER, "first_time": T.BOOLEAN}[name]
        return ir.History(function=name, operand=operand, periods=periods, type=result, span=e.span)

    def _aggregate(self, e: ast.Call, entity):
        name = e.function
        schema = self.symbols.entities[entity]
        if name in ("top", "bottom"):
            self._arity(e, 2, 3, {"within", "where"})
        else:
            self._arity(e, 1, 2 if name == "rank" else 1, {"within", "where"})
        if not e.args:
            return ir.Const(value=None, type=T.ERROR, span=e.span)
        operand = self.check(e.args[0], entity)
        group = schema.group
        where = None
        for keyword in e.keywords:
            if keyword.name == "where":
                where = self.check(keyword.value, entity)
                if where.type not in (T.BOOLEAN, T.ERROR):
                    self.fail("E202", f"`where:` takes a condition, not {describe(where.type)}", keyword.value.span)
                continue
            if keyword.name != "within":
                continue
            target = keyword.value.name if isinstance(keyword.value, ast.Name) else None
            if target == "all":
                group = None
            elif target is None or target not in schema.facts or schema.facts[target].period_kind:
                statics = [f for f, s in schema.facts.items() if s.period_kind is None]
                self.fail("E212", f"`within:` names a static attribute of `{entity}` or `all`",
                          keyword.value.span, hint=did_you_mean(target or "", statics))
            else:
                group = target
        descending, n = True, 1
        flags = list(e.args[1:])
        if name in ("top", "bottom") and flags:
            n = self._whole_number(flags.pop(0), f"the n of `{name}`", limits.MAX_GROUP_N)
        for flag in flags:
            if isinstance(flag, ast.Name) and flag.name in ("ascending", "descending"):
                descending = flag.name == "descending"
            else:
                self.fail("E211", f"`{name}` takes the order `ascending` or `descending` here", flag.span)
        if name == "group_count":
            if operand.type not in (T.BOOLEAN, T.ERROR):
                self.fail("E202", f"`group_count` counts members for which a condition holds; "
                                  f"{describe(operand.type)} is not a condition", e.args[0].span)
            result = T.INTEGER
        else:
            if not (operand.type.is_numeric or T.is_error(operand.type)):
                self.fail("E202", f"`{name}` needs a number, not {describe(operand.type)}", e.args[0].span)
            result = {"rank": T.INTEGER, "top": T.BOOLEAN, "bottom": T.BOOLEAN,
                      "group_mean": T.DECIMAL if operand.type == T.INTEGER else operand.type,
                      }.get(name, operand.type)
        return ir.Aggregate(function=name, operand=operand, group=group, descending=descending, n=n,
                            where=where, type=result, span=e.span)
