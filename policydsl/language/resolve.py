"""Stage 3, resolve and check: AST modules in, a checked `ir.Program` out (or diagnostics).

Gathers the declarations of every module into symbol tables (entity kinds may be declared in
several files if the declarations agree, as policies that share a schema do), checks names,
types, units and period kinds, and reports every problem of the stage before stopping.
Expressions are checked by `typecheck`; cycles among derived values are found by `graph`.
"""

from __future__ import annotations

import attrs

from policydsl.language import ast
from policydsl.language.documents import resolve_documents

from policydsl.language import ir
from policydsl import types as T
from policydsl.diagnostics import Diagnostic, Note, SourceFile, Span, did_you_mean, error
from policydsl.language.goals import lower_goals
from policydsl.language.resolve_checks import check_period_kinds, check_reported_targets, readers_last
from policydsl.schema import EntitySchema, FactSchema
from policydsl.language.typecheck import BUILTIN_NAMES, ExprChecker, Symbols
from policydsl.language.typecheck_units import describe
from policydsl.values import Unknown

QUALIFIER = "::"


def qualified(policy: str | None, name: str) -> str:
    """The program-wide name of a policy's own rule, parameter or table."""
    return f"{policy}{QUALIFIER}{name}" if policy else name


OUTCOME_KINDS = ("sanction", "reward", "measure", "eligibility", "classification", "computed", "target",
                 "deadline", "status")
_PERIODICITY = {"static": None, "yearly": "year", "quarterly": "quarter"}


class _Resolver:
    def __init__(self, modules: tuple[ast.Module, ...]):
        self.modules = modules
        self.diagnostics: list[Diagnostic] = []
        self.first_seen: dict[tuple[str, str], Span] = {}
        self.enum_types: dict[str, T.Type] = {}
        self.entities: dict[str, EntitySchema] = {}
        self.entity_spans: dict[str, dict[str, Span]] = {}
        self.value_decls: dict[tuple[str, str], ast.ValueDecl] = {}
        self.value_types: dict[tuple[str, str], T.Type] = {}
        self.values: dict[tuple[str, str], ir.Value] = {}
        self.in_progress: set[tuple[str, str]] = set()
        self.parameter_types: dict[str, T.Type] = {}
        self.tables: dict[str, tuple[T.Type, T.Type]] = {}
        self.value_policy: dict[tuple[str, str], str | None] = {}  # whose parameters a value reads
        self.references: list[ast.TypeExpr] = []  # `ref KIND` types, checked once all kinds are known
        self.policy_table: dict[str, ir.Policy] = {}  # filled once the policies are read
        symbols = Symbols(entities=self.entities, parameter_types=self.parameter_types, tables=self.tables,
                          policies=self.policy_table,
                          enum_types=self.enum_types, value_type=self._value_type,
                          value_names=lambda kind: [n for (k, n) in self.value_decls if k == kind])
        self.checker = ExprChecker(symbols, self.diagnostics)

    def fail(self, code: str, message: str, span: Span, hint: str | None = None,
             notes: tuple[Note, ...] = ()) -> None:
        self.diagnostics.append(error(code, message, span, hint=hint, notes=notes))

    def declare(self, namespace: str, name: str, span: Span, what: str) -> bool:
        """Record a definition; report a duplicate (with the first one) and return False."""
        key = (namespace, name)
        if key in self.first_seen:
            self.fail("E204", f"{what} `{name}` is defined twice", span,
                      notes=(Note(message="first defined here", span=self.first_seen[key]),))
            return False
        self.first_seen[key] = span
        return True

    def of(self, kind: type) -> list[tuple[ast.Module, object]]:
        return [(m, d) for m in self.modules for d in m.declarations if isinstance(d, kind)]

    def policy_of(self, module: ast.Module) -> str | None:
        return next((d.name for d in module.declarations if isinstance(d, ast.PolicyDecl)), None)

    # ---- the program ---------------------------------------------------------------------
    def run(self, sources: dict[str, SourceFile]) -> ir.Program:
        documents = resolve_documents(self.modules, self.policies())
        self.diagnostics.extend(documents.diagnostics)
        policies = documents.policies
        self.policy_table.update(policies)
        for _, decl in self.of(ast.TypeDecl):
            if self.declare("type", decl.name, decl.span, "type"):
                if decl.name in T.BUILTIN_TYPES:
                    self.fail("E204", f"`{decl.name}` is a built-in type", decl.span)
                self.enum_types[decl.name] = T.enumeration(decl.name, decl.members)
        self.entity_declarations()
        for expr in self.references:
            if expr.names[0] not in self.entities:
                self.fail("E213", f"unknown entity kind `{expr.names[0]}` in `ref`", expr.span,
                          hint=did_you_mean(expr.names[0], self.entities))
        parameters = self.parameters()
        tables = self.table_declarations()
        for module, decl in self.of(ast.ValueDecl):
            self.value_declaration(decl)
            self.value_policy[(decl.entity.name, decl.name)] = self.policy_of(module)
        for key in list(self.value_decls):
            self._value_type(*key)
        outcomes = self.outcomes()
        combinations = self.combinations(outcomes)
        policy_of = {m.path: d.name for m in self.modules for d in m.declarations if isinstance(d, ast.PolicyDecl)}
        for module, scope in self.of(ast.ScopeDecl):
            # checked here too, so that a scope is checked even before any rule uses it
            self.checker.policy = self.policy_of(module)
            if self.entity_exists(scope.entity):
                checked = self.checker.check(scope.condition, scope.entity.name)
                if checked.type not in (T.BOOLEAN, T.ERROR):
                    self.fail("E202", f"a scope is a condition, not `{checked.type}`", scope.condition.span)
        rules = tuple(r for m, d in self.of(ast.RuleDecl)
                      if (r := self.rule(d, policy_of.get(m.path), outcomes)) is not None)
        return ir.Program(policies=policies, entities=dict(self.entities), parameters=parameters,
                          tables=tables, values=dict(self.values), outcomes=outcomes,
                          combinations=combinations, rules=rules, sources=sources,
                          documents=documents.references)

    def policies(self) -> dict[str, ir.Policy]:
        """One policy per name; a policy may span several files, each opening with `policy NAME`,
        as long as a metadata item is given in one place only (or everywhere the same)."""
        meta: dict[str, dict[str, tuple[object, Span]]] = {}
        supersedes: dict[str, list[str]] = {}
        first: dict[str, tuple[ast.Module, ast.PolicyDecl]] = {}
        for module in self.modules:
            decls = [d for d in module.declarations if isinstance(d, ast.PolicyDecl)]
            for extra in decls[1:]:
                self.fail("E204", "a file declares one policy", extra.span,
                          notes=(Note(message="the policy of this file", span=decls[0].span),))
            if not decls:
                continue
            decl = decls[0]
            first.setdefault(decl.name, (module, decl))
            known = meta.setdefault(decl.name, {})
            for item in decl.meta:
                if item.key == "supersedes":
                    if item.value not in supersedes.setdefault(decl.name, []):
                        supersedes[decl.name].append(item.value)
                elif item.key in known and known[item.key][0] != item.value:
                    self.fail("E204", f"policy metadata `{item.key}` of `{decl.name}` is given twice, differently",
                              item.span, notes=(Note(message="first given here", span=known[item.key][1]),))
                else:
                    known.setdefault(item.key, (item.value, item.span))
        found = {}
        for name, (module, decl) in first.items():
            start, until = meta[name].get("in_force_from"), meta[name].get("in_force_until")
            if start and until and start[0] is not None and until[0] is not None and start[0] > until[0]:
                self.fail("E308", f"policy `{name}` comes into force on {start[0]}, after it ends on {until[0]}",
                          start[1], notes=(Note(message="in force until", span=until[1]),),
                          hint="swap the dates, or correct the one mistyped")
            values = {key: value for key, (value, _) in meta[name].items() if key != "short_name"}
            found[name] = ir.Policy(name=name, path=module.path, supersedes=tuple(supersedes.get(name, ())),
                                    span=decl.span, **values)
        return found

    def type_of(self, expr: ast.TypeExpr) -> T.Type:
        if expr.element is not None:
            element = self.type_of(expr.element)
            return T.ERROR if T.is_error(element) else T.list_of(element)
        if expr.reference:
            self.references.append(expr)
            return T.reference(expr.names[0])
        if len(expr.names) > 1:
            if len(set(expr.names)) != len(expr.names):
                self.fail("E204", "an enumeration lists a value twice", expr.span)
            return T.enumeration("enum", expr.names)
        name = expr.names[0]
        if name in T.BUILTIN_TYPES:
            return T.BUILTIN_TYPES[name]
        if name in self.enum_types:
            return self.enum_types[name]
        self.fail("E213", f"unknown type `{name}`", expr.span,
                  hint=did_you_mean(name, list(T.BUILTIN_TYPES) + list(self.enum_types))
                  or "types: " + ", ".join(T.BUILTIN_TYPES) + ", or an enumeration `A | B | C`")
        return T.ERROR

    def entity_declarations(self) -> None:
        merged: dict[str, dict[str, FactSchema]] = {}
        groups: dict[str, str | None] = {}
        labels: dict[str, str | None] = {}
        for _, decl in self.of(ast.EntityDecl):
            facts = merged.setdefault(decl.name, {})
            spans = self.entity_spans.setdefault(decl.name, {})
            labels[decl.name] = labels.get(decl.name) or decl.label
            for fact in decl.facts:
                fact_type = self.type_of(fact.type)
                if fact_type.is_list:
                    self.fail("E213", f"fact `{fact.name}` cannot be a list: a data cell holds one value", fact.type.span,
                              hint="a `list of …` is for payload fields, parameters and derived values")
                    fact_type = T.ERROR
                schema = FactSchema(name=fact.name, type=fact_type,
                                    period_kind=_PERIODICITY[fact.periodicity], label=fact.label)
                if fact.name in facts:
                    previous = facts[fact.name]
                    if (previous.type, previous.period_kind) != (schema.type, schema.period_kind):
                        self.fail("E204", f"fact `{fact.name}` of `{decl.name}` is declared twice, differently",
                                  fact.span, notes=(Note(message="first declared here",
                                                         span=spans[fact.name]),))
                    elif previous.label is None and schema.label is not None:
                        facts[fact.name] = schema  # a policy may label a fact of the shared schema
                    continue
                facts[fact.name] = schema
                spans[fact.name] = fact.span
            if decl.group is not None:
                if groups.get(decl.name) not in (None, decl.group.name):
                    self.fail("E204", f"`{decl.name}` is grouped by `{groups[decl.name]}` elsewhere",
                              decl.group.span)
                groups[decl.name] = decl.group.name
        for name, facts in merged.items():
            group = groups.get(name)
            for _, decl in self.of(ast.EntityDecl):
                if decl.name == name and decl.group is not None and group is not None:
                    fact = facts.get(group)
                    if fact is None or fact.period_kind is not None:
                        statics = [f for f, s in facts.items() if s.period_kind is None]
                        self.fail("E212", f"`group by` names a static attribute of `{name}`", decl.group.span,
                                  hint=did_you_mean(group, statics))
                        group = None
                    break
            self.entities[name] = EntitySchema(name=name, facts=facts, group=group, label=labels.get(name))

    def entity_exists(self, ref: ast.Ref) -> bool:
        if ref.name in self.entities:
            return True
        self.fail("E201", f"unknown entity kind `{ref.name}`", ref.span,
                  hint=did_you_mean(ref.name, self.entities))
        return False

    def parameters(self) -> dict[str, ir.Parameter]:
        """Parameters belong to their policy: two policies may each have a `threshold`."""
        decls = []
        for module, d in self.of(ast.ParameterDecl):
            policy = self.policy_of(module)
            if self._shadows(d) or not self.declare(f"name:{policy}", d.name, d.span, "parameter"):
                continue
            decls.append((policy, d))
        for policy, decl in decls:  # types first, so that parameters may refer to each other in any order
            self.parameter_types[qualified(policy, decl.name)] = self.type_of(decl.type) if decl.type else T.ERROR
        found = {}
        for policy, decl in readers_last(decls):
            self.checker.policy = policy
            declared = self.type_of(decl.type) if decl.type else None
            expr = self.checker.check(decl.value, None, expected=declared)
            expr = self.checker.as_declared(expr, decl.value, declared)
            declared = declared or expr.type
            self._expect(expr.type, declared, decl.value.span, f"parameter `{decl.name}`")
            key = qualified(policy, decl.name)
            self.parameter_types[key] = declared
            found[key] = ir.Parameter(name=key, label=decl.label, type=declared, expr=expr, span=decl.span)
        return found

    def _shadows(self, decl: ast.ParameterDecl) -> bool:
        """A parameter named as a built-in or a fact would be read in place of one, or hidden by it,
        depending on where the name is written: refused (E204)."""
        if decl.name in BUILTIN_NAMES:
            self.fail("E204", f"parameter `{decl.name}` has the name of a built-in value", decl.span,
                      hint=f"rename the parameter: `{decl.name}` is the built-in {BUILTIN_NAMES[decl.name]}")
            return True
        owners = sorted(kind for kind, schema in self.entities.items() if decl.name in schema.facts)
        if owners:
            self.fail("E204", f"parameter `{decl.name}` has the name of a fact of `{owners[0]}`", decl.span,
                      notes=(Note(message="the fact", span=self.entity_spans[owners[0]][decl.name]),),
                      hint=f"rename the parameter: about `{owners[0]}`, `{decl.name}` reads the fact")
            return True
        return False

    def _expect(self, actual: T.Type, wanted: T.Type, span: Span, what: str) -> None:
        if T.declarable(actual, wanted):
            return
        hint = None
        if actual.is_numeric and wanted.is_numeric and not wanted.unit:  # the two `declarable` refusals
            hint = (f"declaring it `{wanted}` would drop its unit ({actual.unit}): declare `{actual}`" if actual.unit
                    else f"a `{actual}` is not a whole number: `round(…)` it, or declare `{actual}`")
        self.fail("E202", f"{what} is declared `{wanted}` but its value is `{actual}`", span, hint=hint)

    def table_declarations(self) -> dict[str, ir.Table]:
        found = {}
        for module, decl in self.of(ast.TableDecl):
            policy = self.policy_of(module)
            self.checker.policy = policy
            if not self.declare(f"name:{policy}", decl.name, decl.span, "table"):
                continue
            key_type, value_type = self.type_of(decl.key_type), self.type_of(decl.value_type)
            name = qualified(policy, decl.name)
            self.tables[name] = (key_type, value_type)
            rows, seen = [], {}
            for row in decl.rows:
                key = self.checker.as_declared(self.checker.check(row.key, None, expected=key_type), row.key, key_type)
                self._expect(key.type, key_type, row.key.span, f"a key of table `{decl.name}`")
                if isinstance(key, ir.Const) and key.value in seen:
                    self.fail("E204", f"table `{decl.name}` has the key `{key.value}` twice", row.key.span,
                              notes=(Note(message="first here", span=seen[key.value]),))
                seen.setdefault(getattr(key, "value", None), row.key.span)
                value = self.checker.as_declared(self.checker.check(row.value, None, expected=value_type),
                                                 row.value, value_type)
                self._expect(value.type, value_type, row.value.span, f"a value of table `{decl.name}`")
                rows.append((getattr(key, "value", None), value))
            found[name] = ir.Table(name=name, label=decl.label, key_type=key_type,
                                        value_type=value_type, rows=tuple(rows), span=decl.span)
        return found

    # ---- derived values ------------------------------------------------------------------
    def value_declaration(self, decl: ast.ValueDecl) -> None:
        kind = decl.entity.name
        if not self.entity_exists(decl.entity):
            return
        if decl.name in self.entities[kind].facts:
            self.fail("E204", f"`{decl.name}` is already a fact of `{kind}`", decl.span,
                      notes=(Note(message="the fact", span=self.entity_spans[kind][decl.name]),))
            return
        if self.declare(f"value:{kind}", decl.name, decl.span, f"value of `{kind}`"):
            self.value_decls[(kind, decl.name)] = decl

    def _value_type(self, kind: str, name: str) -> T.Type | None:
        key = (kind, name)
        decl = self.value_decls.get(key)
        if decl is None:
            return None
        if key in self.value_types:
            return self.value_types[key]
        declared = self.type_of(decl.type) if decl.type else None
        if key in self.in_progress:
            # Reading its own earlier periods (a running total) is allowed, given a declared type;
            # a same-period cycle is reported by `graph`, edge by edge.
            if declared is None and self.checker.earlier_depth:
                self.fail("E218", f"value `{name}` reads its own earlier periods, so it needs a declared type",
                          decl.span, hint=f"write `value {name} for {kind}: TYPE = …`")
            return declared or T.ERROR
        self.in_progress.add(key)
        outer = self.checker.policy
        self.checker.policy = self.value_policy.get(key)
        expr = self.checker.as_declared(self.checker.check(decl.expr, kind, expected=declared), decl.expr, declared)
        if decl.when is not None:
            expr = self._guarded(expr, self.checker.check(decl.when, kind), decl)
        self.checker.policy = outer
        self.in_progress.discard(key)
        if declared is not None:
            self._expect(expr.type, declared, decl.expr.span, f"value `{name}`")
        result = declared or expr.type
        self.value_types[key] = result
        self.values[key] = ir.Value(entity=kind, name=name, label=decl.label, type=result, expr=expr,
                                    period_kind=None, source=decl.expr, policy=self.value_policy.get(key),
                                    source_when=decl.when, span=decl.span)
        return result

    def _guarded(self, expr: ir.Expr, condition: ir.Expr, decl: ast.ValueDecl) -> ir.Expr:
        """`E when C`: `if C then E else unknown` — the value is E where C holds and unknown (G8)
        where C is false or unknown; written once here, so every executor and the explainer read
        an ordinary `Cond`."""
        if condition.type not in (T.BOOLEAN, T.ERROR):
            self.fail("E202", f"`when` takes a condition, not {describe(condition.type)}", decl.when.span)
        span = attrs.evolve(decl.expr.span, generated=True)
        return ir.Cond(condition=condition, then=expr, otherwise=ir.Const(value=Unknown(), type=expr.type, span=span),
                       type=expr.type, span=span)

    # ---- outcomes, combinations, rules ---------------------------------------------------
    def outcomes(self) -> dict[str, ir.Outcome]:
        found: dict[str, ir.Outcome] = {}
        for _, decl in self.of(ast.OutcomeDecl):
            if decl.kind.name not in OUTCOME_KINDS:
                self.fail("E206", f"unknown outcome kind `{decl.kind.name}`", decl.kind.span,
                          hint=did_you_mean(decl.kind.name, OUTCOME_KINDS) or "kinds: " + ", ".join(OUTCOME_KINDS))
                continue
            outcome = ir.Outcome(name=decl.name, label=decl.label, kind=decl.kind.name, payload=decl.payload,
                                 value_type=self.type_of(decl.value_type) if decl.value_type else None,
                                 fields=self.field_declarations(decl), span=decl.span)
            if decl.name in found:
                if found[decl.name] != outcome:  # equal declarations in two policies are one outcome
                    self.fail("E204", f"outcome `{decl.name}` is declared twice, differently", decl.span,
                              notes=(Note(message="first declared here", span=found[decl.name].span),))
                continue
            found[decl.name] = outcome
        return found

    def field_declarations(self, decl: ast.OutcomeDecl) -> tuple[ir.Field, ...]:
        fields: dict[str, ir.Field] = {}
        for field in decl.fields:
            if field.name in fields:
                self.fail("E243", f"outcome `{decl.name}` declares the field `{field.name}` twice", field.span,
                          notes=(Note(message="first declared here", span=fields[field.name].span),))
                continue
            fields[field.name] = ir.Field(name=field.name, label=field.label, type=self.type_of(field.type),
                                          optional=field.optional, span=field.span)
        return tuple(fields.values())

    def outcome_ref(self, ref: ast.Ref, outcomes: dict[str, ir.Outcome]) -> bool:
        if ref.name in outcomes:
            return True
        self.fail("E205", f"undeclared outcome `{ref.name}`", ref.span,
                  hint=did_you_mean(ref.name, outcomes) or f"declare it: `outcome {ref.name} \"…\" is sanction`")
        return False

    def combinations(self, outcomes: dict[str, ir.Outcome]) -> tuple[ir.Combination, ...]:
        found, member_of = [], {}
        pairs = [(d, "ladder", d.levels) for _, d in self.of(ast.LadderDecl)]
        pairs += [(d, "highest", tuple((m,) for m in d.members)) for _, d in self.of(ast.HighestDecl)]
        for decl, mode, levels in sorted(pairs, key=lambda p: (p[0].span.path, p[0].span.line)):
            if not self.declare("combination", decl.name, decl.span, "ladder or highest-only group"):
                continue
            ok = True
            for ref in (r for level in levels for r in level):
                if not self.outcome_ref(ref, outcomes):
                    ok = False
                    continue
                if ref.name in member_of:
                    self.fail("E215", f"outcome `{ref.name}` is already in `{member_of[ref.name]}`", ref.span,
                              hint="an outcome belongs to at most one ladder or highest-only group")
                    ok = False
                member_of[ref.name] = decl.name
                if mode == "highest" and outcomes[ref.name].payload != "amount":
                    self.fail("E215", f"`{ref.name}` has no amount, so it cannot be compared in a "
                                      "highest-only group", ref.span, hint="declare it `with amount`")
                    ok = False
            if ok:
                found.append(ir.Combination(name=decl.name, label=decl.label, mode=mode,
                                            levels=tuple(tuple(r.name for r in level) for level in levels),
                                            span=decl.span))
        return tuple(found)

    def rule(self, decl: ast.RuleDecl, policy: str | None, outcomes: dict[str, ir.Outcome]) -> ir.Rule | None:
        self.declare(f"rule:{policy}", decl.name, decl.span, "rule")
        self.checker.policy = policy
        ok = True
        for present, code, message, hint in (
            (decl.implements, "E301", "does not name the catalogue rule it implements",
             "add `implements zhoukou2017.2.5.3.d` (the catalogue id)"),
            (decl.clause, "E302", "does not cite its clause", 'add `cite "二(五)3" "the sentence"`'),
            (decl.entity, "E303", "does not say which entity kind it applies to", "add `for enterprise`"),
            (decl.consequences, "E304", "has no outcome", "add `then OUTCOME`"),
            (policy, "E305", "is not in a policy file", "add a `policy NAME` declaration to the file"),
        ):
            if not present:
                self.fail(code, f"rule `{decl.name}` {message}", decl.span, hint=hint)
                ok = False
        if decl.entity is None or not self.entity_exists(decl.entity):
            return None
        kind = decl.entity.name
        condition = None
        if decl.condition is not None:
            condition = self.checker.check(decl.condition, kind)
            if condition.type not in (T.BOOLEAN, T.ERROR):
                self.fail("E202", f"a rule's condition must be true or false, not `{condition.type}`",
                          decl.condition.span)
        consequences = []
        listed: dict[str, Span] = {}
        for item in decl.consequences:
            if item.outcome.name in listed:
                self.fail("E307", f"rule `{decl.name}` lists the outcome `{item.outcome.name}` twice", item.span,
                          notes=(Note(message="first listed here", span=listed[item.outcome.name]),),
                          hint="each outcome once per rule: listed twice, an amount would be paid twice")
                ok = False
                continue
            listed[item.outcome.name] = item.span
            if not self.outcome_ref(item.outcome, outcomes):
                ok = False
                continue
            consequences.append(self.consequence(item, outcomes[item.outcome.name], kind))
        if not ok:
            return None
        return ir.Rule(name=qualified(policy, decl.name), label=decl.label, implements=decl.implements,
                       clause=decl.clause,
                       quote=decl.quote, policy=policy, entity=kind, condition=condition,
                       source_condition=decl.condition, consequences=tuple(consequences), period_kind=None,
                       span=decl.span)

    def consequence(self, item: ast.Consequence, outcome: ir.Outcome, kind: str) -> ir.Consequence:
        amount = value = None
        if item.amount is not None:
            if outcome.payload != "amount":
                self.fail("E216", f"outcome `{outcome.name}` carries no amount", item.amount.span,
                          hint=f"declare it `outcome {outcome.name} … with amount`")
            amount = self.checker.check(item.amount, kind, expected=T.MONEY)
            self._expect(amount.type, T.MONEY, item.amount.span, "an amount")
        elif outcome.payload == "amount":
            self.fail("E216", f"outcome `{outcome.name}` needs an amount (万元)", item.span,
                      hint=f"write `then {outcome.name} amount …`")
        if item.value is not None:
            if outcome.payload != "value":
                self.fail("E216", f"outcome `{outcome.name}` carries no value", item.value.span,
                          hint=f"declare it `outcome {outcome.name} … with value: TYPE`")
            value = self.checker.as_declared(self.checker.check(item.value, kind, expected=outcome.value_type),
                                             item.value, outcome.value_type)
            if outcome.value_type is not None:
                self._expect(value.type, outcome.value_type, item.value.span, f"the value of `{outcome.name}`")
        elif outcome.payload == "value":
            self.fail("E216", f"outcome `{outcome.name}` needs a value", item.span,
                      hint=f"write `then {outcome.name} value …`")
        return ir.Consequence(outcome=outcome.name, amount=amount, value=value, source_amount=item.amount,
                              source_value=item.value, fields=self.field_values(item, outcome, kind),
                              span=item.span)

    def field_values(self, item: ast.Consequence, outcome: ir.Outcome, kind: str) -> tuple[ir.FieldValue, ...]:
        """The payload fields a rule sets, typed and unit-checked against the outcome's declaration,
        in the declaration's order (E240 unknown, E241 a required one missing, E242 the outcome
        declares none, E243 set twice)."""
        declared = {f.name: f for f in outcome.fields}
        if item.fields and not declared:
            self.fail("E242", f"outcome `{outcome.name}` declares no payload fields", item.fields[0].span,
                      hint=f"declare them: `outcome {outcome.name} … with fields (NAME: TYPE, …)`")
            return ()
        given: dict[str, ir.FieldValue] = {}
        misspelt = False
        for field in item.fields:
            if field.name in given:
                self.fail("E243", f"the field `{field.name}` of `{outcome.name}` is set twice", field.span,
                          notes=(Note(message="first set here", span=given[field.name].span),))
                continue
            wanted = declared.get(field.name)
            if wanted is None:
                self.fail("E240", f"outcome `{outcome.name}` has no field `{field.name}`", field.span,
                          hint=did_you_mean(field.name, declared) or "its fields: " + ", ".join(declared))
                misspelt = True
                continue
            expr = self.checker.as_declared(self.checker.check(field.value, kind, expected=wanted.type),
                                            field.value, wanted.type)
            self._expect(expr.type, wanted.type, field.value.span, f"the field `{field.name}` of `{outcome.name}`")
            given[field.name] = ir.FieldValue(name=field.name, expr=expr, source=field.value, span=field.span)
        missing = [name for name, f in declared.items() if not f.optional and name not in given]
        if missing and not misspelt:  # a misspelt field is reported once, as unknown
            written = ", ".join(f"{name} = …" for name in missing)
            self.fail("E241", f"`{outcome.name}` needs its field{'s' if len(missing) > 1 else ''} "
                              + ", ".join(f"`{name}`" for name in missing), item.span,
                      hint=f"write `then {outcome.name} with ({written})`")
        return tuple(given[name] for name in declared if name in given)


# ---- period kinds ----------------------------------------------------------------------------

def resolve(modules: tuple[ast.Module, ...], sources: dict[str, SourceFile]) -> tuple[ir.Program, list[Diagnostic]]:
    """Check every module together and return the program with this stage's diagnostics."""
    lowered = lower_goals(modules)
    resolver = _Resolver(lowered.modules)
    resolver.diagnostics.extend(lowered.diagnostics)
    program = resolver.run(sources)
    rules = tuple(attrs.evolve(r, target=lowered.targets.get((r.policy, r.name.split(QUALIFIER)[-1])))
                  for r in program.rules)
    program = check_period_kinds(attrs.evolve(program, rules=rules), resolver.diagnostics)
    check_reported_targets(modules, resolver)
    # a scope's condition is checked once per rule it joins; report each problem once
    unique = list({(d.code, d.span, d.message): d for d in resolver.diagnostics}.values())
    return program, unique
