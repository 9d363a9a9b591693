"""What each trace node reads as: the expression in words (`engine/readings.py`), here in the
English catalogue, which writes names by their ids and operators as the language does. Each
reading must keep the expression's structure: a parenthesis the precedence needs, and none it
does not; the function, aggregate and filter it is."""

from __future__ import annotations

import pytest

from policydsl.render.messages import say

POLICY = """
policy demo
entity area
  yearly budget: money
entity unit
  group by region
  static region: ref area
  yearly a: integer
  yearly b: integer
  yearly c: integer
  yearly flag: boolean
  yearly other: boolean
  yearly score: integer
parameter limit: integer = 3
table points: integer -> integer
  1 -> 10
value v for unit = a + b
outcome flagged "标记" is measure
outcome area_flagged "区域标记" is measure
rule r
  implements demo.1
  cite "一"
  for unit
  when {condition}
  then flagged
"""

CASES = [
    # written, read (English: ids, the language's operators, parentheses only where needed)
    ("a - (b - c) > 0", "a - (b - c) > 0"),
    ("(a - b) - c > 0", "a - b - c > 0"),
    ("a - b + c > 0", "a - b + c > 0"),
    ("a + (b - c) > 0", "a + b - c > 0"),
    ("a / (b * c) > 0", "a / (b * c) > 0"),
    ("(a / b) * c > 0", "a / b * c > 0"),
    ("a * (b / c) > 0", "a * b / c > 0"),
    ("(a + b) * c > 0", "(a + b) * c > 0"),
    ("a * (b + c) > 0", "a * (b + c) > 0"),
    ("a + b * c > 0", "a + b * c > 0"),
    ("(a - b) * c > 0", "(a - b) * c > 0"),
    ("(a - b) / c > 0", "(a - b) / c > 0"),
    ("a / (b - c) > 0", "a / (b - c) > 0"),
    ("a * (b - c) > 0", "a * (b - c) > 0"),
    ("a - b * c > 0", "a - b * c > 0"),
    ("a * b - c > 0", "a * b - c > 0"),
    ("a / b / c > 0", "a / b / c > 0"),
    ("a / (b / c) > 0", "a / (b / c) > 0"),
    ("a * (b * c) > 0", "a * b * c > 0"),
    ("-(a * b) > 0", "-(a * b) > 0"),
    ("-(a / b) > 0", "-(a / b) > 0"),
    ("-(a - b) > 0", "-(a - b) > 0"),
    ("-(a + b) > 0", "-(a + b) > 0"),
    ("-a * b > 0", "-a * b > 0"),
    ("not (flag and other)", "not (flag and other)"),
    ("not flag and other", "not flag and other"),
    ("(flag or other) and a > 1", "(flag or other) and a > 1"),
    ("flag or other and a > 1", "flag or other and a > 1"),
    ("not (a > 1)", "not (a > 1)"),
    ("(flag and other) = (a > 1)", "(flag and other) = (a > 1)"),
    ("min(a, b) > abs(c)", "min(a, b) > abs(c)"),
    ("max(a, b, c) > 0", "max(a, b, c) > 0"),
    ("round(a / b, 1) > 0", "round(a / b, 1) > 0"),
    ("round(a / b) > 0", "round(a / b) > 0"),
    ("value_or(a, 0) > limit", "value_or(a, 0) > limit"),
    ("is_missing(a)", "is_missing(a)"),
    ("points[a] > 0", "points[a] > 0"),
    ("v > 1", "v > 1"),
    ("rank(score) <= 2", "rank(score) <= 2"),
    ("rank(score, ascending) <= 2", "rank(score, ascending) <= 2"),
    ("rank(score, descending) <= 2", "rank(score) <= 2"),
    ("top(score, 2)", "top(score, 2)"),
    ("bottom(score, 2, where: flag)", "bottom(score, 2) [where: flag]"),
    ("group_sum(score, within: all) > 0", "group_sum(score) [within: all] > 0"),
    ("group_count(flag) > 1", "group_count(flag) > 1"),
    ("a in {1, 2}", "a in {1, 2}"),
    ("a not in {1, 2}", "a not in {1, 2}"),
    ("not (a in {1, 2})", "not (a in {1, 2})"),
    ("(a in {1, 2}) = flag", "(a in {1, 2}) = flag"),
    ("(if flag then a else b) > 0", "(if flag then a else b) > 0"),
    ("previous(a) > 0", "previous(a) > 0"),
    ("previous(a, 2) > 0", "previous(a, 2) > 0"),
    ("change(a, 3) > 0", "change(a, 3) > 0"),
    ("streak(flag) >= 2", "streak(flag) >= 2"),
    ("first_time(flag)", "first_time(flag)"),
    ("count_periods(flag, 3) >= 2", "count_periods(flag, 3) >= 2"),
    ("[a, b] = [1, 2]", "[a, b] = [1, 2]"),
]


@pytest.mark.parametrize(("written", "read"), CASES, ids=[c[0] for c in CASES])
def test_a_condition_reads_as_its_expression_with_the_parentheses_its_precedence_needs(policy_from_text, written,
                                                                                         read):
    policies = policy_from_text(POLICY.format(condition=written))
    result = policies.evaluate({"unit": [{"id": "u1", "period": "2017", "a": 1, "b": 2, "c": 3, "score": 1,
                                          "flag": True, "other": False}]})
    condition = result.why_not("u1", "flagged", "2017").rules[0].condition
    if condition is None:
        condition = result.explain("u1", "flagged", "2017").rules[0].condition
    assert say(condition.reading, "en") == read


ARITHMETIC = [case for case in CASES if set(case[0]) <= set("abc()+-*/ 0>")]


@pytest.mark.parametrize(("written", "read"), ARITHMETIC, ids=[c[0] for c in ARITHMETIC])
def test_the_text_of_a_lowered_expression_keeps_the_parentheses_its_precedence_needs(policy_from_text, written, read):
    """`ir_text`, the text of an expression a lowering wrote (a target's comparison), prints
    arithmetic with the parentheses the reading has: `a - (b - c)` is not `a - b - c`."""
    from policydsl.engine.readings import ir_text

    policies = policy_from_text(POLICY.format(condition=written))
    [rule] = policies.program.rules
    assert ir_text(rule.condition) == read


# the constructs whose text `ir_text` writes as the language does (a lowering may put any of them in a target)
WRITTEN_AS_READ = [case for case in CASES if case[0] == case[1] or "[within: all]" in case[1] or "[where:" in case[1]]


@pytest.mark.parametrize(("written", "read"), WRITTEN_AS_READ, ids=[c[0] for c in WRITTEN_AS_READ])
def test_the_text_of_a_lowered_expression_is_the_expression_as_written(policy_from_text, written, read):
    """`ir_text` of any construct is policy text (it printed a history walk as `History`)."""
    from policydsl.engine.readings import ir_text

    policies = policy_from_text(POLICY.format(condition=written))
    [rule] = policies.program.rules
    assert ir_text(rule.condition) == written


@pytest.mark.parametrize(("written", "chinese"), [
    ("abs(c) > 0", "绝对值（c） > 0"),
    ("is_missing(a)", "a缺失"),
    ("round(a / b, 1) > 0", "a ÷ b四舍五入保留1位小数 > 0"),
    ("value_or(a, 0) > 0", "a（缺失时取0） > 0"),
    ("min(a, b) > 0", "较小值（a、b） > 0"),
])
def test_a_function_reads_in_words_in_chinese(policy_from_text, written, chinese):
    policies = policy_from_text(POLICY.format(condition=written))
    result = policies.evaluate({"unit": [{"id": "u1", "period": "2017", "a": 1, "b": 2, "c": 3}]})
    explanation = result.why_not("u1", "flagged", "2017")
    if explanation.status == "active":
        explanation = result.explain("u1", "flagged", "2017")
    assert say(explanation.rules[0].condition.reading, "zh") == chinese


AREA_RULE = """
rule ra
  implements demo.2
  cite "二"
  for area
  when {condition}
  then area_flagged
"""


@pytest.mark.parametrize(("written", "read", "chinese"), [
    ("count(unit) >= 1", "count(unit via region) >= 1", "unit数 ≥ 1"),
    ("sum(a over unit) > 0", "sum(a over unit via region) > 0", "unit的a合计 > 0"),
    ("min(a over unit via region) > 0", "min(a over unit via region) > 0", "unit的a最小值 > 0"),
    ("any(flag over unit)", "any(flag over unit via region)", "是否有unit满足「flag」"),
    # the filter is read where the language writes it: after `via`
    ("count(unit where a > 0) >= 1", "count(unit via region where a > 0) >= 1", "满足「a > 0」的unit数 ≥ 1"),
    ("sum(a over unit via region where flag) > 0", "sum(a over unit via region where flag) > 0",
     "满足「flag」的unit的a合计 > 0"),
    ("reported(unit where a > 0)", "some unit where a > 0 has a row (via region)", "有满足「a > 0」的unit报送数据"),
    ("evaluation_date >= period_end - 1 year", "evaluation_date >= period_end - 1 year", None),
])
def test_built_in_names_and_aggregates_across_kinds_read_as_written(policy_from_text, written, read, chinese):
    """In English as the language writes them; in Chinese in words (a built-in date by its name)."""
    policies = policy_from_text(POLICY.format(condition="a > 0") + AREA_RULE.format(condition=written))
    result = policies.evaluate({"area": [{"id": "R1", "period": "2017"}],
                                "unit": [{"id": "u1", "period": "2017", "region": "R1", "a": 1, "flag": True}]})
    explanation = result.why_not("R1", "area_flagged", "2017")
    if explanation.status == "active":
        explanation = result.explain("R1", "area_flagged", "2017")
    reading = explanation.rules[0].condition.reading
    assert say(reading, "en") == read
    if chinese is not None:
        assert say(reading, "zh") == chinese
    else:
        assert "评价日" in say(reading, "zh") and "期末日" in say(reading, "zh")
