"""The checked program: the output of `resolve`, the input of `graph`, `plan` and `explain`.

Names are resolved (a `Name` in the AST becomes a fact, a derived value, a parameter or an
enumeration member), every expression has a type and a period kind, and the declarations are
gathered into symbol tables. Each expression node keeps the span of the text it came from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import attrs

from policydsl.language import ast
from policydsl.diagnostics import SourceFile, Span
from policydsl.schema import EntitySchema
from policydsl.types import Type

node = attrs.frozen(kw_only=True, cache_hash=True)  # nodes are dictionary keys (lowering): hashed once


def _span() -> Span:
    return attrs.field(eq=False, repr=False)


@node
class Const:
    value: object
    type: Type
    span: Span = _span()


@node
class Fact:
    entity: str
    name: str
    type: Type
    period_kind: str | None
    span: Span = _span()


@node
class Derived:
    entity: str
    name: str
    type: Type
    span: Span = _span()


@node
class Param:
    name: str
    type: Type
    span: Span = _span()


@node
class Builtin:
    name: str  # period_start, period_end
    type: Type
    span: Span = _span()


@node
class Via:
    """An expression evaluated for another entity: the one a reference attribute names."""

    ref: Expr
    kind: str  # the referenced entity kind
    inner: Expr  # checked in the scope of `kind`
    type: Type
    span: Span = _span()


@node
class Lookup:
    table: str
    key: Expr
    type: Type
    span: Span = _span()


@node
class Arith:
    op: str  # + - * / neg
    operands: tuple[Expr, ...]
    type: Type
    span: Span = _span()


@node
class Compare:
    op: str
    left: Expr
    right: Expr
    type: Type
    span: Span = _span()


@node
class Logic:
    op: str  # and, or, not
    operands: tuple[Expr, ...]
    type: Type
    span: Span = _span()


@node
class ListOf:
    """A list of values of one type, `[land, energy]` (`type` is `list of T`)."""

    items: tuple[Expr, ...]
    type: Type
    span: Span = _span()


@node
class Member:
    operand: Expr
    options: tuple[Expr, ...]
    negated: bool
    type: Type
    span: Span = _span()


@node
class Cond:
    condition: Expr
    then: Expr
    otherwise: Expr
    type: Type
    span: Span = _span()


@node
class Scalar:
    """min, max, abs, round over values of the same entity and period."""

    function: str
    operands: tuple[Expr, ...]
    type: Type
    span: Span = _span()


@node
class History:
    """An expression evaluated over earlier periods of the same entity.

    previous: operand n periods back; change: operand now minus n back; streak: consecutive
    periods ending now in which the operand holds; count: periods among the last n in which it
    holds; first_time: it holds now and held in no earlier period.
    """

    function: str
    operand: Expr
    periods: int
    type: Type
    span: Span = _span()


@node
class Aggregate:
    """An expression evaluated over the members of the entity's group in the same period.

    rank (competition ranking: ties share the better rank), top / bottom (within the first or
    last n ranks), sum, mean, min, max, count.
    """

    function: str
    operand: Expr
    group: str | None  # static attribute naming the group; None: every entity of the kind
    descending: bool
    n: int
    where: Expr | None  # only members for which this holds take part
    type: Type
    span: Span = _span()


@node
class Members:
    """An aggregate over the entities of another kind whose references lead to this entity.

    `path` is the chain of static reference attributes from the member kind up to the entity's
    kind: ((enterprise, zone), (industrial_zone, city)) for a city's enterprises. Members take
    part at a period when they have a record in it (or, holding static attributes only, no
    periodic record at all). count, sum, mean, min, max leave out the members whose operand or
    filter needs missing data (the explanation lists them); any and all follow Kleene logic.
    """

    function: str  # count, sum, mean, min, max, any, all
    kind: str  # the member kind
    path: tuple[tuple[str, str], ...]
    operand: Expr | None  # in the scope of `kind`; None for count
    where: Expr | None  # in the scope of `kind`
    type: Type
    span: Span = _span()


Expr = (Const | Fact | Derived | Param | Builtin | Lookup | Arith | Compare | Logic | Member | Cond
        | Scalar | History | Aggregate | Via | Members)


def children(expr: Expr) -> tuple[Expr, ...]:
    match expr:
        case Lookup(key=key):
            return (key,)
        case Arith(operands=ops) | Logic(operands=ops) | Scalar(operands=ops):
            return ops
        case ListOf(items=items):
            return items
        case Compare(left=left, right=right):
            return (left, right)
        case Member(operand=operand, options=options):
            return (operand, *options)
        case Cond(condition=c, then=t, otherwise=o):
            return (c, t, o)
        case History(operand=operand):
            return (operand,)
        case Aggregate(operand=operand, where=where):
            return (operand,) if where is None else (operand, where)
        case Via(ref=ref, inner=inner):
            return (ref, inner)
        case Members(operand=operand, where=where):
            return tuple(e for e in (operand, where) if e is not None)
    return ()


def walk(expr: Expr):
    """Every node of an expression, parents before children, left to right (iteratively: a
    recursive generator would cost the depth of the tree for every node it yields)."""
    pending = [expr]
    while pending:
        node = pending.pop()
        yield node
        pending.extend(reversed(children(node)))


# ---- declarations ------------------------------------------------------------------------

@node
class Policy:
    """A document: a loaded policy, or one known only by reference (`reference_in` names the
    policy whose files declare it; it has no rules).

    Two things are kept apart: *legal effect* (`in_force_from` … `in_force_until`, ended early by
    a repeal) and *temporal scope*, the periods its rules govern (`governs_from` … `governs_until`,
    compared with a period's end; by default the periods ending while it is in force, so a
    document never governs a period that ended before it took effect)."""

    name: str
    path: str
    title: str | None = None
    document: str | None = None
    issuer: str | None = None
    issued: dt.date | int | None = None  # int: only the year is known (a referenced document)
    in_force_from: dt.date | int | None = None
    in_force_until: dt.date | None = None
    governs_from: dt.date | None = None
    governs_until: dt.date | None = None
    supersedes: tuple[str, ...] = ()
    repealed_on: dt.date | None = None  # the day a loaded document repealing this one takes effect
    repealed_by: str | None = None  # that document (its number, else its policy name)
    repealing_policy: str | None = None
    status_rule: str | None = None  # the catalogue's META rule: in force / repealed as of a date
    status_cite: str | None = None
    status_quote: str | None = None
    reference_in: str | None = None
    span: Span = _span()

    @property
    def label(self) -> str:
        """How decisions name the document: its number, else the policy name."""
        return self.document or self.name

    def effect_window(self) -> tuple[dt.date, dt.date] | None:
        """The earliest and latest day it may have taken effect (None: not known at all)."""
        start = self.in_force_from if self.in_force_from is not None else self.issued
        if start is None:
            return None
        if isinstance(start, int):
            return dt.date(start, 1, 1), dt.date(start, 12, 31)
        return start, start

    def in_effect(self, on: dt.date) -> bool:
        """Legally in effect on a date (lapse aside): taken effect and not yet repealed. A
        document with no effect date is taken to be in effect until repealed."""
        return self._not_in_effect(on) is None

    def _not_in_effect(self, on: dt.date) -> tuple[str, dict[str, dt.date]] | None:
        window = self.effect_window()
        if window is not None and on < window[1]:
            return "not_yet_in_effect", {"start": window[1], "day": on}
        if self.repealed_on is not None and on >= self.repealed_on:
            return "repealed", {"repealed": self.repealed_on, "day": on}
        return None

    def governs(self, period_end: dt.date) -> bool:
        """Whether its rules govern the period ending on this date."""
        return self._ungoverned(period_end) is None

    def _ungoverned(self, period_end: dt.date) -> tuple[str, dict[str, dt.date]] | None:
        window = self.effect_window()
        start = self.governs_from if self.governs_from is not None else window[0] if window else None
        end = self.governs_until if self.governs_until is not None else self.in_force_until
        if start is not None and period_end < start:
            return "governs_from", {"start": start, "end": period_end}
        if end is not None and period_end > end:
            return "governs_until", {"until": end, "end": period_end}
        return None

    def applies(self, period_end: dt.date, evaluation_date: dt.date) -> bool:
        """Whether its rules apply to a period evaluated on a date (the period's end unless the
        evaluation is made as of another date): it governs the period and is in effect that day.
        An annual plan that has lapsed still applies to its own year."""
        return self._ungoverned(period_end) is None and self._not_in_effect(evaluation_date) is None

    def not_applying(self, period_end: dt.date, evaluation_date: dt.date) -> tuple[str, dict[str, dt.date]] | None:
        """Why its rules do not apply (`applies`): the reason's key (`governs_from`, `governs_until`,
        `not_yet_in_effect`, `repealed`) and its dates; None when they apply."""
        return self._ungoverned(period_end) or self._not_in_effect(evaluation_date)

    def status_tests(self, outcome: str | None, on: dt.date) -> tuple[DateTest, ...]:
        """The comparisons of `on` with the document's dates that decide `outcome` (a status of
        `DOCUMENT_STATUSES`, or None: the corpus does not date it precisely enough to say). The
        status on a day is the one whose tests all hold (`status`); the explainer shows these
        same tests. A date the document does not declare adds no test, except where it is the
        reason (no effect date for a document known only by reference)."""
        window = self.effect_window()
        start = self.in_force_from if self.in_force_from is not None else self.issued
        if outcome == "document_repealed":
            if self.repealed_on is None:
                return (DateTest(field="repealed_on", op=">=", date=None, holds=False),)
            return (DateTest(field="repealed_on", op=">=", date=self.repealed_on, holds=on >= self.repealed_on),)
        tests = []
        if self.repealed_on is not None:
            tests.append(DateTest(field="repealed_on", op="<", date=self.repealed_on, holds=on < self.repealed_on))
        if window is None:  # no effect date: a loaded document is in effect until repealed
            undated = self.reference_in is not None
            if outcome is None or outcome == "document_not_yet_in_force" or undated:
                tests.append(DateTest(field="in_force_from", op="missing", date=None,
                                      holds=outcome is None and undated))
        elif outcome is None:  # within the year it took effect, on a day the corpus does not give
            tests.append(DateTest(field="in_force_from", op=">=", date=start, holds=on >= window[0]))
            tests.append(DateTest(field="in_force_from", op="<=", date=start, holds=on < window[1]))
        elif outcome == "document_not_yet_in_force":
            tests.append(DateTest(field="in_force_from", op="<", date=start, holds=on < window[0]))
        else:
            tests.append(DateTest(field="in_force_from", op=">=", date=start, holds=on >= window[1]))
        if outcome == "document_lapsed":
            until = self.in_force_until
            tests.append(DateTest(field="in_force_until", op=">", date=until, holds=until is not None and on > until))
        elif outcome == "document_in_force" and self.in_force_until is not None:
            tests.append(DateTest(field="in_force_until", op="<=", date=self.in_force_until,
                                  holds=on <= self.in_force_until))
        return tuple(tests)

    def status(self, on: dt.date) -> str | None:
        """`document_in_force`, `_not_yet_in_force`, `_lapsed` or `_repealed` on a date: the one
        whose `status_tests` all hold; None when the corpus does not date it precisely enough."""
        for outcome in (*DOCUMENT_STATUSES, None):
            if all(test.holds for test in self.status_tests(outcome, on)):
                return outcome
        raise AssertionError(f"no status holds for {self.label} on {on}")  # the tests cover every day


DOCUMENT_STATUSES = ("document_repealed", "document_not_yet_in_force", "document_lapsed", "document_in_force")


@node
class DateTest:
    """One comparison a document's status is decided by: the day `op` one of the document's dates
    (`field`: in_force_from, in_force_until or repealed_on; `date` as declared, a day or a year, or
    None when not declared; `op` "missing" says the date's absence is the test)."""
    field: str
    op: str
    date: dt.date | int | None
    holds: bool


@node
class Parameter:
    name: str
    label: str | None
    type: Type
    expr: Expr
    span: Span = _span()


@node
class Table:
    name: str
    label: str | None
    key_type: Type
    value_type: Type
    rows: tuple[tuple[object, Expr], ...]
    span: Span = _span()


@node
class Value:
    entity: str
    name: str
    label: str | None
    type: Type
    expr: Expr
    period_kind: str | None
    source: ast.Expr  # kept for the reference interpreter
    policy: str | None = None  # whose parameters and tables the definition reads
    source_when: ast.Expr | None = None  # `= E when C`: C, for the reference interpreter (`expr` is the guard)
    span: Span = _span()


@node
class Field:
    """A named payload field an outcome declares (its `value` is then an object of fields)."""

    name: str
    label: str | None
    type: Type
    optional: bool = False
    span: Span = _span()


@node
class Outcome:
    name: str
    label: str | None
    kind: str
    payload: str | None
    value_type: Type | None
    fields: tuple[Field, ...] = ()
    span: Span = _span()


@node
class Combination:
    """How fired outcomes combine: a ladder (strongest level wins) or highest-amount-only."""

    name: str
    label: str | None
    mode: str  # "ladder" or "highest"
    levels: tuple[tuple[str, ...], ...]  # ladder levels weakest first; highest: one per outcome
    span: Span = _span()


@node
class FieldValue:
    """A payload field a rule sets: its checked expression (in the rule's entity kind) and source."""

    name: str
    expr: Expr
    source: ast.Expr
    span: Span = _span()


@node
class Consequence:
    outcome: str
    amount: Expr | None
    value: Expr | None
    source_amount: ast.Expr | None
    source_value: ast.Expr | None
    fields: tuple[FieldValue, ...] = ()  # in the order the outcome declares them; optional ones may be absent
    span: Span = _span()

    @property
    def expressions(self) -> tuple[Expr, ...]:
        """Every expression of the consequence: amount, value, then each field's."""
        return tuple(e for e in (self.amount, self.value) if e is not None) + tuple(f.expr for f in self.fields)


@node
class Rule:
    name: str
    label: str | None
    implements: str
    clause: str
    quote: str | None
    policy: str
    entity: str
    condition: Expr | None
    source_condition: ast.Expr | None
    consequences: tuple[Consequence, ...]
    period_kind: str | None
    target: str | None = None  # for goal and deadline checks: the checked target (`id` or `id#part`)
    span: Span = _span()

    @property
    def evaluated_per(self) -> str:
        """The periods the rule is evaluated at: those of the facts it reads; a rule that reads
        only static attributes is evaluated once a year (the annual evaluation, G5)."""
        return self.period_kind or "year"


@node
class Program:
    policies: Mapping[str, Policy]
    entities: Mapping[str, EntitySchema]
    parameters: Mapping[str, Parameter]
    tables: Mapping[str, Table]
    values: Mapping[tuple[str, str], Value]  # (entity kind, name)
    outcomes: Mapping[str, Outcome]
    combinations: tuple[Combination, ...]
    rules: tuple[Rule, ...]
    sources: Mapping[str, SourceFile] = attrs.field(eq=False, repr=False)
    documents: Mapping[str, Policy] = attrs.field(factory=dict)  # known only by reference, by number

    def source_text(self, span: Span) -> str:
        """The policy text a span covers, for explanations."""
        source = self.sources.get(span.path)
        if source is None or span.line <= 0:
            return ""
        lines = source.lines
        if span.end_line == span.line:
            return lines[span.line - 1][span.column - 1: span.end_column - 1]
        first = lines[span.line - 1][span.column - 1:]
        middle = lines[span.line: span.end_line - 1]
        last = lines[span.end_line - 1][: span.end_column - 1]
        return " ".join(part.strip() for part in [first, *middle, last])
