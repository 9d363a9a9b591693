"""The abstract syntax tree: the output of `build`, the input of `resolve`.

Every node is frozen, keyword-only, holds its children as tuples and carries a `span` that
equality ignores (two policies that differ only in layout are equal). Nodes hold no run-time
state: resolved names and types live in the checker's side tables.
"""

from __future__ import annotations

import datetime as dt

import attrs

from policydsl.diagnostics import Span
from policydsl.values import Duration, Number


def _span() -> Span:
    return attrs.field(eq=False, repr=False)


node = attrs.frozen(kw_only=True)


# ---- expressions ------------------------------------------------------------------------

@node
class NumberLit:
    value: Number
    unit: str | None = None  # "万元", "%" or None
    span: Span = _span()


@node
class StringLit:
    value: str
    span: Span = _span()


@node
class DateLit:
    value: dt.date
    span: Span = _span()


@node
class BoolLit:
    value: bool
    span: Span = _span()


@node
class DurationLit:
    value: Duration
    span: Span = _span()


@node
class Name:
    name: str
    span: Span = _span()


@node
class Keyword:
    name: str
    value: Expr
    span: Span = _span()


@node
class Call:
    function: str
    args: tuple[Expr, ...]
    keywords: tuple[Keyword, ...] = ()
    span: Span = _span()


@node
class Members:
    """An aggregate over the entities of another kind whose references lead to this one:
    `count(enterprise where class = A)` (the operand names the kind), `sum(amount over
    tax_payment)`, with `via zone.city` naming the chain of references when several lead here."""

    function: str  # count, sum, mean, min, max, any, all
    operand: Expr
    kind: str | None = None  # `over KIND`; None: the operand names the kind (count)
    via: tuple[str, ...] = ()
    where: Expr | None = None
    span: Span = _span()


@node
class Binary:
    op: str  # + - * /
    left: Expr
    right: Expr
    span: Span = _span()


@node
class Negate:
    operand: Expr
    span: Span = _span()


@node
class Compare:
    op: str  # = != < <= > >=
    left: Expr
    right: Expr
    span: Span = _span()


@node
class And:
    operands: tuple[Expr, ...]
    span: Span = _span()


@node
class Or:
    operands: tuple[Expr, ...]
    span: Span = _span()


@node
class Not:
    operand: Expr
    span: Span = _span()


@node
class ListLit:
    """A list literal, `[land, energy, water]`: values of one type (a payload field `list of T`)."""

    items: tuple[Expr, ...]
    span: Span = _span()


@node
class Member:
    operand: Expr
    options: tuple[Expr, ...]
    negated: bool = False
    span: Span = _span()


@node
class If:
    condition: Expr
    then: Expr
    otherwise: Expr
    span: Span = _span()


@node
class Attribute:
    """`zone.city_rank`: a fact or value of the entity that a reference attribute names."""

    target: Expr
    name: str
    span: Span = _span()


@node
class Index:
    target: Expr
    key: Expr
    span: Span = _span()


Expr = (NumberLit | StringLit | DateLit | BoolLit | DurationLit | Name | Call | Binary | Negate
        | Compare | And | Or | Not | Member | If | Index | Attribute | Members)


# ---- declarations -----------------------------------------------------------------------

@node
class Ref:
    """A name written in a declaration that refers to another declaration."""

    name: str
    span: Span = _span()


@node
class MetaItem:
    key: str
    value: str | dt.date | int  # int: a year alone (a referenced document)
    span: Span = _span()


@node
class PolicyDecl:
    name: str
    meta: tuple[MetaItem, ...]
    span: Span = _span()


@node
class ReferenceDecl:
    """`reference "汴发〔2011〕23号"`: a document known only by reference, with the dates the corpus gives."""

    document: str
    meta: tuple[MetaItem, ...]
    span: Span = _span()


@node
class ImportDecl:
    path: str
    span: Span = _span()


@node
class TypeExpr:
    names: tuple[str, ...]  # one name: a named type; several: an enumeration
    reference: bool = False  # `ref KIND`: the id of an entity of another kind
    element: TypeExpr | None = None  # `list of T`: a list of values of type T (then `names` is empty)
    span: Span = _span()


@node
class TypeDecl:
    name: str
    label: str | None
    members: tuple[str, ...]
    span: Span = _span()


@node
class FactDecl:
    name: str
    label: str | None
    periodicity: str  # static, yearly, quarterly
    type: TypeExpr
    span: Span = _span()


@node
class EntityDecl:
    name: str
    label: str | None
    group: Ref | None
    facts: tuple[FactDecl, ...]
    span: Span = _span()


@node
class ParameterDecl:
    name: str
    label: str | None
    type: TypeExpr | None
    value: Expr
    span: Span = _span()


@node
class TableRow:
    key: Expr
    value: Expr
    span: Span = _span()


@node
class TableDecl:
    name: str
    label: str | None
    key_type: TypeExpr
    value_type: TypeExpr
    rows: tuple[TableRow, ...]
    span: Span = _span()


@node
class ValueDecl:
    name: str
    label: str | None
    entity: Ref
    type: TypeExpr | None
    expr: Expr
    when: Expr | None = None  # `= E when C`: E where C holds, unknown elsewhere (G8)
    span: Span = _span()


@node
class FieldDecl:
    """A named payload field of an outcome: `amount_min "资金支持下限": money` (`optional` may be left unset)."""

    name: str
    label: str | None
    type: TypeExpr
    optional: bool = False
    span: Span = _span()


@node
class OutcomeDecl:
    name: str
    label: str | None
    kind: Ref
    payload: str | None  # "amount", "value" or None
    value_type: TypeExpr | None
    fields: tuple[FieldDecl, ...] = ()  # `with fields (…)`, or `with amount and fields (…)`
    span: Span = _span()


@node
class LadderDecl:
    name: str
    label: str | None
    levels: tuple[tuple[Ref, ...], ...]  # weakest first
    span: Span = _span()


@node
class HighestDecl:
    name: str
    label: str | None
    members: tuple[Ref, ...]
    span: Span = _span()


@node
class FieldValue:
    """A payload field set by a rule: `amount_min = 500万元` in `then talent_funding_support with (…)`."""

    name: str
    value: Expr
    span: Span = _span()


@node
class Consequence:
    outcome: Ref
    amount: Expr | None = None
    value: Expr | None = None
    fields: tuple[FieldValue, ...] = ()
    span: Span = _span()


@node
class RuleDecl:
    name: str
    label: str | None
    implements: str | None
    clause: str | None
    quote: str | None
    entity: Ref | None
    condition: Expr | None
    consequences: tuple[Consequence, ...]
    span: Span = _span()


@node
class TargetDecl:
    """A goal: `require` gives a verdict; `approximately … near …` reports the figure, with a
    verdict only when a tolerance (`within`) is declared."""

    name: str
    label: str | None
    implements: str | None
    clause: str | None
    quote: str | None
    entity: Ref | None
    part: str | None
    applies: Expr | None  # `when`: the entities the target is set for (default: all in scope)
    require: Expr | None
    measure: Expr | None
    near: Expr | None
    tolerance: Expr | None
    span: Span = _span()


@node
class DeadlineDecl:
    name: str
    label: str | None
    implements: str | None
    clause: str | None
    quote: str | None
    entity: Ref | None
    part: str | None
    applies: Expr | None  # `when`: the entities and periods the deadline is checked for
    due: dt.date | None
    done: Expr | None
    unfinished: Expr | None = None  # the data state it is still not done (else a missing date is unknown)
    span: Span = _span()


@node
class ScopeDecl:
    """`scope industrial_zone: city = "开封市"`: the entities of a kind the policy governs."""

    entity: Ref
    label: str | None
    condition: Expr
    span: Span = _span()


Declaration = (ScopeDecl | PolicyDecl | ReferenceDecl | ImportDecl | TypeDecl | EntityDecl | ParameterDecl | TableDecl
               | ValueDecl | OutcomeDecl | LadderDecl | HighestDecl | RuleDecl | TargetDecl | DeadlineDecl)


@node
class Module:
    """One `.pol` file."""

    path: str
    declarations: tuple[Declaration, ...]
    span: Span = _span()


def children(expr: Expr) -> tuple[Expr, ...]:
    """The direct sub-expressions of an expression, in source order."""
    match expr:
        case Call(args=args, keywords=keywords):
            return tuple(args) + tuple(k.value for k in keywords)
        case Binary(left=left, right=right) | Compare(left=left, right=right):
            return (left, right)
        case Negate(operand=operand) | Not(operand=operand):
            return (operand,)
        case And(operands=operands) | Or(operands=operands):
            return operands
        case Member(operand=operand, options=options):
            return (operand, *options)
        case If(condition=c, then=t, otherwise=o):
            return (c, t, o)
        case Index(target=target, key=key):
            return (target, key)
        case Attribute(target=target):
            return (target,)
        case Members(operand=operand, where=where):
            return (operand,) if where is None else (operand, where)
    return ()


def walk(expr: Expr):
    """Every node of an expression tree, parents before children, left to right (iteratively:
    a recursive generator would cost the depth of the tree for every node it yields)."""
    pending = [expr]
    while pending:
        node = pending.pop()
        yield node
        pending.extend(reversed(children(node)))
