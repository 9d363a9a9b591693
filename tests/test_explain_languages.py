"""Explanations in both languages from one message catalogue: every key has an English and a Chinese
template; Chinese reads conditions in the declared labels (ids beside them, never instead of them),
with Chinese operators, units and words; a `where` filter that excluded a member says why, down
through derived values, in text, JSON and DOT."""

from __future__ import annotations

import json
import re
import string

import pytest
from conftest import ROOT, check_golden

import policydsl
from policydsl.engine import readings
from policydsl.render import explanation_dot, explanation_json, explanation_text
from policydsl.render.messages import CATALOGUE, LANGUAGES, say, word

FOLDER = ROOT / "tests" / "fixtures" / "languages"
GOLDEN = ROOT / "tests" / "golden" / "explain"

CASES = [
    # name, entity, outcome, question
    ("retrofit_Z1_why_not_reward", "Z1", "retrofit_reward", "why_not"),
    ("retrofit_Z2_reward", "Z2", "retrofit_reward", "why"),
    ("retrofit_Z1_warning", "Z1", "retrofit_warning", "why"),
]


@pytest.fixture(scope="module")
def result():
    policies = policydsl.load(FOLDER / "retrofit.pol")
    return policies.evaluate(policies.load_data(FOLDER / "data.json"))


def _explained(result, entity, outcome, question):
    return (result.why_not if question == "why_not" else result.explain)(entity, outcome, "2020")


def _relative(text: str) -> str:
    return text.replace(str(ROOT) + "/", "")


# ---- the catalogue ----------------------------------------------------------------------------

def test_every_key_the_explainer_emits_has_a_template_in_every_language():
    for lang in LANGUAGES:
        assert sorted(readings.MESSAGE_KEYS - set(CATALOGUE[lang])) == [], lang


def test_every_language_has_the_same_keys():
    assert set(CATALOGUE["en"]) == set(CATALOGUE["zh"])


def test_templates_of_a_key_take_arguments_the_other_language_knows():
    def fields(template: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name}
    for key in CATALOGUE["en"]:
        en, zh = fields(CATALOGUE["en"][key]), fields(CATALOGUE["zh"][key])
        # a name reads as its id in English and its label in Chinese, a filter as the policy's text in
        # English and in words in Chinese; every other argument is shared
        assert zh - en <= {"label", "condition"} and en - zh <= {"id", "via", "code"}, key


def test_every_key_a_renderer_names_is_in_the_catalogue():
    named = set()
    for module in (ROOT / "policydsl" / "render").glob("*.py"):
        named |= set(re.findall(r'"((?:word|status|unit|value|list)\.[a-z_]+)"', module.read_text(encoding="utf-8")))
    assert len(named) > 20 and sorted(named - set(CATALOGUE["en"])) == []


def test_an_unknown_key_is_refused_where_it_is_made():
    with pytest.raises(ValueError, match="no message key"):
        readings.message("note.not_a_key")


def test_a_name_without_a_label_reads_as_its_identifier_in_chinese():
    assert say(readings.message("name.fact", id="score", label=None), "zh") == "score"
    assert say(readings.message("name.fact", id="score", label="得分"), "zh") == "得分"
    assert say(readings.message("name.fact", id="score", label="得分"), "en") == "score"


def test_values_are_written_in_the_language():
    from policydsl.values import Duration, Unknown

    assert word("note.period_value", "zh", period="2019", value=True) == "2019：是"
    assert word("note.period_value", "en", period="2019", value=Unknown()) == "2019: unknown"
    assert word("note.period_value", "zh", period="2019", value=Duration(months=6)) == "2019：6个月"
    assert word("note.period_value", "en", period="2019", value=Duration(months=12)) == "2019: 1 year"


# ---- explanations ------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("name,entity,outcome,question", CASES, ids=[c[0] for c in CASES])
def test_explanation_in_each_language_matches_golden_file(result, update_golden, name, entity, outcome, question,
                                                          lang):
    text = _relative(explanation_text(_explained(result, entity, outcome, question), lang)) + "\n"
    check_golden(GOLDEN / f"{name}_{lang}.expected", text, update_golden)


def _outside_parentheses(line: str) -> str:
    """A line without its parenthesised parts (where zh shows identifiers) and quoted clause."""
    line = re.sub(r"「[^」]*」", "", line)
    line = re.sub(r"\(`[^`]*`[^)]*\)", "", line)  # the rule's own name and file
    return re.sub(r"  \([a-z_0-9]+\)$", "", line)


@pytest.mark.parametrize("name,entity,outcome,question", CASES, ids=[c[0] for c in CASES])
def test_chinese_reads_in_labels_with_chinese_operators(result, name, entity, outcome, question):
    text = explanation_text(_explained(result, entity, outcome, question), "zh")
    body = "\n".join(_outside_parentheses(line) for line in text.splitlines())
    for english in (" and ", " or ", "not ", ">=", "<=", "!=", " true", " false", "unknown", "industrial_zone",
                    "enterprise", "a_retrofitted", "retrofit_done_on", "score", "needed", "period_end",
                    "previous(", "change(", "rank(", "count(", "missing", "months"):
        assert english not in body, english
    # the identifiers stay available beside the labels
    assert "(a_retrofitted)" in text or "(score)" in text


def test_a_members_filter_on_a_derived_value_says_why_it_failed_in_text_json_and_dot(result):
    explanation = result.why_not("Z1", "retrofit_reward", "2020")
    en, zh = explanation_text(explanation, "en"), explanation_text(explanation, "zh")
    assert "E2 fell short: ✗ retrofitted ← " in en and "[2021-03-01 ≤ 2020-12-31]" in en
    assert "E2 未达到：✗ 已完成智能化改造 ← " in zh and "智能化改造完成日期 + 6个月 ≤ 期末日" in zh
    # E3 has no date: its false guard decides `not is_missing(d) and d + 6 months <= period_end`
    # (Kleene: false and unknown is false), so the unknown comparison beside it is not a reason
    e3_en = next(line for line in en.splitlines() if "E3 fell short" in line)
    e3_zh = next(line for line in zh.splitlines() if "E3 未达到" in line)
    assert e3_en.endswith(": ✗ not is_missing(retrofit_done_on)") and "missing:" not in e3_en
    assert e3_zh.endswith("：✗ 非 智能化改造完成日期缺失") and "缺失：" not in e3_zh
    for lang, said in (("en", "retrofit_done_on + 6 months <= period_end"), ("zh", "智能化改造完成日期 + 6个月 ≤ 期末日")):
        data = explanation_json(explanation, lang)
        members = data["rules"][0]["failed"][0]["children"][0]["children"][0]["members"]
        e2 = next(m for m in members["excluded"] if m["entity"] == "E2")
        assert said in e2["why"][0]
        # the failed part itself carries the derived value's definition with its value
        definition = e2["failed"][0]["children"][0]
        assert definition["value"] is False and definition["text"].startswith("not is_missing(")
        dot = explanation_dot(explanation, lang)
        assert ("✗ E2 fell short: " if lang == "en" else "✗ E2 未达到：") in dot and said in dot


def test_json_carries_ids_beside_readings_and_notes_as_keys(result):
    data = explanation_json(result.explain("Z2", "retrofit_reward", "2020"), "zh")
    condition = data["rules"][0]["condition"]
    assert condition["text"].startswith("a_retrofitted >= needed")
    assert condition["reading"].startswith("已完成改造的A类企业数 ≥ 应改造企业数")
    assert data["entity_kind"] == "industrial_zone" and data["entity_kind_label"] == "产业集聚区"
    notes = [d for node in _walk(condition) for d in node.get("detail", ())]
    group = next(n for n in notes if n["key"] == "note.group")
    assert group["args"]["n"] == 3 and group["text"] == "分组 所在市 = C1：2020 期成员共3个"
    json.dumps(data, ensure_ascii=False)  # every argument is JSON


def _walk(node):
    yield node
    for child in node.get("children", ()):
        yield from _walk(child)


def test_chinese_dot_golden(result, update_golden):
    dot = explanation_dot(result.why_not("Z1", "retrofit_reward", "2020"), "zh")
    check_golden(GOLDEN / "retrofit_Z1_why_not_reward_zh.dot.expected", dot, update_golden)


def test_the_first_line_names_the_kind_by_its_label_in_chinese(result):
    explanation = result.explain("Z2", "retrofit_reward", "2020")
    assert explanation_text(explanation, "zh").splitlines()[0] == "Z2 (产业集聚区) · 2020"
    assert explanation_text(explanation, "en").splitlines()[0] == "Z2 (industrial_zone) · 2020"


def test_a_rank_with_a_filter_or_over_all_is_still_said_as_a_place(policy_from_text):
    policies = policy_from_text("""
policy demo
entity unit "单位"
  group by region
  static region: text
  yearly score "得分": integer
outcome first "第一" is measure
rule r implements demo.1 cite "一" for unit when rank(score, where: score > 0) <= 1 and rank(score, within: all) <= 1
  then first
""")
    result = policies.evaluate({"unit": [{"id": "u1", "period": "2017", "region": "R", "score": 5},
                                         {"id": "u2", "period": "2017", "region": "R", "score": 3}]})
    text = explanation_text(result.explain("u1", "first", "2017"), "zh")
    assert "得分的组内排名（仅计满足「得分 > 0」的成员） = 第1名（共2个）" in text
    assert "得分的组内排名（全部范围） = 第1名（共2个）" in text
