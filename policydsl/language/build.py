"""Stage 2, build: `.pol` files in, AST modules out.

Reads each file (following `import`s and expanding folders), parses it with `syntax`, and
turns the Lark tree into `ast` nodes with spans. The Lark tree goes no further than here.
Output: the modules in a deterministic order, the source texts (for diagnostics), and the
diagnostics of this stage.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from pathlib import Path

import attrs
import lark

from policydsl.language import ast, limits
from policydsl.diagnostics import Diagnostic, SourceFile, Span, did_you_mean, error
from policydsl.language.syntax import normalise, parse_tree
from policydsl.values import Duration, to_number

META_KEYS = ("title", "document", "issuer", "issued", "in_force_from", "in_force_until", "governs_from",
             "governs_until", "supersedes", "short_name", "status_rule", "status_cite", "status_quote")
# a document known only by reference: what the corpus may say about it
REFERENCE_KEYS = ("title", "issuer", "issued", "in_force_from", "in_force_until")
_DATE_META = {"issued", "in_force_from", "in_force_until", "governs_from", "governs_until"}
_COMPARATORS = {"≥": ">=", "≤": "<=", "≠": "!="}


# The aggregates over the members of another entity kind (`count(enterprise where …)`).
MEMBER_FUNCTIONS = ("count", "sum", "mean", "min", "max", "any", "all")


@attrs.frozen(kw_only=True)
class Built:
    modules: tuple[ast.Module, ...]
    sources: dict[str, SourceFile]
    diagnostics: tuple[Diagnostic, ...]


def _span(path: str, meta_or_token) -> Span:
    item = meta_or_token
    if isinstance(item, lark.Token):
        return Span(path=path, line=item.line or 0, column=item.column or 0,
                    end_line=item.end_line or item.line or 0,
                    end_column=item.end_column or item.column or 0)
    if getattr(item, "empty", True):
        return Span(path=path, line=0, column=0, end_line=0, end_column=0)
    return Span(path=path, line=item.line, column=item.column, end_line=item.end_line,
                end_column=item.end_column)


def _unquote(token: lark.Token) -> str:
    body = str(token)[1:-1]
    return normalise(body.replace('\\"', '"').replace("\\\\", "\\").replace("\\n", "\n"))


class _Builder:
    """Turns one file's Lark tree into an `ast.Module`, collecting diagnostics."""

    def __init__(self, path: str):
        self.path = path
        self.diagnostics: list[Diagnostic] = []

    def span(self, item) -> Span:
        return _span(self.path, item)

    def fail(self, code: str, message: str, item, hint: str | None = None) -> None:
        self.diagnostics.append(error(code, message, self.span(item), hint=hint))

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
                return _unquote(child.children[0]), rest[:i] + rest[i + 1:]
        return None, rest

    def policy_decl(self, tree: lark.Tree) -> ast.PolicyDecl:
        name, *clauses = tree.children
        items = self._meta(clauses, META_KEYS, "policy", years=False)
        return ast.PolicyDecl(name=str(name), meta=tuple(items), span=self.span(tree.meta))

    def reference_decl(self, tree: lark.Tree) -> ast.ReferenceDecl:
        document, *clauses = tree.children
        items = self._meta(clauses, REFERENCE_KEYS, "reference", years=True)
        return ast.ReferenceDecl(document=_unquote(document), meta=tuple(items), span=self.span(tree.meta))

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
                value = _unquote(value_token)
            if value is not None:
                items.append(ast.MetaItem(key=key, value=value, span=self.span(clause.meta)))
        return items

    def import_decl(self, tree: lark.Tree) -> ast.ImportDecl:
        return ast.ImportDecl(path=_unquote(tree.children[0]), span=self.span(tree.meta))

    def type_decl(self, tree: lark.Tree) -> ast.TypeDecl:
        label, rest = self._label(tree.children)
        name, *members = rest
        return ast.TypeDecl(name=str(name), label=label, members=tuple(str(m) for m in members),
                            span=self.span(tree.meta))

    def type_expr(self, tree: lark.Tree) -> ast.TypeExpr:
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
        type_expr = self.type_expr(more[0]) if len(more) == 2 else None
        return ast.ValueDecl(name=str(name), label=label,
                             entity=ast.Ref(name=str(entity), span=self.span(entity)),
                             type=type_expr, expr=self.expr(more[-1]), span=self.span(name))

    def outcome_decl(self, tree: lark.Tree) -> ast.OutcomeDecl:
        label, rest = self._label(tree.children)
        name, kind, *payload = rest
        payload_kind = value_type = None
        if payload:
            payload_kind = "amount" if payload[0].data == "payload_amount" else "value"
            if payload_kind == "value":
                value_type = self.type_expr(payload[0].children[1])
        return ast.OutcomeDecl(name=str(name), label=label,
                               kind=ast.Ref(name=str(kind), span=self.span(kind)),
                               payload=payload_kind, value_type=value_type, span=self.span(name))

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
            "clause": _unquote(cite.children[0]) if cite else None,
            "quote": _unquote(cite.children[1]) if cite and len(cite.children) > 1 else None,
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
                amount = value = None
                if len(payload) == 2:  # `amount EXPR`
                    amount = self.expr(payload[1])
                elif payload:  # `= EXPR`
                    value = self.expr(payload[0])
                consequences.append(ast.Consequence(
                    outcome=ast.Ref(name=str(outcome), span=self.span(outcome)),
                    amount=amount, value=value, span=self.span(item.meta)))
        return ast.RuleDecl(name=str(name), label=label, condition=self.expr(when.children[0]) if when else None,
                            consequences=tuple(consequences), span=self.span(name), **self._header(found))

    # ---- expressions -------------------------------------------------------------------
    def expr(self, tree) -> ast.Expr:
        if isinstance(tree, lark.Token):  # a table key reached through inlining
            span = self.span(tree)
            if tree.type == "STRING":
                return ast.StringLit(value=_unquote(tree), span=span)
            if tree.type == "DATE":
                return ast.DateLit(value=self._date(tree) or dt.date.min, span=span)
            if tree.type in ("TRUE", "FALSE"):
                return ast.BoolLit(value=tree.type == "TRUE", span=span)
            return ast.Name(name=str(tree), span=span)
        handler = getattr(self, "x_" + tree.data)
        return handler(tree, self.span(tree.meta))

    def x_if_expr(self, tree, span):
        c, t, o = (self.expr(x) for x in tree.children)
        return ast.If(condition=c, then=t, otherwise=o, span=span)

    def x_or_chain(self, tree, span):
        operands = tuple(self.expr(x) for x in tree.children)
        return operands[0] if len(operands) == 1 else ast.Or(operands=operands, span=span)

    def x_and_chain(self, tree, span):
        operands = tuple(self.expr(x) for x in tree.children)
        return operands[0] if len(operands) == 1 else ast.And(operands=operands, span=span)

    def x_not_op(self, tree, span):
        return ast.Not(operand=self.expr(tree.children[0]), span=span)

    def x_compare(self, tree, span):
        left, op_tree, right = tree.children
        op = str(op_tree.children[0])
        return ast.Compare(op=_COMPARATORS.get(op, op), left=self.expr(left), right=self.expr(right),
                           span=span)

    def x_member(self, tree, span, negated=False):
        operand, options = tree.children
        return ast.Member(operand=self.expr(operand),
                          options=tuple(self.expr(o) for o in options.children),
                          negated=negated, span=span)

    def x_not_member(self, tree, span):
        return self.x_member(tree, span, negated=True)

    def x_arith_chain(self, tree, span):
        items = tree.children
        result = self.expr(items[0])
        for op_tree, operand in zip(items[1::2], items[2::2]):
            right = self.expr(operand)
            joined = Span(path=self.path, line=result.span.line, column=result.span.column,
                          end_line=right.span.end_line, end_column=right.span.end_column)
            result = ast.Binary(op=str(op_tree.children[0]), left=result, right=right, span=joined)
        return result

    def x_negate(self, tree, span):
        operand = self.expr(tree.children[0])
        if isinstance(operand, ast.NumberLit):
            return attrs.evolve(operand, value=-operand.value, span=span)
        return ast.Negate(operand=operand, span=span)

    def x_attribute(self, tree, span):
        target, name = tree.children
        return ast.Attribute(target=self.expr(target), name=str(name), span=span)

    def x_index(self, tree, span):
        target, key = tree.children
        return ast.Index(target=self.expr(target), key=self.expr(key), span=span)

    def _number(self, token: lark.Token):
        whole, _, fraction = str(token).partition(".")
        if len(whole.lstrip("0")) > limits.MAX_INTEGER_DIGITS or len(fraction) > limits.MAX_FRACTION_DIGITS:
            self.fail("E114", f"`{str(token)[:20]}…` is too long a number: at most {limits.MAX_INTEGER_DIGITS} digits "
                              f"before the point and {limits.MAX_FRACTION_DIGITS} after it", token)
            return 0
        try:
            return to_number(Decimal(str(token)))
        except InvalidOperation:  # the grammar admits only digits, so this is a safety net
            self.fail("E114", f"`{token}` is not a number", token)
            return 0

    def x_number(self, tree, span):
        number, *unit = tree.children
        return ast.NumberLit(value=self._number(number), unit=str(unit[0]) if unit else None, span=span)

    def x_signed_number(self, tree, span):
        negative = tree.children[0].type == "NEGATIVE"
        rest = tree.children[1:] if negative else tree.children
        number, *unit = rest
        value = self._number(number)
        return ast.NumberLit(value=-value if negative else value, unit=str(unit[0]) if unit else None,
                             span=span)

    def x_string(self, tree, span):
        return ast.StringLit(value=_unquote(tree.children[0]), span=span)

    def _date(self, token: lark.Token) -> dt.date | None:
        try:
            day = dt.date.fromisoformat(str(token))
        except ValueError:
            self.fail("E115", f"`{token}` is not a calendar date", token)
            return None
        if not limits.FIRST_YEAR <= day.year <= limits.LAST_YEAR:
            self.fail("E115", f"`{token}` is out of range: dates from {limits.FIRST_YEAR} to {limits.LAST_YEAR}",
                      token)
            return None
        return day

    def x_date(self, tree, span):
        value = self._date(tree.children[0])
        return ast.DateLit(value=value or dt.date.min, span=span)

    def x_true(self, tree, span):
        return ast.BoolLit(value=True, span=span)

    def x_false(self, tree, span):
        return ast.BoolLit(value=False, span=span)

    def x_duration(self, tree, span):
        number, unit = tree.children
        amount = self._number(number)
        unit = str(unit)
        most = limits.MAX_DURATION_YEARS * {"y": 1, "m": 12, "d": 366}[unit[0]]
        if not isinstance(amount, int):
            self.fail("E114", f"a duration is a whole number of {unit}", number)
            amount = 0
        elif amount > most:
            self.fail("E114", f"a duration is at most {limits.MAX_DURATION_YEARS} years"
                              + ("" if unit.startswith("year") else f" ({most} {unit})"), number)
            amount = 0
        if unit.startswith("year"):
            value = Duration(months=12 * amount)
        elif unit.startswith("month"):
            value = Duration(months=amount)
        else:
            value = Duration(days=amount)
        return ast.DurationLit(value=value, span=span)

    def x_paren(self, tree, span):
        # The parentheses belong to the expression's text, so that explanations quote it whole.
        return attrs.evolve(self.expr(tree.children[0]), span=span)

    def x_name(self, tree, span):
        return ast.Name(name=str(tree.children[0]), span=span)

    def x_call(self, tree, span):
        function, *arguments = tree.children
        args, keywords = [], []
        for argument in arguments:
            if argument.data == "keyword":
                key, value = argument.children
                keywords.append(ast.Keyword(name=str(key), value=self.expr(value),
                                            span=self.span(argument.meta)))
            else:
                if keywords:
                    self.fail("E116", "a positional argument cannot follow a named one", argument.meta)
                args.append(self.expr(argument.children[0]))
        if str(function) in MEMBER_FUNCTIONS and len(args) == 1 and not keywords and str(function) not in ("min", "max"):
            # `count(enterprise)`: an aggregate over members with no clause
            return ast.Members(function=str(function), operand=args[0], span=span)
        return ast.Call(function=str(function), args=tuple(args), keywords=tuple(keywords), span=span)

    def x_members(self, tree, span):
        function, operand, scope = tree.children
        kind, via, where = None, (), None
        for clause in scope.children:
            if clause.data == "over_clause":
                kind = str(clause.children[0])
            elif clause.data == "via_clause":
                via = tuple(str(name) for name in clause.children)
            else:
                where = self.expr(clause.children[0])
        return ast.Members(function=str(function), operand=self.expr(operand), kind=kind, via=via, where=where,
                           span=span)


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


def policy_files(paths: Iterable[str | Path]) -> tuple[list[Path], list[Diagnostic]]:
    """Expand folders into their `.pol` files (sorted), keeping the order of the arguments."""
    files: list[Path] = []
    diagnostics: list[Diagnostic] = []
    for raw in paths:
        path = Path(raw)
        where = Span(path=str(raw), line=0, column=0, end_line=0, end_column=0)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*.pol") if p.is_file())
            if not found:
                diagnostics.append(error("E001", f"no .pol files in folder `{raw}`", where))
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            diagnostics.append(error("E001", f"no such policy file or folder: `{raw}`", where))
    return files, diagnostics


def _read(path: Path) -> tuple[SourceFile | None, Diagnostic | None]:
    where = Span(path=str(path), line=0, column=0, end_line=0, end_column=0)
    try:
        data = path.read_bytes()
    except OSError as err:
        return None, error("E002", f"cannot read `{path}`: {err.strerror}", where)
    try:
        text = data.decode("utf-8-sig")  # a byte-order mark at the start is no character of the policy
    except UnicodeDecodeError as err:
        return None, _not_utf8(path, data, err)
    return SourceFile(path=str(path), text=unicodedata.normalize("NFC", text)), None


def _not_utf8(path: Path, data: bytes, err: UnicodeDecodeError) -> Diagnostic:
    """E002 at the line and column (1-based, in characters) of the first byte that is not UTF-8."""
    line_start = data.rfind(b"\n", 0, err.start) + 1
    line = data.count(b"\n", 0, err.start) + 1
    column = len(data[line_start:err.start].decode("utf-8", errors="replace")) + 1
    line_end = data.find(b"\n", err.start)
    shown = data[line_start:line_end if line_end >= 0 else len(data)].decode("utf-8", errors="replace")
    span = Span(path=str(path), line=line, column=column, end_line=line, end_column=column + 1)
    hint = "save the file as UTF-8"
    try:
        data.decode("gb18030")
        hint = "the file looks like GB18030 (GBK); save it as UTF-8"
    except UnicodeDecodeError:
        pass
    return error("E002", f"`{path.name}` is not UTF-8 text: byte 0x{data[err.start]:02X} at line {line}, "
                 f"column {column} ({err.reason}); the line reads `{shown[:60]}`", span, hint=hint)


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
        source, problem = _read(path)
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


def shipped_schema() -> Path:
    """The schema the shipped policies import (`policies/schema/` beside the package)."""
    return Path(__file__).resolve().parents[2] / "policies" / "schema"


def import_roots(paths: Iterable[str | Path]) -> tuple[Path, ...]:
    """The folders an `import` may read from: each folder named, the folder of each file named,
    and the shipped schema."""
    roots = []
    for raw in paths:
        path = Path(raw)
        roots.append((path if path.is_dir() else path.parent).resolve())
    return tuple(roots) + (shipped_schema(),)


def import_target(importer: Path, declaration: ast.ImportDecl,
                  roots: tuple[Path, ...]) -> tuple[Path | None, Diagnostic | None]:
    """The file an `import` names, or the reason it may not be read.

    Nothing is read before the checks pass, so a refused import echoes nothing of its file: an
    import names a `.pol` file (a regular file, not a folder or a device) inside the folders
    being loaded or the shipped schema, symbolic links resolved."""
    written = declaration.path
    target = importer.parent / written
    resolved = target.resolve()
    if not any(resolved == root or root in resolved.parents for root in roots):
        return None, error("E004", f"`import \"{written}\"` reaches outside the folders being loaded",
                           declaration.span,
                           hint="an import reads only .pol files inside the folders (or beside the files) named "
                                "on the command line, and the shipped schema; load a folder that holds both files")
    if resolved.suffix != ".pol":
        return None, error("E004", f"`import \"{written}\"` does not name a policy file", declaration.span,
                           hint="an import names a `.pol` file")
    if not resolved.exists():
        return None, error("E003", f"imported file `{written}` not found", declaration.span,
                           hint=f"paths are relative to `{importer.parent}`")
    if not resolved.is_file():
        what = "a folder" if resolved.is_dir() else "not a regular file"
        return None, error("E004", f"`import \"{written}\"` names {what}", declaration.span,
                           hint="an import names a `.pol` file")
    return target, None
