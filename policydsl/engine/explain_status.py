"""Part of stage 7, explain: why a document has a status (the catalogue's META rules, G12).

In: a program, an evaluation's decisions and as-of date, a document (a loaded policy's number or name, or a document known only by
reference), a status outcome (`document_in_force`, `_not_yet_in_force`, `_lapsed`,
`_repealed`) and a period. Out: an `Explanation` whose condition compares the evaluation date
with the document's dates — the tests `ir.Policy.status_tests` gives and `ir.Policy.status`
decides by (one meaning: the explainer renders them, never restates them) — so `explain` answers for every decision `eval` lists.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from policydsl.engine.combine import Decision
from policydsl.engine.explain import Explanation, ExplainError, RuleTrace, TraceNode
from policydsl.engine.readings import message
from policydsl.engine.status import UNKNOWN_STATUS, reporter_of
from policydsl.language import ir
from policydsl.values import MissingFact, Period, Unknown

STATUS_OUTCOMES = ("document_in_force", "document_not_yet_in_force", "document_lapsed", "document_repealed",
                   UNKNOWN_STATUS)

# The document dates a status is decided by, with the labels the explanation names them by.
_DATE_LABELS = {"in_force_from": "生效日期", "in_force_until": "有效期截止日期", "repealed_on": "废止日期"}


def find_document(program: ir.Program, entity: str) -> ir.Policy | None:
    """The document an entity id of kind `document` names: its number, else its policy's name."""
    documents = [*program.policies.values(), *program.documents.values()]
    return next((d for d in documents if d.label == entity), None)


def document_labels(program: ir.Program) -> set[str]:
    """The ids under which decisions name documents (entities of kind `document`)."""
    return {d.label for d in (*program.policies.values(), *program.documents.values())}


def _date_node(name: str, value: object, document: str) -> TraceNode:
    return TraceNode(kind="fact", text=name, value=value, entity=document, period="", label=_DATE_LABELS[name],
                     reading=message("name.fact", id=name, label=_DATE_LABELS[name]))


def _compare(op: str, on: dt.date, name: str, value: object, holds: bool, document: str) -> TraceNode:
    day = TraceNode(kind="fact", text="evaluation_date", value=on, entity=document, period="",
                    label="评价日", reading=message("builtin.evaluation_date"))
    other = _date_node(name, value, document)
    key = {">=": "expr.ge", "<": "expr.lt", "<=": "expr.le", ">": "expr.gt"}[op]
    return TraceNode(kind="compare", text=f"evaluation_date {op} {name}", value=holds, entity=document,
                     period="", op=op, children=(day, other),
                     reading=message(key, left=day.reading, right=other.reading))


def _conditions(document: ir.Policy, outcome: str, on: dt.date) -> list[tuple[TraceNode, bool]]:
    """The comparisons that make `outcome` hold on `on`, each with whether it holds: the
    document's own `status_tests`, the ones its status is decided by. An undeclared date that is
    not the reason shows no comparison (it can neither hold nor fail)."""
    label = document.label
    parts = []
    for test in document.status_tests(None if outcome == UNKNOWN_STATUS else outcome, on):
        if test.op == "missing":  # the corpus gives no date: the missing date is the reason
            missing = Unknown(frozenset({MissingFact("document", label, test.field, "")}))
            parts.append((_date_node(test.field, missing, label), test.holds))
        elif test.date is not None:
            parts.append((_compare(test.op, on, test.field, test.date, test.holds, label), test.holds))
    return parts


def explain_status(program: ir.Program, decisions: Sequence[Decision], as_of: dt.date | None, entity: str,
                   outcome: str, period: Period | None, question: str) -> Explanation:
    """Why (or why not) a document has a status at the end of a period (or on the as-of date), from
    the decisions of an evaluation (by any executor) made as of `as_of`."""
    document = find_document(program, entity)
    if document is None:
        raise ExplainError(f"no document `{entity}`: documents are named by their number "
                           f"({', '.join(sorted(document_labels(program)))})")
    decided = [d for d in decisions if d.entity_kind == "document" and d.entity == entity]
    if period is None:
        periods = [d.period for d in decided if d.outcome == outcome] or [d.period for d in decided]
        period = max(periods) if periods else None
    declared = program.outcomes[outcome]
    common = dict(question=question, entity_kind="document", entity=entity, outcome=outcome,
                  entity_kind_label="文件", outcome_label=declared.label, outcome_kind=declared.kind,
                  as_of=as_of.isoformat() if as_of is not None else None)
    if period is None:
        return Explanation(period=None, status="no_record", **common)
    on = as_of if as_of is not None else period.end  # G5, as `Run.evaluation_date`
    tested = _conditions(document, outcome, on)
    parts = [part for part, _ in tested]
    condition = parts[0] if len(parts) == 1 else None
    if len(parts) > 1:
        reading = parts[0].reading
        for part in parts[1:]:
            reading = message("expr.and", left=reading, right=part.reading)
        condition = TraceNode(kind="logic", text=" and ".join(p.text for p in parts), op="and",
                              value=all(holds for _, holds in tested), entity=entity, period=str(period),
                              children=tuple(parts), reading=reading)
    reporter = reporter_of(program, document, outcome)
    rule_id = reporter.status_rule or f"{reporter.name}.status"
    # as of a day, each document is reported once, on that day (in the period holding it), whatever
    # period was asked: the decision of that day is the one the condition, tested on it, explains
    mine = next((d for d in decided if d.outcome == outcome and (as_of is not None or d.period == period)),
                None)
    fired = mine is not None
    trace = RuleTrace(rule=rule_id, implements=rule_id, policy=reporter.name, clause=reporter.status_cite or "",
                      span=str(document.span), quote=reporter.status_quote, fired=fired, condition=condition,
                      failed=tuple(p for p, holds in tested if not holds) if not fired else ())
    facts = ()  # the dates are the document's, not facts of the data: the condition shows them
    missing = tuple(sorted(m for p in parts for m in p.missing))
    if fired:
        return Explanation(period=str(period), status=mine.status, decision=mine, rules=(trace,), facts=facts,
                           missing=missing, **common)
    status = "not_evaluable" if document.status(on) is None else "not_fired"
    return Explanation(period=str(period), status=status, rules=(trace,), facts=facts, missing=missing, **common)
