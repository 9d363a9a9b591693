"""Columnar stage, lowering: checked IR expressions in, Polars expressions over one frame out.

A frame is the long table of one entity kind and one period kind on a dense grid: one row per
(entity, period) for every entity of the kind and every period from the first (less the
deepest `previous`) to the last of the data set, period after period (each period's rows every
entity in code order: `grid`), with `@rec` saying whether the entity has a record in that period.
Every row is computed, as the row executor would compute the value at that period; rules then
keep the rows with a record.

The meaning of each operator over the lowered values (`Num`, `Plain`, `dates.Span`) is in
`operators`; this module walks the IR, keeps what a frame computes once (derived values, walks,
aggregates, reads of other kinds) as columns in dependency order, and runs the query (`collect`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping

import attrs
import polars as pl

from policydsl.engine.columnar import dates
from policydsl.engine.columnar.dates import Span
from policydsl.engine.columnar.operators import (
    ENTITY, LIMIT, PERIOD, ColumnInfo, Lowered, Num, Plain, Unsupported, aggregate, arith, choose, coalesce, common,
    compare, constant, count_periods, extreme_of, first_time, known, lit, member_of, null_of, round_half_away, shift,
    streak)
from policydsl.language import ir
from policydsl.values import Unknown


SMALL = 1_000_000  # rows: below this a frame is computed by Polars' in-memory engine
PLANNED = 10_000  # rows: from here Polars' whole optimiser pays for itself


def query_options(rows: int) -> dict:
    """How to run a query over a frame of `rows` rows. Polars' default (streaming) engine pays a
    start-up per query that dominates on the small frames of a province (hundreds of rows, hundreds
    of expressions: three times the CPU, ten times the wall time); large frames keep the default,
    which bounds memory. Below `PLANNED` rows only common subexpressions are eliminated: pushing
    filters and projections down, simplifying and clustering cost more planning than the few rows
    they would spare (about a fifth of a province's query time; the results are the same)."""
    if rows >= SMALL:
        return {}
    if rows >= PLANNED:
        return {"engine": "in-memory"}
    light = pl.QueryOptFlags.none()
    light.comm_subexpr_elim = True
    return {"engine": "in-memory", "optimizations": light}


def collect(frame: pl.LazyFrame, rows: int) -> pl.DataFrame:
    """Run a frame's query (`query_options`)."""
    return frame.collect(**query_options(rows))


@attrs.frozen
class ReadJoin:
    """A step that brings the values of another frame at the entity a reference names (`ref`):
    every read over the same reference to the same frame shares one join (`across.via`)."""

    right: Callable[[], pl.LazyFrame]  # the other frame with the columns lowered so far (`Frames.snapshot`)
    key: str  # this frame's column naming the other entity
    target: tuple[str, str]  # the other frame's (kind, period kind)
    columns: tuple[tuple[str, str], ...]  # (column there, name here)


@attrs.frozen
class GroupJoin:
    """A step that brings aggregates over the members of another kind (`across.members`): the
    members that take part, grouped by the entity their references lead to and the period; every
    aggregate over the same members shares one group-by."""

    members: Callable[[], pl.LazyFrame]  # the member frame's rows that take part, with `@a`: the entity reached
    source: tuple[str, str, tuple]  # member kind, period kind, path
    aggregates: tuple[pl.Expr, ...]


def apply_steps(frame: pl.LazyFrame, steps: list) -> pl.LazyFrame:
    """The frame with the lowered columns added in order (columns, and joins from other frames);
    the columns between two joins in as few `with_columns` as their dependencies allow (`_layers`)."""
    pending: list[pl.Expr] = []
    for step in steps:
        if isinstance(step, pl.Expr):
            pending.append(step)
            continue
        for layer in _layers(pending):
            frame = frame.with_columns(layer)
        pending = []
        if isinstance(step, ReadJoin):
            right = step.right().select(pl.col(ENTITY).alias("@read:id"), pl.col(PERIOD).alias("@read:t"),
                                      *[pl.col(there).alias(here) for there, here in step.columns])
            frame = frame.join(right, left_on=[step.key, PERIOD], right_on=["@read:id", "@read:t"], how="left",
                               maintain_order="left")
        elif isinstance(step, GroupJoin):
            grouped = step.members().group_by("@a", PERIOD).agg(step.aggregates)
            frame = frame.join(grouped.rename({"@a": "@group:a", PERIOD: "@group:t"}), left_on=[ENTITY, PERIOD],
                               right_on=["@group:a", "@group:t"], how="left", maintain_order="left")
    for layer in _layers(pending):
        frame = frame.with_columns(layer)
    return frame


def _layers(steps: list[pl.Expr]) -> list[list[pl.Expr]]:
    """Columns in dependency order, grouped into layers: each column in the first layer after
    every column of the run that it reads (or that it replaces), so one layer's columns read only
    earlier ones. Polars runs a `with_columns` as one stage: a frame of a few hundred rows pays
    per stage far more than per row."""
    layers: list[list[pl.Expr]] = []
    placed: dict[str, int] = {}  # column name -> its layer
    read: dict[str, int] = {}  # column name -> the last layer reading it (a replacement goes no earlier)
    for step in steps:
        inputs = step.meta.root_names()
        level = max((placed[name] + 1 for name in inputs if name in placed), default=0)
        output = step.meta.output_name()
        level = max(level, placed[output] + 1 if output in placed else 0, read.get(output, 0))
        if level == len(layers):
            layers.append([])
        layers[level].append(step)
        placed[output] = level
        for name in inputs:
            read[name] = max(read.get(name, 0), level)
    return layers


PLAIN_READS = (ir.Fact, ir.Derived, ir.Const, ir.Param)  # lowered to a column or a literal already


class FrameLowering:
    """Lowers the expressions of one frame (entity kind, period kind), derived values once each.

    `steps` are the columns to add, in dependency order (each derived value and each aggregate
    is materialised once); `lower` returns the lowered form of any expression of the kind.
    """

    def __init__(self, *, program: ir.Program, parameters: Mapping[str, object],
                 tables: Mapping[str, Mapping], kind: str, start: int, members_bound: int,
                 columns: Mapping[str, ColumnInfo], static_column: Callable[[str], str],
                 fact_column: Callable[[str], str], period_kind: str = "year", as_of: dt.date | None = None,
                 frames=None, stride: int, span: int):
        self.program, self.parameters, self.tables = program, parameters, tables
        # the grid, period after period: `stride` rows (entities) per period, `span` periods
        self.stride, self.span = stride, span
        self.period_kind, self.as_of = period_kind, as_of
        self.frames = frames  # across.Frames: the other kinds' frames, for `ref` and member aggregates
        self.kind, self.start, self.members_bound = kind, start, members_bound
        self.columns = columns
        self.static_column, self.fact_column = static_column, fact_column
        self.steps: list[pl.Expr] = []
        self.derived: dict[str, Lowered] = {}
        self.builtins: dict[str, Lowered] = {}  # `period_end` etc.: each a column, once
        self.shared: dict[ir.Expr, Lowered] = {}  # every expression lowered, by equal IR (`lower`)
        self.kept: dict[int, tuple[ir.Expr, Lowered]] = {}  # id -> (node, its column): `column`

    def materialise(self, name: str, value: Lowered) -> Lowered:
        if isinstance(value, Span):
            self.steps += [value.months.alias(name + "/months"), value.days.alias(name + "/days")]
            return Span(pl.col(name + "/months"), pl.col(name + "/days"))
        if isinstance(value, Plain):
            self.steps.append(value.expr.alias(name))
            return Plain(pl.col(name))
        self.steps.append(value.num.alias(name))
        if value.static:
            return Num(pl.col(name), value.den, value.bound)
        self.steps.append(value.den.alias(name + "/den"))
        return Num(pl.col(name), pl.col(name + "/den"), value.bound, value.den_bound)

    def column(self, expr: ir.Expr, value: Lowered, always: bool = False) -> Lowered:
        """A value its readers repeat (a per-row denominator is read in every cross-multiplication
        and null test, a moved date in its calendar test; `always`: an operand its reader repeats)
        as a column of the frame, once per node: Polars plans and runs it once, not once per place
        it is read (`lower` reuses it)."""
        if isinstance(value, Span) or not (always or (isinstance(value, Num) and not value.static)
                                           or (isinstance(value, Plain) and expr.type.name == "date")):
            return value
        found = self.kept.get(id(expr))
        if found is None or found[0] is not expr:
            found = self.kept[id(expr)] = (expr, self.materialise(f"e:{id(expr)}", value))
        return found[1]

    def lower(self, expr: ir.Expr) -> Lowered:
        kept = self.kept.get(id(expr))
        if kept is not None and kept[0] is expr:
            return kept[1]
        # the same expression written in several rules (equal IR: spans aside) is lowered once per
        # frame: a walk, an aggregate or a read is one window or one join, not one per place it is
        # written, and a test the rules of a document repeat (its city, its period) one expression
        try:
            found = self.shared.get(expr)
        except TypeError:  # a part that cannot be hashed: lowered each time
            return self._lower(expr)
        if found is None:
            found = self.shared[expr] = self._lower(expr)
        return found

    def _lower(self, expr: ir.Expr) -> Lowered:
        match expr:
            case ir.Const(value=Unknown()):  # `E when C` where C fails: unknown, of E's type
                return null_of(expr.type)
            case ir.Const(value=value):
                return constant(value)
            case ir.Param(name=name):
                return constant(self.parameters[name])
            case ir.Fact(name=name, period_kind=period_kind):
                column = self.fact_column(name) if period_kind is not None else self.static_column(name)
                info = self.columns.get(column)
                if info is None:
                    raise Unsupported(f"no column for `{name}`")
                if info.numeric:
                    return Num(pl.col(column), info.den, info.bound)
                return Plain(pl.col(column))
            case ir.Derived(name=name):
                if name not in self.derived:
                    value = self.lower(self.program.values[(self.kind, name)].expr)
                    self.derived[name] = self.materialise(f"v:{name}", value)
                return self.derived[name]
            case ir.Builtin(name=name):
                # a column of the frame, once: its dates are read by many rules' conditions
                if name not in self.builtins:
                    self.builtins[name] = self.materialise(f"b:{name}", Plain(self.builtin(name)))
                return self.builtins[name]
            case ir.Arith(op=op, operands=operands, type=result) if result.name in ("date", "duration"):
                return self.column(expr, self.calendar(op, [self.lower(o) for o in operands]))
            case ir.Arith(op="/", operands=operands):
                # a quotient reads each operand three times (the value, its null test, its sign)
                parts = [self.column(o, self.number(o), always=not isinstance(o, PLAIN_READS)) for o in operands]
                return self.column(expr, arith("/", *parts))
            case ir.Arith(op=op, operands=operands):
                parts = [self.number(o) for o in operands]
                return self.column(expr, arith(op, *parts))
            case ir.Compare(op=op, left=left, right=right):
                return Plain(compare(op, self.lower(left), self.lower(right)))
            case ir.Logic(op="not", operands=(operand,)):
                return Plain(~self.boolean(operand))
            case ir.Logic(op=op, operands=operands):
                parts = [self.boolean(o) for o in operands]
                combined = parts[0]
                for part in parts[1:]:
                    combined = combined & part if op == "and" else combined | part
                return Plain(combined)
            case ir.Member(operand=operand, options=options, negated=negated):
                return Plain(member_of(self.lower(operand), [self.lower(o) for o in options], negated))
            case ir.Cond(condition=condition, then=then, otherwise=otherwise):
                return self.column(expr, choose(self.boolean(condition), self.lower(then), self.lower(otherwise)))
            case ir.Scalar(function="is_missing", operands=(operand,)):
                return Plain(~known(self.lower(operand)))
            case ir.Scalar(function="value_or", operands=(operand, fallback)):
                return coalesce(self.lower(operand), self.lower(fallback))
            case ir.Scalar(function="abs", operands=(operand,)):
                value = self.number(operand)
                return Num(value.num.abs(), value.den, value.bound, value.den_bound)
            case ir.Scalar(function="as_percent", operands=(operand,)):
                return self.number(operand)  # a ratio declared a percent: the same number
            case ir.Scalar(function="round", operands=operands):
                places = operands[1].value if len(operands) > 1 else 0
                # a percent rounds as shown: round(12.345%, 1) is 12.3%, the ratio to places + 2
                shown = 2 if operands[0].type.name == "percent" else 0
                return round_half_away(self.number(operands[0]), places + shown)
            case ir.Scalar(function=("min" | "max") as function, operands=operands) \
                    if operands[0].type.name == "date":
                parts = [self.plain(o) for o in operands]
                pick = pl.min_horizontal if function == "min" else pl.max_horizontal
                return Plain(pl.when(pl.all_horizontal([p.is_not_null() for p in parts])).then(pick(parts)))
            case ir.Scalar(function=("min" | "max") as function, operands=operands):
                parts = [self.number(o) for o in operands]
                if not all(p.static for p in parts):
                    return self.column(expr, extreme_of(function, parts))
                parts = common(parts)
                known_all = pl.all_horizontal([p.num.is_not_null() for p in parts])
                pick = pl.min_horizontal if function == "min" else pl.max_horizontal
                return Num(pl.when(known_all).then(pick([p.num for p in parts])), parts[0].den,
                           max(p.bound for p in parts))
            case ir.Lookup(table=table, key=key):
                return self.lookup(self.tables[table], self.lower(key))
            case ir.History():
                return self.history(expr)
            case ir.Via() | ir.Members() if self.frames is not None:
                from policydsl.engine.columnar import across
                return across.via(self, expr) if isinstance(expr, ir.Via) else across.members(self, expr)
            case ir.Aggregate():
                return self.aggregate(expr)
        raise Unsupported(f"{type(expr).__name__} has no columnar form")

    def number(self, expr: ir.Expr) -> Num:
        value = self.lower(expr)
        if not isinstance(value, Num):
            raise Unsupported("a number expected")
        return value

    def plain(self, expr: ir.Expr) -> pl.Expr:
        value = self.lower(expr)
        if not isinstance(value, Plain):
            raise Unsupported("a date, text or condition expected")
        return value.expr

    def builtin(self, name: str) -> pl.Expr:
        period = pl.col(PERIOD)
        if name == "period_start":
            return dates.period_start(self.period_kind, period)
        if name == "period_end":
            return dates.period_end(self.period_kind, period)
        if name == "evaluation_date":
            return dates.evaluation_date(self.period_kind, period, self.as_of)
        raise Unsupported(f"`{name}`")

    def calendar(self, op: str, parts: list[Lowered]) -> Lowered:
        """Dates moved by durations, and durations added (the checker admits nothing else)."""
        if all(isinstance(p, Span) for p in parts):
            return dates.span_arith(op, *parts)
        if len(parts) == 2 and isinstance(parts[0], Plain) and isinstance(parts[1], Span):
            return Plain(dates.add_duration(parts[0].expr, parts[1], 1 if op == "+" else -1))
        if op == "+" and len(parts) == 2 and isinstance(parts[0], Span) and isinstance(parts[1], Plain):
            return Plain(dates.add_duration(parts[1].expr, parts[0]))
        raise Unsupported(f"`{op}` over dates and durations")

    def boolean(self, expr: ir.Expr) -> pl.Expr:
        value = self.lower(expr)
        if not isinstance(value, Plain):
            raise Unsupported("a condition expected")
        return value.expr

    def lookup(self, rows: Mapping[object, object], key: Lowered) -> Lowered:
        if not rows:
            return Plain(lit(None))
        values = [constant(v) for v in rows.values()]
        if all(isinstance(v, Num) for v in values):
            values = common(values)
        elif not all(isinstance(v, Plain) for v in values):
            raise Unsupported("a table of mixed values")
        chain = None
        for row_key, value in zip(rows, values):
            test = compare("=", key, constant(row_key))
            target = value.num if isinstance(value, Num) else value.expr
            chain = pl.when(test).then(target) if chain is None else chain.when(test).then(target)
        if isinstance(values[0], Num):
            return Num(chain.otherwise(None), values[0].den, max(v.bound for v in values))
        return Plain(chain.otherwise(None))

    def history(self, expr: ir.History) -> Lowered:
        n, stride, span = expr.periods, self.stride, self.span
        if expr.function == "previous":
            return shift(self.lower(expr.operand), n, stride)
        if expr.function == "change":
            now = self.number(expr.operand)
            return arith("-", now, shift(now, n, stride))
        condition = self.boolean(expr.operand)
        if expr.function == "count_periods":
            return Num(count_periods(condition, n, stride), 1, n)
        tag = f"h:{id(expr)}"

        def step(name: str, e: pl.Expr) -> pl.Expr:
            return self.materialise(f"run:{id(expr)}:{name}", Plain(e)).expr
        if expr.function == "streak":
            # kept as a small integer (at most `span`): an Int64 numerator only where it is read,
            # which may be fewer rows (a period selected)
            counted = self.materialise(tag, Plain(streak(condition, stride, span, step))).expr
            return Num(counted.cast(pl.Int64), 1, LIMIT // 4)
        return self.materialise(tag, Plain(first_time(condition, stride, span, step)))

    def aggregate(self, expr: ir.Aggregate) -> Lowered:
        group = self.static_column(expr.group) if expr.group is not None else None
        if group is not None and group not in self.columns:
            raise Unsupported(f"no column for the group `{expr.group}`")
        # operands become columns first: a window evaluates its input per (group, period), where a
        # history walk inside it would shift across entities
        where = None
        if expr.where is not None:
            where = self.materialise(f"w:{id(expr)}", Plain(self.boolean(expr.where))).expr
        operand = self.materialise(f"o:{id(expr)}", self.lower(expr.operand))
        value = aggregate(expr.function, operand, group, where, expr.descending, expr.n, self.members_bound,
                          lambda name, window: self.materialise(f"g:{id(expr)}:{name}", Plain(window)).expr)
        return self.materialise(f"a:{id(expr)}", value)
