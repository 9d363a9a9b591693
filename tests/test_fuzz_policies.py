"""A bounded fuzz over mutated shipped policies: whatever the text, `check` (and `eval` of what
still compiles) ends with an exit code of the README's table and a message, never a traceback.

The profile is pinned (derandomized, a fixed number of examples, no example database), so CI
runs the same cases every time and stays well under a minute.
"""

from __future__ import annotations

import functools
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT, SAMPLE_DATA
from policydsl.cli import main

EXIT_CODES = {0, 1, 2}  # 3 is an internal error: a bug
SHIPPED = sorted((ROOT / "policies").rglob("*.pol"))
SAMPLES = ("kaifeng2014/zone_sanctions.pol", "zhoukou2017/enterprise_classes.pol")

# What people (and attackers) type: Chinese and full-width punctuation, operators of other
# languages, huge and odd numbers, deep nesting, control and invisible characters, quotes.
FRAGMENTS = ["（", "）", "，", "。", "×", "￥", "：", "“", "”", "'", "&&", "||", "!", "==", ":=", "\ufeff",
             "\x00", "\u200b", "\t", "\n", "(", ")", "[", "]", "{", "}", "%", "万元", "/", "* 100", "/ 0",
             "1" * 60, "0.000000000000000000000000000000001", "Infinity", "NaN", "-", "0000-01-01",
             "9999-12-31", "10000 years", "if", "then", "else", "not", "and", "rule", "value", "import",
             '"/etc/passwd"', '"../../README.md"', "(" * 300, ")" * 300, " + x" * 50, "round(x, 1000000000)",
             "count_periods(x, 1000000000)", "previous(", "rank(", "where:", "within:", "#", '"', "\\"]


@functools.cache
def workspace() -> Path:
    """A copy of the shipped policies (imports of ../schema keep working); mutants are written
    into it beside the file they came from."""
    folder = Path(tempfile.mkdtemp(prefix="policydsl-fuzz-")) / "policies"
    shutil.copytree(ROOT / "policies", folder, ignore=shutil.ignore_patterns("scenarios"))
    return folder


@st.composite
def mutants(draw) -> tuple[str, bytes]:
    name = draw(st.sampled_from([str(p.relative_to(ROOT / "policies")) for p in SHIPPED]))
    text = (ROOT / "policies" / name).read_text(encoding="utf-8")
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["insert", "delete", "replace", "duplicate"]))
        if kind == "insert":
            text = text[:at] + draw(st.sampled_from(FRAGMENTS)) + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 80)):]
        elif kind == "replace":
            text = text[:at] + draw(st.text(min_size=1, max_size=6)) + text[at + draw(st.integers(1, 6)):]
        elif kind == "duplicate":
            end = min(len(text), at + draw(st.integers(1, 400)))
            text = text[:end] + text[at:end] + text[end:]
    data = text.encode("utf-8", errors="replace")
    if draw(st.booleans()):  # bytes that are not UTF-8: a GBK-saved edit, a stray byte
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.sampled_from([b"\xff", b"\xd6\xd0\xce\xc4", b"\x80", b"\xc3"])) + data[at:]
    return name, data


@settings(max_examples=150, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])  # capsys is read after each run
@given(mutants())
def test_a_mutated_policy_gets_an_exit_code_of_the_table_and_no_traceback(capsys, case):
    name, text = case
    path = workspace() / name
    original = path.read_bytes()
    try:
        path.write_bytes(text)
        code = main(["check", str(path)])
        out, err = capsys.readouterr()
        assert code in EXIT_CODES, (name, err[-2000:])
        assert "Traceback" not in err and "internal error" not in err, (name, err[-2000:])
        if code == 0 and name in SAMPLES:
            others = [str(workspace() / s) for s in SAMPLES if s != name]
            code = main(["eval", str(path), *others, "--data", str(SAMPLE_DATA), "--format", "json"])
            out, err = capsys.readouterr()
            assert code in EXIT_CODES and "internal error" not in err, (name, err[-2000:])
    finally:
        path.write_bytes(original)
