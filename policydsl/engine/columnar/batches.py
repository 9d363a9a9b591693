"""Columnar stage, batches: one large kind evaluated in batches of whole groups, to bound memory.

In: a plan, the long table of one entity kind (and the other kinds whole), a batch size in rows.
Out: one `ColumnarEvaluation` per batch, in order, of the kind's rules. Every batch holds whole
groups (the kind's `group by` attribute, read as the data stage reads it: `" Z1"` is `Z1`, a
column headed by its label is the attribute), so group aggregates and ranks see every member;
history needs nothing more, since an entity's periods stay together. A plan whose rules on that
kind aggregate over another grouping (every entity, `within:` another attribute) or read other
entities (`ref`, member aggregates) cannot be cut and is refused (`BatchError`), never evaluated on
a part of its group.

`progress` (engine/progress.py) hears of every row evaluated: the caller decides how to show it
(`render.progress.on_terminal` draws a rich bar on a terminal).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping

import polars as pl

from policydsl.diagnostics import BatchError
from policydsl.engine.cells import CellError, column_name, converter, entity_id, header_names, is_blank
from policydsl.engine.columnar import frames_in
from policydsl.engine.columnar.execute import evaluate_columnar
from policydsl.engine.columnar.result import ColumnarEvaluation
from policydsl.engine.columnar.texts import PLAIN_TEXT
from policydsl.engine.columnar.support import Analysis, rule_expressions
from policydsl.engine.plan import Plan
from policydsl.engine.progress import NO_PROGRESS, Progress
from policydsl.language import ir
from policydsl.language.limits import run_here
from policydsl.schema import EntitySchema
from policydsl.values import Period


def _cannot_cut(plan: Plan, kind: str) -> str | None:
    """Why the rules of `kind` cannot be evaluated one batch of whole groups at a time, or None:
    an aggregate over another grouping than the kind's own (every entity, `within:` another
    attribute), or a read of other entities (`ref`, member aggregates)."""
    program = plan.program
    group = program.entities[kind].group
    seen: set[tuple[str, str]] = set()
    pending = [e for c in plan.rules if c.rule.entity == kind for e in rule_expressions(c.rule)]
    while pending:
        for node in ir.walk(pending.pop()):
            match node:
                case ir.Aggregate(group=None):
                    return "an aggregate over every entity of the kind (`within: all`)"
                case ir.Aggregate(group=other) if other != group:
                    return f"an aggregate within `{other}`, while batches keep whole groups of `{group}`"
                case ir.Via() | ir.Members():
                    return "a rule reads other entities (`ref` or a member aggregate)"
                case ir.Derived(entity=value_kind, name=name) if (value_kind, name) not in seen:
                    seen.add((value_kind, name))
                    pending.append(program.values[(value_kind, name)].expr)
    return None


def _keys(frame: pl.DataFrame, schema: EntitySchema) -> tuple[pl.Series, pl.Series | None]:
    """Each row's entity and group as the data stage reads them (`cells.entity_id`, the group
    fact's conversion: stripped, NFC — `" Z1"` is `Z1`), its columns found by fact name or label;
    a cell the conversion refuses stays as written (the caller checked the data whole first)."""
    names = header_names(schema)
    header = {column_name(c, schema, names).fact: c for c in frame.columns}
    ids = _converted(frame[header["id"]], entity_id)
    group = schema.group
    if group is None or group not in header:
        return ids, None
    convert = converter(schema.facts[group].type)
    return ids, _converted(frame[header[group]], lambda raw: None if is_blank(raw) else convert(raw))


def _converted(column: pl.Series, convert) -> pl.Series:
    """`convert` of each distinct cell of the column as text (a refused one: as written). A whole
    number is its decimal text and a plain text (`texts.PLAIN_TEXT`) itself, to ids and texts
    alike: those are not asked of Python one by one."""
    if column.dtype.is_integer():
        return column.cast(pl.String)
    distinct = column.unique(maintain_order=True)
    if column.dtype == pl.String:
        distinct = distinct.filter(~distinct.str.contains(PLAIN_TEXT) | distinct.is_null())
        if distinct.len() == 0:
            return column
    texts = []
    for raw in distinct.to_list():
        try:
            found = convert(raw)
        except CellError:
            found = raw
        texts.append(None if found is None else str(found))
    lookup = pl.DataFrame([distinct.alias("@raw"), pl.Series("@key", texts, dtype=pl.String)])
    found = column.to_frame("@raw").join(lookup, on="@raw", how="left", nulls_equal=True,
                                         maintain_order="left")["@key"]
    if column.dtype != pl.String:
        return found
    # a plain text, not looked up, is itself
    return pl.select(pl.when(pl.lit(column.str.contains(PLAIN_TEXT))).then(pl.lit(column)).otherwise(pl.lit(found))
                     ).to_series()


def batch_ids(frame: pl.DataFrame, group: str | None, batch_rows: int) -> list[list]:
    """Entity ids in batches of about `batch_rows` rows, whole groups together: `frame` has an
    `id` column (each row's entity) and, when `group` is given, that column (its group)."""
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
    """The rules of `kind` evaluated over `facts` with the kind cut into batches of whole groups
    (`BatchError` at once when they cannot be cut); the other kinds' rules are not run (their
    decisions would repeat in every batch), and the documents' statuses come with the first batch
    only. `run(function, *args, **kwargs)` calls the evaluation of each batch (the API: on
    `run_deep`'s thread); `analysis`: the plan's (`support.Analysis`), if made."""
    reason = _cannot_cut(plan, kind)
    if reason:
        raise BatchError(f"`{kind}` cannot be evaluated in batches: {reason}")
    schema = plan.program.entities[kind]
    frame = frames_in.as_frame(facts[kind])
    ids, groups = _keys(frame, schema)
    keyed = pl.DataFrame([ids.alias("id"), *([groups.alias("group")] if groups is not None else [])])
    batches = batch_ids(keyed, "group" if groups is not None else None, batch_rows)
    others = {k: v for k, v in facts.items() if k != kind}
    run = run if run is not None else run_here
    # only the kind's rules (by position in the plan: `analysis` answers by it)
    mine = [index for index, c in enumerate(plan.rules) if c.rule.entity == kind]

    def evaluations() -> Iterator[ColumnarEvaluation]:
        known = Analysis(plan) if analysis is None else analysis  # found once for every batch
        progress.start("evaluating", frame.height, "rows")
        for number, batch in enumerate(batches):
            rows = ids.is_in(pl.Series(batch, dtype=pl.String).implode())
            part = frame.filter(rows)
            yield run(evaluate_columnar, plan, {**others, kind: part}, period=period, as_of=as_of, analysis=known,
                      only_rules=mine, statuses=number == 0)
            progress.advance(part.height)
    return evaluations()
