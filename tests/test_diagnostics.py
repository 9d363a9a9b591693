"""Golden tests for diagnostics: each `tests/golden/diagnostics/*.pol` against its `.expected`.

Run `pytest tests/test_diagnostics.py --update-golden` to rewrite the expected files, then review
the diff. Every error code the checker emits has a file here.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT, check_golden

import policydsl
from policydsl.diagnostics import render_all

GOLDEN = ROOT / "tests" / "golden" / "diagnostics"
CASES = sorted(GOLDEN.glob("*.pol"))


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_diagnostics_match_golden_file(case: Path, update_golden, monkeypatch):
    monkeypatch.chdir(ROOT)  # paths in the output are relative to the checkout
    compiled = policydsl.compile_paths([case.relative_to(ROOT)])
    assert not compiled.ok, "a diagnostics case must produce at least one error"
    actual = render_all(compiled.diagnostics, compiled.sources) + "\n"
    check_golden(case.with_suffix(".expected"), actual, update_golden)


def test_every_case_is_named_after_a_code_it_produces(monkeypatch):
    monkeypatch.chdir(ROOT)
    for case in CASES:
        code = case.stem.split("_")[0]
        if not code.startswith("E"):
            continue
        compiled = policydsl.compile_paths([case.relative_to(ROOT)])
        assert code in {d.code for d in compiled.diagnostics}, case.name


def test_diagnostics_never_leak_a_traceback_for_any_golden_case(monkeypatch):
    monkeypatch.chdir(ROOT)
    for case in CASES:
        text = render_all(policydsl.compile_paths([case.relative_to(ROOT)]).diagnostics, {})
        assert "Traceback" not in text


def test_a_very_long_source_line_is_quoted_around_the_caret_not_whole():
    """A generated file's line of 240 KB was printed whole under its diagnostic."""
    from policydsl.diagnostics import SourceFile, Span, error, render

    text = "value v for firm = " + " + ".join(f"a{i}" for i in range(5000))
    column = text.index("a4321") + 1
    diagnostic = error("E117", "nested too deeply", Span(path="p.pol", line=1, column=column, end_line=1,
                                                       end_column=column + 5))
    quoted, caret = render(diagnostic, {"p.pol": SourceFile(path="p.pol", text=text)}).splitlines()[1:3]
    assert len(quoted) < 200 and quoted.startswith("   1 | …") and quoted.endswith("…")
    at = caret.index("^")
    assert quoted[at:at + 5] == "a4321" and caret.count("^") == 5


@pytest.mark.parametrize("separator", ["\u2028", "\u0085", "\x0c", "\x0b", "\x1c"])
def test_the_quoted_line_is_the_line_reported_whatever_a_comment_holds(tmp_path, separator):
    """The parser counts lines by "\\n" alone; the quote split also at U+2028, U+0085, a form feed…"""
    source = ('policy p\n  title "t"\n# a comment with a' + separator + 'line separator\n'
              'entity firm\n  yearly score: integer\nvalue v for firm = scroe + 1\n')
    path = tmp_path / "p.pol"
    path.write_text(source, encoding="utf-8")
    compiled = policydsl.compile_paths([path])
    [diagnostic] = compiled.diagnostics
    shown = render_all(compiled.diagnostics, compiled.sources)
    assert diagnostic.span.line == 6 and "   6 | value v for firm = scroe + 1" in shown
