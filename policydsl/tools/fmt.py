"""`policydsl fmt`: policy text in, the same program in the canonical layout out.

The AST has no comments, so the formatter takes them from the text itself: a scan of each line
that skips string literals finds every `#` comment and whether code precedes it on its line.
The printer (`language/printer.py`) gives each printed line the source lines of the node it
prints; each comment is then put back beside the code it was written with:

- a comment on a line of its own goes before the printed line of the first node that starts
  after it (or, if it sits inside a node that spans several lines, before that node);
- a comment after code goes at the end of the printed line of the node on whose line it was
  (a second one on the same printed line goes on its own line above);
- a run of blank lines between two nodes becomes one blank line; none is added.

Every comment is placed exactly once, and the result is checked before it is returned: it must
parse to the same AST (spans aside) as the input, or the formatter refuses with `FormatError`
rather than change a program. Formatting is idempotent (a property test checks both).
"""

from __future__ import annotations

import difflib
import sys
from pathlib import Path

import attrs

from policydsl.diagnostics import Diagnostic, SourceFile, render_all
from policydsl.language import ast
from policydsl.language.build import build_source, policy_files
from policydsl.language.printer import Line, declaration_lines
from policydsl.language.sources import decode_source, read_source
from policydsl.language.syntax import normalise
from policydsl.tools.exits import EXIT_FINDINGS, EXIT_INPUT, EXIT_OK
from policydsl import output_files


@attrs.frozen
class Comment:
    line: int  # 1-based
    text: str  # from `#` to the end of the line, trailing spaces removed
    after_code: bool


class FormatError(Exception):
    """The text cannot be formatted: it does not parse, or formatting would change its meaning."""

    def __init__(self, message: str, diagnostics: tuple[Diagnostic, ...] = ()):
        self.diagnostics = diagnostics
        super().__init__(message)


def comments_of(text: str) -> list[Comment]:
    """Every `#` comment of a policy text (a `#` inside a string literal is not one)."""
    found = []
    for number, line in enumerate(text.split("\n"), start=1):
        in_string = escaped = False
        for column, char in enumerate(line):
            if in_string:
                if escaped:
                    escaped = False
                elif char == "\\":
                    escaped = True
                elif char == '"':
                    in_string = False
            elif char == '"':
                in_string = True
            elif char == "#":
                found.append(Comment(line=number, text=line[column:].rstrip(),
                                     after_code=bool(line[:column].strip())))
                break
    return found


def _anchor(lines: list[Line], source_lines: list[str], first: int, last: int) -> list[tuple[int, int]]:
    """(start, end) source lines for each printed line of one declaration.

    A line printed from a node without a span (`implements`, `cite`, `due`) is found by its
    keyword at the start of a source line of the declaration; failing that it shares the
    previous line's place.
    """
    anchored = []
    previous = (first, first)
    for line in lines:
        if line.start is not None:
            place = (line.start, line.end if line.end is not None else line.start)
        else:
            keyword = line.text.split()[0]
            place = previous
            for number in range(previous[1], last + 1):
                code = source_lines[number - 1].split("#", 1)[0].split()
                if code and code[0] == keyword:
                    place = (number, number)
                    break
        anchored.append(place)
        previous = place
    return anchored


def format_module(module: ast.Module, text: str) -> str:
    """The canonical text of a module, with the comments and blank-line groups of `text`."""
    source_lines = text.split("\n")
    printed: list[Line] = []
    places: list[tuple[int, int]] = []
    starts = [d.span.line for d in module.declarations] + [len(source_lines) + 1]
    for declaration, following in zip(module.declarations, starts[1:]):
        lines = declaration_lines(declaration)
        printed += lines
        # a declaration's span is its name; it extends to the line before the next one
        places += _anchor(lines, source_lines, declaration.span.line, following - 1)
    own_line: dict[int, list[Comment]] = {}
    trailing: dict[int, list[Comment]] = {}
    closing: list[Comment] = []
    for comment in comments_of(text):
        if comment.after_code:
            index = _line_holding(places, comment.line)
            if index is not None:
                trailing.setdefault(index, []).append(comment)
                continue
        index = _line_after(places, comment.line)
        if index is None:
            closing.append(comment)
        else:
            own_line.setdefault(index, []).append(comment)
    blank = {n for n, line in enumerate(source_lines, start=1) if not line.strip()}
    out: list[str] = []
    previous_end = 0
    for index, (line, (start, end)) in enumerate(zip(printed, places)):
        extra = trailing.get(index, [])[1:]
        indent = line.text[: len(line.text) - len(line.text.lstrip())]
        out += [indent + item if item else item
                for item in _gap(own_line.get(index, []) + extra, blank, previous_end, start)]
        trail = trailing.get(index, [])[:1]
        out.append(line.text + (f"  {trail[0].text}" if trail else ""))
        previous_end = max(previous_end, end)
    out += _gap(closing, blank, previous_end, len(source_lines) + 1)
    while out and not out[-1]:
        out.pop()
    while out and not out[0]:
        out.pop(0)
    return "\n".join(out) + "\n" if out else ""


def _line_holding(places: list[tuple[int, int]], line: int) -> int | None:
    """The printed line of the node a comment after code sits on: the last one starting at the
    latest start at or before the comment's line, if that node reaches the line."""
    best = None
    for index, (start, end) in enumerate(places):
        if start <= line and (best is None or start >= places[best][0]):
            best = index
    if best is None or max(end for start, end in places if start == places[best][0]) < line:
        return None
    return best


def _line_after(places: list[tuple[int, int]], line: int) -> int | None:
    """The printed line a comment on its own line goes before: the node that spans the comment
    (a comment inside a multi-line expression), else the first that starts after it."""
    for index, (start, end) in enumerate(places):
        if start < line <= end:
            return index
    later = [(start, index) for index, (start, _) in enumerate(places) if start > line]
    return min(later)[1] if later else None


def _gap(comments: list[Comment], blank: set[int], after: int, before: int) -> list[str]:
    """Own-line comments and at most one blank line at a time, in source order."""
    items = sorted([(c.line, c.text) for c in comments]
                   + [(n, "") for n in blank if after < n < before])
    out: list[str] = []
    for _, text in items:
        if text:
            out.append(text)
        elif not out or out[-1]:  # a run of blank lines becomes one
            out.append("")
    return out


def format_text(text: str, path: str = "<input>") -> str:
    """Format one file's text; raise FormatError if it does not parse or would change meaning."""
    text = normalise(text)
    module, diagnostics = build_source(SourceFile(path=path, text=text))
    errors = tuple(d for d in diagnostics if d.is_error)
    if module is None or errors:
        raise FormatError(f"{path}: cannot format a file with syntax errors", errors or tuple(diagnostics))
    formatted = format_module(module, text)
    again, problems = build_source(SourceFile(path=path, text=formatted))
    if again is None or problems or again != module:
        raise FormatError(f"{path}: formatting would change the program; left unchanged "
                          "(please report this as a bug)")
    if sorted(c.text for c in comments_of(formatted)) != sorted(c.text for c in comments_of(text)):
        raise FormatError(f"{path}: formatting would lose a comment; left unchanged (please report this as a bug)")
    return formatted


@attrs.frozen(kw_only=True)
class FileResult:
    path: str
    original: str
    formatted: str | None  # None when the file could not be formatted
    error: FormatError | None = None

    @property
    def changed(self) -> bool:
        return self.formatted is not None and self.formatted != self.original

    def diff(self) -> str:
        return "".join(difflib.unified_diff(self.original.splitlines(keepends=True),
                                            (self.formatted or "").splitlines(keepends=True),
                                            fromfile=f"a/{self.path}", tofile=f"b/{self.path}"))


def format_paths(paths: list[str]) -> tuple[list[FileResult], list[Diagnostic]]:
    """Format every `.pol` file named or inside a folder named (imports are not followed)."""
    files, problems = policy_files(paths)
    results = []
    for file in files:
        source, problem = read_source(Path(file))  # as `check` reads it: UTF-8, a BOM skipped, NFC
        if problem is not None:  # unreadable, or not UTF-8: an input error, E002 (nothing is formatted)
            problems.append(problem)
            continue
        original = source.text
        try:
            results.append(FileResult(path=str(file), original=original,
                                      formatted=format_text(original, str(file))))
        except FormatError as err:
            results.append(FileResult(path=str(file), original=original, formatted=None, error=err))
    return results, problems


def add_command(commands) -> None:
    """Register `policydsl fmt` on the command line's subparsers."""
    parser = commands.add_parser("fmt", help="rewrite policy files in the canonical layout")
    parser.add_argument("policy", nargs="+", help=".pol file or folder; `-` reads standard input and "
                                                  "writes the formatted text to standard output")
    parser.add_argument("--check", action="store_true",
                        help="change nothing; list the files that would change and exit 1 if any")
    parser.add_argument("--diff", action="store_true", help="change nothing; print what would change")


def run_command(args) -> int:
    if args.policy == ["-"]:
        source, problem = decode_source(Path("<stdin>"), sys.stdin.buffer.read())
        if problem is not None:
            print(render_all([problem], {}), file=sys.stderr)
            return EXIT_INPUT
        text = source.text
        try:
            formatted = format_text(text, "<stdin>")
        except FormatError as err:
            _report_error(err, {"<stdin>": SourceFile(path="<stdin>", text=text)})
            return EXIT_FINDINGS
        if args.check:
            return EXIT_FINDINGS if formatted != text else EXIT_OK
        sys.stdout.write(formatted)
        return EXIT_OK
    results, problems = format_paths(args.policy)
    if problems:
        print(render_all(problems, {}), file=sys.stderr)
        return EXIT_INPUT
    changed = [r for r in results if r.changed]
    failed = [r for r in results if r.error is not None]
    for result in failed:
        _report_error(result.error, {result.path: SourceFile(path=result.path, text=result.original)})
    if args.diff:
        for result in changed:
            sys.stdout.write(result.diff())
    if args.check or args.diff:
        for result in changed:
            print(f"would reformat {result.path}", file=sys.stderr if args.diff else sys.stdout)
    else:
        for result in changed:
            output_files.write_text(result.path, result.formatted)
            print(f"reformatted {result.path}")
    verb = "would be reformatted" if args.check or args.diff else "reformatted"
    summary = f"{len(changed)} file{'s' if len(changed) != 1 else ''} {verb}, " \
              f"{len(results) - len(changed) - len(failed)} unchanged"
    if failed:
        summary += f", {len(failed)} could not be formatted"
    print(summary, file=sys.stderr)
    if failed or (args.check and changed):
        return EXIT_FINDINGS
    return EXIT_OK


def _report_error(err: FormatError, sources: dict[str, SourceFile]) -> None:
    if err.diagnostics:
        print(render_all(err.diagnostics, sources), file=sys.stderr)
    print(f"error: {err}", file=sys.stderr)
