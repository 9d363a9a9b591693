"""Counterexamples the differential test found (`tests/test_differential.py`), kept as fixed
cases: every executor agrees with the oracle on each, whatever examples hypothesis draws."""

from __future__ import annotations

import textwrap

import policydsl
from differential import check_every_executor

QUARTERLY_TABLE = """
policy gen
  in_force_from 2014-01-01
entity unit "单位"
  yearly score: integer
  quarterly qscore: integer
table points: integer -> money
  1 -> 300万元
  2 -> 200万元
outcome o0 "零" is sanction
rule r0
  implements gen.r0
  cite "r0"
  for unit
  when 1万元 < points[qscore]
  then o0
"""


def test_a_constant_compared_with_a_table_row_of_a_fact_no_row_has(tmp_path):
    """`1万元 < points[qscore]` where no quarter has a `qscore`: unknown, not fired (the columnar
    executor failed inside Polars, which folded the constant comparison to a single row)."""
    path = tmp_path / "gen.pol"
    path.write_text(textwrap.dedent(QUARTERLY_TABLE), encoding="utf-8")
    policy_set = policydsl.load(path)
    for rows in ({"unit": [{"id": "u0", "period": "2017"}, {"id": "u0", "period": "2018-Q3"},
                           {"id": "u0", "period": "2018-Q4"}]},
                 {"unit": [{"id": "u0", "period": "2018-Q3", "qscore": 1}, {"id": "u0", "period": "2018-Q4"}]}):
        check_every_executor(policy_set, [path], rows)


WIDE_SCALES = """
policy gen
  in_force_from 2010-01-01
entity zone "区"
  yearly x: decimal
  yearly y: decimal
value growth for zone: percent = (x - previous(x)) / previous(x)
value product for zone: decimal = x * y
value quotient for zone: decimal = x / y
outcome grew "增长" is computed with value: percent
outcome small "小" is classification
outcome ratio "比值" is computed with value: decimal
rule r0
  implements gen.r0
  cite "r0"
  for zone
  then grew = growth
rule r1
  implements gen.r1
  cite "r1"
  for zone
  when product < quotient
  then small
rule r2
  implements gen.r2
  cite "r2"
  for zone
  then ratio = quotient
"""


def test_numbers_whose_scale_makes_products_pass_int64_decide_as_fractions(tmp_path):
    """Columns of ten decimal places (a denominator of 10^10): a growth over a previous year
    (numerator times the other side's static denominator), a comparison of a product with a
    quotient (cross-multiplied), and a product of two such denominators (10^20). The columnar
    executor bounded these by per-row denominators only, taking a static one as 1: the growth
    came out 160.06 % instead of 33.33 % and `small` was lost, silently, as Int64 wrapped; the
    third case stopped inside Polars (an i128 literal). Each now falls back to the row executor."""
    path = tmp_path / "gen.pol"
    path.write_text(textwrap.dedent(WIDE_SCALES), encoding="utf-8")
    policy_set = policydsl.load(path)
    for rows in ({"zone": [{"id": "Z1", "period": "2015", "x": "3", "y": "1"},
                           {"id": "Z1", "period": "2016", "x": "4.0000000001", "y": "1"}]},
                 {"zone": [{"id": "Z1", "period": "2016", "x": "300000000", "y": "0.0000000001"}]},
                 {"zone": [{"id": "Z1", "period": "2016", "x": "0.0000000001", "y": "0.0000000003"}]}):
        check_every_executor(policy_set, [path], rows)
