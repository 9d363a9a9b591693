"""Named payload fields on outcomes (`with fields (…)`, `then X with (NAME = EXPR)`): checked,
evaluated by every executor, shown by explanations, in the JSON/CSV contract, round-tripped by fmt."""

from __future__ import annotations

import csv
import io
import json

import pytest

import policydsl
from policydsl import render
from policydsl.language.build import build_source
from policydsl.language.printer import module_text
from policydsl.diagnostics import SourceFile
from policydsl.values import Fields

POLICY = """\
policy p
  in_force_from 2010-01-01
entity talent "人才"
  yearly introduced: boolean
  yearly grade: A | B
  yearly bonus: money
  yearly share: percent
outcome funding "资金支持" is eligibility with fields (amount_min "资金支持不低于": money, tier: A | B,
  optional rate: percent)
outcome prize "奖励" is reward with amount and fields (reason: text)
rule r
  implements p.1
  cite "一" "资金支持"
  for talent
  when introduced
  then funding with (amount_min = 500万元 + bonus, tier = grade), prize amount 3 with (reason = "引进")
rule s
  implements p.2
  cite "二"
  for talent
  when grade = B
  then funding with (amount_min = bonus, tier = grade, rate = share)
"""


def talent(id_, **facts):
    return {"id": id_, "period": "2018", **facts}


ROWS = {"talent": [talent("T1", introduced=True, grade="A", bonus=20, share=12.5),
                   talent("T2", introduced=False, grade="B", bonus=7, share=30),
                   talent("T3", introduced=True, grade="B", share=5)]}  # bonus missing


@pytest.fixture
def policies(policy_from_text):
    return policy_from_text(POLICY)


def fields_of(result, entity, outcome, rule=None):
    return [d.value for d in result.decisions
            if d.entity == entity and d.outcome == outcome and (rule is None or d.rule_id == rule)]


def test_a_rule_sets_the_fields_in_declaration_order_and_an_unset_optional_field_is_none(policies):
    result = policies.evaluate(ROWS)
    (value,) = fields_of(result, "T1", "funding")
    assert value.items == (("amount_min", 520), ("tier", "A"), ("rate", None))
    assert fields_of(result, "T1", "prize") == [Fields(items=(("reason", "引进"),))]
    (other,) = fields_of(result, "T2", "funding")
    assert dict(other.items)["rate"].shown == 30


def test_a_field_that_needs_missing_data_keeps_the_rule_from_firing_and_why_not_names_it(policies):
    result = policies.evaluate(ROWS)
    assert fields_of(result, "T3", "funding") == []
    assert fields_of(result, "T3", "prize") == []  # the rule decides nothing when one payload is unknown
    explanation = result.why_not("T3", "funding", "2018")
    assert explanation.status == "not_evaluable"
    assert any(m.fact == "bonus" for m in explanation.missing) or "bonus" in policydsl.explanation_text(explanation)


def test_the_json_contract_gives_the_fields_as_an_object_under_value(policies):
    result = policies.evaluate(ROWS)
    decisions = json.loads(render.decisions_json(result.decisions))["decisions"]
    funding = next(d for d in decisions if d["entity"] == "T1" and d["outcome"] == "funding")
    assert funding["value"] == {"amount_min": 520, "tier": "A", "rate": None}
    prize = next(d for d in decisions if d["entity"] == "T1" and d["outcome"] == "prize")
    assert (prize["amount"], prize["value"]) == (3, {"reason": "引进"})
    other = next(d for d in decisions if d["entity"] == "T2" and d["outcome"] == "funding")
    assert other["value"]["rate"] == 30  # a percent as shown


def test_csv_export_keeps_the_contract_columns_with_the_fields_as_one_json_cell(policies):
    result = policies.evaluate(ROWS)
    rows = list(csv.DictReader(io.StringIO(render.decisions_csv(result.decisions))))
    funding = next(r for r in rows if r["entity"] == "T1" and r["outcome"] == "funding")
    assert json.loads(funding["value"]) == {"amount_min": 520, "tier": "A", "rate": None}
    assert list(rows[0]) == [key for key, _ in render.DECISION_COLUMNS]


def test_the_columnar_executor_hands_such_rules_to_the_row_executor_and_says_why(policies):
    row = policies.evaluate(ROWS)
    columnar = policies.evaluate(ROWS, executor="columnar")
    assert columnar.decisions == row.decisions
    from policydsl.engine.columnar.support import columnar_support
    reasons = columnar_support(policies.plan)
    assert all("payload fields" in (reason or "") for reason in reasons.values())


def test_explanations_show_each_field_and_its_computation(policies):
    result = policies.evaluate(ROWS)
    text = policydsl.explanation_text(result.explain("T1", "funding", "2018"))
    assert "amount_min = 520 万元, tier = A" in text
    assert "amount_min = 500万元 + bonus" in text
    prize = policydsl.explanation_text(result.explain("T1", "prize", "2018"))
    assert "3 万元" in prize and "reason = 引进" in prize


def test_fmt_prints_fields_and_the_result_parses_to_the_same_program():
    module, problems = build_source(SourceFile(path="p.pol", text=POLICY))
    assert not problems
    printed = module_text(module)
    again, problems = build_source(SourceFile(path="p.pol", text=printed))
    assert not problems and again == module
    assert "with fields (" in printed and "optional rate: percent" in printed
    assert 'prize amount 3 with (reason = "引进")' in printed


@pytest.mark.parametrize(("then", "code"), [
    ("funding with (amount_mn = 1万元, tier = A)", "E240"),
    ("funding with (amount_min = 1万元)", "E241"),
    ("prize amount 1 with (reason = \"x\"), plain with (x = 1)", "E242"),
    ("funding with (amount_min = 1万元, tier = A, tier = B)", "E243"),
    ("funding with (amount_min = share, tier = A)", "E202"),
    ("funding with (amount_min = 1万元, tier = A, rate = 30)", "E219"),
    ("funding with (amount_min = 1万元, tier = C)", "E201"),
])
def test_fields_are_typed_and_unit_checked(tmp_path, then, code):
    text = POLICY.split("rule r")[0] + 'outcome plain "无字段" is measure\n' + (
        f'rule r\n  implements p.1\n  cite "一"\n  for talent\n  when introduced\n  then {then}\n')
    (tmp_path / "p.pol").write_text(text, encoding="utf-8")
    compiled = policydsl.compile_paths([tmp_path / "p.pol"])
    assert code in {d.code for d in compiled.diagnostics}, [d.message for d in compiled.diagnostics]


def test_hover_on_an_outcome_lists_its_fields_with_labels_and_types():
    from policydsl.tools.lsp.analysis import index

    module, _ = build_source(SourceFile(path="p.pol", text=POLICY))
    funding = next(s for s in index([module]) if s.name == "funding" and s.kind == "outcome")
    assert "`amount_min` 资金支持不低于 — `money`" in funding.detail
    assert "`rate` — `percent` (optional)" in funding.detail
