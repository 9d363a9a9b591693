"""Stage 3c, documents: the loaded policies and the `reference` declarations in, every document's
dates out (part of resolve).

A document known only by reference (`reference "汴发〔2011〕23号"`, declared in a policy's files
with the dates the corpus gives) becomes an `ir.Policy` without rules, keyed by its number (or its
title when the corpus gives no number). Each policy citing it may declare it; the declarations
must agree, and the first (in file order) reports its status. A
repeal (`supersedes "…"` of a loaded policy) dates the repealed document's end: it is repealed on
the day the repealing document takes effect. A document superseded but never declared is still
reported as repealed from that day (nothing is known of it before).
"""

from __future__ import annotations

import datetime as dt

import attrs

from policydsl.diagnostics import Diagnostic, Note, error
from policydsl.language import ast, ir


@attrs.frozen(kw_only=True)
class Documents:
    policies: dict[str, ir.Policy]  # by policy name, with repeal dates filled in
    references: dict[str, ir.Policy]  # documents known only by reference, by number
    diagnostics: tuple[Diagnostic, ...]


def _policy_of(module: ast.Module) -> str | None:
    return next((d.name for d in module.declarations if isinstance(d, ast.PolicyDecl)), None)


def _declared_references(modules, policies, diagnostics: list[Diagnostic]) -> dict[str, ir.Policy]:
    found: dict[str, ir.Policy] = {}
    spans = {}
    numbers = {p.label: p for p in policies.values()}
    for module in modules:
        for decl in module.declarations:
            if not isinstance(decl, ast.ReferenceDecl):
                continue
            owner = _policy_of(module)
            if owner is None:
                diagnostics.append(error("E305", f"reference `{decl.document}` is not in a policy file", decl.span,
                                         hint="add a `policy NAME` declaration to the file"))
                continue
            if decl.document in numbers:
                diagnostics.append(error(
                    "E204", f"`{decl.document}` is a loaded policy; its dates are declared in its `policy` header",
                    decl.span, notes=(Note(message="the policy", span=numbers[decl.document].span),)))
                continue
            meta = {item.key: item.value for item in decl.meta}
            until = meta.get("in_force_until")
            if isinstance(until, int):
                until = dt.date(until, 12, 31)
            declared = ir.Policy(
                name=decl.document, path=module.path, document=decl.document, title=meta.get("title"),
                issuer=meta.get("issuer"), issued=meta.get("issued"), in_force_from=meta.get("in_force_from"),
                in_force_until=until, reference_in=owner, span=decl.span)
            if decl.document in found:
                first = found[decl.document]
                # each policy citing a document may declare it; the declarations must agree (the first reports it)
                if attrs.evolve(declared, path=first.path, reference_in=first.reference_in) != first:
                    diagnostics.append(error(
                        "E204", f"reference `{decl.document}` is declared twice, differently", decl.span,
                        notes=(Note(message="first declared here", span=spans[decl.document]),),
                        hint="give the same title, issuer and dates wherever it is declared"))
                continue
            found[decl.document] = declared
            spans[decl.document] = decl.span
    return found


def _effect_day(policy: ir.Policy) -> dt.date:
    window = policy.effect_window()
    return window[1] if window is not None else dt.date.min


def resolve_documents(modules: tuple[ast.Module, ...], policies: dict[str, ir.Policy]) -> Documents:
    diagnostics: list[Diagnostic] = []
    references = _declared_references(modules, policies, diagnostics)
    by_label = {p.label: name for name, p in policies.items()} | {name: name for name in policies}
    policies = dict(policies)
    for repealer in sorted(policies.values(), key=_effect_day):
        for repealed in repealer.supersedes:
            repeal = {"repealed_on": _effect_day(repealer), "repealed_by": repealer.label,
                      "repealing_policy": repealer.name}
            if repealed in by_label:
                target = policies[by_label[repealed]]
                if target.repealed_on is None:
                    policies[target.name] = attrs.evolve(target, **repeal)
            elif repealed in references:
                if references[repealed].repealed_on is None:
                    references[repealed] = attrs.evolve(references[repealed], **repeal)
            else:
                references[repealed] = ir.Policy(name=repealed, path=repealer.path, document=repealed,
                                                 reference_in=repealer.name, span=repealer.span, **repeal)
    return Documents(policies=policies, references=references, diagnostics=tuple(diagnostics))
