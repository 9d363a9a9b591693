"""Syntax errors are diagnostics, never exceptions: each recognised mistake fires only for its
own mistake, stray characters are named, a BOM is skipped, a file that is not UTF-8 is reported
where its first bad byte is, and every position is 1-based."""

from __future__ import annotations

import pytest

import policydsl
from policydsl.diagnostics import render_all

HEADER = "policy p\nentity zone\n  yearly x: integer\n"


def diagnose(tmp_path, text: str | bytes):
    path = tmp_path / "p.pol"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    compiled = policydsl.compile_paths([path])
    return compiled, render_all(compiled.diagnostics, compiled.sources)


def test_an_error_in_a_target_condition_is_a_diagnostic_not_a_crash(tmp_path):
    compiled, _ = diagnose(tmp_path, "target t\n  for city\n  when x y\n")
    assert [(d.code, d.span.line, d.span.column) for d in compiled.diagnostics] == [("E101", 3, 10)]


@pytest.mark.parametrize("expression, code", [
    ("x && x", "E107"), ("x || x", "E107"), ("!x", "E107"), ("x & x", "E107"),
    ("x × 2", "E118"), ("x。", "E118"), ("￥5", "E118"), ("（x）", "E118"), ("max(x， 1)", "E118"),
    ("x ÷ 2", "E118"), ("x @ 2", "E101"), ("x ⊕ 2", "E101"), ("'a'", "E108"), ("x == 1", "E102"),
])
def test_each_mistake_is_recognised_as_itself(tmp_path, expression, code):
    compiled, _ = diagnose(tmp_path, HEADER + f"value v for zone = {expression}\n")
    assert [d.code for d in compiled.diagnostics] == [code], expression


@pytest.mark.parametrize("expression", ["x × 2", "x。", "￥5", "（x）", "x @ 2"])
def test_the_c_operator_message_is_only_for_c_operators(tmp_path, expression):
    _, text = diagnose(tmp_path, HEADER + f"value v for zone = {expression}\n")
    assert "&&" not in text


def test_a_rule_message_does_not_fire_in_a_target(tmp_path):
    compiled, _ = diagnose(tmp_path, "target t\n  for zone\n  when x y\n")
    assert [d.code for d in compiled.diagnostics] == ["E101"] and "then" not in compiled.diagnostics[0].message


def test_a_byte_order_mark_is_skipped(tmp_path):
    compiled, _ = diagnose(tmp_path, ("\ufeff" + HEADER).encode("utf-8"))
    assert compiled.ok
    compiled, _ = diagnose(tmp_path, ("\ufeff" + "polcy p\n").encode("utf-8"))
    assert [(d.span.line, d.span.column) for d in compiled.diagnostics] == [(1, 1)]


def test_a_file_that_is_not_utf8_is_reported_at_its_first_bad_byte(tmp_path):
    data = HEADER.encode() + 'value v for zone = "'.encode() + "中文".encode("gb18030") + b'"\n'
    compiled, text = diagnose(tmp_path, data)
    (diagnostic,) = compiled.diagnostics
    assert (diagnostic.code, diagnostic.span.line, diagnostic.span.column) == ("E002", 4, 21)
    assert ":0:0" not in text and "GB18030" in diagnostic.hint


def test_a_missing_file_is_named_without_a_made_up_position(tmp_path):
    compiled = policydsl.compile_paths([tmp_path / "absent.pol"])
    text = render_all(compiled.diagnostics, compiled.sources)
    assert text.startswith(f"{tmp_path / 'absent.pol'}: error[E001]") and ":0:0" not in text


@pytest.mark.parametrize("text", [
    "value v for zone = (x", "value v for zone = x +", "rule r when", "entity", "policy", "value v for zone = 1e5",
    "value v for zone = \"unclosed", "table t: integer -> integer\n  1 ->", "value v for zone = x.",
])
def test_broken_text_gives_1_based_positions(tmp_path, text):
    compiled, _ = diagnose(tmp_path, HEADER + text + "\n")
    assert not compiled.ok
    assert all(d.span.line >= 1 and d.span.column >= 1 for d in compiled.diagnostics)
