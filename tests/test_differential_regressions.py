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
