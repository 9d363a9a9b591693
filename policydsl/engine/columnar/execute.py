"""Columnar stage, execution: a `Plan` and data in, a `ColumnarEvaluation` out.

Per (entity kind, period kind) that some rule is evaluated at, the kind is laid on its dense
grid (`grid.grid`), every derived value, history walk and aggregate the columnar rules read
is added as a column (Polars lazy frame, in dependency order), then each rule's condition and
payloads. Rows with a record, in the policy's force and asked for, make the rule results;
fired rows make decisions, kept as one compact table (kind, entity, period, rule, outcome,
payload numerators and denominators) until someone asks for `Decision` objects.

Rules that `support.columnar_support` refuses, and rules whose integers could overflow on this
data (`operators.Inexact`), run on the row executor (`engine/evaluate.py`) over the same data;
`fallbacks` says which and why. Ladders and highest-only groups are applied by the same
`evaluate.combine` as the row executor's, to the few (entity, period) cases where two members
of one combination fired; everywhere else every decision is active.

The result and its conversions to `Decision`s and rule results are `result.ColumnarEvaluation`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping

import attrs
import polars as pl

from policydsl.engine import data as data_stage
from policydsl.engine.columnar import columns as C
from policydsl.engine.columnar import frames_in
from policydsl.engine.columnar import grid as G
from policydsl.engine.columnar.across import Frames
from policydsl.engine.columnar.columns import CODE
from policydsl.engine.columnar.dates import Span
from policydsl.engine.columnar.files import ColumnarData
from policydsl.engine.columnar.handover import columns_of, handed_names, seeded_values, values_to_hand_over
from policydsl.engine.columnar.lowering import PLANNED, FrameLowering, collect, query_options
from policydsl.engine.columnar.operators import ENTITY, EVALUATED, PERIOD, Inexact, Num, Unsupported, lit
from policydsl.engine.columnar.result import (
    LIGHT_SCHEMA, PAYLOAD_COLUMNS, PERIOD_KIND, ColumnarEvaluation, among, computed_values, dataset_of, decision_from_row,
    with_entities)
from policydsl.engine.columnar.support import Analysis
from policydsl.engine.combine import Decision, combine, document_status
from policydsl.engine.evaluate import Run, RuleResult, evaluate, fire
from policydsl.engine.plan import Plan
from policydsl.engine.progress import NO_PROGRESS, Progress
from policydsl.schema import Dataset
from policydsl.values import Period


# how `fallbacks` marks a rule the lowering refused on this run (not at compile time: `support`)
RUN_TIME = "at run time: "


def _lower_rules(plan: Plan, indices: list[int], lowering: FrameLowering, fallbacks: dict[str, str],
                 split: set[int]) -> dict[int, dict[str, pl.Expr]]:
    """Each rule's condition and payload columns. A rule in `split` (its payload has no columnar
    form) gets its condition alone; a rule whose payload fails here after its condition joins
    `split`, one whose condition fails falls back whole (`fallbacks`, leaving `split`)."""
    outputs: dict[int, dict[str, pl.Expr]] = {}
    for index in indices:
        rule = plan.rules[index].rule
        try:
            cond = lowering.boolean(rule.condition) if rule.condition is not None else lit(True)
        except (Unsupported, Inexact) as err:
            # the columns lowered before the failure stay: each is whole and right (and other frames'
            # joins count on the steps only growing); the row executor is handed the derived values
            # among them (`handover`)
            fallbacks.setdefault(rule.name, f"{RUN_TIME}{err}")
            split.discard(index)
            continue
        if index in split:
            outputs[index] = {f"r{index}": cond}
            continue
        try:
            payloads = []
            for consequence in rule.consequences:
                amount = lowering.lower(consequence.amount) if consequence.amount is not None else None
                value = lowering.lower(consequence.value) if consequence.value is not None else None
                payloads.append((amount, value, consequence.value))
        except (Unsupported, Inexact) as err:
            fallbacks[rule.name] = f"{RUN_TIME}{err}"
            split.add(index)
            outputs[index] = {f"r{index}": cond}
            continue
        columns = {f"r{index}": cond}
        for position, (amount, value, source) in enumerate(payloads):
            if amount is not None:
                columns[f"r{index}c{position}amount_num"], columns[f"r{index}c{position}amount_den"] = \
                    amount.num, _den(amount)
            if value is not None:
                if isinstance(value, Num):
                    columns[f"r{index}c{position}value_num"] = value.num
                    columns[f"r{index}c{position}value_den"] = _den(value)
                elif source.type.name == "boolean":
                    columns[f"r{index}c{position}value_bool"] = value.expr
                elif source.type.name == "date":
                    columns[f"r{index}c{position}value_date"] = value.expr
                else:
                    columns[f"r{index}c{position}value_text"] = value.expr
        outputs[index] = columns
    return outputs


def _den(value: Num) -> pl.Expr:
    return lit(value.den, pl.Int64) if value.static else value.den


def _run_frame(plan: Plan, kind: str, pk: str, indices: list[int], grid: G.Grid, lowering: FrameLowering,
               outputs: dict[int, dict[str, pl.Expr]], period: Period | None, wanted: set[str] | None,
               as_of: dt.date | None, conditions: list, light_parts: list[pl.DataFrame],
               keep: list | None = None, ladders: dict[str, tuple[int, int]] | None = None,
               lowerings: Frames | None = None, seeds: tuple[list[pl.Expr], dict] | None = None,
               split: set[int] = frozenset(), fired_rows: list | None = None) -> None:
    """Run one frame's rules; with `ladders`, resolve them row by row here (every member of a
    ladder of this kind and period kind is a rule of this frame). `seeds`: derived values to keep
    for the row executor (`handover`), computed in the same query. A rule of `split` leaves the
    rows where it fires to `fired_rows` (its payload is computed by the row executor's closures)."""
    frame = lowerings.pending(kind, pk)
    rule_columns = [expr.alias(name) for columns in outputs.values() for name, expr in columns.items()]
    frame = frame.with_columns(rule_columns).filter(pl.col(EVALUATED))
    if period is not None:
        frame = frame.filter(pl.col(PERIOD) == C.period_index(period))
    if wanted is not None:
        frame = frame.filter(among(CODE, grid.ids.is_in(pl.Series(sorted(wanted), dtype=pl.String).implode()).arg_true(),
                                   pl.Int32))
    kept = [c for c in _value_columns(lowering)] if keep is not None else []
    seeded = [c.meta.output_name() for c in seeds[0]] if seeds else []
    table = collect(frame.select([CODE, PERIOD, *(e.meta.output_name() for e in rule_columns),
                                  *dict.fromkeys(kept + seeded)]), grid.frame.height)
    if seeds:
        seeds[1][(kind, pk)] = with_entities(table.select(CODE, PERIOD, *dict.fromkeys(seeded)), grid.ids)
    if keep is not None:
        keep.append((kind, pk, with_entities(table, grid.ids).select(ENTITY, PERIOD, *kept), dict(lowering.derived)))
    periods = table[PERIOD].unique().to_list()
    ends = {t: C.period_of(t, pk).end for t in periods}
    in_force, conditions_of, policy_periods, period_filters = {}, {}, {}, {}
    for index, columns in outputs.items():
        name = plan.rules[index].rule.policy
        if name not in policy_periods:
            policy = plan.program.policies[name]
            # as of a date, a period not yet ended is not evaluated; a document applies to a period
            # it governs when it is in effect on the evaluation date (the period's end, or as-of)
            policy_periods[name] = tuple(t for t, end in ends.items() if (as_of is None or end <= as_of)
                                         and policy.applies(end, as_of if as_of is not None else end))
        in_force[index] = policy_periods[name]
        payload_known = [pl.col(name).is_not_null() for name in columns if name != f"r{index}"
                         and not name.endswith("_den")]
        # an amount or value that needs missing data makes the rule not evaluable (G8)
        conditions_of[index] = pl.col(f"r{index}") if not payload_known else \
            pl.when(pl.col(f"r{index}") & ~pl.all_horizontal(payload_known)).then(None).otherwise(pl.col(f"r{index}"))

    def in_force_at(index: int) -> pl.Expr | None:
        """The rows of the periods a rule's policy applies to (None: every row); one expression
        per distinct set of periods."""
        if len(in_force[index]) == len(periods):
            return None
        if in_force[index] not in period_filters:
            period_filters[in_force[index]] = among(PERIOD, in_force[index], pl.Int32)
        return period_filters[in_force[index]]

    if ladders:
        fired_where = {index: conditions_of[index].fill_null(False) & (
            lit(True) if in_force_at(index) is None else in_force_at(index)) for index in outputs
            if index not in split}
        stages, superseding = _row_ladders(plan, fired_where, ladders)
        helpers = [name for stage in stages for name in stage]
        for stage in stages:  # each ladder's strongest level, then its winner, as a column once
            table = table.with_columns(expr.alias(name) for name, expr in stage.items())
        table = table.with_columns(expr.alias(f"s{i}c{j}") for (i, j), (expr, _) in superseding.items()).drop(helpers)
    # each superseded column holds the winner's place (a small integer): its catalogue id only
    # where the rule fired (a text per row of the frame would cost more than the ladder)
    superseding_ids = {f"s{i}c{j}": ids for (i, j), (_, ids) in superseding.items()} if ladders else {}
    superseding_columns = set(table.columns)
    lazy, parts, plain = table.lazy(), [], []
    for index, columns in outputs.items():
        rule = plan.rules[index].rule
        if index in split:  # the rows where it fires are decided with its payload, as the row executor does
            fires = pl.col(f"r{index}").fill_null(False)
            where = in_force_at(index)
            conditions.append((index, pk, _ConditionRows(lazy, conditions_of[index],
                                                         ~fires if where is None else where & ~fires), grid.ids))
            fired_rows.append((index, pk, table.filter(fires if where is None else fires & where).select(CODE, PERIOD),
                               grid.ids))
            continue
        # the rule results are computed when asked for (`ColumnarEvaluation.results`)
        conditions.append((index, pk, _ConditionRows(lazy, conditions_of[index], in_force_at(index)), grid.ids))
        superseded = [f"s{index}c{j}" for j in range(len(rule.consequences)) if f"s{index}c{j}" in superseding_columns]
        if len(columns) == 1 and not superseded:
            plain.append(index)  # no payload, nothing superseded: decided with the others below
            continue
        rows = lazy if in_force_at(index) is None else lazy.filter(in_force_at(index))
        decided = rows.select(CODE, PERIOD, conditions_of[index].alias("condition"),
                              *[c for c in columns if c != f"r{index}"], *superseded)
        fired = decided.filter(pl.col("condition"))
        for position, consequence in enumerate(rule.consequences):
            prefix = f"r{index}c{position}"
            payload = [pl.col(prefix + name).cast(dtype).alias(name) for name, dtype in PAYLOAD_COLUMNS.items()
                       if prefix + name in columns]  # the others are absent: null (`result.payload_column`)
            parts.append(fired.select(
                CODE, lit(pk, PERIOD_KIND).alias("@pk"), PERIOD,
                lit(index, pl.Int64).alias("rule"), lit(position, pl.Int64).alias("consequence"),
                lit(consequence.outcome).alias("outcome"), *payload,
                (pl.col(f"s{index}c{position}").replace_strict(superseding_ids[f"s{index}c{position}"], default=None,
                                                               return_dtype=pl.String)
                 if f"s{index}c{position}" in superseding_columns else lit(None, pl.String)).alias("superseded_by")))
    if plain:
        parts += _plain_decisions(plan, lazy, pk, plain, conditions_of, in_force_at, grid.frame.height)
    done = pl.collect_all(parts, **query_options(grid.frame.height))
    light_parts.extend(part for part in done if part.height)


@attrs.frozen
class _ConditionRows:
    """One rule's results in a frame (entity code, period, condition), computed when called."""

    table: pl.LazyFrame
    condition: pl.Expr
    in_force: pl.Expr | None

    def __call__(self) -> pl.DataFrame:
        rows = self.table if self.in_force is None else self.table.filter(self.in_force)
        return rows.select(CODE, PERIOD, self.condition.alias("condition")).collect()


def _plain_decisions(plan: Plan, lazy: pl.LazyFrame, pk: str, indices: list[int], conditions_of: Mapping,
                     in_force_at: Callable, rows: int) -> list[pl.LazyFrame]:
    """The decisions of every rule of a frame with no payload and nothing superseded, rows in rule
    order. On a frame of many rows (`PLANNED`), each rule's fired rows are filtered out of the
    table; on a small one they are found in one query (not one per rule, whose planning would cost
    more than its rows): a column per rule saying where it fired, unpivoted into (entity, period,
    rule) rows, each joined to its rule's consequences — which makes a text per row and rule."""
    fired = []
    for index in indices:
        where = in_force_at(index)
        test = conditions_of[index].fill_null(False)
        fired.append(test if where is None else test & where)
    if rows >= PLANNED:
        return [lazy.filter(test).select(
                    CODE, lit(pk, PERIOD_KIND).alias("@pk"), PERIOD, lit(index, pl.Int64).alias("rule"),
                    lit(position, pl.Int64).alias("consequence"), lit(consequence.outcome).alias("outcome"),
                    lit(None, pl.String).alias("superseded_by"))
                for index, test in zip(indices, fired)
                for position, consequence in enumerate(plan.rules[index].rule.consequences)]
    slots = [(f"@f{index}", index, position, consequence.outcome) for index in indices
             for position, consequence in enumerate(plan.rules[index].rule.consequences)]
    outcomes = pl.LazyFrame(slots, schema={"@slot": pl.String, "rule": pl.Int64, "consequence": pl.Int64,
                                           "outcome": pl.String}, orient="row")
    return [lazy.select(CODE, PERIOD, *(test.alias(f"@f{index}") for index, test in zip(indices, fired)))
            .unpivot(index=[CODE, PERIOD], variable_name="@slot", value_name="@fired")
            .filter(pl.col("@fired"))
            .join(outcomes, on="@slot", how="inner", maintain_order="left_right")
            .select(CODE, lit(pk, PERIOD_KIND).alias("@pk"), PERIOD, "rule", "consequence", "outcome",
                    lit(None, pl.String).alias("superseded_by"))]


def _row_ladders(plan: Plan, fired: Mapping[int, pl.Expr], ladders: dict[str, tuple[int, int]]
                 ) -> tuple[list[dict[str, pl.Expr]], dict[tuple[int, int], tuple[pl.Expr, dict[int, str]]]]:
    """combine.combine's ladder, row by row over one frame's rule columns: per ladder, the
    strongest level fired stays active; a weaker fired level is superseded by the rule of the
    first (in decision order: policy, catalogue id, rule, outcome) strongest one. Per (rule,
    consequence) in a ladder: the superseding rule's place in its ladder, or null, and each
    place's catalogue id; computed after the helper columns of the stages (per ladder its
    strongest level, then its winner), in order."""
    members: dict[int, list] = {}
    for index in fired:
        rule = plan.rules[index].rule
        for position, consequence in enumerate(rule.consequences):
            if consequence.outcome in ladders:
                ladder, level = ladders[consequence.outcome]
                order = (rule.policy, rule.implements, rule.name, consequence.outcome)
                members.setdefault(ladder, []).append((order, index, position, level, rule.implements))
    found, tops, winners = {}, {}, {}
    for number, entries in members.items():
        if len({level for *_, level, _ in entries}) < 2:
            continue  # one level: nothing to supersede
        entries.sort(key=lambda e: e[0])
        tops[f"@top{number}"] = pl.max_horizontal([pl.when(fired[index]).then(pl.lit(level, dtype=pl.Int32))
                                                   for _, index, _, level, _ in entries])
        top = pl.col(f"@top{number}")
        # the winner as its place in `entries` (a small integer per row), its catalogue id only
        # where a level is superseded: a text per row of the frame would cost more than the ladder
        winner = None
        for place, (_, index, _, level, _) in enumerate(entries):
            test = fired[index] & (top == level)
            winner = pl.when(test).then(lit(place, pl.Int32)) if winner is None else winner.when(test).then(lit(place, pl.Int32))
        rule_ids = {place: implements for place, (*_, implements) in enumerate(entries)}
        winners[f"@winner{number}"] = winner.otherwise(None)
        for _, index, position, level, _ in entries:
            found[(index, position)] = (pl.when(fired[index] & (top > level)).then(pl.col(f"@winner{number}")),
                                        rule_ids)
    return [tops, winners], found


def evaluate_columnar(plan: Plan, source: Dataset | Mapping[str, object], *, period: Period | None = None,
                      entities: Iterable[str] | None = None, as_of: dt.date | None = None,
                      analysis: Analysis | None = None, keep_values: bool = False,
                      check: Callable[[set[str], list[Period]], None] | None = None,
                      progress: Progress = NO_PROGRESS, every_rule: bool = False,
                      only_rules: Iterable[int] | None = None, statuses: bool = True) -> ColumnarEvaluation:
    """Evaluate the plan columnar; `keep_values` also keeps every derived value it computed
    (`ColumnarEvaluation.values`, for the differential tests), which costs memory on big runs.
    `every_rule`: lower every rule, whether its policy applies at a period of the data or not
    (`dry_run`: what the lowering refuses does not depend on the dates). `only_rules`: the rules
    (by index in the plan) to evaluate, the others not run; `statuses`: whether the documents'
    statuses are decisions of this run (`batches`: of its first batch only).
    `analysis`: what is known of the plan's rules whatever the data (`support.Analysis`; one per
    plan, shared by its runs). `progress` hears of each frame run, then of the rules left to the
    row executor."""
    program = plan.program
    schemas = program.entities
    if isinstance(source, ColumnarData) and source.schemas == schemas:
        # read into columns (`files`) for these kinds: its records are made when read as rows
        tables, dataset, warnings = source.tables, source, tuple(source.warnings)
    elif isinstance(source, Dataset):
        tables, dataset, warnings = C.tables_from_dataset(source, schemas), source, tuple(source.warnings)
    else:  # a mapping's keys that name no kind are skipped before any loader sees them
        tables, loaded = frames_in.tables_from_frames(source, schemas)
        # the row loader's Dataset stands for the data only when it read every kind
        dataset = loaded if loaded is not None and set(loaded.kinds) >= set(tables) else None
        warnings = tuple(data_stage.unknown_kinds(source, schemas)) + (tuple(loaded.warnings) if loaded else ())
    wanted = set(entities) if entities is not None else None
    analysis = Analysis(plan) if analysis is None else analysis
    found = set().union(*(table.periods for table in tables.values()))
    if check is not None:  # the entities and periods the data has, before any work (api.check_selection_in)
        check({i for table in tables.values() for i in table.ids.to_list()} if entities is not None else set(),
              sorted(found))
    applying = set(range(len(plan.rules))) if every_rule else _applying(plan, found, period, as_of)
    if only_rules is not None:
        applying &= set(only_rules)
    # why each rule that applies somewhere falls back, if it does (the others decide nothing)
    reasons = {index: analysis.reason(index) for index in sorted(applying)}
    fallbacks = {plan.rules[index].rule.name: reason for index, reason in reasons.items() if reason}
    # a rule whose payload has no columnar form has its condition decided columnar all the same
    split = {index for index in applying if reasons[index] and analysis.condition_reason(index) is None}
    frames: dict[tuple[str, str], list[int]] = {}
    for index in sorted(applying):
        rule = plan.rules[index].rule
        if rule.name not in fallbacks or index in split:
            frames.setdefault((rule.entity, rule.evaluated_per), []).append(index)
    conditions: list = []
    light_parts: dict[str, list[pl.DataFrame]] = {}
    kept_values: list | None = [] if keep_values else None
    # one depth for every frame: a frame joins another's rows at the same periods (`across`)
    # (of a rule in `split`, what its condition reads: the row executor computes its payload)
    depth = max((analysis.lookback(i, i in split) for indices in frames.values() for i in indices), default=0)
    periods = {pk: sorted(C.period_index(p) for p in found if p.kind == pk) for pk in ("year", "quarter")}
    windowed, furthest = _window(analysis, frames, period, periods, split)
    lowerings = Frames(plan, tables, windowed, depth, as_of, furthest,
                       floor={} if furthest is None else {period.kind: C.period_index(period) - furthest})
    on_table = _table_ladders(program.combinations) if program.combinations else None
    ran: dict[str, list[bool]] = {}  # per kind, whether each of its frames resolved its ladders
    lowered = {}
    for (kind, pk), indices in frames.items():
        made = lowerings.get(kind, pk)
        if made is not None:
            lowered[(kind, pk)] = (indices, *made, _lower_rules(plan, indices, made[1], fallbacks, split))
    split &= {index for indices, *_ in lowered.values() for index in indices}  # a frame of no kind: on rows
    # the rules that run on the row executor (whole, or their payload where they fire), and the
    # derived values they read that a frame can give
    row_rules = [c for index, c in enumerate(plan.rules) if c.rule.name in fallbacks and index in applying
                 and index not in split]
    handed = values_to_hand_over(plan, lowerings, row_rules + [plan.rules[i] for i in sorted(split)],
                                 analysis) if row_rules or split else set()
    computed: dict = {}
    fired_rows: list = []
    progress.start("evaluating columns", len(lowered) + 1, "frames")
    for (kind, pk), (indices, grid, lowering, outputs) in lowered.items():
        if outputs:
            names = handed_names(lowerings, handed, kind, pk)
            # ladders row by row when no rule of this frame decided outside the table reaches one
            row_wise = on_table is not None and not any(
                c.rule.entity == kind and c.rule.evaluated_per == pk and c.rule.name in fallbacks
                and any(q.outcome in on_table for q in c.rule.consequences) for c in plan.rules)
            _run_frame(plan, kind, pk, indices, grid, lowering, outputs, period, wanted, as_of, conditions,
                       light_parts.setdefault(kind, []), kept_values, on_table if row_wise else None,
                       lowerings, (columns_of(lowering, names), computed) if names else None, split, fired_rows)
            ran.setdefault(kind, []).append(row_wise)
        progress.advance()
    # parts without a payload lack its columns (null): filled in only where another part has them
    light = {kind: pl.concat(parts, how="diagonal") for kind, parts in light_parts.items() if parts}
    ids = {kind: table.ids for kind, table in tables.items()}
    materialised: list[Decision] = []
    row, fired_results = None, []
    if row_rules or fired_rows:
        dataset = dataset if dataset is not None else dataset_of(plan, source)  # every kind of the mapping
        seeded = seeded_values(plan, lowerings, handed, periods if windowed is periods else
                               {period.kind: [C.period_index(period)]}, computed)
    if row_rules:
        row_plan = attrs.evolve(plan, rules=tuple(row_rules),
                                program=attrs.evolve(program, combinations=()))
        row = evaluate(row_plan, dataset, period=period, entities=entities, as_of=as_of, values=seeded)
        materialised += [d for d in row.decisions if d.entity_kind != "document"]
    if fired_rows:
        materialised += _payloads(plan, dataset, as_of, seeded, fired_rows, fired_results)
    progress.advance()  # the rules and payloads of the row executor
    materialised += [d for d in (document_status(program, sorted(found), period, as_of) if statuses else ())
                     if wanted is None or d.entity in wanted]
    light, materialised = _combined(plan, light, ids, materialised, {k for k, done in ran.items() if all(done)})
    evaluation = ColumnarEvaluation(plan=plan, light=light, ids=ids, materialised=materialised,
                                    conditions=conditions, row=row, fired_results=fired_results,
                              fallbacks=fallbacks, dataset_source=source if dataset is None else dataset,
                              period=period, as_of=as_of, warnings=warnings, periods=found,
                              selected_entities=None if wanted is None else frozenset(wanted))
    evaluation.values = computed_values(program, kept_values or [])
    lowerings.release()
    return evaluation


def _payloads(plan: Plan, dataset: Dataset, as_of: dt.date | None, seeded: Mapping, fired_rows: list,
              results: list) -> list[Decision]:
    """The decisions of the rules whose condition was decided columnar and whose payload was not,
    where they fire: each payload from the row executor's closures (`evaluate.fire`, on a run
    seeded with the values the frames computed), with its rule result (true, or the unknown of a
    payload that needs missing data)."""
    run = Run(plan, dataset, as_of, seeded)
    outcomes, found = plan.program.outcomes, []
    for index, pk, rows, ids in fired_rows:
        compiled, names = plan.rules[index], ids.to_list()
        rule = compiled.rule
        for code, t in rows.iter_rows():
            entity, at = names[code], C.period_of(t, pk)
            condition, decided = fire(compiled, run, entity, at, outcomes)
            found += decided
            results.append(RuleResult(rule=rule.name, entity_kind=rule.entity, entity=entity, period=at,
                                      condition=condition))
    return found


def _applying(plan: Plan, found: Iterable[Period], period: Period | None, as_of: dt.date | None) -> set[int]:
    """The rules (by index) whose policy applies at some period evaluated: of their period kind,
    the selected one or each of the data's, ended by `as_of` (the test `_run_frame` and the row
    executor make per row). The others decide nothing and are neither lowered nor run."""
    evaluated = [p for p in found if (period is None or p == period) and (as_of is None or p.end <= as_of)]
    applies: dict[tuple[str, str], bool] = {}
    chosen = set()
    for index, compiled in enumerate(plan.rules):
        key = (compiled.rule.policy, compiled.rule.evaluated_per)
        if key not in applies:
            policy = plan.program.policies[key[0]]
            applies[key] = any(p.kind == key[1] and policy.applies(p.end, as_of if as_of is not None else p.end)
                               for p in evaluated)
        if applies[key]:
            chosen.add(index)
    return chosen


def _window(analysis: Analysis, frames: Mapping[tuple[str, str], list[int]], period: Period | None,
            periods: dict[str, list[int]], split: set[int]) -> tuple[dict[str, list[int]], int | None]:
    """The data's periods the grids span: with a period selected,
    only those of its kind that the columnar rules evaluated there read, as far back as the
    furthest `previous`, `change` or `count_periods` reaches (`support.reach`); every period when
    a walk is unbounded (`streak`, `first_time`) or none is selected. Values at earlier periods
    of the window see a cut history, so only the selected period's are handed to the row
    executor (`seeded_values`). Also the furthest reach (None: every period))."""
    if period is None:
        return periods, None
    reaches = [analysis.reach(i, i in split) for indices in frames.values() for i in indices]
    if any(r is None for r in reaches):
        return periods, None
    at, furthest = C.period_index(period), max(reaches, default=0)
    return {**periods, period.kind: [t for t in periods.get(period.kind, []) if at - furthest <= t <= at]}, furthest


def _value_columns(lowering: FrameLowering) -> list[str]:
    names = []
    for value in lowering.derived.values():
        if isinstance(value, Span):
            continue  # durations are constants: the row executor's values stand
        if isinstance(value, Num):
            names.append(value.num.meta.output_name())
            if not value.static:
                names.append(value.den.meta.output_name())
        else:
            names.append(value.expr.meta.output_name())
    return names


def _combined(plan: Plan, light: dict[str, pl.DataFrame], ids: Mapping[str, pl.Series],
              materialised: list[Decision], resolved: set[str] = frozenset()
              ) -> tuple[dict[str, pl.DataFrame], list[Decision]]:
    """Apply ladders and highest-only groups where two members of one combination fired.

    When every combination is a ladder and no outcome is in two, the columnar decisions are
    resolved on the table (`_ladders`); cases where a row-executed rule took part, and every case
    of other combinations, go through `combine.combine`, the one meaning of combination, as
    `Decision` objects. Cases are (entity code, period) within a kind: period indices of years
    and of quarters never meet (`period_index`). The ladders of `resolved` kinds were resolved
    row by row as their frames ran (`_row_ladders`)."""
    combinations = plan.program.combinations
    combined_outcomes = {o for c in combinations for level in c.levels for o in level}
    if not combined_outcomes:
        return light, materialised
    keys = [CODE, PERIOD]
    on_table = _table_ladders(combinations)
    # the kinds where two members of a combination can meet: a decision table holding one (its
    # rules produce one), or a combined decision of the row executor; the others stay as they are
    producing = {c.rule.entity for c in plan.rules if any(q.outcome in combined_outcomes for q in c.rule.consequences)}
    kinds = (set(light) & producing) | {d.entity_kind for d in materialised if d.outcome in combined_outcomes}
    result, outside, decided = dict(light), list(materialised), []
    for kind in sorted(kinds):
        frame = light.get(kind, pl.DataFrame(schema=LIGHT_SCHEMA))
        mine = [d for d in materialised if d.entity_kind == kind]
        code_of = {}
        if any(d.outcome in combined_outcomes for d in mine):
            code_of = {name: code for code, name in enumerate(ids[kind].to_list() if kind in ids else [])}
            for d in mine:  # an entity only the row executor decided gets a code of its own
                code_of.setdefault(d.entity, len(code_of))
        extra = pl.DataFrame([(code_of[d.entity], C.period_index(d.period)) for d in mine
                              if d.outcome in combined_outcomes], schema={CODE: pl.Int32, PERIOD: pl.Int32},
                             orient="row")
        # the (entity, period) keys of its decisions in a combination, when read (the columns read
        # first: filtering the whole table would copy every column)
        members = frame.lazy().select(*keys, "outcome").filter(among("outcome", sorted(combined_outcomes), pl.String)) \
            .select(keys)
        if on_table is not None:
            # cases a row-executed rule took part in stay with combine.combine
            cases = pl.concat([members.join(extra.lazy(), on=keys, how="semi").collect(),
                               extra.group_by(keys).len().filter(pl.col("len") >= 2).select(keys)]).unique() \
                if extra.height else extra
            touched = frame.join(cases, on=keys, how="semi") if cases.height else frame.clear()
            rest = frame.join(cases, on=keys, how="anti", maintain_order="left") if cases.height else frame
            result[kind] = rest if kind in resolved else _ladders(plan, rest, on_table)
        else:
            cases = pl.concat([members.collect(), extra]).group_by(keys).len().filter(pl.col("len") >= 2).select(keys)
            touched = frame.join(cases, on=keys, how="semi")
            result[kind] = frame.join(cases, on=keys, how="anti", maintain_order="left")
        if cases.height == 0:
            continue
        case_keys = {tuple(k) for k in cases.iter_rows()}
        inside = [d for d in mine if (code_of.get(d.entity), C.period_index(d.period)) in case_keys]
        if inside:
            taken = {id(d) for d in inside}
            outside = [d for d in outside if id(d) not in taken]
        touched = with_entities(touched, ids[kind]) if kind in ids else touched
        decided += combine(combinations, [decision_from_row(plan, r) for r in touched.iter_rows(named=True)] + inside)
    return {k: v for k, v in result.items() if k in light or v.height}, outside + decided


def _table_ladders(combinations) -> dict[str, tuple[int, int]] | None:
    """outcome -> (ladder, level) when every combination is a ladder and no outcome is in two."""
    found: dict[str, tuple[int, int]] = {}
    for index, combination in enumerate(combinations):
        if combination.mode != "ladder":
            return None
        for level, outcomes in enumerate(combination.levels):
            for outcome in outcomes:
                if outcome in found:
                    return None
                found[outcome] = (index, level)
    return found


def _ladders(plan: Plan, light: pl.DataFrame, ladders: dict[str, tuple[int, int]]) -> pl.DataFrame:
    """combine.combine's ladder on the table: per entity, period and ladder, the strongest level
    fired stays active; weaker fired levels are superseded by the rule of the first (in decision
    order: policy, catalogue id, rule, outcome) strongest one. One window over the decisions."""
    if light.height == 0:
        return light
    width = max(len(c.rule.consequences) for c in plan.rules)
    orders = sorted(((c.rule.policy, c.rule.implements, c.rule.name, q.outcome), i * width + j, c.rule.implements)
                    for i, c in enumerate(plan.rules) for j, q in enumerate(c.rule.consequences))
    order_of = {slot: order for order, (_, slot, _) in enumerate(orders)}
    rule_id = {order: implements for order, (_, _, implements) in enumerate(orders)}
    outcome_of = {i * width + j: q.outcome for i, c in enumerate(plan.rules) for j, q in enumerate(c.rule.consequences)}
    placed = {slot: ladders[outcome] for slot, outcome in outcome_of.items() if outcome in ladders}
    if not placed:
        return light
    slot = pl.col("rule") * width + pl.col("consequence")
    ladder = slot.replace_strict({k: v[0] for k, v in placed.items()}, default=None, return_dtype=pl.Int32)
    level = slot.replace_strict({k: v[1] for k, v in placed.items()}, default=None, return_dtype=pl.Int32)
    order = slot.replace_strict(order_of, return_dtype=pl.Int32)
    group = [CODE, PERIOD, "@ladder"]
    # in stages: a window inside another window's expression is evaluated once per group
    framed = (light.lazy()
              .with_columns(ladder.alias("@ladder"), level.alias("@level"), order.alias("@order"))
              .with_columns(pl.col("@level").max().over(group).alias("@top"))
              .with_columns(pl.when(pl.col("@level") == pl.col("@top")).then(pl.col("@order")).alias("@winner"))
              .with_columns(pl.col("@winner").min().over(group))
              .with_columns(pl.coalesce(
                  pl.col("superseded_by"),
                  pl.when(pl.col("@ladder").is_not_null() & (pl.col("@level") < pl.col("@top")))
                  .then(pl.col("@winner").replace_strict(rule_id, return_dtype=pl.String))).alias("superseded_by")))
    return framed.select(light.columns).collect()
