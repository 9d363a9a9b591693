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


def applies(policy: Policy, day: dt.date) -> bool:
    starts, ends = policy.in_force_from, policy.in_force_until
    return (starts is None or starts <= day) and (ends is None or day <= ends)


def status_on(policy: Policy, day: dt.date) -> str:
    if policy.in_force_from is not None and day < policy.in_force_from:
        return "document_not_yet_in_force"
    if policy.in_force_until is not None and day > policy.in_force_until:
        return "document_lapsed"
    return "document_in_force"


def rule_outcomes(program: Program, interpreter: Interpreter):
    """Every rule's result (True, False or UNKNOWN) per (rule, kind, entity, period), and the
    decisions of the rules that fired."""
    results: dict[tuple, object] = {}
    fired: list[Decided] = []
    data = interpreter.data
    for rule in program.rules:
        policy = program.policies[rule.policy]
        for entity in data.entities(rule.entity):
            for period in data.periods(rule.entity, entity):
                if period.kind != rule.evaluated_per or not applies(policy, period.last_day):
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
                        if UNKNOWN in pays:
                            condition, decided = UNKNOWN, []
                            break
                        outcome = program.outcomes[consequence.outcome]
                        decided.append(Decided(rule.entity, entity, period, rule.policy, rule.implements, rule.name,
                                               outcome.name, outcome.kind, outcome.label, pays[0], pays[1],
                                               rule.clause, "active", None, rule.target))
                fired.extend(decided)
                results[(rule.name, rule.entity, entity, period)] = condition
    return results, fired


def document_statuses(program: Program, periods: list[Period]) -> list[Decided]:
    found = []
    for policy in program.policies.values():
        if policy.status_rule is None:
            continue
        for year in sorted({p.year for p in periods}):
            status = status_on(policy, Period(year).last_day)
            documents = [(policy.document or policy.name, status)]
            if status != "document_not_yet_in_force":
                documents += [(old, "document_repealed") for old in policy.supersedes]
            for document, outcome in documents:
                found.append(Decided("document", document, Period(year), policy.name, policy.status_rule,
                                     policy.status_rule, outcome, "status", program.outcomes[outcome].label,
                                     None, None, policy.status_cite or "", "active", None, None))
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
