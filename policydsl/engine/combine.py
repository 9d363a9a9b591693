"""Stage 6b, combine: the decisions of fired rules in, the decisions with their status out.

What a fired rule decides (`decision_of`), the documents' own status per year
(`document_status`, the catalogue's META rules), and how fired outcomes of one entity and period
combine (`combine`): in a ladder only the strongest fired level stays active, in a highest-only
group only the largest amount (ties: the outcome listed first); the others are recorded as
`superseded` by the winning rule. Everything else accumulates. Written once, used by every
executor.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import attrs

from policydsl.engine.status import statuses
from policydsl.language import ir
from policydsl.values import Period


@attrs.frozen(kw_only=True)
class Decision:
    entity_kind: str
    entity: str
    period: Period
    policy: str
    rule_id: str  # the catalogue id the rule implements
    rule: str  # the rule's own name in the policy
    outcome: str
    outcome_kind: str
    label: str | None
    amount: object = None
    value: object = None
    cite: str = ""
    status: str = "active"
    superseded_by: str | None = None  # catalogue id of the rule whose outcome won
    target: str | None = None  # the target a goal or deadline check is about
    as_of: dt.date | None = None  # a document status reported as of this date


def decision_of(rule: ir.Rule, outcome: ir.Outcome, entity: str, period: Period, amount: object,
                value: object) -> Decision:
    """The decision a fired rule makes for one of its outcomes."""
    return Decision(entity_kind=rule.entity, entity=entity, period=period, policy=rule.policy,
                    rule_id=rule.implements, rule=rule.name, outcome=outcome.name, outcome_kind=outcome.kind,
                    label=outcome.label, amount=amount, value=value, cite=rule.clause, target=rule.target)


def document_status(program: ir.Program, periods: Iterable[Period], only: Period | None,
                    as_of: dt.date | None = None) -> list[Decision]:
    """The META rules: each document's status as of a date (every document), or at the end of
    each year of the data (`periods`) or only of `only`'s year (none for a quarter), for the
    documents of policies that declare a status rule; see `engine/status.py`."""
    return [Decision(entity_kind="document", entity=s.document, period=s.period, policy=s.policy,
                     rule_id=s.rule_id, rule=s.rule_id, outcome=s.outcome, outcome_kind="status",
                     label=program.outcomes[s.outcome].label, value=s.repealed_by, cite=s.cite, as_of=s.on)
            for s in statuses(program, periods, only, as_of)]


def decision_order(d: Decision):
    return (d.entity_kind, d.entity, d.period.year, d.period.quarter, d.policy, d.rule_id, d.rule, d.outcome)


Ranked = tuple[tuple[str, dict[str, int]], ...]


def combination_ranks(combinations: Iterable[ir.Combination]) -> Ranked:
    """Each combination's mode and the rank of each of its outcomes (levels weakest first):
    computed once per program, read for every entity and period."""
    return tuple((c.mode, {o: i for i, level in enumerate(c.levels) for o in level}) for c in combinations)


def superseded(ranked: Ranked, outcomes: Sequence[str], amounts: Sequence[object]) -> dict[int, int]:
    """The fired outcomes of one entity and period (in decision order) that combinations set
    aside: index of each superseded one -> index of the decision that won. The meaning of
    ladders and highest-only groups, shared by every executor (`combine`, the single decision)."""
    lost: dict[int, int] = {}
    if len(outcomes) < 2:
        return lost
    for mode, rank in ranked:
        members = [i for i, outcome in enumerate(outcomes) if outcome in rank]
        if len(members) < 2:
            continue
        if mode == "ladder":
            top = max(rank[outcomes[i]] for i in members)
            winner = next(i for i in members if rank[outcomes[i]] == top)
            losers = [i for i in members if rank[outcomes[i]] < top]
        else:
            # highest amount wins; equal amounts: the outcome listed first in the group. Every
            # member has a known amount: a highest-only group admits only outcomes with an
            # amount (E215), which every rule producing them gives (E216), and a rule whose
            # amount is unknown does not fire (G8).
            winner = max(members, key=lambda i: (amounts[i], -rank[outcomes[i]], -i))
            losers = [i for i in members if i != winner]
        for i in losers:
            lost.setdefault(i, winner)
    return lost


def combine(combinations: Iterable[ir.Combination], fired: list[Decision], ranked: Ranked | None = None
            ) -> list[Decision]:
    """Apply ladders and highest-only groups to the decisions of each entity and period, in
    decision order (`ranked`: `combination_ranks(combinations)`, when the caller keeps it)."""
    if ranked is None:
        ranked = combination_ranks(combinations)
    by_case: dict[tuple, list[Decision]] = {}
    for decision in sorted(fired, key=decision_order):
        by_case.setdefault((decision.entity_kind, decision.entity, decision.period), []).append(decision)
    result: list[Decision] = []
    for decisions in by_case.values():
        lost = superseded(ranked, [d.outcome for d in decisions], [d.amount for d in decisions])
        for i, decision in enumerate(decisions):
            if i in lost:
                decision = attrs.evolve(decision, status="superseded", superseded_by=decisions[lost[i]].rule_id)
            result.append(decision)
    return result
