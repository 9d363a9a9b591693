"""Shared fixtures: compiling policy text, and the `--update-golden` flag for golden files."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from hypothesis import Phase, settings

import policydsl

ROOT = Path(__file__).resolve().parent.parent
# The small hand-written data set (examples/data) is for these two policy files; the generated
# province (examples/province) has a column for every fact of every shipped policy.
SAMPLE_POLICIES = (ROOT / "policies" / "zhoukou2017" / "enterprise_classes.pol",
                   ROOT / "policies" / "kaifeng2014" / "zone_sanctions.pol")
SAMPLE_DATA = ROOT / "examples" / "data"


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite the .expected golden files from the current output (review the diff)")


@pytest.fixture
def update_golden(request) -> bool:
    return request.config.getoption("--update-golden")


@pytest.fixture
def policy_from_text(tmp_path):
    """Write policy text to a file and load it; returns the PolicySet."""
    counter = iter(range(1000))

    def make(text: str, name: str | None = None) -> policydsl.PolicySet:
        path = tmp_path / (name or f"policy{next(counter)}.pol")
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return policydsl.load(path)
    return make


@pytest.fixture
def compile_text(tmp_path):
    """Write policy text to a file and compile it without raising; returns `Compiled`."""
    def make(text: str, name: str = "policy.pol") -> policydsl.Compiled:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return policydsl.compile_paths([path])
    return make


def check_golden(path: Path, actual: str, update: bool) -> None:
    """Compare output with a golden file, or rewrite it under --update-golden."""
    if update or not path.exists():
        path.write_text(actual, encoding="utf-8")
        if not update:
            pytest.fail(f"golden file {path.name} was missing and has been written; review it and re-run")
        return
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, f"output differs from {path.name} (re-run with --update-golden to accept)"


# Hypothesis profiles: `ci` (the default) is pinned — derandomized, so every run tries the same
# examples — with a moderate count; `--hypothesis-profile=long` runs a deep, random search.
settings.register_profile("ci", max_examples=40, derandomize=True, deadline=None, print_blob=True)
settings.register_profile("long", max_examples=2000, deadline=None, print_blob=True)
settings.load_profile("ci")
# The `ci` examples without shrinking a failure (bench/history_plants.py: whether they fail is
# all it asks); bench/mutation.py runs the tests once per mutant with half of them.
settings.register_profile("ci-no-shrink", settings.get_profile("ci"),
                          phases=[Phase.explicit, Phase.reuse, Phase.generate])
settings.register_profile("mutation", settings.get_profile("ci-no-shrink"), max_examples=20)
