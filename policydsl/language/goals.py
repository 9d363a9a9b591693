"""Stage 3a, lower: `target`, `deadline` and `scope` declarations in, ordinary rules out (AST to AST).

A `scope KIND: C` of a policy is added (`C and …`) to the condition of each of that policy's
rules for KIND, so a city's policy governs only that city's entities.

A target with `require C` becomes two rules, `C → target_met` and `not C → target_not_met`
(an unknown C fires neither). `approximately M near V` reports M as `target_reported` without a
verdict (catalogue G1: 「左右」「接近」), or, with `within T`, checks |M − V| ≤ T. A deadline
`due D` with completion date `done X` becomes `X ≤ D → deadline_met` and `X > D →
deadline_missed`; a missing X is not evaluable (G8: neither fires) unless the deadline declares
`unfinished C` and C holds — the data state it is still not done — on an evaluation date on or
after D, which is missed. A due date before the policy's issue date also yields
`deadline_precedes_issue_date`. The outcomes these produce are declared here, once.
"""

from __future__ import annotations

import datetime as dt

import attrs

from policydsl.language import ast
from policydsl.diagnostics import Diagnostic, error

GOAL_OUTCOMES = {
    # name: (label, kind, payload)
    "target_met": ("目标完成", "target", None),
    "target_not_met": ("目标未完成", "target", None),
    "target_reported": ("目标数值（约数，不作判定）", "target", "value"),
    "deadline_met": ("按期完成", "deadline", None),
    "deadline_missed": ("逾期未完成", "deadline", None),
    "deadline_precedes_issue_date": ("规定期限早于文件印发日期", "deadline", None),
}
STATUS_OUTCOMES = {
    "document_in_force": "文件有效",
    "document_not_yet_in_force": "文件尚未生效",
    "document_lapsed": "文件已失效",
    "document_repealed": "文件已废止",
    # a document the corpus does not date precisely enough for the day asked (G8: never guessed)
    "document_status_unknown": "文件效力不明（语料未给出足以判断的日期）",
}


@attrs.frozen(kw_only=True)
class Lowered:
    modules: tuple[ast.Module, ...]
    targets: dict[tuple[str | None, str], str]  # (policy, rule name) -> target id (`id` or `id#part`)
    diagnostics: tuple[Diagnostic, ...]


def _generated(span):
    return attrs.evolve(span, generated=True)


def _rule(decl, suffix: str, condition: ast.Expr | None, outcome: str, value: ast.Expr | None = None) -> ast.RuleDecl:
    return ast.RuleDecl(
        name=f"{decl.name}{suffix}", label=decl.label, implements=decl.implements, clause=decl.clause,
        quote=decl.quote, entity=decl.entity, condition=condition,
        consequences=(ast.Consequence(outcome=ast.Ref(name=outcome, span=decl.span), value=value, span=decl.span),),
        span=decl.span)


def _only_where(applies: ast.Expr | None, condition: ast.Expr | None) -> ast.Expr | None:
    """A target's `when` restricts both of its checks to the entities it is set for."""
    if applies is None:
        return condition
    if condition is None:
        return applies
    return ast.And(operands=(applies, condition), span=_generated(condition.span))


def _target_rules(decl: ast.TargetDecl, diagnostics: list[Diagnostic]) -> list[ast.RuleDecl]:
    rules = _target_checks(decl, diagnostics)
    return [attrs.evolve(r, condition=_only_where(decl.applies, r.condition)) for r in rules]


def _target_checks(decl: ast.TargetDecl, diagnostics: list[Diagnostic]) -> list[ast.RuleDecl]:
    span = _generated(decl.span)
    if decl.require is not None:
        return [_rule(decl, "", decl.require, "target_met"),
                _rule(decl, "~not_met", ast.Not(operand=decl.require, span=_generated(decl.require.span)),
                      "target_not_met")]
    if decl.measure is None:
        diagnostics.append(error("E306", f"target `{decl.name}` states nothing to check", span,
                                 hint="add `require CONDITION` or `approximately MEASURE near VALUE`"))
        return []
    if decl.tolerance is None:
        return [_rule(decl, "", None, "target_reported", value=decl.measure)]
    within = _within(decl)
    return [_rule(decl, "", within, "target_met"),
            _rule(decl, "~not_met", ast.Not(operand=within, span=span), "target_not_met")]


def _verdict_check(decl: ast.TargetDecl) -> ast.Expr | None:
    """What a target part requires for `target_met` (None: a figure reported without a verdict)."""
    if decl.require is not None:
        return decl.require
    if decl.measure is None or decl.tolerance is None:
        return None
    return _within(decl)


def _within(decl: ast.TargetDecl) -> ast.Expr:
    """|M − V| ≤ T, its generated nodes placed at what they check, so that a problem is reported
    there: the difference at `near V`, the comparison at `within T`."""
    distance = ast.Call(function="abs", args=(ast.Binary(op="-", left=decl.measure, right=decl.near,
                                                         span=_generated(decl.near.span)),),
                        span=_generated(decl.near.span))
    return ast.Compare(op="<=", left=distance, right=decl.tolerance, span=_generated(decl.tolerance.span))


def _compound_rules(parts: list[ast.TargetDecl]) -> list[ast.RuleDecl]:
    """The verdict on a target stated in parts (「分别达到」), beside the parts' own: met when every
    part with a verdict is met; not met when every such part is known and one is not met; not
    evaluable (neither fires) while a part is. Only for targets with at least two parts that give
    a verdict, all set for one entity kind under one `when` (parts set for other periods or
    entities are separate checks, with no verdict on the whole)."""
    checked = [(part, check) for part in parts if (check := _verdict_check(part)) is not None]
    if (len(checked) < 2 or len({p.entity.name if p.entity else None for p in parts}) != 1
            or len({p.applies for p, _ in checked}) != 1):
        return []
    first = parts[0]
    span = _generated(first.span)
    applies = [checked[0][0].applies] if checked[0][0].applies is not None else []
    checks = [c for _, c in checked]
    met = ast.And(operands=(*applies, *checks), span=span)
    known = [ast.Or(operands=(c, ast.Not(operand=c, span=span)), span=span) for c in checks]
    some_missed = ast.Or(operands=tuple(ast.Not(operand=c, span=span) for c in checks), span=span)
    not_met = ast.And(operands=(*applies, *known, some_missed), span=span)
    whole = attrs.evolve(first, name=f"{first.implements}~all", label=None, part=None)
    return [_rule(whole, "", met, "target_met"), _rule(whole, "~not_met", not_met, "target_not_met")]


def _deadline_rules(decl: ast.DeadlineDecl, issued: dt.date | None, diagnostics: list[Diagnostic]) -> list:
    span = _generated(decl.span)
    if decl.due is None or decl.done is None:
        diagnostics.append(error("E306", f"deadline `{decl.name}` needs `due DATE` and `done COMPLETION_DATE`",
                                 span))
        return []
    due = ast.DateLit(value=decl.due, span=span)
    met = ast.Compare(op="<=", left=decl.done, right=due, span=span)
    missed: ast.Expr = ast.Compare(op=">", left=decl.done, right=due, span=span)
    if decl.unfinished is not None:
        # the data state it is still not done, and its due date has passed when evaluated
        overdue = ast.And(operands=(ast.Call(function="is_missing", args=(decl.done,), span=span), decl.unfinished,
                                    ast.Compare(op=">=", left=ast.Name(name="evaluation_date", span=span),
                                                right=due, span=span)), span=span)
        missed = ast.Or(operands=(missed, overdue), span=span)
    # G8: with no completion date (and no statement that it is unfinished) both checks are unknown
    rules = [_rule(decl, "", met, "deadline_met"), _rule(decl, "~missed", missed, "deadline_missed")]
    if issued is not None and decl.due < issued:
        rules.append(_rule(decl, "~precedes_issue", None, "deadline_precedes_issue_date"))
    return [attrs.evolve(r, condition=_only_where(decl.applies, r.condition)) for r in rules]


def _issued(module: ast.Module) -> dt.date | None:
    for decl in module.declarations:
        if isinstance(decl, ast.PolicyDecl):
            for item in decl.meta:
                if item.key == "issued" and isinstance(item.value, dt.date):
                    return item.value
    return None


def _builtin_outcomes(names: set[str], declared: set[str], span) -> list[ast.OutcomeDecl]:
    outcomes = []
    for name in sorted(names - declared):
        if name in GOAL_OUTCOMES:
            label, kind, payload = GOAL_OUTCOMES[name]
        else:
            label, kind, payload = STATUS_OUTCOMES[name], "status", None
        value_type = None
        if name == "document_repealed":  # its value: the repealing document
            payload, value_type = "value", ast.TypeExpr(names=("text",), span=span)
        outcomes.append(ast.OutcomeDecl(name=name, label=label, kind=ast.Ref(name=kind, span=span),
                                        payload=payload, value_type=value_type, span=span))
    return outcomes


def lower_goals(modules: tuple[ast.Module, ...]) -> Lowered:
    diagnostics: list[Diagnostic] = []
    targets: dict[tuple[str | None, str], str] = {}
    lowered: list[ast.Module] = []
    needed: set[str] = set()
    parts: dict[tuple[str | None, str], list[tuple[int, ast.TargetDecl]]] = {}
    declared = {d.name for m in modules for d in m.declarations if isinstance(d, ast.OutcomeDecl)}
    # a policy's issue date may be in another of its files
    issued_by_policy = {_policy_name(m): _issued(m) for m in modules if _issued(m) is not None}
    for module in modules:
        issued = issued_by_policy.get(_policy_name(module))
        declarations: list = []
        for decl in module.declarations:
            if isinstance(decl, ast.TargetDecl) and decl.part and decl.implements:
                parts.setdefault((_policy_name(module), decl.implements), []).append((len(lowered), decl))
            if isinstance(decl, (ast.TargetDecl, ast.DeadlineDecl)):
                rules = (_target_rules(decl, diagnostics) if isinstance(decl, ast.TargetDecl)
                         else _deadline_rules(decl, issued, diagnostics))
                target = (decl.implements or decl.name) + (f"#{decl.part}" if decl.part else "")
                for rule in rules:
                    targets[(_policy_name(module), rule.name)] = target
                    needed.update(c.outcome.name for c in rule.consequences)
                declarations.extend(rules)
            else:
                declarations.append(decl)
        lowered.append(attrs.evolve(module, declarations=tuple(declarations)))
    if needed & set(GOAL_OUTCOMES):
        needed |= set(GOAL_OUTCOMES)  # the whole vocabulary of goal checks, so tests may name any of it
    for (policy, target), found in parts.items():
        rules = _compound_rules([decl for _, decl in found])
        if rules:
            index = found[0][0]  # with the first part's file
            lowered[index] = attrs.evolve(lowered[index], declarations=lowered[index].declarations + tuple(rules))
            targets.update({(policy, rule.name): target for rule in rules})
    needed |= set(STATUS_OUTCOMES)  # every document has a status on any date (`--as-of`)
    if needed and lowered:
        first = lowered[0]
        extra = _builtin_outcomes(needed, declared, first.span)
        lowered[0] = attrs.evolve(first, declarations=first.declarations + tuple(extra))
    return Lowered(modules=_apply_scopes(tuple(lowered)), targets=targets, diagnostics=tuple(diagnostics))


def _policy_name(module: ast.Module) -> str | None:
    return next((d.name for d in module.declarations if isinstance(d, ast.PolicyDecl)), None)


def _apply_scopes(modules: tuple[ast.Module, ...]) -> tuple[ast.Module, ...]:
    scopes: dict[tuple[str | None, str], list[ast.Expr]] = {}
    for module in modules:
        for decl in module.declarations:
            if isinstance(decl, ast.ScopeDecl):
                scopes.setdefault((_policy_name(module), decl.entity.name), []).append(decl.condition)
    if not scopes:
        return modules
    result = []
    for module in modules:
        policy = _policy_name(module)
        declarations = []
        for decl in module.declarations:
            if isinstance(decl, ast.RuleDecl) and decl.entity is not None:
                conditions = scopes.get((policy, decl.entity.name), [])
                if conditions:
                    parts = (*conditions, decl.condition) if decl.condition is not None else tuple(conditions)
                    condition = parts[0] if len(parts) == 1 else ast.And(operands=parts, span=_generated(decl.span))
                    decl = attrs.evolve(decl, condition=condition)
            declarations.append(decl)
        result.append(attrs.evolve(module, declarations=tuple(declarations)))
    return tuple(result)
