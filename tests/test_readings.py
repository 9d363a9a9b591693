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
    ("(if flag then a else b) > 0", "(if flag then a else b) > 0"),
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
