"""`policydsl fmt`: one canonical layout that keeps every comment and blank-line group, never
changes the program, and is idempotent."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policydsl.cli import main
from policydsl.diagnostics import SourceFile
from policydsl.language.build import build_source
from policydsl.tools.fmt import FormatError, comments_of, format_text

from test_properties import policies

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "fmt"
SHIPPED = sorted((ROOT / "policies").rglob("*.pol"))


def ast_of(text: str):
    module, diagnostics = build_source(SourceFile(path="x.pol", text=text))
    assert module is not None and not [d for d in diagnostics if d.is_error], diagnostics
    return module


def test_messy_file_gets_the_canonical_layout_with_its_comments(update_golden):
    source = (GOLDEN / "messy.pol").read_text(encoding="utf-8")
    formatted = format_text(source, "messy.pol")
    expected = GOLDEN / "messy.expected"
    if update_golden:
        expected.write_text(formatted, encoding="utf-8")
    assert formatted == expected.read_text(encoding="utf-8")
    assert ast_of(formatted) == ast_of(source)
    assert [c.text for c in comments_of(formatted)] == [c.text for c in comments_of(source)]


def test_a_comment_marker_inside_a_string_is_not_a_comment():
    found = comments_of('policy p title "a # b"  # real\n')
    assert [c.text for c in found] == ["# real"]


def test_blank_line_runs_collapse_to_one_and_none_are_added():
    text = "type a = X | Y\n\n\n\ntype b = X | Y\ntype c = X | Y\n"
    assert format_text(text) == "type a = X | Y\n\ntype b = X | Y\ntype c = X | Y\n"


def test_long_conditions_break_before_their_operators():
    names = " and ".join(f"fact_number_{i} > {i}" for i in range(12))
    text = f"rule r\n  implements p.1\n  cite \"一\"\n  for e\n  when {names}\n  then o\n"
    formatted = format_text(text)
    when = formatted.split("  when ", 1)[1].split("  then")[0].splitlines()
    assert len(when) > 1 and all(line.startswith("    and ") for line in when[1:])
    assert all(len(line) <= 110 for line in formatted.splitlines())
    assert ast_of(formatted) == ast_of(text)


def test_a_file_with_syntax_errors_is_refused():
    with pytest.raises(FormatError) as caught:
        format_text("rule r for e when a == 1 then o\n", "bad.pol")
    assert caught.value.diagnostics and caught.value.diagnostics[0].code == "E102"


def with_comments(text: str, seed: int) -> str:
    """The text with own-line comments, trailing comments and blank lines sprinkled in."""
    rng = random.Random(seed)
    out = []
    for number, line in enumerate(text.splitlines()):
        choice = rng.random()
        if choice < 0.15:
            out.append(f"{'  ' if line.startswith(' ') else ''}# own {number}")
        elif choice < 0.25:
            out.append("")
        out.append(line + (f"  # trailing {number}" if line.strip() and rng.random() < 0.2 else ""))
    return "\n".join(out) + "\n"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policy=policies(), seed=st.integers(0, 10_000))
def test_fmt_is_idempotent_keeps_the_program_and_every_comment(policy, seed):
    text, rules = policy
    source = with_comments(text + "\n" + "\n".join(rules), seed)
    once = format_text(source)
    assert format_text(once) == once
    assert ast_of(once) == ast_of(source)
    assert sorted(c.text for c in comments_of(once)) == sorted(c.text for c in comments_of(source))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_fmt_of_a_shipped_policy_is_idempotent_and_keeps_its_program(path):
    source = path.read_text(encoding="utf-8")
    once = format_text(source, str(path))
    assert format_text(once, str(path)) == once
    assert ast_of(once) == ast_of(source)


def test_check_lists_the_files_that_would_change_and_exits_1(tmp_path, capsys):
    (tmp_path / "ugly.pol").write_text("type   a=X|Y\n", encoding="utf-8")
    (tmp_path / "tidy.pol").write_text("type a = X | Y\n", encoding="utf-8")
    assert main(["fmt", "--check", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "ugly.pol" in out and "tidy.pol" not in out
    assert (tmp_path / "ugly.pol").read_text(encoding="utf-8") == "type   a=X|Y\n"  # untouched


def test_diff_prints_the_change_without_writing(tmp_path, capsys):
    (tmp_path / "ugly.pol").write_text("type   a=X|Y\n", encoding="utf-8")
    assert main(["fmt", "--diff", str(tmp_path / "ugly.pol")]) == 0
    out = capsys.readouterr().out
    assert "-type   a=X|Y" in out and "+type a = X | Y" in out
    assert (tmp_path / "ugly.pol").read_text(encoding="utf-8") == "type   a=X|Y\n"


def test_fmt_rewrites_files_in_place(tmp_path):
    (tmp_path / "ugly.pol").write_text("type   a=X|Y\n", encoding="utf-8")
    assert main(["fmt", str(tmp_path)]) == 0
    assert (tmp_path / "ugly.pol").read_text(encoding="utf-8") == "type a = X | Y\n"
    assert main(["fmt", "--check", str(tmp_path)]) == 0


def test_fmt_reports_a_broken_file_and_leaves_it(tmp_path, capsys):
    (tmp_path / "bad.pol").write_text("rule r for e when a == 1 then o\n", encoding="utf-8")
    assert main(["fmt", str(tmp_path)]) == 1
    assert "E102" in capsys.readouterr().err
    assert main(["fmt", str(tmp_path / "missing.pol")]) == 2


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_shipped_policy_is_formatted(path):
    """Run `policydsl fmt policies/` after editing a shipped policy."""
    source = path.read_text(encoding="utf-8")
    assert format_text(source, str(path)) == source, f"{path} is not formatted: run `policydsl fmt {path}`"


SMALL = 'policy p\n  in_force_from 2015-01-01\nentity firm "企业"\n  yearly a "甲": integer\n'


def test_fmt_reads_a_policy_as_check_does_a_bom_and_crlf_included(tmp_path, capsys):
    """`check` takes a file saved with a byte-order mark and CRLF line ends; `fmt` did not (E101 on
    U+FEFF), so a drafter could check a file and not format it."""
    policy = tmp_path / "bom.pol"
    saved = b"\xef\xbb\xbf" + SMALL.replace("\n", "\r\n").encode("utf-8")
    policy.write_bytes(saved)
    assert main(["check", str(policy)]) == 0
    assert main(["fmt", "--check", str(policy)]) == 0  # its layout is canonical: line ends are not layout
    messy = tmp_path / "messy.pol"
    messy.write_bytes(b"\xef\xbb\xbf" + SMALL.replace("\n", "\r\n").replace("  yearly", "    yearly").encode("utf-8"))
    assert main(["fmt", str(messy)]) == 0
    assert messy.read_bytes() == SMALL.encode("utf-8") and policy.read_bytes() == saved


def test_a_file_with_old_mac_line_ends_is_read_line_by_line(tmp_path, capsys):
    """A lone CR ended a line in old Mac files: read as one line, the policy was one comment-less
    line that checked as "ok: 0 policies"."""
    policy = tmp_path / "cr.pol"
    policy.write_bytes(("# 示范\n" + SMALL).replace("\n", "\r").encode("utf-8"))  # a comment first
    assert main(["check", str(policy)]) == 0
    assert "ok: 1 policy, 0 rules" in capsys.readouterr().out


@pytest.mark.parametrize("encoding", ["gb18030", "latin-1"])
def test_fmt_refuses_a_file_that_is_not_utf8_as_an_input_error_and_writes_nothing(tmp_path, capsys, encoding):
    policy = tmp_path / "p.pol"
    text = SMALL if encoding == "gb18030" else SMALL.replace("企业", "société").replace("甲", "à")
    data = text.encode(encoding)
    policy.write_bytes(data)
    assert main(["fmt", str(policy)]) == 2
    assert "error[E002]: `p.pol` is not UTF-8 text" in capsys.readouterr().err
    assert policy.read_bytes() == data


def test_fmt_refuses_standard_input_that_is_not_utf8(monkeypatch, capsys):
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(SMALL.encode("gb18030"))))
    assert main(["fmt", "-"]) == 2
    captured = capsys.readouterr()
    assert "<stdin>" in captured.err and "GB18030" in captured.err and captured.out == ""
