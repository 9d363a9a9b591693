"""Diagnostics shared by every stage.

A stage reports problems as `Diagnostic` values (code, severity, span, message, notes, hint)
and never raises a Python exception for bad input. `render` turns one into the form
``path:line:col: error[E123]: message``, followed by the source line and a caret.
`PolicyError` carries a list of diagnostics out of the API when a stage has errors.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence

import attrs


@attrs.frozen(kw_only=True)
class SourceFile:
    """The text of one policy file, kept so that diagnostics can quote their line."""

    path: str
    text: str
    lines: tuple[str, ...] = attrs.field(init=False, eq=False, repr=False)  # split once, read per quote

    @lines.default
    def _split(self) -> tuple[str, ...]:
        # the parser counts lines by "\n" alone: so must the quote (`splitlines` also breaks at
        # U+2028, U+0085, a form feed…, which would quote the line above the one reported)
        return tuple(line.removesuffix("\r") for line in self.text.split("\n"))

    def line(self, number: int) -> str:
        if 1 <= number <= len(self.lines):
            return self.lines[number - 1]
        return ""


@attrs.frozen(kw_only=True)
class Span:
    """A region of a source file: 1-based line and column of its start and end."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    # True for an expression a lowering wrote (a target's `not_met` check): it has no text of its own
    generated: bool = attrs.field(default=False, eq=False)

    def __str__(self) -> str:
        if self.line <= 0:  # about a whole file (missing, unreadable): no position to give
            return self.path
        return f"{self.path}:{self.line}:{self.column}"


NO_SPAN = Span(path="<input>", line=0, column=0, end_line=0, end_column=0)


@attrs.frozen(kw_only=True)
class Note:
    message: str
    span: Span | None = None


@attrs.frozen(kw_only=True)
class Diagnostic:
    code: str
    severity: str  # "error" or "warning"
    message: str
    span: Span
    notes: tuple[Note, ...] = ()
    hint: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def to_json(self) -> dict:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "path": self.span.path,
            "line": self.span.line,
            "column": self.span.column,
            "notes": [
                {"message": n.message, **({"path": n.span.path, "line": n.span.line,
                                            "column": n.span.column} if n.span else {})}
                for n in self.notes
            ],
            "hint": self.hint,
        }


def error(code: str, message: str, span: Span, *, notes: Sequence[Note] = (),
          hint: str | None = None) -> Diagnostic:
    return Diagnostic(code=code, severity="error", message=message, span=span,
                      notes=tuple(notes), hint=hint)


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """A "did you mean" hint for an unknown name, or None when nothing is close."""
    known = sorted(set(candidates))
    # a name written in other capitals (`ID` for `id`) first: too short for a close match by letters
    matches = [c for c in known if c.lower() == name.lower() and c != name] or \
        difflib.get_close_matches(name, known, n=3, cutoff=0.6)
    if not matches:
        return None
    return "did you mean " + " or ".join(f"`{m}`" for m in matches) + "?"


def _quote(span: Span, sources: dict[str, SourceFile]) -> list[str]:
    source = sources.get(span.path)
    if source is None or span.line <= 0:
        return []
    text = source.line(span.line)
    gutter = f"{span.line:>4} | "
    width = 1
    if span.end_line == span.line and span.end_column > span.column:
        width = span.end_column - span.column
    column = span.column
    if len(text) > _LONGEST_QUOTE:  # a line of a generated file: the part around the caret, marked cut
        start = max(column - 1 - _LONGEST_QUOTE // 2, 0)
        end = min(start + _LONGEST_QUOTE, len(text))
        shown = text[start:end]
        text = ("…" if start else "") + shown + ("…" if end < len(text) else "")
        column = column - start + (1 if start else 0)
        width = min(width, len(shown) - (column - 1) + (1 if start else 0))
    caret_pad = _display_width(text[: max(column - 1, 0)])
    caret_width = max(_display_width(text[column - 1: column - 1 + width]), 1)
    return [gutter + text, " " * len(gutter) + " " * caret_pad + "^" * caret_width]


_LONGEST_QUOTE = 160  # characters of a source line quoted under a diagnostic


def _display_width(text: str) -> int:
    """Terminal columns taken by text: CJK characters take two, so carets line up."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def render(diagnostic: Diagnostic, sources: dict[str, SourceFile]) -> str:
    d = diagnostic
    lines = [f"{d.span}: {d.severity}[{d.code}]: {d.message}"]
    lines += _quote(d.span, sources)
    for note in d.notes:
        where = f"{note.span}: " if note.span else ""
        lines.append(f"  = note: {where}{note.message}")
        if note.span:
            lines += ["    " + q for q in _quote(note.span, sources)]
    if d.hint:
        lines.append(f"  = hint: {d.hint}")
    return "\n".join(lines)


def render_all(diagnostics: Sequence[Diagnostic], sources: dict[str, SourceFile]) -> str:
    ordered = sorted(diagnostics, key=lambda d: (d.span.path, d.span.line, d.span.column, d.code))
    body = "\n\n".join(render(d, sources) for d in ordered)
    errors = sum(1 for d in diagnostics if d.is_error)
    warnings = len(diagnostics) - errors
    summary = f"{errors} error{'s' if errors != 1 else ''}"
    if warnings:
        summary += f", {warnings} warning{'s' if warnings != 1 else ''}"
    return f"{body}\n\n{summary}" if body else summary


class PolicyError(Exception):
    """Raised by the API when a stage reports errors; carries every diagnostic."""

    def __init__(self, diagnostics: Sequence[Diagnostic], sources: dict[str, SourceFile] | None = None):
        self.diagnostics = tuple(diagnostics)
        self.sources = dict(sources or {})
        super().__init__(render_all(self.diagnostics, self.sources))


class BatchError(ValueError):
    """The plan's rules cannot be evaluated one part of an entity kind at a time
    (`PolicySet.evaluate_in_batches`)."""


class DataError(Exception):
    """Bad input data: carries messages that name the file, row and column (`problems`), the same
    as located records (`issues`, `schema.DataIssue`) when the loader made them, and the
    warnings found before the load stopped."""

    def __init__(self, problems: Sequence[str], *, issues: Sequence = (), warnings: Sequence = ()):
        self.problems = tuple(problems)
        self.issues = tuple(issues)
        self.warnings = tuple(warnings)
        super().__init__("\n".join(self.problems))
