"""Stage 1, parse: policy text in, Lark syntax tree out (or diagnostics).

Only `build` imports this module: the Lark tree never travels further than the stage that
turns it into the AST. This is the one place where Lark's exceptions become diagnostics;
common mistakes are recognised by the parser state and token of an example, and named.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from importlib import resources
from pathlib import Path

import attrs
import lark
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from policydsl.diagnostics import Diagnostic, SourceFile, Span, error
from policydsl.language.grammar_cache import cached_parser
from policydsl.language.limits import MAX_NESTING

DECLARATION_KEYWORDS = ("policy", "import", "type", "entity", "parameter", "table", "value",
                        "outcome", "ladder", "highest", "rule", "target", "deadline", "scope", "reference")
_DECLARATION_START = re.compile(r"^[ \t]*(" + "|".join(DECLARATION_KEYWORDS) + r")\b", re.MULTILINE)
_MAX_SYNTAX_ERRORS = 20

# Small programs that each fail the way a common mistake does; an error that fails in the same
# parser state gets the message of its example.
COMMON_MISTAKES: dict[tuple[str, str, str | None], list[str]] = {
    ("E102", "`==` is not an operator: equality is a single `=`", None): [
        "rule r for e when a == 1 then o",
        "value v for e = a == 1",
    ],
    ("E103", "`:=` is not used: a declaration's value follows a plain `=`", None): [
        "value v for e := 1",
        "parameter p := 1",
    ],
    ("E104", "a rule's `when` condition must be followed by `then` and an outcome",
     "write `then OUTCOME` after the condition"): [
        "rule r for e when a = 1 o",
        "rule r for e when a = 1 rule",
    ],
    ("E105", "a fact needs `:` and a type after its name",
     "write e.g. `yearly score: decimal`"): [
        "entity e yearly x integer",
        "entity e static x text",
    ],
    ("E106", "unclosed parenthesis", "add the missing `)`"): [
        "value v for e = (1 + 2",
        "value v for e = f(1, 2",
        "value v for e = (1 + 2 rule",
    ],
    ("E107", "`&&`, `||` and `!` are written `and`, `or` and `not`", None): [
        "value v for e = a && b",
        "value v for e = a || b",
        "value v for e = !a",
    ],
    ("E108", "text is written in double quotes", 'write "…" rather than \'…\''): [
        "policy p title 'x'",
        "value v for e = 'x'",
    ],
    ("E109", "a value declaration names its entity kind: `value NAME for ENTITY = …`", None): [
        "value v = 1",
        "value v \"l\" = 1",
    ],
}


def _grammar_text() -> str:
    packaged = resources.files("policydsl") / "grammar" / "policy.lark"
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    checkout = Path(__file__).resolve().parents[2] / "grammar" / "policy.lark"
    return checkout.read_text(encoding="utf-8")


@functools.cache
def parser() -> lark.Lark:
    """The Lark parser, built once per process (it holds no per-parse state)."""
    return cached_parser(_grammar_text(), parser="lalr", propagate_positions=True,
                         maybe_placeholders=False)  # tables kept in a private folder (grammar_cache)


def normalise(text: str) -> str:
    """Chinese names and labels compare equal however they were typed: NFC throughout."""
    return unicodedata.normalize("NFC", text)


def _describe_expected(expected: set[str]) -> str:
    names = []
    for terminal in sorted(expected):
        pattern = parser().get_terminal(terminal).pattern if terminal != "$END" else None
        if terminal == "$END":
            names.append("end of file")
        elif pattern is not None and pattern.type == "str":
            names.append(f"`{pattern.value}`")
        else:
            names.append(terminal.lower())
    if len(names) > 8:
        names = names[:8] + ["…"]
    return ", ".join(names)


def _token_text(err: UnexpectedInput, text: str) -> str:
    if isinstance(err, UnexpectedToken):
        if err.token.type == "$END":
            return "end of file"
        return f"`{err.token}`"
    if isinstance(err, UnexpectedCharacters):
        return f"`{text[err.pos_in_stream]}`"
    return "end of file"


def _diagnostic_for(err: UnexpectedInput, source: SourceFile, text: str, end: int,
                    keyword: str = "") -> Diagnostic:
    line = getattr(err, "line", None) or 0
    column = getattr(err, "column", None) or 0
    if isinstance(err, UnexpectedEOF) or (isinstance(err, UnexpectedToken) and err.token.type == "$END"):
        # The declaration ran out: point just after its last written character.
        before = text[:end].rstrip()
        line = before.count("\n") + 1
        column = len(before) - (before.rfind("\n") + 1) + 1
    width = 1
    if isinstance(err, UnexpectedToken) and err.token.type != "$END":
        width = max(len(str(err.token)), 1)
    span = Span(path=source.path, line=line, column=column, end_line=line, end_column=column + width)
    if isinstance(err, UnexpectedCharacters):
        return _character_mistake(text[err.pos_in_stream:err.pos_in_stream + 2], span)
    known = _recognised(err)
    if known is not None and known[0] == "E104" and keyword != "rule":
        known = None  # a target's or a deadline's `when` has no `then`
    if known is not None:
        code, message, hint = known
        return error(code, message, span, hint=hint)
    expected = getattr(err, "expected", None) or getattr(err, "allowed", None) or set()
    message = f"unexpected {_token_text(err, text)}"
    hint = f"expected {_describe_expected(set(expected))}" if expected else None
    return error("E101", message, span, hint=hint)


# Characters that are no token of the language, each with what was probably meant. Chinese input
# methods type full-width forms of ASCII punctuation; they get their own message (E118).
_FULL_WIDTH = {"（": "(", "）": ")", "，": ",", "：": ":", "＝": "=", "＋": "+", "－": "-", "＊": "*",
               "／": "/", "＜": "<", "＞": ">", "％": "%", "［": "[", "］": "]", "｛": "{", "｝": "}",
               "＃": "#", "＂": '"', "！": "!", "＆": "&", "｜": "|", "；": ";", "．": "."}
_SYMBOLS = {
    "×": ("multiplication is written `*`", None),
    "÷": ("division is written `/`", None),
    "￥": ("money is written with its unit after the number", "write e.g. `5万元`"),
    "¥": ("money is written with its unit after the number", "write e.g. `5万元`"),
    "。": ("a declaration ends at the end of its line: no full stop `。`", "remove the `。`"),
    "、": ("items are separated by `,`, not `、`", None),
    "“": ('text is written in straight double quotes "…"', None),
    "”": ('text is written in straight double quotes "…"', None),
    "；": ("a declaration ends at the end of its line: no `;`", "remove the `;`"),
    ";": ("a declaration ends at the end of its line: no `;`", "remove the `;`"),
}


def _character_mistake(at: str, span: Span) -> Diagnostic:
    """The diagnostic for a character no token starts with: each known mistake by its own name."""
    char = at[:1]
    one = attrs.evolve(span, end_column=span.column + 1)
    if at in ("&&", "||") or char == "!":
        return error("E107", "`&&`, `||` and `!` are written `and`, `or` and `not`", one)
    if char == "&":
        return error("E107", "`&` is not an operator: conditions are joined with `and`", one)
    if char in "'‘’":
        return error("E108", "text is written in double quotes", one, hint='write "…" rather than \'…\'')
    if char in _FULL_WIDTH:
        return error("E118", f"the full-width `{char}` is written `{_FULL_WIDTH[char]}`", one,
                     hint="switch the input method to half-width (English) punctuation for code")
    if char in _SYMBOLS:
        message, hint = _SYMBOLS[char]
        return error("E118", message, one, hint=hint)
    name = unicodedata.name(char, "")
    return error("E101", f"unexpected character `{char}` (U+{ord(char):04X}{' ' + name if name else ''})", one)


def _state_of(err: UnexpectedInput) -> object:
    state = getattr(err, "state", None)
    return getattr(state, "position", state)


@functools.cache
def _mistake_signatures() -> tuple[tuple[tuple, tuple[str, str, str | None]], ...]:
    """For each example of COMMON_MISTAKES, how the parser fails on it: (parser state, token type)."""
    found = []
    for label, examples in COMMON_MISTAKES.items():
        for example in examples:
            try:
                parser().parse(example)
            except (UnexpectedToken, UnexpectedEOF) as err:
                found.append(((_state_of(err), _token_type(err)), label))
            except UnexpectedInput:
                continue
    return tuple(found)


def _token_type(err: UnexpectedInput) -> str:
    token = getattr(err, "token", None)
    return getattr(token, "type", "$END") if token is not None else "$END"


def _recognised(err: UnexpectedInput) -> tuple[str, str, str | None] | None:
    """The common mistake an error is, if the parser fails in the same state on the same kind
    of token as one of its examples (so that a message fires only for its own mistake)."""
    if not isinstance(err, (UnexpectedToken, UnexpectedEOF)):
        return None
    signature = (_state_of(err), _token_type(err))
    for known, label in _mistake_signatures():
        if known == signature:
            return label
    return None


def _blank(text: str, start: int, end: int) -> str:
    """Replace text[start:end] by spaces, keeping line breaks so positions stay true."""
    return text[:start] + re.sub(r"[^\n]", " ", text[start:end]) + text[end:]


def _offset(text: str, line: int, column: int) -> int:
    lines = text.split("\n")
    return sum(len(item) + 1 for item in lines[: max(line - 1, 0)]) + max(column - 1, 0)


def parse_tree(source: SourceFile) -> tuple[lark.Tree | None, list[Diagnostic]]:
    """Parse a whole file, reporting every declaration that fails rather than only the first.

    After an error the failing declaration is blanked out up to the next line that starts a
    declaration, and parsing starts again, so each broken declaration gets its own diagnostic.
    """
    text = normalise(source.text)
    diagnostics: list[Diagnostic] = []
    for _ in range(_MAX_SYNTAX_ERRORS):
        try:
            tree = parser().parse(text)
        except UnexpectedInput as err:
            begin, end = _failing_declaration(err, text)
            keyword = text[begin:end].split(None, 1)[0] if text[begin:end].strip() else ""
            diagnostics.append(_diagnostic_for(_isolated_error(err, text, begin, end), source, text, end, keyword))
            if end <= begin or not text[begin:end].strip():
                break
            text = _blank(text, begin, end)
            continue
        too_deep = _too_deep(tree, source)
        if too_deep is not None:
            diagnostics.append(too_deep)
        return (tree if not diagnostics else None), diagnostics
    return None, diagnostics


def _too_deep(tree: lark.Tree, source: SourceFile) -> Diagnostic | None:
    """E117 where an expression nests deeper than MAX_NESTING levels (measured without recursion).

    Each operator of a chain `a + b - c` counts as a level, because the chain is evaluated as
    `(a + b) - c`."""
    pending = [(tree, 0)]
    while pending:
        node, depth = pending.pop()
        if depth > MAX_NESTING:
            meta = node.meta
            span = Span(path=source.path, line=meta.line, column=meta.column, end_line=meta.line,
                        end_column=meta.column + 1)
            return error("E117", f"this expression nests more than {MAX_NESTING} levels deep", span,
                         hint="split it into named values (`value part for KIND = …`)")
        # a chain of one operand is no level of its own: `(x)` is `x` inside one pair of parentheses
        chain = node.data in ("or_chain", "and_chain", "arith_chain")
        step = (len(node.children) // 2 if node.data == "arith_chain" else 1) if chain else 1
        if chain and len(node.children) == 1:
            step = 0
        pending.extend((child, depth + step) for child in node.children if isinstance(child, lark.Tree))
    return None


def _failing_declaration(err: UnexpectedInput, text: str) -> tuple[int, int]:
    """The text range of the declaration in which a parse error was found."""
    failed_at = _offset(text, getattr(err, "line", 1) or 1, getattr(err, "column", 1) or 1)
    if isinstance(err, UnexpectedEOF) or (isinstance(err, UnexpectedToken) and err.token.type == "$END"):
        failed_at = len(text)
    starts = [m.start(1) for m in _DECLARATION_START.finditer(text)]
    # An error found at a declaration keyword belongs to the declaration before it.
    previous = [s for s in starts if s < failed_at]
    following = [s for s in starts if s >= failed_at]
    return (previous[-1] if previous else 0), (following[0] if following else len(text))


def _isolated_error(err: UnexpectedInput, text: str, begin: int, end: int) -> UnexpectedInput:
    """The same error, found again with the failing declaration alone in the file.

    Recognising a common mistake compares parser states, and a parser's stack also holds the
    declarations before the broken one; parsing the declaration alone makes the stack match.
    """
    alone = _blank(_blank(text, end, len(text)), 0, begin)
    try:
        parser().parse(alone)
    except UnexpectedInput as again:
        return again
    return err
