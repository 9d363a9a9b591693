"""Stage 6c, document status (the catalogue's META rules): the program's documents in, each
document's status on a date out.

Every loaded policy and every document known only by reference has, on a given day, one status:
`document_in_force`, `document_not_yet_in_force`, `document_lapsed` or `document_repealed` (with
the repealing document as its value), or `document_status_unknown` when the corpus does not date
it precisely enough (a referenced document with no date, or known only by its year, on a day of
that year): not evaluable, never guessed (G8). Statuses are reported as
of one date (`--as-of`), for every document; without one, at the end of each year of the data
(G12), for the documents of policies that declare a `status_rule`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import attrs

from policydsl.language import ir
from policydsl.values import Period


UNKNOWN_STATUS = "document_status_unknown"


@attrs.frozen(kw_only=True)
class Status:
    document: str  # the document's number (else its policy's name)
    on: dt.date
    period: Period  # the year the date falls in
    policy: str  # the policy that reports it (the repealing one for a repeal)
    rule_id: str  # the META rule: the reporting policy's status rule
    outcome: str
    cite: str
    repealed_by: str | None = None


def reporter_of(program: ir.Program, document: ir.Policy, outcome: str) -> ir.Policy:
    """Who reports a status: a repeal is the repealing policy's decision; a referenced document's
    other statuses are reported by the policy whose files declare it."""
    if outcome == "document_repealed" and document.repealing_policy is not None:
        return program.policies[document.repealing_policy]
    if document.reference_in is not None:
        return program.policies[document.reference_in]
    return document


def _declares_status(program: ir.Program, document: ir.Policy) -> bool:
    reporters = (reporter_of(program, document, "document_repealed"), reporter_of(program, document, "document_in_force"))
    return any(r.status_rule is not None for r in reporters)


def statuses_on(program: ir.Program, on: dt.date, period: Period, every: bool = True) -> list[Status]:
    """Each document's status on a day; with `every` false, only of the documents whose policies
    declare a status rule (and of what those refer to or repeal)."""
    found = []
    documents = [*program.policies.values(), *program.documents.values()]
    for document in documents:
        if not every and not _declares_status(program, document):
            continue
        # a document the corpus does not date precisely enough (known only by reference: no date
        # at all, or only the year, on a day of that year) is reported as not evaluable (G8)
        outcome = document.status(on) or UNKNOWN_STATUS
        reporter = reporter_of(program, document, outcome)
        rule_id = reporter.status_rule or f"{reporter.name}.status"
        found.append(Status(document=document.label, on=on, period=period, policy=reporter.name,
                            rule_id=rule_id, outcome=outcome, cite=reporter.status_cite or "",
                            repealed_by=document.repealed_by if outcome == "document_repealed" else None))
    return found


def statuses(program: ir.Program, periods: Iterable[Period], only: Period | None,
             as_of: dt.date | None) -> list[Status]:
    """Each document's status as of a date, or at the end of each year of the data (or of
    `only`'s year; none for a quarter)."""
    if as_of is not None:
        return statuses_on(program, as_of, Period(as_of.year))
    years = sorted({Period(p.year) for p in periods})
    if only is not None:
        years = [Period(only.year)] if not only.quarter else []
    return [status for year in years for status in statuses_on(program, year.end, year, every=False)]
