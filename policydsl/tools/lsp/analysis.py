"""What the language server knows about one open document: the editor-independent half of
`policydsl lsp` (the pygls wiring is in `server.py`).

In: a document's path and its current text, and the texts of the other open documents. The
document is compiled with the files it belongs with — the files beside it that open with the
same `policy NAME` (a policy may span files) and every file they import, read from the editor
when open there, else from disk — by the same stages as `policydsl check` (build, resolve,
graph), then linted as `policydsl lint` does. Out: an `Analysis` with the diagnostics of the
document (errors and lint warnings, the same codes and messages as the command line) and an
index of every declared name with its declaration, for hover, go to definition, completion and
document symbols.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import attrs

from policydsl.diagnostics import Diagnostic, SourceFile, Span
from policydsl.engine.graph import build_graph, cycle_diagnostics
from policydsl.engine.plan import make_plan
from policydsl.language import ast
from policydsl.language.build import build_source
from policydsl.language.printer import type_text
from policydsl.language.printer import expr_text
from policydsl.language.resolve import resolve
from policydsl.language.sources import import_roots, read_source
from policydsl.language.sources import import_target as checked_import
from policydsl.language.syntax import DECLARATION_KEYWORDS
from policydsl.tools.lint import apply_allows, lint_program

BUILTIN_FUNCTIONS = ("previous", "change", "streak", "count_periods", "first_time", "rank", "top", "bottom",
                     "group_sum", "group_mean", "group_min", "group_max", "group_count", "min", "max", "abs",
                     "round", "is_missing", "value_or", "count", "sum", "mean", "any", "all", "reported")
KEYWORDS = (*DECLARATION_KEYWORDS, "implements", "cite", "for", "when", "then", "amount", "and", "or", "not", "in",
            "if", "else", "group", "by", "static", "yearly", "quarterly", "is", "with", "only", "require",
            "approximately", "near", "within", "part", "due", "done", "ref", "true", "false", "period_start",
            "period_end")
_WORD = re.compile(r"[^\W\d][\w.]*|\d[\w.]*")


@attrs.frozen(kw_only=True)
class Symbol:
    """A declared name: what it is, where it is declared, and what to say about it."""

    name: str
    kind: str  # entity, fact, value, parameter, table, outcome, rule, target, deadline, type, member, ...
    span: Span
    label: str | None = None
    detail: str = ""  # the hover text's body (markdown)
    entity: str | None = None  # for facts and values: their entity kind


@attrs.frozen(kw_only=True)
class Analysis:
    path: str
    diagnostics: tuple[Diagnostic, ...]  # of this document only
    symbols: tuple[Symbol, ...]  # of every file compiled with it
    module: ast.Module | None  # this document's AST (None when it does not parse)
    sources: Mapping[str, SourceFile]
    roots: tuple[Path, ...] = ()  # the folders its imports may read from (`sources.import_roots`)

    def named(self, name: str) -> list[Symbol]:
        return [s for s in self.symbols if s.name == name]


def _policy_name(text: str) -> str | None:
    match = re.search(r"^\s*policy\s+(\w+)", text, re.MULTILINE)
    return match.group(1) if match else None


def _read(path: Path, open_texts: Mapping[Path, str]) -> str | None:
    return _source(path, open_texts)[0]


def _source(path: Path, open_texts: Mapping[Path, str]) -> tuple[str | None, Diagnostic | None]:
    """A file's text, from the editor when open there, else read as `check` reads it (E002 when
    it cannot be: not UTF-8, unreadable)."""
    if path.resolve() in open_texts:
        return open_texts[path.resolve()], None
    source, problem = read_source(path)
    return (source.text if source is not None else None), problem


def _companions(path: Path, text: str, open_texts: Mapping[Path, str]) -> list[Path]:
    """The other files of the document's policy: the `.pol` files beside it with its name."""
    name = _policy_name(text)
    if name is None or not path.parent.is_dir():
        return []
    return [p for p in sorted(path.parent.glob("*.pol"))
            if p.resolve() != path.resolve() and _policy_name(_read(p, open_texts) or "") == name]


def analyse(path: str, text: str, open_texts: Mapping[Path, str] | None = None,
            folders: tuple[str | Path, ...] = ()) -> Analysis:
    """Compile and lint a document as it is in the editor. `folders`: the editor's workspace
    folders; an import reads inside them, the document's own folder or the shipped schema, as
    `check` of those folders would (E004 otherwise, and nothing of the file is read)."""
    open_texts = dict(open_texts or {})
    me = Path(path)
    open_texts[me.resolve()] = text
    roots = import_roots([*folders, me.parent])
    modules: list[ast.Module] = []
    sources: dict[str, SourceFile] = {}
    diagnostics: list[Diagnostic] = []
    mine: ast.Module | None = None
    queue, seen = [me, *_companions(me, text, open_texts)], set()
    while queue:
        file = queue.pop(0)
        if file.resolve() in seen:
            continue
        seen.add(file.resolve())
        content, unreadable = _source(file, open_texts)
        if content is None:
            if unreadable is not None and file != me:  # E002: said on the import line below
                diagnostics.append(unreadable)
            continue
        source = SourceFile(path=str(file), text=content)
        sources[source.path] = source
        module, found = build_source(source)
        diagnostics += found
        if module is None:
            continue
        modules.append(module)
        if file == me:
            mine = module
        for declaration in module.declarations:
            if isinstance(declaration, ast.ImportDecl):
                target, refused = checked_import(file, declaration, roots)
                if refused is not None and refused.code == "E003" and (file.parent / declaration.path).resolve() \
                        in open_texts:  # a new file open in the editor, not yet saved
                    target, refused = file.parent / declaration.path, None
                if target is not None:
                    queue.append(target)
                elif file == me:
                    diagnostics.append(refused)
    if not any(d.is_error for d in diagnostics) and modules:
        program, found = resolve(tuple(modules), sources)
        diagnostics += found
        if not any(d.is_error for d in found):
            graph = build_graph(program)
            cycles = cycle_diagnostics(graph, program)
            diagnostics += cycles
            if not cycles:
                plan = make_plan(program, graph)
                warnings = lint_program(program, graph, tuple(modules), plan.parameters,
                                        named={me.resolve()}, observed={})
                diagnostics += apply_allows(warnings, sources, {me.resolve()})[0]
    own = tuple(d for d in diagnostics if Path(d.span.path).resolve() == me.resolve() or d.span.path == path)
    own += _from_other_files(mine, me, [d for d in diagnostics if d not in own and d.is_error])
    return Analysis(path=path, diagnostics=own, symbols=tuple(index(modules)), module=mine, sources=sources,
                    roots=roots)


# ---- the index of declared names -----------------------------------------------------------

def _type(t: ast.TypeExpr | None) -> str:
    return "inferred" if t is None else type_text(t)


_UNITS = {"money": "万元", "percent": "%"}
_PERIODS = {"static": "a static attribute", "yearly": "one value per year", "quarterly": "one value per quarter"}


def index(modules: list[ast.Module]) -> list[Symbol]:
    found: list[Symbol] = []
    for module in modules:
        policy = next((d.name for d in module.declarations if isinstance(d, ast.PolicyDecl)), None)
        for decl in module.declarations:
            found += _symbols(decl, policy)
    return found


def _symbols(decl, policy: str | None) -> list[Symbol]:
    label = getattr(decl, "label", None)
    title = f" 「{label}」" if label else ""
    match decl:
        case ast.PolicyDecl(name=name, meta=meta):
            lines = [f"**policy {name}**"] + [f"- {m.key}: {m.value}" for m in meta]
            return [Symbol(name=name, kind="policy", span=decl.span, detail="\n".join(lines))]
        case ast.TypeDecl(name=name, members=members):
            found = [Symbol(name=name, kind="type", span=decl.span, label=label,
                            detail=f"**type {name}**{title} = {' | '.join(members)}")]
            return found + [Symbol(name=m, kind="member", span=decl.span, detail=f"`{m}`: a value of type `{name}`")
                            for m in members]
        case ast.EntityDecl(name=name, facts=facts, group=group):
            found = [Symbol(name=name, kind="entity", span=decl.span, label=label,
                            detail=f"**entity {name}**{title}" + (f", grouped by `{group.name}`" if group else "")
                            + f" — {len(facts)} facts")]
            for fact in facts:
                unit = _UNITS.get(fact.type.names[0]) if not fact.type.reference else None
                detail = (f"**fact {name}.{fact.name}**" + (f" 「{fact.label}」" if fact.label else "")
                          + f"\n\ntype `{_type(fact.type)}`" + (f", unit {unit}" if unit else "")
                          + f"; {_PERIODS.get(fact.periodicity, fact.periodicity)}")
                found.append(Symbol(name=fact.name, kind="fact", span=fact.span, label=fact.label, detail=detail,
                                    entity=name))
            return found
        case ast.ParameterDecl(name=name, type=type_, value=value):
            return [Symbol(name=name, kind="parameter", span=decl.span, label=label,
                           detail=f"**parameter {name}**{title} of policy `{policy}`\n\n"
                                  f"type `{_type(type_)}` = `{expr_text(value)}`")]
        case ast.TableDecl(name=name, key_type=key, value_type=value):
            return [Symbol(name=name, kind="table", span=decl.span, label=label,
                           detail=f"**table {name}**{title}: `{_type(key)}` → `{_type(value)}`, "
                                  f"{len(decl.rows)} rows")]
        case ast.ValueDecl(name=name, entity=entity, type=type_, expr=expr):
            return [Symbol(name=name, kind="value", span=decl.span, label=label, entity=entity.name,
                           detail=f"**value {name}**{title} for {entity.name}, type `{_type(type_)}`\n\n"
                                  f"```\n{name} = {expr_text(expr)}\n```")]
        case ast.OutcomeDecl(name=name, kind=kind, payload=payload, fields=fields):
            tail = {"amount": " with an amount (万元)", "value": " with a value"}.get(payload or "", "")
            if fields:  # the payload fields, one line each: `amount_min` 资金支持不低于 — `money`
                tail += "\n\nfields:\n" + "\n".join(
                    f"- `{f.name}`{' ' + f.label if f.label else ''} — `{_type(f.type)}`"
                    + (" (optional)" if f.optional else "") for f in fields)
            return [Symbol(name=name, kind="outcome", span=decl.span, label=label,
                           detail=f"**outcome {name}**{title}: a {kind.name}{tail}")]
        case ast.LadderDecl(name=name, levels=levels):
            text = " < ".join(" + ".join(r.name for r in level) for level in levels)
            return [Symbol(name=name, kind="ladder", span=decl.span, label=label,
                           detail=f"**ladder {name}**{title}: {text} (the strongest fired level wins)")]
        case ast.HighestDecl(name=name, members=members):
            return [Symbol(name=name, kind="highest", span=decl.span, label=label,
                           detail=f"**highest only {name}**{title}: {', '.join(m.name for m in members)}")]
        case ast.RuleDecl() | ast.TargetDecl() | ast.DeadlineDecl():
            keyword = {ast.RuleDecl: "rule", ast.TargetDecl: "target", ast.DeadlineDecl: "deadline"}[type(decl)]
            lines = [f"**{keyword} {decl.name}**{title}"]
            if decl.implements:
                lines.append(f"- implements `{decl.implements}`" + (f" (part {decl.part})"
                                                                   if getattr(decl, "part", None) else ""))
            if decl.clause:
                lines.append(f"- clause {decl.clause}")
            if decl.quote:
                lines.append(f"- 「{decl.quote}」")
            if decl.entity is not None:
                lines.append(f"- for {decl.entity.name}")
            return [Symbol(name=decl.name, kind=keyword, span=decl.span, label=label, detail="\n".join(lines))]
    return []


# ---- questions an editor asks --------------------------------------------------------------

def word_at(text: str, line: int, character: int) -> str | None:
    """The name (or catalogue id) under a 0-based position."""
    lines = text.split("\n")
    if not 0 <= line < len(lines):
        return None
    for match in _WORD.finditer(lines[line]):
        if match.start() <= character <= match.end():
            return match.group(0)
    return None


def enclosing_entity(analysis: Analysis, line: int) -> str | None:
    """The entity kind of the declaration around a 1-based line (a rule's `for`, a value's kind)."""
    if analysis.module is None:
        return None
    best = None
    for decl in analysis.module.declarations:
        if decl.span.line <= line:
            best = decl
    entity = getattr(best, "entity", None) if best is not None else None
    if isinstance(best, ast.EntityDecl):
        return best.name
    return entity.name if isinstance(entity, ast.Ref) else None


def lookup(analysis: Analysis, text: str, line: int, character: int) -> list[Symbol]:
    """The declarations the name under a 0-based position refers to, best first."""
    word = word_at(text, line, character)
    if word is None:
        return []
    name = word.rsplit(".", 1)[-1] if "." in word and not analysis.named(word) else word
    found = analysis.named(name)
    if not found and "." in word:  # a catalogue id: the rules that implement it
        found = [s for s in analysis.symbols if s.kind in ("rule", "target", "deadline")
                 and f"`{word}`" in s.detail]
    kind = enclosing_entity(analysis, line + 1)
    return sorted(found, key=lambda s: (s.entity is not None and s.entity != kind, s.kind == "member"))


def _from_other_files(module: ast.Module | None, me: Path, found: list[Diagnostic]) -> tuple[Diagnostic, ...]:
    """The errors of the files a document is compiled with, each said on the line of the document
    that brings its file in (its `import`, else its `policy` line): `check` fails on them, so the
    editor must not show the document clean."""
    if module is None or not found:
        return ()
    imports = {(me.parent / d.path).resolve(): d.span for d in module.declarations if isinstance(d, ast.ImportDecl)}
    first = module.declarations[0].span if module.declarations else None
    said = []
    for diagnostic in found:
        where = imports.get(Path(diagnostic.span.path).resolve()) or next(iter(imports.values()), first)
        if where is None:
            continue
        line = f":{diagnostic.span.line}" if diagnostic.span.line > 0 else ""
        said.append(attrs.evolve(diagnostic, span=where,
                                 message=f"in `{Path(diagnostic.span.path).name}{line}`: {diagnostic.message}"))
    return tuple(said)


def import_target(analysis: Analysis, line: int, character: int) -> Path | None:
    """The file an `import "…"` under the position names."""
    if analysis.module is None:
        return None
    for decl in analysis.module.declarations:
        if isinstance(decl, ast.ImportDecl) and decl.span.line == line + 1:
            target, _ = checked_import(Path(analysis.path), decl, analysis.roots)
            return target  # None: outside the folders an import may read (E004), or missing
    return None


def completions(analysis: Analysis, prefix: str) -> list[Symbol | str]:
    """Declared names, built-in functions and keywords that start with the prefix."""
    seen: set[str] = set()
    found: list[Symbol | str] = []
    for symbol in analysis.symbols:
        if symbol.name.startswith(prefix) and symbol.name not in seen and symbol.kind != "policy":
            seen.add(symbol.name)
            found.append(symbol)
    for word in (*BUILTIN_FUNCTIONS, *KEYWORDS):
        if word.startswith(prefix) and word not in seen:
            seen.add(word)
            found.append(word)
    return found


def prefix_at(text: str, line: int, character: int) -> str:
    lines = text.split("\n")
    if not 0 <= line < len(lines):
        return ""
    match = re.search(r"[^\W\d]\w*$", lines[line][:character])
    return match.group(0) if match else ""
