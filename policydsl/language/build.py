"""Stage 2, build: `.pol` files in, AST modules out.

Reads each file (following `import`s and expanding folders: `sources`), parses it with `syntax`,
and turns the Lark tree into `ast` nodes with spans (declarations here, expressions in
`build_expr`). The Lark tree goes no further than here. Output: the modules in a deterministic
order, the source texts (for diagnostics), and the diagnostics of this stage.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import attrs
import lark

from policydsl.diagnostics import Diagnostic, SourceFile, did_you_mean
from policydsl.language import ast
from policydsl.language.build_expr import ExpressionBuilder, unquote
from policydsl.language.sources import import_roots, import_target, policy_files, read_source, shipped_schema
from policydsl.language.syntax import parse_tree

__all__ = ["Built", "build", "build_source", "parse_tree_text", "policy_files", "shipped_schema"]

META_KEYS = ("title", "document", "issuer", "issued", "in_force_from", "in_force_until", "governs_from",
             "governs_until", "supersedes", "short_name", "status_rule", "status_cite", "status_quote")
# a document known only by reference: what the corpus may say about it
REFERENCE_KEYS = ("title", "issuer", "issued", "in_force_from", "in_force_until")
_DATE_META = {"issued", "in_force_from", "in_force_until", "governs_from", "governs_until"}


@attrs.frozen(kw_only=True)
class Built:
    modules: tuple[ast.Module, ...]
    sources: dict[str, SourceFile]
    diagnostics: tuple[Diagnostic, ...]


class _Builder(ExpressionBuilder):
    """Turns one file's Lark tree into an `ast.Module`, collecting diagnostics."""

    # ---- declarations ------------------------------------------------------------------
    def module(self, tree: lark.Tree) -> ast.Module:
        declarations = []
        for child in tree.children:
            handler = getattr(self, child.data)
            declarations.append(handler(child))
        return ast.Module(path=self.path, declarations=tuple(declarations), span=self.span(tree.meta))

    def _label(self, children: list) -> tuple[str | None, list]:
        rest = list(children)
        for i, child in enumerate(rest):
            if isinstance(child, lark.Tree) and child.data == "label":
                return unquote(child.children[0]), rest[:i] + rest[i + 1:]
        return None, rest

    def policy_decl(self, tree: lark.Tree) -> ast.PolicyDecl:
        name, *clauses = tree.children
        items = self._meta(clauses, META_KEYS, "policy", years=False)
        return ast.PolicyDecl(name=str(name), meta=tuple(items), span=self.span(tree.meta))

    def reference_decl(self, tree: lark.Tree) -> ast.ReferenceDecl:
        document, *clauses = tree.children
        items = self._meta(clauses, REFERENCE_KEYS, "reference", years=True)
        return ast.ReferenceDecl(document=unquote(document), meta=tuple(items), span=self.span(tree.meta))

    def _meta(self, clauses: list, known: tuple[str, ...], what: str, years: bool) -> list[ast.MetaItem]:
        """Metadata items; a date item of a referenced document may be a bare year (`issued 2011`)."""
        items = []
        for clause in clauses:
            key_token, value_token = clause.children
            key = str(key_token)
            if key not in known:
                self.fail("E110", f"unknown {what} metadata `{key}`", key_token,
                          hint=did_you_mean(key, known) or "known: " + ", ".join(known))
                continue
            if key in _DATE_META:
                if years and value_token.type == "NUMBER" and str(value_token).isdigit() and len(value_token) == 4:
                    value = int(str(value_token))
                elif value_token.type != "DATE":
                    self.fail("E111", f"`{key}` takes a date such as 2017-10-10"
                              + (" (or a year such as 2011)" if years else ""), value_token)
                    continue
                else:
                    value = self._date(value_token)
            else:
                if value_token.type != "STRING":
                    self.fail("E111", f"`{key}` takes text in double quotes", value_token)
                    continue
                value = unquote(value_token)
            if value is not None:
                items.append(ast.MetaItem(key=key, value=value, span=self.span(clause.meta)))
        return items

    def import_decl(self, tree: lark.Tree) -> ast.ImportDecl:
        return ast.ImportDecl(path=unquote(tree.children[0]), span=self.span(tree.meta))

    def type_decl(self, tree: lark.Tree) -> ast.TypeDecl:
        label, rest = self._label(tree.children)
        name, *members = rest
        return ast.TypeDecl(name=str(name), label=label, members=tuple(str(m) for m in members),
                            span=self.span(tree.meta))

    def type_expr(self, tree: lark.Tree) -> ast.TypeExpr:
        if tree.data == "list_type":
            return ast.TypeExpr(names=(), element=self.type_expr(tree.children[0]), span=self.span(tree.meta))
        return ast.TypeExpr(names=tuple(str(n) for n in tree.children), reference=tree.data == "ref_type",
                            span=self.span(tree.meta))

    def entity_decl(self, tree: lark.Tree) -> ast.EntityDecl:
        label, rest = self._label(tree.children)
        name, *clauses = rest
        group = None
        facts = []
        for clause in clauses:
            if clause.data == "group_clause":
                token = clause.children[0]
                if group is not None:
                    self.fail("E112", "an entity kind has one `group by`", token)
                group = ast.Ref(name=str(token), span=self.span(token))
            else:
                fact_label, fact_rest = self._label(clause.children)
                periodicity, fact_name, type_tree = fact_rest
                facts.append(ast.FactDecl(
                    name=str(fact_name), label=fact_label, periodicity=str(periodicity.children[0]),
                    type=self.type_expr(type_tree), span=self.span(fact_name)))
        return ast.EntityDecl(name=str(name), label=label, group=group, facts=tuple(facts),
                              span=self.span(name))

    def parameter_decl(self, tree: lark.Tree) -> ast.ParameterDecl:
        label, rest = self._label(tree.children)
        name, *more = rest
        type_expr = self.type_expr(more[0]) if len(more) == 2 else None
        return ast.ParameterDecl(name=str(name), label=label, type=type_expr,
                                 value=self.expr(more[-1]), span=self.span(name))

    def table_decl(self, tree: lark.Tree) -> ast.TableDecl:
        label, rest = self._label(tree.children)
        name, key_type, value_type, *rows = rest
        return ast.TableDecl(
            name=str(name), label=label, key_type=self.type_expr(key_type),
            value_type=self.type_expr(value_type),
            rows=tuple(ast.TableRow(key=self.expr(r.children[0]), value=self.expr(r.children[1]),
                                    span=self.span(r.meta)) for r in rows),
            span=self.span(name))

    def value_decl(self, tree: lark.Tree) -> ast.ValueDecl:
        label, rest = self._label(tree.children)
        name, entity, *more = rest
        when = None
        if isinstance(more[-1], lark.Tree) and more[-1].data == "value_when":
            when = self.expr(more.pop().children[0])
        type_expr = self.type_expr(more[0]) if len(more) == 2 else None
        return ast.ValueDecl(name=str(name), label=label,
                             entity=ast.Ref(name=str(entity), span=self.span(entity)),
                             type=type_expr, expr=self.expr(more[-1]), when=when, span=self.span(name))

    def outcome_decl(self, tree: lark.Tree) -> ast.OutcomeDecl:
        label, rest = self._label(tree.children)
        name, kind, *payload = rest
        payload_kind = value_type = None
        fields: tuple[ast.FieldDecl, ...] = ()
        if payload:
            payload_kind = {"payload_amount": "amount", "payload_value": "value"}.get(payload[0].data)
            if payload_kind == "value":
                value_type = self.type_expr(payload[0].children[1])
            found = [c for c in payload[0].children if isinstance(c, lark.Tree) and c.data == "field_list"]
            if found:
                fields = tuple(self.field_decl(f) for f in found[0].children)
        return ast.OutcomeDecl(name=str(name), label=label,
                               kind=ast.Ref(name=str(kind), span=self.span(kind)),
                               payload=payload_kind, value_type=value_type, fields=fields, span=self.span(name))

    def field_decl(self, tree: lark.Tree) -> ast.FieldDecl:
        label, rest = self._label(tree.children)
        optional = isinstance(rest[0], lark.Token) and rest[0].type == "OPTIONAL"
        name, type_tree = rest[1:] if optional else rest
        return ast.FieldDecl(name=str(name), label=label, type=self.type_expr(type_tree), optional=optional,
                             span=self.span(name))

    def ladder_decl(self, tree: lark.Tree) -> ast.LadderDecl:
        label, rest = self._label(tree.children)
        name, *levels = rest
        return ast.LadderDecl(
            name=str(name), label=label,
            levels=tuple(tuple(ast.Ref(name=str(t), span=self.span(t)) for t in level.children)
                         for level in levels),
            span=self.span(name))

    def highest_decl(self, tree: lark.Tree) -> ast.HighestDecl:
        label, rest = self._label(tree.children)
        name, *members = rest
        return ast.HighestDecl(name=str(name), label=label,
                               members=tuple(ast.Ref(name=str(t), span=self.span(t)) for t in members),
                               span=self.span(name))

    def _clauses(self, what: str, name, clauses: list) -> dict[str, lark.Tree]:
        found: dict[str, lark.Tree] = {}
        for clause in clauses:
            if clause.data in found:
                keyword = clause.data.removesuffix("_clause")
                self.fail("E113", f"{what} `{name}` has more than one `{keyword}` clause", clause.meta,
                          hint="combine the conditions with `and`" if keyword in ("when", "require") else None)
            found.setdefault(clause.data, clause)
        return found

    def _header(self, found: dict[str, lark.Tree]) -> dict:
        """The clauses rules, targets and deadlines share: implements, cite, for."""
        implements = found.get("implements_clause")
        cite = found.get("cite_clause")
        entity = found.get("for_clause")
        return {
            "implements": str(implements.children[0]) if implements else None,
            "clause": unquote(cite.children[0]) if cite else None,
            "quote": unquote(cite.children[1]) if cite and len(cite.children) > 1 else None,
            "entity": ast.Ref(name=str(entity.children[0]), span=self.span(entity.children[0])) if entity else None,
        }

    def target_decl(self, tree: lark.Tree) -> ast.TargetDecl:
        label, rest = self._label(tree.children)
        name, *clauses = rest
        found = self._clauses("target", name, clauses)
        header = self._header(found)
        part = found.get("part_clause")
        require = found.get("require_clause")
        approx = found.get("approximately_clause")
        if require is not None and approx is not None:
            self.fail("E113", f"target `{name}` has both `require` and `approximately`", approx.meta)
        measure = near = tolerance = None
        if approx is not None:
            measure, near = (self.expr(x) for x in approx.children[:2])
            tolerance = self.expr(approx.children[2]) if len(approx.children) > 2 else None
        when = found.get("when_clause")
        return ast.TargetDecl(name=str(name), label=label, part=str(part.children[0]) if part else None,
                              applies=self.expr(when.children[0]) if when else None,
                              require=self.expr(require.children[0]) if require else None,
                              measure=measure, near=near, tolerance=tolerance, span=self.span(name), **header)

    def deadline_decl(self, tree: lark.Tree) -> ast.DeadlineDecl:
        label, rest = self._label(tree.children)
        name, *clauses = rest
        found = self._clauses("deadline", name, clauses)
        header = self._header(found)
        part = found.get("part_clause")
        due = found.get("due_clause")
        done = found.get("done_clause")
        unfinished = found.get("unfinished_clause")
        when = found.get("when_clause")
        return ast.DeadlineDecl(name=str(name), label=label, part=str(part.children[0]) if part else None,
                                applies=self.expr(when.children[0]) if when else None,
                                due=self._date(due.children[0]) if due else None,
                                done=self.expr(done.children[0]) if done else None,
                                unfinished=self.expr(unfinished.children[0]) if unfinished else None,
                                span=self.span(name),
                                **header)

    def scope_decl(self, tree: lark.Tree) -> ast.ScopeDecl:
        label, rest = self._label(tree.children)
        entity, condition = rest
        return ast.ScopeDecl(entity=ast.Ref(name=str(entity), span=self.span(entity)), label=label,
                             condition=self.expr(condition), span=self.span(tree.meta))

    def rule_decl(self, tree: lark.Tree) -> ast.RuleDecl:
        label, rest = self._label(tree.children)
        name, *clauses = rest
        found = self._clauses("rule", name, clauses)
        when = found.get("when_clause")
        then = found.get("then_clause")
        consequences = []
        if then is not None:
            for item in then.children:
                outcome, *payload = item.children
                fields: tuple[ast.FieldValue, ...] = ()
                if payload and isinstance(payload[-1], lark.Tree) and payload[-1].data == "field_values":
                    fields = tuple(ast.FieldValue(name=str(f.children[0]), value=self.expr(f.children[1]),
                                                  span=self.span(f.meta)) for f in payload.pop().children)
                amount = value = None
                if len(payload) == 2:  # `amount EXPR`
                    amount = self.expr(payload[1])
                elif payload:  # `= EXPR`
                    value = self.expr(payload[0])
                consequences.append(ast.Consequence(
                    outcome=ast.Ref(name=str(outcome), span=self.span(outcome)),
                    amount=amount, value=value, fields=fields, span=self.span(item.meta)))
        return ast.RuleDecl(name=str(name), label=label, condition=self.expr(when.children[0]) if when else None,
                            consequences=tuple(consequences), span=self.span(name), **self._header(found))


def build_source(source: SourceFile) -> tuple[ast.Module | None, list[Diagnostic]]:
    """Parse and build one file."""
    tree, diagnostics = parse_tree(source)
    if tree is None:
        return None, diagnostics
    builder = _Builder(source.path)
    module = builder.module(tree)
    return module, diagnostics + builder.diagnostics


def parse_tree_text(source: SourceFile) -> tuple[str | None, list[Diagnostic]]:
    """The Lark tree of a file, pretty-printed (for `policydsl dump --stage parse`)."""
    tree, diagnostics = parse_tree(source)
    return (tree.pretty() if tree is not None else None), diagnostics


def build(paths: Iterable[str | Path], import_from: Iterable[str | Path] = ()) -> Built:
    """Read, parse and build every file named (folders expanded), following imports once each.
    `import_from`: further folders or files the user named, whose folders imports may also read
    (the scenario runner loads one policy of a folder the user named whole)."""
    paths = list(paths)
    roots = import_roots([*paths, *import_from])
    files, diagnostics = policy_files(paths)
    modules: list[ast.Module] = []
    sources: dict[str, SourceFile] = {}
    seen: set[Path] = set()
    queue = list(files)
    while queue:
        path = queue.pop(0)
        key = path.resolve()
        if key in seen:
            continue
        seen.add(key)
        source, problem = read_source(path)
        if problem is not None:
            diagnostics.append(problem)
            continue
        sources[source.path] = source
        module, found = build_source(source)
        diagnostics.extend(found)
        if module is None:
            continue
        modules.append(module)
        for declaration in module.declarations:
            if isinstance(declaration, ast.ImportDecl):
                target, problem = import_target(path, declaration, roots)
                if problem is not None:
                    diagnostics.append(problem)
                else:
                    queue.append(target)
    return Built(modules=tuple(modules), sources=sources, diagnostics=tuple(diagnostics))
