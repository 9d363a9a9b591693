"""The catalogue coverage table: the catalogue is read completely, and docs/coverage.md is current."""

from __future__ import annotations

from collections import Counter

import pytest
from conftest import ROOT, check_golden

import policydsl
from policydsl.tools.coverage import catalogue_rules, coverage_rows, omissions, render_markdown
from policydsl.tools.scenarios import scenario_files

CATALOGUE = ROOT.parent / "shared" / "spec" / "rule-catalogue.md"
needs_catalogue = pytest.mark.skipif(not CATALOGUE.is_file(), reason="the rule catalogue lives in ../shared")


@needs_catalogue
def test_catalogue_yields_every_rule_id_with_the_counts_of_section_8():
    rules = catalogue_rules(CATALOGUE)
    counts = Counter((r.document, r.is_goal) for r in rules)
    assert len(rules) == len({r.id for r in rules}) == 243
    assert {doc: (counts[(doc, False)], counts[(doc, True)]) for doc in
            ("zhoukou2017", "zhoukou2014", "henan2014", "xuchang2018", "kaifeng2014")} == {
        "zhoukou2017": (18, 36), "zhoukou2014": (14, 29), "henan2014": (11, 30), "xuchang2018": (10, 24),
        "kaifeng2014": (49, 22)}


@needs_catalogue
def test_coverage_document_is_generated_from_the_current_policies_and_tests(update_golden, monkeypatch):
    monkeypatch.chdir(ROOT)
    policies = policydsl.load("policies")
    rows = coverage_rows(catalogue_rules(CATALOGUE), policies, scenario_files(["policies"]),
                         omissions([ROOT / "policies"]), root=ROOT)
    check_golden(ROOT / "docs" / "coverage.md", render_markdown(rows), update_golden)


def test_omission_comments_are_collected(tmp_path):
    (tmp_path / "p.pol").write_text("# omitted zhoukou2017.2.3.3: amounts are in a document not in the corpus\n",
                                    encoding="utf-8")
    assert omissions([tmp_path]) == {"zhoukou2017.2.3.3": "amounts are in a document not in the corpus"}
