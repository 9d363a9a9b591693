"""Every scenario file of every shipped policy, one pytest case per scenario case."""

from __future__ import annotations

import re
from functools import cache

import pytest
from conftest import ROOT

import policydsl
from policydsl.tools.scenarios import _read, run_case, scenario_files

FILES = scenario_files([ROOT / "policies"])
CASES = [(file, case) for file in FILES for case in _read(file)["cases"]]


@cache
def _policies(folder):
    return policydsl.load(folder)


def test_every_shipped_policy_has_a_scenario_file():
    folders = {p.parent for p in (ROOT / "policies").rglob("*.pol")
               if re.search(r"^policy ", p.read_text(encoding="utf-8"), re.MULTILINE)}
    assert folders and all(any(f.parent.parent == folder for f in FILES) for folder in folders)


@pytest.mark.parametrize("file,case", CASES, ids=[f"{f.parent.parent.name}:{c['name'][:60]}" for f, c in CASES])
def test_scenario(file, case):
    result = run_case(_policies(file.parent.parent), str(file), case)
    assert result.passed, "\n\n".join(result.failures)
