"""Columnar stage, batches: one large kind evaluated in batches of whole groups, to bound memory.

In: a plan, the long table of one entity kind (and the other kinds whole), a batch size in rows.
Out: one `ColumnarEvaluation` per batch, in order. Every batch holds whole groups (the kind's
`group by` attribute), so group aggregates and ranks see every member; history needs nothing
more, since an entity's periods stay together. A plan whose rules on that kind aggregate over
every entity (`within: all`) or read other entities (`ref`, member aggregates) cannot be cut and
is refused (`BatchError`), never evaluated on a part of its group.

`progress` (engine/progress.py) hears of every row evaluated: the caller decides how to show it
(`render.progress.on_terminal` draws a rich bar on a terminal).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping

import polars as pl

from policydsl.diagnostics import BatchError
from policydsl.engine.columnar import frames_in
from policydsl.engine.columnar.execute import evaluate_columnar
from policydsl.engine.columnar.result import ColumnarEvaluation
from policydsl.engine.columnar.support import Analysis, rule_expressions
from policydsl.engine.plan import Plan
from policydsl.engine.progress import NO_PROGRESS, Progress
from policydsl.language import ir
from policydsl.values import Period


def _reaches_everyone(plan: Plan, kind: str) -> str | None:
    program = plan.program
    seen: set[tuple[str, str]] = set()
    pending = [e for c in plan.rules if c.rule.entity == kind for e in rule_expressions(c.rule)]
    while pending:
        for node in ir.walk(pending.pop()):
            match node:
                case ir.Aggregate(group=None):
                    return "an aggregate over every entity of the kind (`within: all`)"
                case ir.Via() | ir.Members():
                    return "a rule reads other entities (`ref` or a member aggregate)"
                case ir.Derived(entity=value_kind, name=name) if (value_kind, name) not in seen:
                    seen.add((value_kind, name))
                    pending.append(program.values[(value_kind, name)].expr)
    return None


def batch_ids(frame: pl.DataFrame, group: str | None, batch_rows: int) -> list[list]:
    """Entity ids in batches of about `batch_rows` rows, whole groups together. The ids keep the
    id column's type (whole numbers are read as their text, so one number is one entity either way)."""
    key = group if group is not None and group in frame.columns else None
    per_entity = frame.group_by("id").agg(
        pl.len().alias("rows"), *( [pl.col(key).drop_nulls().first().cast(pl.String).alias("group")] if key else []))
    if key is None:
        per_entity = per_entity.with_columns(pl.col("id").alias("group"))
    per_group = (per_entity.group_by("group").agg(pl.col("id"), pl.col("rows").sum())
                 .sort("group", nulls_last=True))
    batches: list[list[str]] = []
    current: list[str] = []
    size = 0
    for ids, rows in zip(per_group["id"].to_list(), per_group["rows"].to_list()):
        if current and size + rows > batch_rows:
            batches.append(current)
            current, size = [], 0
        current.extend(ids)
        size += rows
    if current:
        batches.append(current)
    return batches


def evaluate_batches(plan: Plan, facts: Mapping[str, object], *, kind: str, batch_rows: int = 2_000_000,
                     period: Period | None = None, as_of: dt.date | None = None,
                     progress: Progress = NO_PROGRESS, run=None,
                     analysis: Analysis | None = None) -> Iterator[ColumnarEvaluation]:
    """Evaluate `facts` with the kind `kind` cut into batches of whole groups (`BatchError` at once
    when the plan cannot be cut). `run(function, *args, **kwargs)` calls the evaluation of each
    batch (the API: on `run_deep`'s thread); `analysis`: the plan's (`support.Analysis`), if made."""
    reason = _reaches_everyone(plan, kind)
    if reason:
        raise BatchError(f"`{kind}` cannot be evaluated in batches: {reason}")
    frame = frames_in.as_frame(facts[kind])
    batches = batch_ids(frame, plan.program.entities[kind].group, batch_rows)
    others = {k: v for k, v in facts.items() if k != kind}
    run = run if run is not None else (lambda function, *args, **kwargs: function(*args, **kwargs))

    def evaluations() -> Iterator[ColumnarEvaluation]:
        known = Analysis(plan) if analysis is None else analysis  # found once for every batch
        progress.start("evaluating", frame.height, "rows")
        for ids in batches:
            part = frame.filter(pl.col("id").is_in(pl.Series(ids, dtype=frame.schema["id"]).implode()))
            yield run(evaluate_columnar, plan, {**others, kind: part}, period=period, as_of=as_of, analysis=known)
            progress.advance(part.height)
    return evaluations()
