"""`policydsl lint`: each warning code against a golden file, `# lint: allow`, JSON output, and
the shipped policies linting clean."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import ROOT, check_golden

from policydsl.cli import main
from policydsl.diagnostics import render_all
from policydsl.tools.lint import CODES, lint_paths

GOLDEN = ROOT / "tests" / "golden" / "lint"
CASES = sorted(GOLDEN.glob("W*.pol"))


def _lint(case: Path):
    data = [str((GOLDEN / f"{case.stem.split('_')[0]}_data.json").relative_to(ROOT))] \
        if (GOLDEN / f"{case.stem.split('_')[0]}_data.json").exists() else []
    return lint_paths([str(case.relative_to(ROOT))], data)


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_lint_warnings_match_golden_file(case: Path, update_golden, monkeypatch):
    monkeypatch.chdir(ROOT)  # paths in the output are relative to the checkout
    result = _lint(case)
    assert all(d.severity == "warning" for d in result.diagnostics)
    check_golden(case.with_suffix(".expected"), render_all(result.diagnostics, result.sources) + "\n",
                 update_golden)


def test_every_warning_code_has_a_golden_case_that_produces_it(monkeypatch):
    monkeypatch.chdir(ROOT)
    produced = {d.code for case in CASES for d in _lint(case).diagnostics}
    named = {code for case in CASES for code in case.stem.split("_") if code in CODES}
    assert set(CODES) <= produced and set(CODES) <= named


def test_an_allow_comment_with_a_reason_silences_exactly_its_warning(tmp_path):
    text = (GOLDEN / "W103_catalogue_id_twice.pol").read_text(encoding="utf-8")
    (tmp_path / "_schema.pol").write_text((GOLDEN / "_schema.pol").read_text(encoding="utf-8"), encoding="utf-8")
    policy = tmp_path / "p.pol"
    policy.write_text(text.replace("rule warn_again", "rule warn_again  # lint: allow W103 the second sentence"),
                      encoding="utf-8")
    result = lint_paths([str(policy)])
    assert result.diagnostics == () and result.silenced == 1
    policy.write_text(text.replace("rule warn_again", "rule warn_again  # lint: allow W101 wrong code"),
                      encoding="utf-8")
    assert sorted(d.code for d in lint_paths([str(policy)]).diagnostics) == ["W100", "W103"]


def test_json_output_lists_each_warning_with_code_place_and_severity(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert main(["lint", "--format", "json", "tests/golden/lint/W103_catalogue_id_twice.pol"]) == 1
    payload = json.loads(capsys.readouterr().out)
    [only] = payload["diagnostics"]
    assert (only["code"], only["severity"], only["line"]) == ("W103", "warning", 11)


def test_a_program_with_errors_reports_the_errors_not_warnings(tmp_path, capsys):
    (tmp_path / "bad.pol").write_text("rule r for e when a == 1 then o\n", encoding="utf-8")
    assert main(["lint", str(tmp_path)]) == 1
    assert "E102" in capsys.readouterr().out


def test_shipped_policies_lint_clean(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert main(["lint", "policies/"]) == 0, capsys.readouterr().out
