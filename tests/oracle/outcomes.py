"""The oracle's rules, combination of outcomes, and document status.

A rule applies at a period if its policy is in force on the period's last day; it fires when its
condition is true and every amount and value it pays is known. Within one entity and period, a
ladder keeps only its strongest fired level; a highest-only group keeps only the largest amount
(equal amounts: the outcome listed first); the others are superseded by the winner's rule."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from oracle.calendar import Period
from oracle.interpreter import Interpreter
from oracle.logic import UNKNOWN

from policydsl.language.ir import Policy, Program


class Decided(NamedTuple):
    entity_kind: str
    entity: str
    period: Period
    policy: str
    rule_id: str
    rule: str
    outcome: str
    outcome_kind: str
    label: str | None
    amount: object
    value: object
    cite: str
    status: str
    superseded_by: str | None
    target: str | None

    def order(self) -> tuple:
        return (self.entity_kind, self.entity, self.period, self.policy, self.rule_id, self.rule, self.outcome)


def effect_start(policy: Policy) -> tuple[dt.date, dt.date] | None:
    """The first and last day on which the document may have taken effect: its `in_force_from`,
    else its issue date; a year alone leaves the whole year open."""
    start = policy.in_force_from if policy.in_force_from is not None else policy.issued
    if start is None:
        return None
    if isinstance(start, int):
        return dt.date(start, 1, 1), dt.date(start, 12, 31)
    return start, start


def repeals(program: Program) -> dict[str, tuple[dt.date, Policy]]:
    """Document label -> (the day its repeal takes effect, the loaded policy that supersedes it)."""
    found = {}
    for policy in program.policies.values():
        window = effect_start(policy)
        for old in policy.supersedes:
            if window is not None:
                found[old] = (window[0], policy)
    return found


def label(policy: Policy) -> str:
    return policy.document or policy.name


def applies(program: Program, policy: Policy, period_end: dt.date, day: dt.date) -> bool:
    """A policy's rules apply to a period evaluated on a day (its end, or the day asked for) when
    the period falls in the span it governs (by default from its taking effect to its
    `in_force_until`) and it is in effect that day (taken effect, not repealed)."""
    window = effect_start(policy)
    first = policy.governs_from or (window[0] if window else None)
    last = policy.governs_until or policy.in_force_until
    if (first is not None and period_end < first) or (last is not None and period_end > last):
        return False
    if window is not None and day < window[1]:
        return False
    repeal = repeals(program).get(label(policy))
    return repeal is None or day < repeal[0]


def status_on(program: Program, document: Policy, day: dt.date) -> str | None:
    repeal = repeals(program).get(label(document))
    if repeal is not None and day >= repeal[0]:
        return "document_repealed"
    window = effect_start(document)
    if window is None and document.reference_in is not None:
        return None  # known only by reference, with no date
    if window is not None and day < window[0]:
        return "document_not_yet_in_force"
    if window is not None and day < window[1]:
        return None  # some day in the year it took effect: not known which
    if document.in_force_until is not None and day > document.in_force_until:
        return "document_lapsed"
    return "document_in_force"


class FieldValues(NamedTuple):
    """The value of an outcome with payload fields: (name, value) for each declared field, in order."""

    items: tuple


def rule_outcomes(program: Program, interpreter: Interpreter):
    """Every rule's result (True, False or UNKNOWN) per (rule, kind, entity, period), and the
    decisions of the rules that fired. As of a day, only the periods ended by then, each
    evaluated on that day."""
    results: dict[tuple, object] = {}
    fired: list[Decided] = []
    data = interpreter.data
    for rule in program.rules:
        policy = program.policies[rule.policy]
        for entity in data.entities(rule.entity):
            for period in data.periods(rule.entity, entity):
                day = interpreter.as_of or period.last_day
                if period.kind != rule.evaluated_per or period.last_day > day or \
                        not applies(program, policy, period.last_day, day):
                    continue
                condition = True
                if rule.source_condition is not None:
                    condition = interpreter.eval(rule.source_condition, rule.policy, rule.entity, entity, period)
                decided = []
                if condition is True:
                    for consequence in rule.consequences:
                        pays = [interpreter.eval(source, rule.policy, rule.entity, entity, period)
                                if source is not None else None
                                for source in (consequence.source_amount, consequence.source_value)]
                        outcome = program.outcomes[consequence.outcome]
                        if outcome.fields:  # named payload fields: each declared one, None when left unset
                            given = {f.name: interpreter.eval(f.source, rule.policy, rule.entity, entity, period)
                                     for f in consequence.fields}
                            pays[1] = FieldValues(tuple((f.name, given.get(f.name)) for f in outcome.fields))
                            pays += list(given.values())
                        if UNKNOWN in pays:
                            condition, decided = UNKNOWN, []
                            break
                        decided.append(Decided(rule.entity, entity, period, rule.policy, rule.implements, rule.name,
                                               outcome.name, outcome.kind, outcome.label, pays[0], pays[1],
                                               rule.clause, "active", None, rule.target))
                fired.extend(decided)
                results[(rule.name, rule.entity, entity, period)] = condition
    return results, fired


def document_statuses(program: Program, periods: list[Period], as_of: dt.date | None = None) -> list[Decided]:
    """At the end of each year of the data, the status of every document that a policy with a
    status rule reports: its own, and the repeal of what it supersedes. As of a day: every
    document's status that day."""
    found = []
    repealed = repeals(program)
    documents = [*program.policies.values(), *program.documents.values()]
    years = sorted({p.year for p in periods})
    days = [(as_of.year, as_of)] if as_of is not None else [(year, Period(year).last_day) for year in years]
    for year, day in days:
        for document in documents:
            # not dated precisely enough for the day: reported as such, never guessed
            status = status_on(program, document, day) or "document_status_unknown"
            if status == "document_repealed":
                reporter = repealed[label(document)][1]
            elif document.reference_in is not None:
                reporter = program.policies[document.reference_in]
            else:
                reporter = document
            if as_of is None and not any(r.status_rule is not None for r in (
                    repealed[label(document)][1] if label(document) in repealed else document,
                    program.policies[document.reference_in] if document.reference_in else document)):
                continue
            rule_id = reporter.status_rule or f"{reporter.name}.status"
            value = label(repealed[label(document)][1]) if status == "document_repealed" else None
            found.append(Decided("document", label(document), Period(year), reporter.name, rule_id, rule_id, status,
                                 "status", program.outcomes[status].label, None, value,
                                 reporter.status_cite or "", "active", None, None))
    return found


def combined(program: Program, fired: list[Decided]) -> list[Decided]:
    cases: dict[tuple, list[Decided]] = {}
    for decision in sorted(fired, key=Decided.order):
        cases.setdefault((decision.entity_kind, decision.entity, decision.period), []).append(decision)
    result = []
    for decisions in cases.values():
        loser_of: dict[int, str] = {}
        for combination in program.combinations:
            level_of = {outcome: level for level, outcomes in enumerate(combination.levels) for outcome in outcomes}
            taking_part = [i for i, d in enumerate(decisions) if d.outcome in level_of]
            if len(taking_part) < 2:
                continue
            if combination.mode == "ladder":
                strongest = max(level_of[decisions[i].outcome] for i in taking_part)
                winners = [i for i in taking_part if level_of[decisions[i].outcome] == strongest]
                winner = winners[0]
                losers = [i for i in taking_part if level_of[decisions[i].outcome] < strongest]
            else:
                def worth(i: int):
                    amount = decisions[i].amount
                    known = amount is not None and amount is not UNKNOWN
                    # a larger amount wins; then the outcome listed first; then the first decision
                    return (known, amount if known else 0, -level_of[decisions[i].outcome], -i)
                winner = sorted(taking_part, key=worth)[-1]
                losers = [i for i in taking_part if i != winner]
            for i in losers:
                if i not in loser_of:
                    loser_of[i] = decisions[winner].rule_id
        for i, decision in enumerate(decisions):
            if i in loser_of:
                decision = decision._replace(status="superseded", superseded_by=loser_of[i])
            result.append(decision)
    return sorted(result, key=Decided.order)
