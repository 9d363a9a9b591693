"""Columnar stage, lowering across entity kinds: `ref` reads and member aggregates as joins.

In: a frame's `FrameLowering` and an `ir.Via` or `ir.Members`; out: the lowered value in that
frame, with the join steps that bring it there. `Frames` holds one lowering per (entity kind,
period kind), built on demand on the dense grid of that kind (`grid.grid`), all grids over the
same periods, so that a row of one frame meets the row of another at the same period.

- `zone.x` (`ir.Via`): `x` is lowered in the zone frame, then joined on (reference id, period);
  an unknown reference or an id no zone has gives no row: unknown (`plan._via`).
- `count(enterprise via zone where c)`, `sum/mean/min/max(x over K …)`, `any/all(c over K …)`
  (`ir.Members`): the chain of static references is followed once, as a join of the kinds'
  static attributes (a missing or dangling reference leads nowhere); the operand and the filter
  are lowered in the member frame; the members that take part in a period (`@eval`: a record in
  it, or static attributes only) are grouped by (entity reached, period) once, and the counts
  joined back. G8 as `members.fold` gives it: a member whose filter or operand is unknown is left
  out of count/sum/mean/min/max; with none counted, count and sum are 0 unless one was left out
  (then sum is unknown), mean/min/max unknown; any/all decide on one member that decides them,
  else are unknown when one was left out, else false/true.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import attrs
import polars as pl

from policydsl.engine.columnar import columns as C
from policydsl.engine.columnar import grid as G
from policydsl.engine.columnar.dates import Span
from policydsl.engine.columnar.lowering import FrameLowering, GroupJoin, ReadJoin, apply_steps, collect
from policydsl.engine.columnar.operators import ENTITY, EVALUATED, Lowered, Num, Plain, Unsupported, _checked, lit
from policydsl.engine.plan import Plan
from policydsl.language import ir


class Frames:
    """One `FrameLowering` per (kind, period kind), each on its kind's grid, made when first asked."""

    def __init__(self, plan: Plan, tables: Mapping[str, C.KindTable], periods: Mapping[str, list[int]],
                 depth: int, as_of: dt.date | None, furthest: int | None = None,
                 floor: Mapping[str, int] | None = None):
        self.plan, self.tables, self.periods, self.depth, self.as_of = plan, tables, periods, depth, as_of
        # with a period selected: per period kind, the earliest period its rules read
        # (`execute._window`), where the grids start; earlier values see a cut history there
        self.floor = dict(floor or {})
        self.furthest = furthest  # how far back from the selected period they read (None: no cut)
        self._made: dict[tuple[str, str], tuple[G.Grid, FrameLowering] | None] = {}
        self._done: dict[tuple[str, str], tuple[pl.DataFrame, int]] = {}
        self._computing: set[tuple[str, str]] = set()  # frames whose columns are being computed
        self._statics: dict[str, pl.DataFrame] = {}
        # grids carry entity ids as text (for the joins below) only when some expression joins
        self.joins = _joins(plan)

    def get(self, kind: str, period_kind: str) -> tuple[G.Grid, FrameLowering] | None:
        key = (kind, period_kind)
        if key not in self._made:
            self._made[key] = self._make(kind, period_kind)
        return self._made[key]

    def _make(self, kind: str, period_kind: str) -> tuple[G.Grid, FrameLowering] | None:
        table = self.tables.get(kind)
        if table is None:
            return None
        grid = G.grid(table, self.plan.program.entities[kind], period_kind, self.depth,
                      self.periods.get(period_kind, []), with_ids=self.joins,
                      floor=self.floor.get(period_kind))
        if grid is None:
            return None
        lowering = FrameLowering(program=self.plan.program, parameters=self.plan.parameters,
                                 tables=self.plan.tables, kind=kind, start=grid.start,
                                 members_bound=max(grid.entities, 1), columns=grid.columns,
                                 static_column=lambda n: f"s:{n}", fact_column=lambda n: f"f:{n}",
                                 period_kind=period_kind, as_of=self.as_of, frames=self,
                                 stride=grid.entities, span=grid.end - grid.start + 1)
        return grid, lowering

    def release(self) -> None:
        """Drop every grid and lowering once the run is done: each lowering refers back to these
        Frames, so without this their grids would wait for Python's cyclic garbage collector."""
        self._made.clear()
        self._done.clear()

    def made(self) -> list[tuple[tuple[str, str], tuple[G.Grid, FrameLowering]]]:
        """Every frame lowered so far."""
        return [(key, made) for key, made in self._made.items() if made is not None]

    def other(self, kind: str, period_kind: str) -> tuple[G.Grid, FrameLowering]:
        found = self.get(kind, period_kind)
        if found is None:
            raise Unsupported(f"no {period_kind}ly rows of {kind} to read")
        return found

    def materialised(self, kind: str, period_kind: str, upto: int | None = None) -> pl.DataFrame:
        """The frame with its first `upto` columns (steps) at least, computed once: steps only ever
        grow (a rule that fails to lower leaves whole columns behind), so each call adds the new
        ones, all that are lowered by then in one query — unless the frame is being computed
        already (two kinds reading each other): then exactly the `upto` its reader saw."""
        key = (kind, period_kind)
        grid, lowering = self.other(kind, period_kind)
        upto = len(lowering.steps) if upto is None else upto
        frame, done = self._done.get(key, (grid.frame, 0))
        if done >= upto:
            return frame
        nested = key in self._computing
        end = upto if nested else len(lowering.steps)
        self._computing.add(key)
        try:
            # the frames these steps read first: where two kinds read each other, that may compute
            # this frame's first steps, which the query below then starts from
            for step in lowering.steps[done:end]:
                if isinstance(step, (ReadJoin, GroupJoin)):
                    (step.right if isinstance(step, ReadJoin) else step.members.frame)()
            frame, done = self._done.get(key, (grid.frame, 0))
            if done < end:
                frame = collect(apply_steps(frame.lazy(), lowering.steps[done:end]), grid.frame.height)
        finally:
            if not nested:
                self._computing.discard(key)
        if end > self.done(kind, period_kind):
            self._done[key] = (frame, end)
        return frame

    def done(self, kind: str, period_kind: str) -> int:
        """How many of the frame's steps are computed already (`materialised`)."""
        return self._done.get((kind, period_kind), (None, 0))[1]

    def pending(self, kind: str, period_kind: str) -> pl.LazyFrame:
        """Every column lowered so far, as a lazy frame: what was computed for other frames is
        reused, the rest stays lazy (so unread columns need never be computed)."""
        grid, lowering = self.other(kind, period_kind)
        frame, done = self._done.get((kind, period_kind), (grid.frame, 0))
        return apply_steps(frame.lazy(), lowering.steps[done:])

    def snapshot(self, kind: str, period_kind: str) -> Snapshot:
        """The frame with every column lowered so far (later steps are not read from it), computed
        when a query that reads it is run (`apply_steps`): the reads of a whole run need one query
        per frame read, not one per reference lowered."""
        return Snapshot(self, (kind, period_kind), len(self.other(kind, period_kind)[1].steps))

    def widens(self, earlier: Snapshot, later: Snapshot) -> bool:
        """Whether a step reading `earlier` may read `later` instead: the same frame, whose steps
        added in between read no frame (so the step still reads only what existed before it, and
        computing it can never come back to it)."""
        steps = self.other(*later.key)[1].steps[earlier.upto:later.upto]
        return earlier.key == later.key and all(isinstance(step, pl.Expr) for step in steps)

    def statics(self, kind: str) -> pl.DataFrame:
        if kind not in self._statics:
            self._statics[kind] = self.tables[kind].with_ids() if kind in self.tables else \
                pl.DataFrame({ENTITY: []}, schema={ENTITY: pl.String})
        return self._statics[kind]


@attrs.frozen
class Snapshot:
    """A frame's first `upto` columns, computed when first called (`Frames.materialised`)."""

    frames: Frames = attrs.field(eq=False, repr=False)
    key: tuple[str, str]
    upto: int

    def __call__(self) -> pl.LazyFrame:
        return self.frames.materialised(*self.key, self.upto).lazy()


def _joins(plan: Plan) -> bool:
    """Whether a rule or derived value reads another kind (`ref`, member aggregates)."""
    expressions = [e for c in plan.rules for e in (c.rule.condition, *(x for q in c.rule.consequences
                                                                       for x in (q.amount, q.value)))]
    expressions += [v.expr for v in plan.program.values.values()]
    return any(isinstance(node, (ir.Via, ir.Members)) for e in expressions if e is not None for node in ir.walk(e))


def _names(value: Lowered) -> list[str]:
    if isinstance(value, Num):
        return [value.num.meta.output_name()] + ([] if value.static else [value.den.meta.output_name()])
    if isinstance(value, Span):
        return [value.months.meta.output_name(), value.days.meta.output_name()]
    return [value.expr.meta.output_name()]


def _renamed(value: Lowered, prefix: str) -> Lowered:
    """The same value read from the joined columns (`prefix` + its column names)."""
    def col(expr: pl.Expr) -> pl.Expr:
        return pl.col(prefix + expr.meta.output_name())
    if isinstance(value, Num):
        return Num(col(value.num), value.den if value.static else col(value.den), value.bound, value.den_bound)
    if isinstance(value, Span):
        return Span(col(value.months), col(value.days))
    return Plain(col(value.expr))


def via(lowering: FrameLowering, expr: ir.Via) -> Lowered:
    """`ref.inner`: the inner value of the referenced entity at the same period, joined by id."""
    frames = lowering.frames
    _grid, target = frames.other(expr.kind, lowering.period_kind)
    inner = target.materialise(f"x:{id(expr)}", target.lower(expr.inner))
    prefix = f"j{id(expr)}:"
    columns = tuple((n, prefix + n) for n in _names(inner))
    ref = lowering.plain(expr.ref)
    key = ref.meta.output_name() if ref.meta.is_column() else \
        lowering.materialise(f"k:{id(expr)}", Plain(ref)).expr.meta.output_name()
    where = (expr.kind, lowering.period_kind)
    right = frames.snapshot(*where)  # lowered so far: every column read over this reference is in it
    # a join over the same reference to the same frame not yet computed takes the new columns too
    done = frames.done(lowering.kind, lowering.period_kind)
    for position in range(len(lowering.steps) - 1, done - 1, -1):
        step = lowering.steps[position]
        if isinstance(step, ReadJoin) and step.key == key and step.target == where and frames.widens(step.right, right):
            lowering.steps[position] = ReadJoin(right=right, key=key, target=where, columns=step.columns + columns)
            break
    else:
        lowering.steps.append(ReadJoin(right=right, key=key, target=where, columns=columns))
    return _renamed(inner, prefix)


def ancestors(frames: Frames, path: tuple[tuple[str, str], ...]) -> pl.LazyFrame:
    """member id (`@m`) -> the entity its chain of static references leads to (`@a`)."""
    found = None
    for hop_kind, attribute in path:
        statics = frames.statics(hop_kind)
        if attribute not in statics.columns:
            return pl.LazyFrame(schema={"@m": pl.String, "@a": pl.String})
        step = statics.lazy().select(pl.col(ENTITY).alias("@at"), pl.col(attribute).cast(pl.String).alias("@next")) \
            .drop_nulls("@next")
        if found is None:
            found = step.select(pl.col("@at").alias("@m"), pl.col("@next").alias("@a"))
        else:  # the hop's entity must exist and hold the attribute: an inner join
            found = found.join(step, left_on="@a", right_on="@at", how="inner").select("@m", pl.col("@next").alias("@a"))
    return found


@attrs.frozen
class Taking:
    """The members of a member aggregate that take part (a record in the period, or statics only),
    each with the entity its chain of references leads to (`@a`), when called."""

    frame: Snapshot
    chain: pl.LazyFrame = attrs.field(eq=False)

    def __call__(self) -> pl.LazyFrame:
        return self.frame().filter(pl.col(EVALUATED)).join(self.chain, left_on=ENTITY, right_on="@m", how="inner")


def members(lowering: FrameLowering, expr: ir.Members) -> Lowered:
    frames = lowering.frames
    grid, member = frames.other(expr.kind, lowering.period_kind)
    tag = f"m{id(expr)}"
    # `true` for every member row: a literal would be summed once per group, not once per member
    every_row = pl.col(ENTITY).is_not_null()
    where = member.materialise(f"{tag}:where", Plain(member.boolean(expr.where))).expr \
        if expr.where is not None else every_row
    operand = member.materialise(f"{tag}:operand", member.lower(expr.operand)) if expr.operand is not None else None
    function = expr.function
    if isinstance(operand, Span) or (function in ("sum", "mean", "min", "max") and isinstance(operand, Num)
                                      and not operand.static):
        raise Unsupported(f"`{function}` over per-row denominators or durations")
    bound = max(grid.entities, 1)
    # the bounds first: a value that could overflow leaves no group-by behind (a rule lowering the
    # same aggregate later would add its columns to that group-by again, under the same names)
    if function == "sum":
        _checked(operand.bound * bound)
    elif function == "mean":
        _checked(operand.bound * bound, operand.den * bound)
    present = every_row if operand is None else (
        operand.num.is_not_null() if isinstance(operand, Num) else operand.expr.is_not_null())
    counted = where.fill_null(False) & present
    left_out = where.is_null() | (where.fill_null(False) & ~present)
    aggregates = [counted.sum().alias(f"{tag}:n"), left_out.sum().alias(f"{tag}:left")]
    if function in ("sum", "mean", "min", "max"):
        values = pl.when(counted).then(operand.num if isinstance(operand, Num) else operand.expr)
        total = {"sum": values.sum(), "mean": values.sum(), "min": values.min(), "max": values.max()}[function]
        aggregates.append(total.alias(f"{tag}:value"))
    elif function in ("any", "all"):
        decisive = function == "any"
        hit = counted & (operand.expr if decisive else ~operand.expr)
        aggregates.append(hit.any().alias(f"{tag}:value"))
    taking_part = Taking(frames.snapshot(expr.kind, lowering.period_kind), ancestors(frames, expr.path))
    source = (expr.kind, lowering.period_kind, expr.path)
    # an aggregate over the same members not yet computed takes these aggregates too
    done = frames.done(lowering.kind, lowering.period_kind)
    for position in range(len(lowering.steps) - 1, done - 1, -1):
        step = lowering.steps[position]
        if isinstance(step, GroupJoin) and step.source == source and frames.widens(step.members.frame, taking_part.frame):
            lowering.steps[position] = GroupJoin(members=taking_part, source=source,
                                                 aggregates=step.aggregates + tuple(aggregates))
            break
    else:
        lowering.steps.append(GroupJoin(members=taking_part, source=source, aggregates=tuple(aggregates)))
    n = pl.col(f"{tag}:n").fill_null(0).cast(pl.Int64)
    left = pl.col(f"{tag}:left").fill_null(0)
    value = pl.col(f"{tag}:value") if function not in ("count", "reported") else None
    if function == "count":
        result: Lowered = Num(n, 1, bound)
    elif function == "reported":  # as members.fold: some member counted, else unknown if one was left out
        result = Plain(pl.when(n > 0).then(pl.lit(True)).when(left > 0).then(None).otherwise(pl.lit(False)))
    elif function in ("any", "all"):
        decisive = function == "any"
        result = Plain(pl.when(value.fill_null(False)).then(pl.lit(decisive)).when(left > 0).then(None)
                       .otherwise(pl.lit(not decisive)))
    elif function == "sum":
        result = Num(pl.when(n > 0).then(value).when(left > 0).then(None).otherwise(0), operand.den,
                     operand.bound * bound)
    elif function == "mean":
        result = Num(pl.when(n > 0).then(value), pl.when(n > 0).then(n * lit(operand.den, pl.Int64)), operand.bound * bound,
                     operand.den * bound)
    elif isinstance(operand, Num):
        result = Num(pl.when(n > 0).then(value), operand.den, operand.bound)
    else:  # min, max of dates
        result = Plain(pl.when(n > 0).then(value))
    return lowering.materialise(f"{tag}:result", result)
