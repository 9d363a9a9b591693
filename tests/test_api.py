"""The Python API: load, evaluate (mapping or Dataset), explain, why_not; errors; threads."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import ROOT, SAMPLE_DATA, SAMPLE_POLICIES

import policydsl


@pytest.fixture(scope="module")
def policies():
    return policydsl.load(*SAMPLE_POLICIES)


def test_load_raises_policy_error_carrying_every_diagnostic():
    with pytest.raises(policydsl.PolicyError) as caught:
        policydsl.load(ROOT / "tests" / "golden" / "diagnostics" / "multiple_errors_reported_at_once.pol")
    assert [d.code for d in caught.value.diagnostics] == ["E201", "E203", "E205"]
    assert "error[E201]" in str(caught.value)


def test_evaluate_takes_the_json_mapping(policies):
    rows = [{"id": "E1", "period": str(y), "city": "周口市", "zone": "Z", "performance_class": "D"}
            for y in (2018, 2019)]
    result = policies.evaluate({"enterprise": rows})
    active = [(d.period.year, d.outcome) for d in result.decisions if d.status == "active" and d.entity == "E1"]
    assert active == [(2018, "enterprise_rectification_order"), (2019, "enterprise_yellow_card_warning")]


def test_bad_mapping_raises_data_error(policies):
    with pytest.raises(policydsl.DataError) as caught:
        policies.evaluate({"enterprise": [{"id": "E1", "period": "2019", "performance_class": "E"}]})
    assert 'unknown value "E"' in caught.value.problems[0]


def test_explain_and_why_not(policies):
    result = policies.evaluate(policies.load_data(SAMPLE_DATA))
    why = result.explain("KF02", "zone_criticised_rank_drop", "2015")
    assert why.status == "active" and why.rules[0].implements == "kaifeng2014.4.5.2.7.a"
    why_not = result.why_not("KF02", "zone_head_replacement_ordered", "2015")
    assert why_not.status == "not_fired" and why_not.rules[0].failed[0].text == "position_fall >= replacement_fall"


def test_explain_of_an_unknown_outcome_raises(policies):
    result = policies.evaluate({"enterprise": []})
    with pytest.raises(policydsl.ExplainError, match="did you mean"):
        result.explain("E1", "enterprise_yellow_card", "2019")


def test_one_policy_set_serves_many_threads(policies):
    dataset = policies.load_data(SAMPLE_DATA)
    expected = policies.evaluate(dataset).decisions
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: policies.evaluate(dataset).decisions, range(16)))
    assert all(r == expected for r in results)


def test_evaluate_can_narrow_to_a_period_and_entities(policies):
    dataset = policies.load_data(SAMPLE_DATA)
    result = policies.evaluate(dataset, period="2016", entities=["KF03"])
    assert {(d.entity, str(d.period)) for d in result.decisions} == {("KF03", "2016")}


# ---- issue 6: arguments of the wrong type, and questions the data cannot answer -------------

@pytest.mark.parametrize("entities", ["E03", b"E03"])
def test_a_bare_string_for_entities_is_refused(policies, entities):
    with pytest.raises(TypeError, match="iterable of ids"):
        policies.evaluate(policies.load_data(SAMPLE_DATA), entities=entities)


@pytest.mark.parametrize("kwargs, message", [
    ({"entities": 3}, "iterable of ids"),
    ({"entities": [3]}, "must hold str ids"),
    ({"entities": {"E03": 1}}, "iterable of ids"),
    ({"period": 2019}, "`period` must be a str"),
    ({"period": 2019.0}, "`period` must be a str"),
])
def test_wrong_argument_types_raise_type_error(policies, kwargs, message):
    with pytest.raises(TypeError, match=message):
        policies.evaluate({"enterprise": []}, **kwargs)


def test_wrong_types_elsewhere_raise_type_error(policies):
    with pytest.raises(TypeError, match="`facts` must be a mapping"):
        policies.evaluate([{"id": "E1"}])
    with pytest.raises(TypeError, match="`facts` must be a mapping"):
        policies.evaluate(None)
    with pytest.raises(TypeError, match="must be a str or a pathlib.Path"):
        policies.load_data(42)
    with pytest.raises(TypeError, match="policy paths must be str"):
        policydsl.load(["policies"])
    result = policies.evaluate(policies.load_data(SAMPLE_DATA))
    with pytest.raises(TypeError, match="`entity` must be a str"):
        result.explain(3, "enterprise_yellow_card_warning", "2019")


def test_entities_takes_any_iterable_of_ids(policies):
    dataset = policies.load_data(SAMPLE_DATA)
    listed = policies.evaluate(dataset, entities=["KF03"]).decisions
    assert listed and policies.evaluate(dataset, entities=("KF03",)).decisions == listed
    assert policies.evaluate(dataset, entities=(e for e in ["KF03"])).decisions == listed


def test_an_entity_or_period_the_data_lacks_raises_selection_error_naming_the_nearest(policies):
    dataset = policies.load_data(SAMPLE_DATA)
    with pytest.raises(policydsl.SelectionError, match="no entity `KF3` in the data; did you mean `KF03`"):
        policies.evaluate(dataset, entities=["KF3"])
    with pytest.raises(policydsl.SelectionError, match="no data for period 2030; nearest: 2020"):
        policies.evaluate(dataset, period="2030")


def test_strict_evaluation_of_a_mapping_refuses_warnings(policies):
    facts = {"enterprise": [{"id": "E1", "period": "2019", "city": "周口市", "zone": "Z", "performance_class": "D"}],
             "enterprises": []}
    assert "unknown entity kind `enterprises`" in str(policies.evaluate(facts).warnings[0])
    with pytest.raises(policydsl.DataError, match="unknown entity kind `enterprises`"):
        policies.evaluate(facts, strict=True)


def test_a_year_asked_of_data_with_only_its_quarters_is_refused_naming_the_quarters(policy_from_text):
    """`--period 2014` evaluates the yearly rules of 2014; with only quarterly rows it would answer
    nothing, which reads as "nothing happened": refused, naming the quarters the data has."""
    from test_time import PLAN
    quarters_only = {"zone": [{"id": "Z", "period": "2014-Q3", "quarter_rank": 1}]}
    with pytest.raises(policydsl.SelectionError, match="no data for period 2014; nearest: 2014-Q3"):
        policy_from_text(PLAN).evaluate(quarters_only, period="2014")
    assert policy_from_text(PLAN).evaluate(quarters_only, period="2014-Q3").decisions
