"""`policydsl lint`: a checked program in, warnings (W1xx) out.

Input: the policy paths (compiled by the ordinary front end: a program with errors is reported
as such and not linted), the data sets given with `--data`, and the scenario files beside the
policies (their facts are data sets too). Output: `Diagnostic`s of severity warning, each
silenced by a `# lint: allow CODE reason` comment on its line or on the line above.

    W100  a `# lint: allow` comment without a reason, or one that silences nothing
    W101  a condition that can never hold (numeric intervals, enumeration and text tests, booleans)
    W102  a ladder level that never stays in force: whenever its rule fires, a stronger level's does
    W103  the same catalogue id implemented twice in one policy
    W104  a parameter, table or derived value declared and never used
    W105  an outcome declared that no rule produces
    W106  a fact declared that no rule or value reads
    W107  a threshold that contradicts the boundary word of its quote (catalogue G1)
    W108  a comparison or scope against a text value that no data set holds

Only declarations in the files named (folders expanded) are reported as unused: an imported
schema is not the linted policy's to trim. The checks work on the typed IR and the AST, so a
new construct of the language needs nothing here unless it adds a new kind of declaration.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

import attrs

from policydsl import api
from policydsl.diagnostics import DataError, Diagnostic, Note, SourceFile, Span, did_you_mean, render_all
from policydsl.engine import graph as graph_stage
from policydsl.language import ast, ir
from policydsl.language.build import build, policy_files
from policydsl.tools.constraints import facts_of
from policydsl.tools.exits import EXIT_FINDINGS, EXIT_INPUT, EXIT_OK
from policydsl.tools.fmt import comments_of
from policydsl.values import format_number

CODES = {
    "W100": "a lint suppression without a reason, or one that silences nothing",
    "W101": "a condition that can never hold",
    "W102": "a ladder level shadowed by a stronger one",
    "W103": "a catalogue id implemented twice in one policy",
    "W104": "a parameter, table or value never used",
    "W105": "an outcome no rule produces",
    "W106": "a fact no rule or value reads",
    "W107": "a threshold contradicting its quote's boundary word",
    "W108": "a text value no data set holds",
}
_ALLOW = re.compile(r"#\s*lint:\s*allow\s+((?:W\d{3}\s*,?\s*)+)(.*)$")


def warning(code: str, message: str, span: Span, *, notes: Iterable[Note] = (), hint: str | None = None) -> Diagnostic:
    return Diagnostic(code=code, severity="warning", message=message, span=span, notes=tuple(notes), hint=hint)


@attrs.frozen(kw_only=True)
class LintResult:
    diagnostics: tuple[Diagnostic, ...]  # errors of the front end, or the warnings left after `allow`
    sources: dict[str, SourceFile]
    silenced: int = 0

    @property
    def ok(self) -> bool:
        return not self.diagnostics


def lint_paths(paths: list[str], data: Iterable[str] = ()) -> LintResult:
    compiled = api.compile_paths(paths)
    if not compiled.ok:
        return LintResult(diagnostics=compiled.diagnostics, sources=compiled.sources)
    built = build(paths)
    named = {Path(p).resolve() for p in policy_files(paths)[0]}
    policies = api.policy_set(compiled)
    found = lint_program(compiled.program, compiled.graph, built.modules, policies.plan.parameters,
                         named=named, observed=observed_text(policies, data))
    kept, silenced = apply_allows(found, compiled.sources, named)
    return LintResult(diagnostics=tuple(kept), sources=compiled.sources, silenced=silenced)


def lint_program(program: ir.Program, graph, modules: tuple[ast.Module, ...], parameters: Mapping[str, object], *,
                 named: set[Path], observed: Mapping[tuple[str, str], set[str]]) -> list[Diagnostic]:
    """Every warning of a compiled program (before `# lint: allow` comments are applied)."""
    def mine(span: Span) -> bool:
        return span.line > 0 and not span.generated and Path(span.path).resolve() in named

    found = [*never_holds(program, parameters), *shadowed_levels(program, parameters),
             *twice_implemented(modules), *unused(program, graph, modules, mine),
             *boundary_words(modules), *unheld_text(program, observed)]
    unique: dict[tuple, Diagnostic] = {}
    for d in found:
        if d.span.line > 0 and (d.code not in ("W104", "W105", "W106") or mine(d.span)):
            unique.setdefault((d.code, d.span.path, d.span.line, d.span.column, d.message), d)
    return sorted(unique.values(), key=lambda d: (d.span.path, d.span.line, d.span.column, d.code))


# ---- W101: a condition that can never hold ----------------------------------------------

def _text(program: ir.Program, expr) -> str:
    from policydsl.engine.explain import ir_text

    span = getattr(expr, "span", None)
    if span is not None and not span.generated and span.line > 0:
        text = program.source_text(span)
        if text:
            return text
    return ir_text(expr)


def _conditions(program: ir.Program):
    """(expression, where to report) for every condition and definition of the program."""
    for rule in program.rules:
        where = rule.source_condition.span if rule.source_condition is not None else rule.span
        if rule.condition is not None:
            yield rule.condition, where
    for value in program.values.values():
        yield value.expr, value.span


def never_holds(program: ir.Program, parameters: Mapping[str, object]) -> list[Diagnostic]:
    found = []
    for root, where in _conditions(program):
        for node in _and_nodes(root):
            contradiction = facts_of(node, parameters).contradiction()
            if contradiction is None:
                continue
            span = node.span if not node.span.generated and node.span.line > 0 else where
            if span.generated:
                span = attrs.evolve(span, generated=False)
            parts = " and ".join(f"`{_text(program, s)}`" for s in contradiction.sources)
            found.append(warning(
                "W101", f"this condition can never hold: {parts} leave no possible value",
                span, notes=[Note(message=f"`{_text(program, s)}`", span=s.span) for s in contradiction.sources
                             if not s.span.generated and s.span.line > 0],
                hint="check the thresholds and the values tested; a rule with this condition never fires"))
    return found


def _and_nodes(expr: ir.Expr):
    """The outermost `and` nodes of an expression (and the expression itself)."""
    yield expr
    stack = list(ir.children(expr))
    while stack:
        node = stack.pop()
        if isinstance(node, ir.Logic) and node.op == "and":
            yield node
            stack.extend(c for o in node.operands for c in ir.children(o)
                         if not (isinstance(o, ir.Logic) and o.op == "and"))
        else:
            stack.extend(ir.children(node))


# ---- W102: a ladder level that never stays in force -------------------------------------

def shadowed_levels(program: ir.Program, parameters: Mapping[str, object]) -> list[Diagnostic]:
    found = []
    producers: dict[str, list[ir.Rule]] = {}
    for rule in program.rules:
        if rule.target is None:
            for consequence in rule.consequences:
                producers.setdefault(consequence.outcome, []).append(rule)
    for ladder in program.combinations:
        if ladder.mode != "ladder":
            continue
        for weak_level, weak_outcomes in enumerate(ladder.levels):
            for weak_outcome in weak_outcomes:
                for weak in producers.get(weak_outcome, []):
                    strong, outcome = _stronger_that_always_fires(
                        weak, ladder, weak_level, producers, parameters)
                    if strong is None:
                        continue
                    weak_name, strong_name = weak.name.split("::")[-1], strong.name.split("::")[-1]
                    also = "it also gives" if strong is weak else f"rule `{strong_name}` fires too and gives"
                    found.append(warning(
                        "W102", f"`{weak_outcome}` of rule `{weak_name}` never stays in force: whenever it fires, "
                                f"{also} `{outcome}`, which ladder `{ladder.name}` keeps instead",
                        weak.span, notes=[Note(message=f"rule `{strong_name}`", span=strong.span)],
                        hint="make the weaker level's condition exclude the stronger one's, or drop one level"))
    return found


def _stronger_that_always_fires(weak: ir.Rule, ladder: ir.Combination, level: int, producers, parameters):
    weak_facts = facts_of(weak.condition, parameters)
    for strong_outcomes in ladder.levels[level + 1:]:
        for outcome in strong_outcomes:
            for strong in producers.get(outcome, []):
                if strong.entity == weak.entity and weak_facts.implies(facts_of(strong.condition, parameters)):
                    return strong, outcome
    return None, None


# ---- W103: one catalogue id, two implementations ----------------------------------------

def twice_implemented(modules: tuple[ast.Module, ...]) -> list[Diagnostic]:
    seen: dict[tuple[str, str, str | None], tuple[str, Span]] = {}
    found = []
    for module in modules:
        policy = next((d.name for d in module.declarations if isinstance(d, ast.PolicyDecl)), None)
        for decl in module.declarations:
            if not isinstance(decl, (ast.RuleDecl, ast.TargetDecl, ast.DeadlineDecl)) or not decl.implements:
                continue
            key = (policy or "", decl.implements, getattr(decl, "part", None))
            if key in seen:
                first_name, first_span = seen[key]
                found.append(warning(
                    "W103", f"catalogue id `{decl.implements}` is implemented twice in policy `{policy}`: "
                            f"by `{first_name}` and by `{decl.name}`", decl.span,
                    notes=[Note(message=f"`{first_name}` implements it too", span=first_span)],
                    hint="if the document's rule has several parts, say so: "
                         "`# lint: allow W103 <which part each rule is>`"))
            else:
                seen[key] = (decl.name, decl.span)
    return found


# ---- W104–W106: declared, never used -----------------------------------------------------

def unused(program: ir.Program, graph, modules: tuple[ast.Module, ...], mine) -> list[Diagnostic]:
    found = []
    for name, parameter in program.parameters.items():
        if not graph.out_degree(graph_stage.param_node(name)):
            found.append(warning("W104", f"parameter `{name.split('::')[-1]}` is declared but never used",
                                 parameter.span))
    for name, table in program.tables.items():
        if not graph.out_degree(graph_stage.table_node(name)):
            found.append(warning("W104", f"table `{name.split('::')[-1]}` is declared but never used", table.span))
    for (kind, name), value in program.values.items():
        if not graph.out_degree(graph_stage.value_node(kind, name)):
            found.append(warning("W104", f"value `{name}` for {kind} is declared but never used", value.span,
                                 hint="use it in a rule, or delete it"))
    engine_made = {"document_in_force", "document_not_yet_in_force", "document_lapsed", "document_repealed",
                   "document_status_unknown"}
    for module in modules:
        for decl in module.declarations:
            if isinstance(decl, ast.OutcomeDecl) and mine(decl.span) and decl.name not in engine_made:
                node = graph_stage.outcome_node(decl.name)
                if graph.has_node(node) and not graph.in_degree(node):
                    found.append(warning("W105", f"outcome `{decl.name}` is declared but no rule produces it",
                                         decl.span))
            elif isinstance(decl, ast.EntityDecl):
                schema = program.entities.get(decl.name)
                for fact in decl.facts:
                    node = graph_stage.fact_node(decl.name, fact.name)
                    if mine(fact.span) and graph.has_node(node) and not graph.out_degree(node) \
                            and (schema is None or schema.group != fact.name):
                        found.append(warning("W106", f"fact `{decl.name}.{fact.name}` is declared but no rule "
                                                     f"or value reads it", fact.span))
    return found


# ---- W107: boundary words (catalogue G1) ------------------------------------------------

# A word written just before the number, and one within a few characters after it (after the
# unit or measure word: 「5个位次以上」), with the comparison each means (G1).
_BEFORE = (("不低于", ">="), ("不少于", ">="), ("达到", ">="), ("至少", ">="), ("不超过", "<="), ("不高于", "<="),
           ("不大于", "<="), ("至多", "<="), ("超过", ">"), ("突破", ">"), ("高于", ">"), ("大于", ">"),
           ("多于", ">"), ("超", ">"), ("低于", "<"), ("少于", "<"), ("不足", "<"), ("不满", "<"))
_AFTER = re.compile(r"^[^\d，。,；;：:、\s（()）]{0,6}?(及以上|以上|以下|以内)")
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}


def boundary_words(modules: tuple[ast.Module, ...]) -> list[Diagnostic]:
    found = []
    for module in modules:
        parameters = {d.name: d.value for d in module.declarations if isinstance(d, ast.ParameterDecl)}
        for decl in module.declarations:
            quote = getattr(decl, "quote", None)
            if not quote or not isinstance(decl, (ast.RuleDecl, ast.TargetDecl)):
                continue
            roots = [decl.condition] if isinstance(decl, ast.RuleDecl) else [decl.applies, decl.require]
            for root in roots:
                for node in ast.walk(root) if root is not None else ():
                    if isinstance(node, ast.Compare) and node.op in _FLIP:
                        problem = _boundary_problem(node, quote, parameters)
                        if problem:
                            found.append(warning("W107", problem[0], node.span, hint=problem[1],
                                                 notes=[Note(message=f"the quote: 「{quote}」")]))
    return found


def _threshold(expr: ast.Expr, parameters: Mapping[str, ast.Expr]) -> str | None:
    """The number a threshold is written as (a literal, or a parameter set to one)."""
    match expr:
        case ast.NumberLit(value=value):
            return format_number(value) if not isinstance(value, int) else str(value)
        case ast.Name(name=name) if name in parameters:
            return _threshold(parameters[name], {})
    return None


def _word_at(quote: str, number: str) -> tuple[str, str] | None:
    """The boundary word the quote attaches to a number, and the comparison it means."""
    for match in re.finditer(r"(?<![\d.])" + re.escape(number) + r"(?![\d.])", quote):
        before = quote[: match.start()]
        for word, op in _BEFORE:
            if before.endswith(word):
                return word, op
        after = _AFTER.match(quote[match.end():])
        if after:
            return after.group(1), ">=" if after.group(1).endswith("以上") else "<="
    return None


def _boundary_problem(node: ast.Compare, quote: str, parameters: Mapping[str, ast.Expr]) -> tuple[str, str] | None:
    right, left = _threshold(node.right, parameters), _threshold(node.left, parameters)
    if right is not None and left is None:
        op, number = node.op, right
    elif left is not None and right is None:
        op, number = _FLIP[node.op], left  # `5 <= x` reads as `x >= 5`
    else:
        return None
    said = _word_at(quote, number)
    if said is None or said[1] == op or said[1][0] != op[0]:
        return None  # no word for this number, the same comparison, or a word about the other direction
    word, meant = said
    written = meant if op == node.op else _FLIP[meant]
    inclusive = meant.endswith("=")
    return (f"`{node.op}` {'excludes' if inclusive else 'includes'} the boundary {number}, but the quote says "
            f"「{word}」 of it, which {'includes' if inclusive else 'excludes'} it (catalogue G1)",
            f"write `{written}`")


# ---- W108: a text value no data set holds ------------------------------------------------

def observed_text(policies: api.PolicySet, data: Iterable[str]) -> dict[tuple[str, str], set[str]]:
    """(entity kind, fact) -> every text value the data sets given hold for it.

    Scenario facts are not used: they are a few made-up cases, not the domain of a fact."""
    seen: dict[tuple[str, str], set[str]] = {}

    def note(kind: str, row: Mapping) -> None:
        for name, value in row.items():
            if isinstance(value, str) and name not in ("id", "period"):
                seen.setdefault((kind, name), set()).add(value)

    for path in data:
        dataset = policies.load_data(path)
        for kind, records in dataset.kinds.items():
            for record in records.values():
                note(kind, record.static)
                for row in record.periods.values():
                    note(kind, row)
    return seen


def unheld_text(program: ir.Program, observed: Mapping[tuple[str, str], set[str]]) -> list[Diagnostic]:
    found = []
    for root, _ in _conditions(program):
        for node in ir.walk(root):
            for subject, literal in _text_tests(node):
                if subject.type.is_enum:
                    held, where = set(subject.type.members), f"enumeration `{subject.type}`"
                else:
                    held, where = observed.get((subject.entity, subject.name)), "data set"
                if not held or literal.value in held:
                    continue
                hint = did_you_mean(literal.value, held)
                shown = ", ".join(f'"{v}"' for v in sorted(held)[:6]) + (", …" if len(held) > 6 else "")
                message = (f'`{subject.name}` can never be "{literal.value}": no {where} holds it '
                           f"(it holds {shown})") if subject.type.is_enum else (
                    f'no data set has `{subject.name}` = "{literal.value}" (they hold {shown})')
                found.append(warning("W108", message, literal.span if literal.span.line > 0 else node.span,
                                     hint=hint))
    return found


def _text_tests(node: ir.Expr):
    """(fact, text literal) for each `=`, `!=`, `in` test of a text or enumeration fact."""
    def fact_of(expr):
        while isinstance(expr, ir.Via):
            expr = expr.inner
        if isinstance(expr, (ir.Fact, ir.Derived)) and (expr.type.name == "text" or expr.type.is_enum):
            return expr
        return None

    def text(expr) -> bool:
        return isinstance(expr, ir.Const) and isinstance(expr.value, str) and not expr.type.is_enum

    match node:
        case ir.Compare(op="=" | "!=", left=left, right=right):
            for subject, other in ((left, right), (right, left)):
                fact = fact_of(subject)
                if fact is not None and text(other):
                    yield fact, other
        case ir.Member(operand=operand, options=options):
            fact = fact_of(operand)
            if fact is not None:
                yield from ((fact, option) for option in options if text(option))


# ---- `# lint: allow CODE reason` --------------------------------------------------------

def apply_allows(found: list[Diagnostic], sources: Mapping[str, SourceFile],
                 named: set[Path]) -> tuple[list[Diagnostic], int]:
    """Drop the warnings an allow comment silences; report allows without a reason or a use."""
    allows: dict[tuple[str, int], list[list]] = {}  # (path, line it covers) -> [codes, span, used, reason]
    for path, source in sources.items():
        if Path(path).resolve() not in named:
            continue
        lines = source.text.split("\n")
        for comment in comments_of(source.text):
            match = _ALLOW.search(comment.text)
            if match is None:
                continue
            codes = set(re.findall(r"W\d{3}", match.group(1)))
            column = lines[comment.line - 1].find("#") + 1
            span = Span(path=path, line=comment.line, column=column, end_line=comment.line,
                        end_column=column + len(comment.text))
            covered = comment.line if comment.after_code else _next_code_line(lines, comment.line)
            allows.setdefault((path, covered), []).append([codes, span, False, match.group(2).strip()])
    kept, silenced = [], 0
    for d in found:
        entries = allows.get((d.span.path, d.span.line), [])
        matching = [e for e in entries if d.code in e[0]]
        if matching:
            for entry in matching:
                entry[2] = True
            silenced += 1
        else:
            kept.append(d)
    for entries in allows.values():
        for codes, span, used, reason in entries:
            listed = ", ".join(sorted(codes))
            if not reason:
                kept.append(warning("W100", f"`# lint: allow {listed}` gives no reason", span,
                                    hint=f"write why: `# lint: allow {listed} the document says so twice`"))
            if not used:
                kept.append(warning("W100", f"`# lint: allow {listed}` silences nothing on the line it covers",
                                    span, hint="delete it, or move it to the line of the warning"))
    return sorted(kept, key=lambda d: (d.span.path, d.span.line, d.span.column, d.code)), silenced


def _next_code_line(lines: list[str], after: int) -> int:
    for number in range(after + 1, len(lines) + 1):
        stripped = lines[number - 1].strip()
        if stripped and not stripped.startswith("#"):
            return number
    return after


# ---- the command -------------------------------------------------------------------------

def add_command(commands) -> None:
    parser = commands.add_parser("lint", help="warn about policies that check but are likely wrong")
    parser.add_argument("policy", nargs="+", help=".pol file or folder")
    parser.add_argument("--data", action="append", default=[],
                        help="a data set whose text values the policies' text tests are checked against "
                             "(repeatable; scenario facts are always used)")
    parser.add_argument("--format", choices=("text", "json"), default="text")


def run_command(args) -> int:
    try:
        result = lint_paths(args.policy, args.data)
    except DataError as err:
        print("error: bad data:\n" + "\n".join(f"  {p}" for p in err.problems), file=sys.stderr)
        return EXIT_INPUT
    errors = [d for d in result.diagnostics if d.is_error]
    if args.format == "json":
        print(json.dumps({"diagnostics": [d.to_json() for d in result.diagnostics], "silenced": result.silenced},
                         ensure_ascii=False, indent=2))
    elif result.diagnostics:
        print(render_all(result.diagnostics, result.sources))
    else:
        print(f"ok: no warnings ({result.silenced} allowed)")
    if errors and any(d.code in ("E001", "E002") for d in errors):
        return EXIT_INPUT
    return EXIT_FINDINGS if result.diagnostics else EXIT_OK
