"""The Python API: the whole pipeline behind `load` and `PolicySet.evaluate`.

    policies = policydsl.load("policies/zhoukou2017")
    result = policies.evaluate({"enterprise": [{"id": "E1", "period": "2019", ...}]})
    result.decisions, result.explain("E1", "enterprise_yellow_card_warning", "2019")

A loaded `PolicySet` is immutable and holds no per-evaluation state, so one can serve many
threads; each `evaluate` call gets its own `Run`.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import attrs
import networkx as nx

from policydsl.engine import data as data_stage
from policydsl.engine.cells import nfc
from policydsl.engine.columnar.support import Analysis
from policydsl.language.build import build
from policydsl.diagnostics import DataError, Diagnostic, PolicyError, SourceFile, did_you_mean
from policydsl.engine.evaluate import Decision, Evaluation, evaluate
from policydsl.engine.explain import Explanation, TraceCache, explain_decision, explain_why_not
from policydsl.engine.explain_status import STATUS_OUTCOMES, document_labels, explain_status
from policydsl.engine.graph import build_graph, cycle_diagnostics
from policydsl.language.constants import constant_diagnostics
from policydsl.language.ir import Program
from policydsl.language.limits import run_deep, run_here
from policydsl.engine.plan import Plan, make_plan
from policydsl.engine.progress import NO_PROGRESS, Progress
from policydsl.engine.fastpath import shallow as shallow_plan
from policydsl.language.resolve import resolve
from policydsl.engine.scope_check import Scope, scope_warnings, scopes_of
from policydsl.schema import DataIssue, Dataset
from policydsl.values import Period


@attrs.frozen(kw_only=True)
class Compiled:
    """Everything the front end produced, whether or not it succeeded."""

    program: Program | None
    graph: nx.DiGraph | None
    diagnostics: tuple[Diagnostic, ...]
    sources: dict[str, SourceFile]
    scopes: tuple[Scope, ...] = ()

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)


def compile_paths(paths: Iterable[str | Path], import_from: Iterable[str | Path] = ()) -> Compiled:
    """Run build, resolve and graph; stop after the first stage that reports an error.
    `import_from`: further folders imports may read (see `build`)."""
    return run_deep(_compile, list(paths), list(import_from))


def _compile(paths: list[str | Path], import_from: list[str | Path]) -> Compiled:
    built = build(paths, import_from)
    if any(d.is_error for d in built.diagnostics):
        return Compiled(program=None, graph=None, diagnostics=built.diagnostics, sources=built.sources)
    program, found = resolve(built.modules, built.sources)
    diagnostics = list(built.diagnostics) + found
    graph = build_graph(program)
    diagnostics += cycle_diagnostics(graph, program)
    if not any(d.is_error for d in diagnostics):
        diagnostics += constant_diagnostics(program, graph)  # what can be known before data
    return Compiled(program=program, graph=graph, diagnostics=tuple(diagnostics), sources=built.sources,
                    scopes=scopes_of(built.modules))


EXECUTORS = ("row", "columnar")  # see README, "Design notes", and docs/architecture.md


@attrs.frozen(kw_only=True)
class Result:
    """The decisions of one evaluation, with the means to explain them."""

    evaluation: Evaluation  # or a columnar evaluation (policydsl/engine/columnar)
    # what tracing the program's expressions computes once (their texts, readings...), shared by
    # every explanation of the policy set's results
    trace_cache: TraceCache | None = attrs.field(default=None, eq=False, repr=False)
    # whether an explanation may run on the caller's own stack (`fastpath.shallow`), not on
    # `run_deep`'s thread (a thread per call)
    shallow: bool = attrs.field(default=False, eq=False, repr=False)

    @property
    def decisions(self) -> tuple[Decision, ...]:
        return self.evaluation.decisions

    @property
    def warnings(self) -> tuple[DataIssue, ...]:
        """What the data loader reported without stopping (unknown columns, unused files...)."""
        if hasattr(self.evaluation, "row_slice"):
            return self.evaluation.warnings
        return self.evaluation.run.dataset.warnings

    @property
    def fallbacks(self) -> Mapping[str, str]:
        """Of a columnar run, per rule that ran on the row executor, why (`dump --stage plan` lists
        those known whatever the data; `at run time: …` those this data's numbers sent there); of a
        row run, nothing."""
        return dict(getattr(self.evaluation, "fallbacks", {}))

    def _known_kind(self, kind: str) -> None:
        """A kind the policies declare (or `document`, whose statuses are decisions too): a
        misspelled kind would read as one with no decisions."""
        _require_kind(self.evaluation.plan.program, kind, document=True)

    def active_outcomes(self, kind: str):
        """(entity, outcome) of every active decision of one entity kind."""
        self._known_kind(kind)
        if hasattr(self.evaluation, "active_outcomes"):
            return self.evaluation.active_outcomes(kind)
        return ((d.entity, d.outcome) for d in self.decisions if d.entity_kind == kind and d.status == "active")

    def active_table(self, kind: str):
        """The active decisions of one entity kind as a Polars frame (`entity`, `outcome`); from a
        columnar run, without a Python object per decision."""
        self._known_kind(kind)
        if hasattr(self.evaluation, "active_table"):
            return self.evaluation.active_table(kind)
        import polars as pl
        return pl.DataFrame(list(self.active_outcomes(kind)), schema={"entity": pl.String, "outcome": pl.String},
                            orient="row")

    def outcomes_by_entity(self, kind: str, period: str | Period, *, id_column: str = "entity"):
        """The active decisions of one entity kind at one period as one row per entity: a Polars
        frame with the id (as text, in the column `id_column`) and one Boolean column per outcome
        the kind's rules produce, true where the entity has that outcome (engine/outcome_flags.py).
        Every entity of the kind in the data has a row; from a columnar run, without a Python
        object per decision. A kind the policies do not declare, or a period the data does not
        have, raises `SelectionError` (an answer of all false would read as "nothing happened")."""
        self._known_kind(kind)
        _require_text("id_column", id_column)
        at = _period(period)
        if at is None:
            raise TypeError("`period` must be a period such as \"2019\" or \"2019-Q3\", not None")
        from policydsl.engine import outcome_flags
        evaluation = self.evaluation
        if evaluation.selected_period is not None and at != evaluation.selected_period:
            raise SelectionError(f"period {at} was not evaluated: the run selected {evaluation.selected_period}")
        if evaluation.as_of is not None and at.end > evaluation.as_of:
            raise SelectionError(f"period {at} was not evaluated: it had not ended on {evaluation.as_of} (as_of)")
        columnar = hasattr(evaluation, "row_slice")
        check_selection_in(set(), evaluation.periods if columnar else evaluation.run.dataset.periods(), at, None)
        if columnar:
            flags = outcome_flags.from_columnar(evaluation, kind, at, id_column)
        else:
            entities = sorted(set(evaluation.run.dataset.entities(kind))
                              | {d.entity for d in self.decisions if d.entity_kind == kind})  # documents too
            flags = outcome_flags.from_decisions(evaluation.plan, entities, self.decisions, kind, at, id_column)
        if evaluation.selected_entities is not None:  # the others were not evaluated: no row for them
            flags = flags.filter(flags[id_column].is_in(sorted(evaluation.selected_entities)))
        return flags

    def _explainable(self, entity: str) -> Evaluation:
        # a columnar run explains by re-evaluating the entity's slice on the row executor
        if hasattr(self.evaluation, "row_slice"):
            return self.evaluation.row_slice(entity)
        return self.evaluation

    def explain(self, entity: str, outcome: str, period: str | Period | None = None) -> Explanation:
        _require_text("entity", entity)
        _require_text("outcome", outcome)
        entity = entity_id_argument(entity)  # as the data's ids are read
        if outcome in STATUS_OUTCOMES:  # a document's status: decided by its dates, not by rules over data
            return explain_status(self.evaluation.plan.program, self.decisions, self.evaluation.as_of, entity, outcome,
                                  _period(period), "why")
        return self._explain(explain_decision, entity, outcome, period)

    def why_not(self, entity: str, outcome: str, period: str | Period | None = None) -> Explanation:
        _require_text("entity", entity)
        _require_text("outcome", outcome)
        entity = entity_id_argument(entity)
        if outcome in STATUS_OUTCOMES:
            return explain_status(self.evaluation.plan.program, self.decisions, self.evaluation.as_of, entity, outcome,
                                  _period(period), "why_not")
        return self._explain(explain_why_not, entity, outcome, period)

    def _explain(self, explain, entity: str, outcome: str, period: str | Period | None) -> Explanation:
        evaluation, at = self._explainable(entity), _period(period)
        if self.shallow:
            return explain(evaluation, entity, outcome, at, cache=self.trace_cache)
        return run_deep(explain, evaluation, entity, outcome, at, cache=self.trace_cache)


def as_of_date(value: str | dt.date | None) -> dt.date | None:
    """An as-of date from a `datetime.date` or `YYYY-MM-DD` text; ValueError otherwise."""
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    text = str(value).strip()
    try:  # YYYY-MM-DD only: Python also reads 20151231 and the week date 2015-W01, which no one means here
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text, re.ASCII):
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"`{value}` is not a date: write YYYY-MM-DD, e.g. 2014-08-25") from None


def _require_kind(program: Program, kind: str, *, document: bool = False) -> None:
    """A kind the policies declare (with `document`: or `document`, whose statuses are decisions
    too); SelectionError naming the nearest, since a misspelled kind would read as one with nothing."""
    _require_text("kind", kind)
    known = [*program.entities, *(["document"] if document else [])]
    if kind not in known:
        hint = did_you_mean(kind, known)
        raise SelectionError(f"no entity kind `{kind}` in the policies" + (f"; {hint}" if hint else ""))


def _ended_by(period: Period | None, day: dt.date | None) -> None:
    """A period asked for as of a day must have ended by then (ValueError)."""
    if day is not None and period is not None and period.end > day:
        raise ValueError(f"period {period} ends on {period.end}, after the as-of date {day}: "
                         "as of that date it cannot be evaluated yet")


class SelectionError(ValueError):
    """An entity or period asked for that the data does not have (the message names the nearest)."""


def _require_text(name: str, value: object) -> None:
    if not isinstance(value, str):
        raise TypeError(f"`{name}` must be a str, not {type(value).__name__} ({value!r})")


def _period(period: str | Period | None) -> Period | None:
    if period is None or isinstance(period, Period):
        return period
    if not isinstance(period, str):
        raise TypeError(f"`period` must be a str such as \"2019\" or \"2019-Q3\", or a Period, "
                        f"not {type(period).__name__} ({period!r})")
    return Period.parse(period)


def _entities(entities: object) -> frozenset[str] | None:
    """`entities` is an iterable of ids; a bare string would be read as its characters."""
    if entities is None:
        return None
    if isinstance(entities, (str, bytes)):
        raise TypeError(f"`entities` takes an iterable of ids, not a single {type(entities).__name__}: "
                        f"write entities=[{entities!r}]")
    if isinstance(entities, Mapping) or not isinstance(entities, Iterable):
        raise TypeError(f"`entities` takes an iterable of ids (a list, tuple or set of str), "
                        f"not {type(entities).__name__}")
    ids = tuple(entities)
    wrong = [e for e in ids if not isinstance(e, str)]
    if wrong:
        raise TypeError(f"`entities` must hold str ids, not {type(wrong[0]).__name__} ({wrong[0]!r})")
    return frozenset(entity_id_argument(e) for e in ids)


def entity_id_argument(text: str) -> str:
    """An id asked for (`--entity`, `entities=`) as the data's ids are read: NFC, stripped (`Café`
    typed with a combining accent, or ` 007` pasted with its space, is the id in the file)."""
    return nfc(text)


def check_selection(dataset: Dataset, period: Period | None, entities: Iterable[str] | None,
                    documents: Iterable[str] = ()) -> None:
    """Refuse to answer about an entity or a period the data does not have: an empty answer to
    such a question would look like "nothing happened". Raises SelectionError naming the nearest.
    `documents`: the ids of the program's documents, entities too (their statuses are decisions)."""
    known = {e for kind in dataset.kinds for e in dataset.entities(kind)} | set(documents) \
        if entities is not None else set()
    check_selection_in(known, dataset.periods() if period is not None else [], period, entities)


def check_selection_in(known: set[str], present: list[Period], period: Period | None,
                       entities: Iterable[str] | None) -> None:
    """`check_selection` over the entity ids and the periods a data set has (every executor)."""
    if entities is not None:
        for entity in sorted(set(entities) - known):
            hint = did_you_mean(entity, known)
            if hint is None and 0 < len(known) <= 5000:  # none close: the nearest all the same, as for a period
                nearest = difflib.get_close_matches(entity, sorted(known), n=3, cutoff=0)
                hint = "nearest: " + ", ".join(f"`{n}`" for n in nearest)
            elif hint is None and known:  # comparing with every id of a province would take seconds
                hint = f"none of its {len(known)} ids is close"
            raise SelectionError(f"no entity `{entity}` in the data" + (f"; {hint}" if hint else "; it has none"))
    if period is not None:
        if period in present:  # a year is not its quarters: `--period 2016` evaluates yearly rules only
            return
        def distance(p: Period) -> tuple:
            quarters = abs((p.year * 4 + (p.quarter or 4)) - (period.year * 4 + (period.quarter or 4)))
            return p.kind != period.kind, quarters, p
        nearest = sorted(present, key=distance)[:3]
        raise SelectionError(f"no data for period {period}" + (
            "; nearest: " + ", ".join(str(p) for p in nearest) if nearest else "; the data has no periods"))


@attrs.frozen(kw_only=True)
class PolicySet:
    program: Program
    plan: Plan
    sources: Mapping[str, SourceFile] = attrs.field(repr=False)
    warnings: tuple[Diagnostic, ...] = ()
    scopes: tuple[Scope, ...] = attrs.field(default=(), repr=False)
    # shared by the explanations of every result (`Result.trace_cache`)
    trace_cache: TraceCache = attrs.field(default=attrs.Factory(lambda self: TraceCache(self.program), takes_self=True),
                                          eq=False, repr=False)
    shallow: bool = attrs.field(default=attrs.Factory(lambda self: shallow_plan(self.plan), takes_self=True),
                                eq=False, repr=False)  # see `Result.shallow`
    # what the columnar executor knows of the rules whatever the data, shared by its runs
    columnar: Analysis = attrs.field(default=attrs.Factory(lambda self: Analysis(self.plan), takes_self=True),
                                     eq=False, repr=False)

    def load_data(self, path: str | Path, *, strict: bool = False, encoding: str | None = None,
                  executor: str = "row", progress: Progress = NO_PROGRESS) -> Dataset:
        """Read `--data`: tables need columns only for the facts these policies read.

        Problems that lose no data the policies read are warnings (`Dataset.warnings`); with
        `strict` they are errors. `encoding` fixes the text encoding of CSV files (default:
        UTF-8, with or without BOM, else GB18030). `executor="columnar"` reads the tables
        straight into typed columns for `evaluate(..., executor="columnar")` (the same checks,
        errors and warnings; engine/columnar/files.py); the result is still a Dataset whose
        records, for the row executor and explanations, are read when first asked for. `progress`
        (`engine.progress.Progress`) hears of each kind read."""
        if not isinstance(path, (str, Path)):
            raise TypeError(f"`path` must be a str or a pathlib.Path, not {type(path).__name__}")
        if executor not in EXECUTORS:
            raise ValueError(f"unknown executor `{executor}`; expected one of {', '.join(EXECUTORS)}")
        if executor == "columnar":
            from policydsl.engine.columnar.files import read_columns
            dataset = read_columns(path, self.program.entities, required=self.facts_read(), encoding=encoding,
                                   computed=self.computed(), progress=progress)
        else:
            dataset = data_stage.load_data(path, self.program.entities, required=self.facts_read(),
                                           encoding=encoding, computed=self.computed(), progress=progress)
        return self._checked(dataset, strict)

    def _checked(self, dataset: Dataset, strict: bool) -> Dataset:
        dataset = attrs.evolve(dataset, warnings=dataset.warnings + scope_warnings(self.scopes, dataset,
                                                                                    self.program.entities))
        if strict and dataset.warnings:
            raise DataError([str(w) for w in dataset.warnings], issues=dataset.warnings)
        return dataset

    def computed(self) -> dict[str, frozenset[str]]:
        """Per entity kind, the names of the derived values (a data column so named is not read)."""
        names: dict[str, set[str]] = {}
        for kind, name in self.program.values:
            names.setdefault(kind, set()).add(name)
        return {kind: frozenset(found) for kind, found in names.items()}

    def facts_read(self) -> dict[str, frozenset[str]]:
        """Per entity kind, the facts some rule depends on (and the attributes that group them)."""
        graph = self.plan.graph
        read: dict[str, set[str]] = {}
        for node, data in graph.nodes(data=True):
            if data["kind"] == "fact" and graph.out_degree(node):
                read.setdefault(data["entity"], set()).add(data["name"])
        for kind, schema in self.program.entities.items():
            if schema.group and read.get(kind):
                read[kind].add(schema.group)
        return {kind: frozenset(names) for kind, names in read.items()}

    def evaluate(self, facts: Mapping | Dataset, *, period: str | Period | None = None,
                 entities: Iterable[str] | None = None, strict: bool = False,
                 as_of: str | dt.date | None = None, executor: str = "row",
                 progress: Progress = NO_PROGRESS) -> Result:
        """Evaluate every rule over the facts: a Dataset, or the JSON mapping of `--data` (whose
        kinds may also be Polars DataFrames or Arrow tables of long rows).

        `period` and `entities` (an iterable of ids) narrow the evaluation; one the data does not
        have raises `SelectionError`, naming the nearest. `as_of` (a date or `YYYY-MM-DD`):
        evaluate as of that day — the periods ended by then, each document's status on it; a
        `period` ending after it is a ValueError. `executor`: "row" (one entity and period at a
        time) or "columnar" (whole columns, for large batches; engine/columnar). `progress`
        (`engine.progress.Progress`) hears of the evaluation's steps (rules, or frames)."""
        if executor not in EXECUTORS:
            raise ValueError(f"unknown executor `{executor}`; expected one of {', '.join(EXECUTORS)}")
        if not isinstance(facts, (Dataset, Mapping)):
            raise TypeError(f"`facts` must be a mapping {{entity kind: [rows]}} or a Dataset "
                            f"(from load_data), not {type(facts).__name__}")
        at, wanted, day = _period(period), _entities(entities), as_of_date(as_of)
        _ended_by(at, day)
        if executor == "columnar":
            from policydsl.engine.columnar.execute import evaluate_columnar
            if not isinstance(facts, Dataset):  # read into columns, then checked as any data set is
                from policydsl.engine.columnar.files import read_mapping
                facts = self._checked(read_mapping(facts, self.program.entities, computed=self.computed()), strict)
            # a deep plan (`fastpath.shallow`) is lowered, and its row-executed rules compiled and
            # run, on `run_deep`'s thread, as the row executor's evaluation is
            deep = run_here if self.shallow else run_deep
            return Result(evaluation=deep(
                evaluate_columnar, self.plan, facts, period=at, entities=wanted, as_of=day, analysis=self.columnar,
                check=lambda known, present: check_selection_in(known | document_labels(self.program), present, at,
                                                              wanted), progress=progress), trace_cache=self.trace_cache,
                          shallow=self.shallow)
        if isinstance(facts, Mapping) and not all(isinstance(v, (list, tuple)) for v in facts.values()):
            from policydsl.engine.columnar.frames_in import rows_of
            facts = rows_of(facts)  # frames given to the row executor
        if isinstance(facts, Dataset):
            dataset = facts
        else:
            dataset = self._checked(data_stage.dataset_from_mapping(facts, self.program.entities,
                                                                    computed=self.computed()), strict)
        check_selection(dataset, at, wanted, document_labels(self.program))
        return Result(evaluation=run_deep(evaluate, self.plan, dataset, period=at, entities=wanted, as_of=day,
                                          progress=progress),
                      trace_cache=self.trace_cache, shallow=self.shallow)

    def evaluate_in_batches(self, facts: Mapping, *, kind: str, batch_rows: int = 2_000_000,
                            period: str | Period | None = None, as_of: str | dt.date | None = None,
                            strict: bool = False, progress: Progress = NO_PROGRESS) -> Iterator[Result]:
        """A kind too large for memory at once, its rules evaluated columnar in batches of about
        `batch_rows` rows of whole groups (the kind's `group by` attribute, read as `evaluate`
        reads it: every group aggregate and rank sees all its members; an entity's periods stay
        together): one `Result` per batch, in order, each explaining its own decisions
        (engine/columnar/batches.py). Only the kind's rules run (evaluate the other kinds with
        `evaluate`); the documents' statuses come with the first batch. `facts`: the mapping of
        `evaluate`, `kind` as a Polars DataFrame or Arrow table of long rows (`long_from_wide`
        reshapes a wide one), the other kinds whole. A plan whose rules on that kind aggregate over
        another grouping (`within: all`, `within:` another attribute) or read other entities
        cannot be cut: `BatchError`, before any work.
        The data is checked whole before the first batch, as `evaluate` checks it: a located
        `DataError` (rows numbered in the whole table), `SelectionError` for a period it lacks,
        its warnings (those of the whole data, on every batch's result; `strict` makes them
        errors). `progress` hears of the rows evaluated."""
        from policydsl.engine.columnar.batches import evaluate_batches
        from policydsl.engine.columnar.files import read_mapping
        from policydsl.engine.columnar.frames_in import is_frame

        _require_kind(self.program, kind)
        if not isinstance(facts, Mapping) or kind not in facts:
            raise ValueError(f"`facts` must be a mapping with the rows of `{kind}`")
        if not is_frame(facts[kind]):
            raise TypeError(f"the rows of `{kind}` must be a Polars DataFrame or an Arrow table of long rows, "
                            f"not {type(facts[kind]).__name__}")
        if isinstance(batch_rows, bool) or not isinstance(batch_rows, int) or batch_rows < 1:
            raise ValueError(f"`batch_rows` must be a whole number of rows of at least 1, not {batch_rows!r}")
        at, day = _period(period), as_of_date(as_of)
        _ended_by(at, day)
        whole = self._checked(read_mapping(facts, self.program.entities, computed=self.computed()), strict)
        check_selection_in(set(), whole.periods(), at, None)
        deep = run_here if self.shallow else run_deep
        batches = evaluate_batches(self.plan, facts, kind=kind, batch_rows=batch_rows, period=at, as_of=day,
                                   progress=progress, run=deep, analysis=self.columnar)
        warnings = whole.warnings
        del whole  # its columns: each batch reads its own part

        def results() -> Iterator[Result]:
            for evaluation in batches:
                evaluation.warnings = warnings  # the whole data's, not each part's counts
                yield Result(evaluation=evaluation, trace_cache=self.trace_cache, shallow=self.shallow)
        return results()

    def decider(self, kind: str, *, period: str | Period | None = None):
        """A callable for services deciding one entity per call: see engine/single.py."""
        from policydsl.engine.single import Decider
        return run_deep(Decider, self.plan, kind, period)  # compiles expressions as deep as the limits allow


def load(*paths: str | Path, import_from: Iterable[str | Path] = ()) -> PolicySet:
    """Compile policy files or folders; raise `PolicyError` carrying every diagnostic on error.
    `import_from`: further folders whose `.pol` files an `import` may read (besides the folders
    of `paths` and the shipped schema)."""
    for path in paths:
        if not isinstance(path, (str, Path)):
            raise TypeError(f"policy paths must be str or pathlib.Path, not {type(path).__name__} ({path!r})")
    if not paths:
        raise TypeError("load() needs at least one policy file or folder")
    return policy_set(compile_paths(paths, import_from))


def policy_set(compiled: Compiled) -> PolicySet:
    """Plan a compiled program, or raise `PolicyError` if the front end reported errors."""
    if not compiled.ok:
        raise PolicyError(compiled.diagnostics, compiled.sources)
    plan = run_deep(make_plan, compiled.program, compiled.graph)
    return PolicySet(program=compiled.program, plan=plan, sources=compiled.sources,
                     warnings=tuple(d for d in compiled.diagnostics if not d.is_error), scopes=compiled.scopes)
