"""Rule and boundary coverage of scenario cases, without any catalogue (`policydsl test
--coverage`, `policydsl coverage` without `--catalogue`).

In: a loaded `PolicySet` and the scenario cases run against it. Out: per rule, in how many
(entity, period) evaluations of the cases its condition held, did not hold, or was unknown; and
per comparison in its condition (scope included), how many evaluations sat below, on and above
its boundary (`=`/`!=`: equal and different) — as OPA reports per line, so a drafter sees which
side of which threshold no case has tried. The values come from the plan's compiled
sub-expressions (the same code as the evaluation); comparisons inside history functions,
aggregates and references are evaluated at other periods or entities and are left out.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from policydsl.api import PolicySet
from policydsl.diagnostics import DataError, Span
from policydsl.engine.plan import child_node, condition_node
from policydsl.language import ir
from policydsl.values import Unknown

ORDERING = ("<", "<=", ">", ">=")


@attrs.define
class Comparison:
    text: str
    span: Span
    op: str
    node: str  # the plan's node id of the comparison
    sides: dict = attrs.field(factory=lambda: {"below": 0, "on": 0, "above": 0})

    @property
    def wanted(self) -> tuple[str, ...]:
        return ("below", "on", "above") if self.op in ORDERING else ("on", "below")

    def labels(self) -> dict[str, str]:
        return {"below": "below", "on": "on", "above": "above"} if self.op in ORDERING else {
            "on": "equal", "below": "different"}

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(self.labels()[side] for side in self.wanted if not self.sides[side])


@attrs.define
class RuleCoverage:
    rule: ir.Rule
    held: int = 0
    not_held: int = 0
    unknown: int = 0
    comparisons: list[Comparison] = attrs.field(factory=list)

    @property
    def complete(self) -> bool:
        return bool(self.held) and (self.rule.condition is None or bool(self.not_held))


def _comparisons(expr: ir.Expr | None, node: str, program: ir.Program) -> list[Comparison]:
    """The comparisons of a condition evaluated for the rule's own entity and period."""
    if expr is None:
        return []
    if isinstance(expr, (ir.Compare, ir.Member)):
        op = expr.op if isinstance(expr, ir.Compare) else ("not in" if expr.negated else "in")
        text = program.source_text(expr.span) if expr.span.line > 0 and not expr.span.generated else ""
        from policydsl.engine.explain import ir_text

        return [Comparison(text=text or ir_text(expr), span=expr.span, op=op, node=node)]
    if isinstance(expr, (ir.Logic, ir.Cond)):
        found = []
        for index, child in enumerate(ir.children(expr)):
            found += _comparisons(child, child_node(node, index), program)
        return found
    return []


def _side(comparison: Comparison, nodes, run, entity: str, period) -> str | None:
    if comparison.op in ("in", "not in"):
        value = nodes[comparison.node](run, entity, period)
        if isinstance(value, Unknown):
            return None
        held = bool(value) != (comparison.op == "not in")
        return "on" if held else "below"
    left = nodes[child_node(comparison.node, 0)](run, entity, period)
    right = nodes[child_node(comparison.node, 1)](run, entity, period)
    if isinstance(left, Unknown) or isinstance(right, Unknown) or left is None or right is None:
        return None
    if comparison.op in ORDERING and _ordered(left) and _ordered(right):
        return "below" if left < right else ("on" if left == right else "above")
    return "on" if left == right else "below"


def _ordered(value: object) -> bool:
    """Numbers (percent and money included) and dates; text and enumeration members are not."""
    return not isinstance(value, (str, bool))


def rule_coverage(policies: PolicySet, cases: Iterable[dict]) -> list[RuleCoverage]:
    """Coverage of every rule of the policies (goal checks included) by the cases."""
    program = policies.program
    report = {rule.name: RuleCoverage(rule=rule, comparisons=_comparisons(
        rule.condition, condition_node(rule), program)) for rule in program.rules}
    for case in cases:
        if not isinstance(case, dict):
            continue
        try:
            result = policies.evaluate(case.get("facts", {}), as_of=case.get("as_of"))
        except (DataError, ValueError):
            continue  # `policydsl test` reports the case
        evaluation = result.evaluation
        nodes = evaluation.plan.nodes
        for outcome in evaluation.results:
            entry = report.get(outcome.rule)
            if entry is None:
                continue
            if isinstance(outcome.condition, Unknown):
                entry.unknown += 1
            elif outcome.condition:
                entry.held += 1
            else:
                entry.not_held += 1
            for comparison in entry.comparisons:
                side = _side(comparison, nodes, evaluation.run, outcome.entity, outcome.period)
                if side is not None:
                    comparison.sides[side] += 1
    return sorted(report.values(), key=lambda r: (r.rule.span.path, r.rule.span.line, r.rule.name))


def merge(reports: Iterable[list[RuleCoverage]]) -> list[RuleCoverage]:
    """One report per rule from the reports of several scenario files loading the same policy."""
    merged: dict[tuple[str, str, int], RuleCoverage] = {}
    for report in reports:
        for entry in report:
            key = (entry.rule.name, entry.rule.span.path, entry.rule.span.line)
            if key not in merged:
                merged[key] = entry
                continue
            into = merged[key]
            into.held += entry.held
            into.not_held += entry.not_held
            into.unknown += entry.unknown
            for mine, theirs in zip(into.comparisons, entry.comparisons):
                for side, count in theirs.sides.items():
                    mine.sides[side] += count
    return sorted(merged.values(), key=lambda r: (r.rule.span.path, r.rule.span.line, r.rule.name))


def coverage_text(report: list[RuleCoverage]) -> str:
    lines = ["Rule coverage (✓ every side tried, ✗ something never tried):"]
    path = None
    for entry in report:
        if entry.rule.span.path != path:
            path = entry.rule.span.path
            lines += ["", path]
        rule = entry.rule
        name = rule.name.split("::")[-1] + (f" [target {rule.target}]" if rule.target else f" ({rule.implements})")
        counts = f"fired {entry.held} · not fired {entry.not_held}" + (
            f" · unknown {entry.unknown}" if entry.unknown else "")
        mark = "✓" if entry.complete else "✗"
        lines.append(f"  {mark} {rule.span.line:>4}  {name}: {counts}")
        for comparison in entry.comparisons:
            labels = comparison.labels()
            sides = " · ".join(f"{labels[s]} {comparison.sides[s]}" for s in comparison.wanted)
            missing = comparison.missing
            mark = "✗" if missing else "✓"
            tail = f"  — no case {' or '.join(missing)}" if missing else ""
            lines.append(f"      {mark} {comparison.span.line:>4}:{comparison.span.column:<3} "
                         f"{comparison.text}   {sides}{tail}")
    rules = len(report)
    complete = sum(1 for e in report if e.complete)
    fired = sum(1 for e in report if e.held)
    comparisons = [c for e in report for c in e.comparisons]
    covered = sum(1 for c in comparisons if not c.missing)
    lines += ["", f"rules fired in some case: {fired}/{rules}; fired and not fired: {complete}/{rules}; "
                  f"comparisons tried on every side: {covered}/{len(comparisons)}"]
    return "\n".join(lines)


def coverage_json(report: list[RuleCoverage]) -> list[dict]:
    return [{"rule": e.rule.name.split("::")[-1], "policy": e.rule.policy, "implements": e.rule.implements,
             "target": e.rule.target, "path": e.rule.span.path, "line": e.rule.span.line,
             "fired": e.held, "not_fired": e.not_held, "unknown": e.unknown,
             "comparisons": [{"text": c.text, "op": c.op, "path": c.span.path, "line": c.span.line,
                              "column": c.span.column,
                              "sides": {c.labels()[s]: c.sides[s] for s in c.wanted},
                              "missing": list(c.missing)} for c in e.comparisons]}
            for e in report]
