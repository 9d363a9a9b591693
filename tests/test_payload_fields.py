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


def printed_again(text: str) -> str:
    """The canonical text of a policy, checked to parse back to the same program."""
    module, problems = build_source(SourceFile(path="p.pol", text=text))
    assert not problems
    printed = module_text(module)
    again, problems = build_source(SourceFile(path="p.pol", text=printed))
    assert not problems and again == module
    return printed


def test_fmt_prints_fields_and_the_result_parses_to_the_same_program():
    printed = printed_again(POLICY)
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


# ---- list-valued fields (`list of T`, `[a, b]`): xuchang2018's allocation `dimensions` ----------

LISTS = """\
policy q
  in_force_from 2010-01-01
type dimension "要素" = land | energy | water | financing
entity firm "企业"
  yearly class: A | B | C
  yearly quota: money
outcome tier_a "A类配置" is eligibility with fields (dimensions "配置方面": list of dimension,
  optional quotas: list of money, optional notes: list of text)
rule a
  implements q.1
  cite "一" "差别化"
  for firm
  when class = A
  then tier_a with (dimensions = [land, energy, water], quotas = [quota, 2万元], notes = ["用地", "用能"])
rule b
  implements q.2
  cite "二"
  for firm
  when class = B
  then tier_a with (dimensions = [financing])
"""

LIST_ROWS = {"firm": [{"id": "F1", "period": "2018", "class": "A", "quota": 5},
                      {"id": "F2", "period": "2018", "class": "B"},
                      {"id": "F3", "period": "2018", "class": "A"}]}  # quota missing


@pytest.fixture
def listing(policy_from_text):
    return policy_from_text(LISTS)


def test_a_list_field_holds_its_items_in_order_and_an_item_needing_missing_data_keeps_the_rule_from_firing(listing):
    from policydsl.values import ValueList

    result = listing.evaluate(LIST_ROWS)
    (value,) = fields_of(result, "F1", "tier_a")
    assert value.get("dimensions") == ValueList(items=("land", "energy", "water"))
    assert value.get("quotas").items == (5, 2)
    (other,) = fields_of(result, "F2", "tier_a")
    assert other.items == (("dimensions", ValueList(items=("financing",))), ("quotas", None), ("notes", None))
    assert fields_of(result, "F3", "tier_a") == []  # `quota` is missing: the list is unknown (G8)
    assert "quota of F3 in 2018" in policydsl.explanation_text(result.why_not("F3", "tier_a", "2018"))


def test_the_json_contract_gives_a_list_field_as_an_array_and_csv_as_json_text(listing):
    result = listing.evaluate(LIST_ROWS)
    decisions = json.loads(render.decisions_json(result.decisions))["decisions"]
    first = next(d for d in decisions if d["entity"] == "F1")
    assert first["value"] == {"dimensions": ["land", "energy", "water"], "quotas": [5, 2], "notes": ["用地", "用能"]}
    rows = list(csv.DictReader(io.StringIO(render.decisions_csv(result.decisions))))
    assert json.loads(next(r for r in rows if r["entity"] == "F2")["value"]) == {
        "dimensions": ["financing"], "quotas": None, "notes": None}


def test_every_executor_and_the_oracle_agree_on_list_fields(tmp_path):
    from differential import check_every_executor, write

    paths = write(tmp_path, {"q.pol": LISTS})
    check_every_executor(policydsl.load(*paths), paths, LIST_ROWS)


def test_explanations_show_a_list_field_in_both_languages(listing):
    result = listing.evaluate(LIST_ROWS)
    why = result.explain("F1", "tier_a", "2018")
    text = policydsl.explanation_text(why)
    assert "dimensions = [land, energy, water]" in text
    assert "quotas = [5 万元, 2 万元]" in text
    zh = policydsl.explanation_text(why, "zh")
    assert "［land、energy、water］" in zh
    from policydsl.render.structured import explanation_json

    assert '["land", "energy", "water"]' in json.dumps(explanation_json(why), ensure_ascii=False)


def test_fmt_round_trips_list_types_and_literals():
    printed = printed_again(LISTS)
    assert "dimensions \"配置方面\": list of dimension" in printed
    assert "dimensions = [land, energy, water]" in printed


def test_a_scenario_expects_a_list_field_item_by_item(listing):
    from policydsl.tools.scenarios import _same
    from policydsl.values import ValueList

    assert _same(ValueList(items=("land", "energy")), ["land", "energy"])
    assert not _same(ValueList(items=("land", "energy")), ["energy", "land"])  # order matters
    assert not _same(ValueList(items=("land",)), ["land", "energy"])
    assert not _same(ValueList(items=("land",)), "land")


@pytest.mark.parametrize(("then", "code", "words"), [
    ("tier_a with (dimensions = [land, enrgy])", "E201", "did you mean `energy`"),
    ("tier_a with (dimensions = [land, 5])", "E202", "must be a `dimension` value, not an integer"),
    ("tier_a with (dimensions = land)", "E202", "list of dimension"),
    ("tier_a with (dimensions = [land], quotas = [1万元, 5%])", "E202", "must be a money, not a percent"),
    ("tier_a with (dimensions = [land], notes = [\"x\", 1])", "E202", "must be a text, not an integer"),
])
def test_list_items_are_typed_with_did_you_mean_for_an_unknown_member(tmp_path, then, code, words):
    text = LISTS.split("rule a")[0] + (
        f'rule r\n  implements q.1\n  cite "一"\n  for firm\n  when class = A\n  then {then}\n')
    (tmp_path / "q.pol").write_text(text, encoding="utf-8")
    compiled = policydsl.compile_paths([tmp_path / "q.pol"])
    found = [d for d in compiled.diagnostics if d.code == code]
    assert found, [d.message for d in compiled.diagnostics]
    assert any(words in (d.message + " " + (d.hint or "")) for d in found), [(d.message, d.hint) for d in found]


def test_an_empty_list_takes_the_declared_type_and_a_list_fact_is_refused(tmp_path):
    text = LISTS.replace("then tier_a with (dimensions = [financing])", "then tier_a with (dimensions = [])")
    (tmp_path / "q.pol").write_text(text, encoding="utf-8")
    assert not [d for d in policydsl.compile_paths([tmp_path / "q.pol"]).diagnostics if d.severity == "error"]
    (tmp_path / "q.pol").write_text(LISTS.replace("yearly quota: money", "yearly quota: list of money"),
                                    encoding="utf-8")
    assert "E213" in {d.code for d in policydsl.compile_paths([tmp_path / "q.pol"]).diagnostics}


def test_hover_shows_a_list_field_type():
    from policydsl.tools.lsp.analysis import index

    module, _ = build_source(SourceFile(path="q.pol", text=LISTS))
    tier = next(s for s in index([module]) if s.name == "tier_a" and s.kind == "outcome")
    assert "`dimensions` 配置方面 — `list of dimension`" in tier.detail


LIST_VALUE = """\
policy q
  in_force_from 2010-01-01
type dimension "要素" = land | energy | water
entity firm "企业"
  yearly class: A | B | C
value dims "配置方面" for firm: list of dimension = if class = A then [land, energy] else [water]
outcome tier "配置" is eligibility with fields (dimensions: list of dimension)
outcome land_first "用地优先" is measure
rule a
  implements q.1
  cite "一"
  for firm
  when class != C
  then tier with (dimensions = dims)
rule b
  implements q.2
  cite "二"
  for firm
  when dims = [land, energy]
  then land_first
"""


def test_a_derived_value_may_be_a_list_compared_whole_and_every_executor_agrees(tmp_path):
    from differential import check_every_executor, write

    rows = {"firm": [{"id": "F1", "period": "2018", "class": "A"}, {"id": "F2", "period": "2018", "class": "B"},
                     {"id": "F3", "period": "2018"}]}  # no class: dims unknown, neither rule fires
    paths = write(tmp_path, {"q.pol": LIST_VALUE})
    policies = policydsl.load(*paths)
    result = policies.evaluate(rows)
    assert [(d.entity, d.outcome, str(d.value) if d.value is not None else None) for d in result.decisions] == [
        ("F1", "tier", "dimensions = [land, energy]"), ("F1", "land_first", None), ("F2", "tier", "dimensions = [water]")]
    check_every_executor(policies, paths, rows)
