"""Stage 3b, check expressions: reading other entities and documents.

Mixed into `typecheck.ExprChecker`: a reference up (`zone.city_rank`, `ir.Via`), the dates of the
expression's own policy (`document.in_force_from`, a constant), and aggregates over the entities
of another kind whose references lead here (`count(enterprise via zone where …)`, `ir.Members`;
E220 when no chain of references leads here, E221 when several do).
"""

from __future__ import annotations

import datetime as dt

from policydsl import types as T
from policydsl.diagnostics import Note, Span, did_you_mean
from policydsl.language import ast, ir
from policydsl.language.printer import expr_text as ast_text
from policydsl.language.typecheck_units import describe
from policydsl.schema import EntitySchema

# `document.in_force_from`: a date of the policy the expression belongs to
DOCUMENT_DATES = ("issued", "in_force_from", "in_force_until", "governs_from", "governs_until")


class LinkChecks:
    """The cross-kind checks of the expression checker (needs `check`, `fail`, `symbols`, `policy`
    of `ExprChecker`)."""

    def _Attribute(self, e: ast.Attribute, entity, expected):
        if isinstance(e.target, ast.Name) and e.target.name == "document" and not self._names_something(
                "document", entity):
            return self._document_date(e)
        ref = self.check(e.target, entity)
        if T.is_error(ref.type):
            return ir.Const(value=None, type=T.ERROR, span=e.span)
        if not ref.type.is_reference:
            self.fail("E217", f"`.{e.name}` needs a reference to another entity, not {describe(ref.type)}", e.target.span,
                      hint="declare the attribute as `ref KIND`, e.g. `static zone: ref industrial_zone`")
            return ir.Const(value=None, type=T.ERROR, span=e.span)
        target = ref.type.target
        if target not in self.symbols.entities:
            return ir.Const(value=None, type=T.ERROR, span=e.span)
        if not self._names_something(e.name, target):  # not a parameter, built-in or member that the name also is
            known = [*self.symbols.entities[target].facts, *self.symbols.value_names(target)]
            self.fail("E201", f"`{target}` has no fact or value `{e.name}`", e.span, hint=did_you_mean(e.name, known))
            return ir.Const(value=None, type=T.ERROR, span=e.span)
        inner = self.check(ast.Name(name=e.name, span=e.span), target, expected)
        return ir.Via(ref=ref, kind=target, inner=inner, type=inner.type, span=e.span)

    def _names_something(self, name: str, entity: str | None) -> bool:
        schema = self.symbols.entities.get(entity) if entity is not None else None
        return (schema is not None and name in schema.facts) or (
            entity is not None and self.symbols.value_type(entity, name) is not None)

    def _document_date(self, e: ast.Attribute) -> ir.Expr:
        """`document.in_force_from`: a date of the policy the rule or value belongs to, a constant."""
        policy = self.symbols.policies.get(self.policy) if self.policy else None
        if e.name not in DOCUMENT_DATES:
            self.fail("E201", f"a document has no date `{e.name}`", e.span,
                      hint=did_you_mean(e.name, DOCUMENT_DATES) or "known: " + ", ".join(DOCUMENT_DATES))
            return ir.Const(value=None, type=T.ERROR, span=e.span)
        if policy is None:
            self.fail("E201", f"`document.{e.name}` reads the dates of its own policy, and this is in no policy",
                      e.span, hint="declare it in a file that starts with `policy NAME`")
            return ir.Const(value=None, type=T.ERROR, span=e.span)
        value = getattr(policy, e.name)
        if value is None and e.name == "governs_from":
            value = policy.in_force_from
        if value is None and e.name == "governs_until":
            value = policy.in_force_until
        if not isinstance(value, dt.date):
            self.fail("E201", f"policy `{policy.name}` declares no `{e.name}` date", e.span,
                      hint=f"add `{e.name} YYYY-MM-DD` to `policy {policy.name}`")
            return ir.Const(value=None, type=T.ERROR, span=e.span)
        return ir.Const(value=value, type=T.DATE, span=e.span)

    # ---- aggregates over the members of another kind ---------------------------------------
    def _Members(self, e: ast.Members, entity, expected):
        """`count(enterprise where …)`, `sum(amount over tax_payment)`: see ir.Members."""
        function = e.function
        failed = ir.Const(value=None, type=T.ERROR, span=e.span)
        if entity is None:
            self.fail("E209", f"`{function}` reads the members of an entity and cannot be used in a parameter "
                              "or table", e.span)
            return failed
        if e.kind is None:
            if function not in ("count", "reported"):
                self.fail("E210", f"`{function}` needs the kind it aggregates: `{function}(EXPR over KIND)`",
                          e.span, hint=f"e.g. `{function}(amount over tax_payment)`")
                return failed
            if not isinstance(e.operand, ast.Name):
                self.fail("E220", f"`{function}` names the entity kind it {'counts' if function == 'count' else 'looks for'}",
                          e.operand.span, hint=f"e.g. `{function}(enterprise where class = A)`")
                return failed
            member_kind, kind_span = e.operand.name, e.operand.span
        else:
            if function in ("count", "reported"):
                self.fail("E210", f"`{function}` names the kind it {'counts' if function == 'count' else 'looks for'}, "
                                  "with the condition after `where`", e.span,
                          hint=f"write `{function}({e.kind} where {ast_text(e.operand)})`")
                return failed
            member_kind, kind_span = e.kind, e.span
        if member_kind not in self.symbols.entities:
            self.fail("E201", f"unknown entity kind `{member_kind}`", kind_span,
                      hint=did_you_mean(member_kind, self.symbols.entities))
            return failed
        path = self._member_path(member_kind, e.via, entity, e.span)
        if path is None:
            return failed
        operand = None if e.kind is None else self.check(e.operand, member_kind)
        where = None
        if e.where is not None:
            where = self.check(e.where, member_kind)
            if where.type not in (T.BOOLEAN, T.ERROR):
                self.fail("E202", f"`where` takes a condition, not {describe(where.type)}", e.where.span)
        result = self._members_type(function, operand, e)
        return ir.Members(function=function, kind=member_kind, path=path, operand=operand, where=where,
                          type=result, span=e.span)

    def _members_type(self, function: str, operand: ir.Expr | None, e: ast.Members) -> T.Type:
        if operand is None:
            return T.BOOLEAN if function == "reported" else T.INTEGER
        t = operand.type
        if T.is_error(t):
            return T.ERROR
        if function in ("any", "all"):
            if t != T.BOOLEAN:
                self.fail("E202", f"`{function}` needs a condition, not {describe(t)}", e.operand.span,
                          hint=f"e.g. `{function}(class = A over enterprise)`")
                return T.ERROR
            return T.BOOLEAN
        if function in ("min", "max") and t == T.DATE:
            return t
        if not t.is_numeric:
            self.fail("E202", f"`{function}` needs a number, not {describe(t)}", e.operand.span)
            return T.ERROR
        return T.DECIMAL if function == "mean" and t == T.INTEGER else t

    def _member_path(self, member_kind: str, via: tuple[str, ...], entity: str, span: Span
                     ) -> tuple[tuple[str, str], ...] | None:
        """The chain of static references from the member kind to `entity`: the one `via` names,
        else the only one there is (E220 when there is none, E221 when there are several)."""
        entities = self.symbols.entities
        if via:
            path, at = [], member_kind
            for attribute in via:
                refs = _references_of(entities[at])
                if attribute not in refs:
                    self.fail("E220", f"`{attribute}` is not a reference attribute of `{at}`", span,
                              hint=did_you_mean(attribute, refs) or (
                                  f"`{at}` refers to other kinds through " + ", ".join(
                                      f"`{a}` ({k})" for a, k in sorted(refs.items())) if refs
                                  else f"`{at}` has no `ref` attribute"))
                    return None
                path.append((at, attribute))
                at = refs[attribute]
            if at != entity:
                self.fail("E220", f"`via {'.'.join(via)}` leads from `{member_kind}` to `{at}`, not to `{entity}`",
                          span)
                return None
            return tuple(path)
        paths = reference_paths(entities, member_kind, entity)
        if not paths:
            refs = _references_of(entities[member_kind])
            upward = reference_paths(entities, entity, member_kind)
            if upward:
                hint = (f"`{entity}` refers to `{member_kind}` itself: read its facts with "
                        f"`{'.'.join(a for _, a in upward[0])}.NAME`")
            elif refs:
                hint = f"`{member_kind}` refers to " + ", ".join(f"`{k}` through `{a}`" for a, k in sorted(refs.items()))
            else:
                hint = f"give `{member_kind}` a `static ATTRIBUTE: ref {entity}`"
            self.fail("E220", f"no chain of references leads from `{member_kind}` to `{entity}`", span,
                      hint=hint + "; an aggregate takes the entities whose references lead to this one")
            return None
        if len(paths) > 1:
            written = ["via " + ".".join(attribute for _, attribute in p) for p in paths]
            self.fail("E221", f"several chains of references lead from `{member_kind}` to `{entity}`", span,
                      notes=tuple(Note(message=f"`{w}`") for w in written),
                      hint=f"name one, e.g. `{written[0]}`")
            return None
        return paths[0]


MAX_REFERENCE_HOPS = 4


def _references_of(schema: EntitySchema) -> dict[str, str]:
    """A kind's static reference attributes and the kinds they name."""
    return {name: fact.type.target for name, fact in schema.facts.items()
            if fact.period_kind is None and fact.type.is_reference}


def reference_paths(entities: dict[str, EntitySchema], member_kind: str, target: str
                    ) -> list[tuple[tuple[str, str], ...]]:
    """Every chain of static references (at most MAX_REFERENCE_HOPS, no kind twice) from the
    member kind to the target kind."""
    found: list[tuple[tuple[str, str], ...]] = []

    def follow(kind: str, path: tuple[tuple[str, str], ...], seen: frozenset[str]) -> None:
        if len(path) >= MAX_REFERENCE_HOPS or kind not in entities:
            return
        for attribute, next_kind in sorted(_references_of(entities[kind]).items()):
            hop = path + ((kind, attribute),)
            if next_kind == target:
                found.append(hop)
            elif next_kind not in seen:
                follow(next_kind, hop, seen | {next_kind})
    follow(member_kind, (), frozenset({member_kind}))
    return found
