"""The Python API: the whole pipeline behind `load` and `PolicySet.evaluate`.

    policies = policydsl.load("policies/zhoukou2017")
    result = policies.evaluate({"enterprise": [{"id": "E1", "period": "2019", ...}]})
    result.decisions, result.explain("E1", "enterprise_yellow_card_warning", "2019")

A loaded `PolicySet` is immutable and holds no per-evaluation state, so one can serve many
threads; each `evaluate` call gets its own `Run`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import attrs
import networkx as nx

from policydsl.engine import data as data_stage
from policydsl.language.build import build
from policydsl.diagnostics import Diagnostic, PolicyError, SourceFile
from policydsl.engine.evaluate import Decision, Evaluation, evaluate
from policydsl.engine.explain import Explanation, explain_decision, explain_why_not
from policydsl.engine.graph import build_graph, cycle_diagnostics
from policydsl.language.ir import Program
from policydsl.engine.plan import Plan, make_plan
from policydsl.language.resolve import resolve
from policydsl.schema import Dataset
from policydsl.values import Period


@attrs.frozen(kw_only=True)
class Compiled:
    """Everything the front end produced, whether or not it succeeded."""

    program: Program | None
    graph: nx.DiGraph | None
    diagnostics: tuple[Diagnostic, ...]
    sources: dict[str, SourceFile]

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)


def compile_paths(paths: Iterable[str | Path]) -> Compiled:
    """Run build, resolve and graph; stop after the first stage that reports an error."""
    built = build(paths)
    if any(d.is_error for d in built.diagnostics):
        return Compiled(program=None, graph=None, diagnostics=built.diagnostics, sources=built.sources)
    program, found = resolve(built.modules, built.sources)
    diagnostics = list(built.diagnostics) + found
    graph = build_graph(program)
    diagnostics += cycle_diagnostics(graph, program)
    return Compiled(program=program, graph=graph, diagnostics=tuple(diagnostics), sources=built.sources)


EXECUTORS = ("row", "columnar")  # see README, "Design notes", and docs/architecture.md


@attrs.frozen(kw_only=True)
class Result:
    """The decisions of one evaluation, with the means to explain them."""

    evaluation: Evaluation  # or a columnar evaluation (policydsl/engine/columnar)

    @property
    def decisions(self) -> tuple[Decision, ...]:
        return self.evaluation.decisions

    def active_outcomes(self, kind: str):
        """(entity, outcome) of every active decision of one entity kind."""
        if hasattr(self.evaluation, "active_outcomes"):
            return self.evaluation.active_outcomes(kind)
        return ((d.entity, d.outcome) for d in self.decisions if d.entity_kind == kind and d.status == "active")

    def _explainable(self, entity: str) -> Evaluation:
        # a columnar run explains by re-evaluating the entity's slice on the row executor
        if hasattr(self.evaluation, "row_slice"):
            return self.evaluation.row_slice(entity)
        return self.evaluation

    def explain(self, entity: str, outcome: str, period: str | Period | None = None) -> Explanation:
        return explain_decision(self._explainable(entity), entity, outcome, _period(period))

    def why_not(self, entity: str, outcome: str, period: str | Period | None = None) -> Explanation:
        return explain_why_not(self._explainable(entity), entity, outcome, _period(period))


def _period(period: str | Period | None) -> Period | None:
    if period is None or isinstance(period, Period):
        return period
    return Period.parse(str(period))


@attrs.frozen(kw_only=True)
class PolicySet:
    program: Program
    plan: Plan
    sources: Mapping[str, SourceFile] = attrs.field(repr=False)
    warnings: tuple[Diagnostic, ...] = ()

    def load_data(self, path: str | Path) -> Dataset:
        """Read `--data`: tables need columns only for the facts these policies read."""
        return data_stage.load_data(path, self.program.entities, required=self.facts_read())

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
                 entities: Iterable[str] | None = None, executor: str = "row") -> Result:
        """Evaluate every rule over the facts: a Dataset, or the JSON mapping of `--data` (whose
        kinds may also be Polars DataFrames or Arrow tables of long rows). `executor`: "row"
        (one entity and period at a time) or "columnar" (whole columns; for large batches)."""
        if executor not in EXECUTORS:
            raise ValueError(f"unknown executor `{executor}`; expected one of {', '.join(EXECUTORS)}")
        if executor == "columnar":
            from policydsl.engine.columnar.execute import evaluate_columnar
            return Result(evaluation=evaluate_columnar(self.plan, facts, period=_period(period), entities=entities))
        if not isinstance(facts, Dataset) and not all(isinstance(v, (list, tuple)) for v in facts.values()):
            from policydsl.engine.columnar.columns import rows_of
            facts = rows_of(facts)
        dataset = facts if isinstance(facts, Dataset) else data_stage.dataset_from_mapping(
            facts, self.program.entities)
        return Result(evaluation=evaluate(self.plan, dataset, period=_period(period), entities=entities))

    def decider(self, kind: str, *, period: str | Period | None = None):
        """A callable for services deciding one entity per call: see engine/single.py."""
        from policydsl.engine.single import Decider
        return Decider(self.plan, kind, period)


def load(*paths: str | Path) -> PolicySet:
    """Compile policy files or folders; raise `PolicyError` carrying every diagnostic on error."""
    return policy_set(compile_paths(paths))


def policy_set(compiled: Compiled) -> PolicySet:
    """Plan a compiled program, or raise `PolicyError` if the front end reported errors."""
    if not compiled.ok:
        raise PolicyError(compiled.diagnostics, compiled.sources)
    plan = make_plan(compiled.program, compiled.graph)
    return PolicySet(program=compiled.program, plan=plan, sources=compiled.sources,
                     warnings=tuple(d for d in compiled.diagnostics if not d.is_error))
