"""`check` reports what can be known before data: a parameter or table entry without a value,
in-force dates out of order, an outcome listed twice in one rule."""

from __future__ import annotations

import pytest

import policydsl
from conftest import ROOT

HEADER = "policy p\nentity zone\n  yearly x: integer\n"
RULE = 'outcome flagged "f" is sanction\nrule r\n  implements p.1\n  cite "a" "b"\n  for zone\n  when x > {p}\n  then flagged\n'


def codes(tmp_path, text: str) -> list[tuple[str, int]]:
    (tmp_path / "p.pol").write_text(text, encoding="utf-8")
    compiled = policydsl.compile_paths([tmp_path / "p.pol"])
    return [(d.code, d.span.line) for d in compiled.diagnostics]


@pytest.mark.parametrize("definition", [
    "parameter p: decimal = 1 / 0",
    "parameter zero: integer = 0\nparameter p: decimal = 10 / (zero * 3)",
    "parameter p: decimal = 5 / (2 - 2)",
    "parameter p: percent = 5% / 0%",
    "parameter p: decimal = if 1 / 0 > 1 then 1 else 2",
])
def test_a_parameter_that_divides_by_zero_is_an_error(tmp_path, definition):
    found = codes(tmp_path, HEADER + definition + "\n" + RULE.format(p="p"))
    assert [c for c, _ in found] == ["E230"]


def test_only_the_parameter_that_fails_is_reported_not_those_reading_it(tmp_path):
    text = HEADER + "parameter p: decimal = 1 / 0\nparameter q: decimal = p + 1\n" + RULE.format(p="q")
    assert codes(tmp_path, text) == [("E230", 4)]


def test_a_table_entry_without_a_value_is_an_error(tmp_path):
    text = HEADER + "table t: integer -> decimal\n  1 -> 1\n  2 -> 3 / 0\n" + RULE.format(p="t[1]")
    assert codes(tmp_path, text) == [("E230", 6)]


def test_a_division_guarded_by_a_condition_is_fine(tmp_path):
    text = HEADER + "parameter zero: integer = 0\nparameter p: decimal = if zero = 0 then 0 else 1 / zero\n"
    assert codes(tmp_path, text + RULE.format(p="p")) == []


def test_in_force_dates_out_of_order(tmp_path):
    text = "policy p\n  in_force_from 2020-01-01\n  in_force_until 2019-12-31\nentity zone\n  yearly x: integer\n"
    assert codes(tmp_path, text) == [("E308", 2)]
    same_day = text.replace("2019-12-31", "2020-01-01")
    assert codes(tmp_path, same_day) == []


def test_an_outcome_listed_twice_in_one_rule(tmp_path):
    text = HEADER + RULE.format(p="1").replace("then flagged", "then flagged, flagged")
    assert codes(tmp_path, text) == [("E307", 10)]


def test_the_shipped_policies_pass_these_checks():
    assert policydsl.compile_paths([ROOT / "policies"]).ok
