"""`check` refuses what would run with another meaning than the one written (found by fuzzing
the front end): written plain numbers reaching a percent through `if`, `value_or`, `min`/`max`,
arithmetic or a percent table's keys; `if`/`value_or` whose other operand has a fraction or a
unit; a parameter read before its type was known; durations ordered; a member of another
enumeration; a keyword argument given twice; names that shadow a fact or a built-in; a
reference's attribute that is not a fact or value of its kind; and string escapes."""

from __future__ import annotations

import pytest

HEADER = """
policy t
  title "t"
  issued 2014-01-01
  in_force_from 2014-01-01
type grade = A | B | C | D
type level = A | E
entity park "园区"
  yearly rank_pos: integer
entity firm "企业"
  group by zone
  static zone "所在区": text
  static park: ref park
  yearly score: integer
  yearly tax: money
  yearly growth: percent
  yearly ratio: decimal
  yearly cls: grade
outcome flagged "标记" is sanction
"""


def codes(compile_text, text: str) -> list[str]:
    return [d.code for d in compile_text(HEADER + text).diagnostics]


@pytest.mark.parametrize("text", [
    "parameter p: percent = if true then 30 else 20\n",
    "value v for firm: percent = if score > 5 then 30 else 20\n",
    "parameter p: percent = 30 + 0\n",
    "parameter p: percent = round(30)\n",
    "parameter p: percent = max(30, 20)\n",
    "value v for firm: percent = value_or(tax / tax, 30)\n",
    "rule r implements t.1 cite \"一\" for firm when growth > (if score > 5 then 30 else 20) then flagged\n",
    "table pt: percent -> integer\n  30 -> 1\n  50% -> 2\n",
])
def test_a_written_plain_number_reaching_a_percent_by_any_path_is_e219(compile_text, text):
    """`30` could be 30% or 3000%: refused wherever it reaches a percent, not only when bare."""
    assert "E219" in codes(compile_text, text)


@pytest.mark.parametrize("text", [
    "value v for firm: percent = if score > 5 then tax / tax else 0\n",  # a computed ratio and a written 0
    "value v for firm: percent = value_or(ratio / 2, 0)\n",
    "parameter p: percent = 1 / 4\n",  # a written quotient is a ratio: 25%
    "table pt: percent -> integer\n  30% -> 1\n  50% -> 2\nvalue v for firm: integer = pt[ratio]\n",
])
def test_computed_ratios_and_written_zeros_still_reach_a_percent(compile_text, text):
    assert codes(compile_text, text) == []


def test_a_percent_tables_key_read_with_a_ratio_finds_its_row(policy_from_text):
    policies = policy_from_text(HEADER + """
outcome tier "档" is computed with value: integer
table pt: percent -> integer
  30% -> 1
  50% -> 2
rule r implements t.1 cite "一" for firm then tier = pt[ratio]
""")
    decisions = policies.evaluate({"park": [], "firm": [
        {"id": "F1", "period": "2015", "zone": "Z", "ratio": "0.5"},
        {"id": "F2", "period": "2015", "zone": "Z", "ratio": "0.3"}]}).decisions
    assert {(d.entity, d.value) for d in decisions} == {("F1", 2), ("F2", 1)}


@pytest.mark.parametrize("text", [
    "value v for firm: integer = value_or(score, 0.5)\n",
    "value v for firm: integer = value_or(score, 5亿元)\n",
    "value v for firm: decimal = if score > 1 then 0 else 5亿元\n",
    "value v for firm: integer = if score > 1 then score else tax\n",
])
def test_if_and_value_or_have_the_type_both_operands_fit(compile_text, text):
    """Either operand may be the value: an integer declared for `value_or(score, 0.5)` would hold 0.5."""
    assert codes(compile_text, text) == ["E202"]


def test_a_parameter_read_before_its_untyped_source_is_checked_against_its_value(compile_text):
    assert codes(compile_text, "parameter b: integer = a\nparameter a = 2.5\n") == ["E202"]
    assert codes(compile_text, "parameter m: money = c\nparameter c = 30%\n") == ["E202"]
    assert codes(compile_text, "parameter b: integer = a\nparameter a = 2\n") == []


def test_durations_are_not_ordered(compile_text):
    """Is 45 days less than 1 month? It depends on the month: refused, not decided as (months, days)."""
    assert codes(compile_text, "parameter grace = 45 days\nrule r implements t.1 cite \"一\" for firm "
                               "when grace < 1 month then flagged\n") == ["E203"]
    assert codes(compile_text, "rule r implements t.1 cite \"一\" for firm when 12 months = 1 year then flagged\n") == []


@pytest.mark.parametrize("condition", ["cls = E", "cls in {B, E}", "E = cls"])
def test_a_member_of_another_enumeration_is_not_a_value_of_this_one(compile_text, condition):
    found = compile_text(HEADER + f"rule r implements t.1 cite \"一\" for firm when {condition} then flagged\n")
    [problem] = found.diagnostics
    assert problem.code == "E201" and "`grade` has no value `E`" in problem.message


@pytest.mark.parametrize("call", ["top(score, 1, where: score > 5, where: score < 3)",
                                  "rank(score, within: zone, within: all) = 1"])
def test_a_keyword_argument_given_twice_is_refused_not_the_first_dropped(compile_text, call):
    assert codes(compile_text, f"rule r implements t.1 cite \"一\" for firm when {call} then flagged\n") == ["E210"]


@pytest.mark.parametrize("text, message", [
    ("parameter score: integer = 100\n", "has the name of a fact of `firm`"),
    ("parameter period_end: date = 2000-01-01\n", "has the name of a built-in value"),
])
def test_a_parameter_that_would_shadow_or_be_shadowed_is_refused(compile_text, text, message):
    [problem] = compile_text(HEADER + text).diagnostics
    assert problem.code == "E204" and message in problem.message


@pytest.mark.parametrize("attribute", ["park.limit > 5", "park.period_end = 2020-12-31", "cls = park.A"])
def test_a_references_attribute_is_a_fact_or_value_of_its_kind(compile_text, attribute):
    found = compile_text(HEADER + "parameter limit: integer = 7\n"
                         f"rule r implements t.1 cite \"一\" for firm when {attribute} then flagged\n")
    assert [d.code for d in found.diagnostics] == ["E201"] and "`park` has no fact or value" in \
        found.diagnostics[0].message


def test_string_escapes_are_read_in_one_pass(compile_text):
    found = compile_text(HEADER + 'rule r implements t.1 cite "一" for firm when zone = "C:\\\\new" then flagged\n')
    assert found.ok
    [rule] = found.program.rules
    assert rule.condition.right.value == "C:\\new"  # a backslash and `new`, not a line break


def test_did_you_mean_never_names_another_policys_parameter_or_table(tmp_path):
    """Following such a hint gave "unknown name `threshold` … did you mean `threshold`?"."""
    import policydsl

    (tmp_path / "a.pol").write_text(HEADER + 'value v for firm = score > threshhold\n'
                                    'value w for firm: integer = rewardz[1]\n', encoding="utf-8")
    (tmp_path / "b.pol").write_text(
        'policy b\n  title "b"\n  issued 2014-01-01\n  in_force_from 2014-01-01\n'
        'parameter threshold: integer = 3\ntable rewards: integer -> integer\n  1 -> 2\n'
        'value u for firm = score > threshhold\n', encoding="utf-8")
    found = policydsl.compile_paths([tmp_path / "a.pol", tmp_path / "b.pol"]).diagnostics
    hints = {(d.span.path.endswith("a.pol"), d.message.split("`")[1]): d.hint for d in found}
    assert hints[(True, "threshhold")] is None and hints[(True, "rewardz")] is None
    assert hints[(False, "threshhold")] == "did you mean `threshold`?"  # its own policy's: still offered


@pytest.mark.parametrize("near, code", [("undefined_thing", "E201"), ("30", "E219"), ("2023-01-01", "E203")])
def test_a_reported_targets_near_value_is_checked_without_a_tolerance_too(compile_text, near, code):
    """Without `within` the value is in no rule: it went unchecked (`near undefined_thing` was ok)."""
    assert codes(compile_text, f'target g implements t.g cite "一" for firm approximately growth near {near}\n') \
        == [code]
    assert codes(compile_text, 'target g implements t.g cite "一" for firm approximately growth near 30%\n') == []


def test_a_targets_problems_are_reported_at_its_near_and_within_not_at_its_name(compile_text):
    found = compile_text(HEADER + 'target g implements t.g cite "一" for firm approximately tax near 825亿元 within 5%\n')
    [problem] = found.diagnostics
    line = HEADER.count("\n") + 1
    assert (problem.code, problem.span.line, problem.span.column) == ("E203", line, 79)  # at `5%`


def test_min_and_max_beside_a_percent_refuse_a_written_number_as_e219_once(compile_text):
    """`min(growth, 5)` was E202 "mixes": the written 5 is what is ambiguous (5% or 500%?)."""
    assert codes(compile_text, "value v for firm: percent = min(growth, 5)\n") == ["E219"]
    assert codes(compile_text, "value v for firm: percent = max(growth, 0)\n") == []
    assert codes(compile_text, "value v for firm: percent = max(growth, ratio)\n") == ["E202"]  # by the + row


def test_a_shared_untyped_parameter_is_checked_before_a_policy_reads_it_whatever_the_file_order(tmp_path):
    """A parameter of a file without `policy` (shared) was ordered by file name: `a_p.pol` reading
    `z_shared.pol`'s `a = 2.5` into an integer checked ok."""
    import policydsl

    (tmp_path / "a_p.pol").write_text('policy p\n  title "t"\nparameter b: integer = a\n', encoding="utf-8")
    (tmp_path / "z_shared.pol").write_text("parameter a = 2.5\n", encoding="utf-8")
    assert [d.code for d in policydsl.compile_paths([tmp_path]).diagnostics] == ["E202"]


def test_a_member_of_an_unrelated_enumeration_is_one_error_not_two(compile_text):
    found = compile_text(HEADER.replace("type level = A | E", "type star = S | T")
                         + 'rule r implements t.1 cite "一" for firm when cls = S then flagged\n')
    assert [d.code for d in found.diagnostics] == ["E203"]
