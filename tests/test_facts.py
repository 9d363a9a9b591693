"""The fact list (docs/facts.md) is generated from the schema and current; the quantities the
documents derive from member data are computed by the engine, not read as input facts."""

from __future__ import annotations

import csv
import datetime as dt

import pytest
from conftest import ROOT, check_golden

import policydsl
from policydsl.render import explanation_json
from policydsl.tools.facts import fact_list, render_markdown

# The shared spec sits beside the checkout (../shared), or beside the worktrees (../../shared).
DICTIONARY = next((p for p in (ROOT.parent / "shared" / "spec" / "data-dictionary.md",
                               ROOT.parent.parent / "shared" / "spec" / "data-dictionary.md") if p.is_file()), None)

# Each quantity the documents derive from the rows of other kinds: once an input fact, now a value.
COMPUTED = {
    ("industrial_zone", "a_class_enterprises"), ("industrial_zone", "a_class_retrofitted"),
    ("industrial_zone", "b_class_enterprises"), ("industrial_zone", "b_class_retrofitted"),
    ("city", "a_class_enterprises"), ("city", "a_class_retrofitted"),
    ("city", "b_class_enterprises"), ("city", "b_class_retrofitted"),
    ("service_zone", "new_starts_1yi_or_more"), ("service_zone", "major_projects_over_1yi"),
    ("industrial_zone", "new_leading_enterprises_or_5yi_projects"),
    ("industrial_zone", "new_leading_or_base_projects_5yi"),
    ("city", "service_zones_with_star_ge_1"),
    ("province", "zones_over_1000yi"), ("province", "zones_over_500yi"), ("province", "zones_over_200yi"),
    ("province", "zones_star_1_or_more"), ("province", "zones_star_2"), ("province", "zones_star_3"),
    ("province", "zones_star_4"),
    ("city", "zones_revenue_over_1000yi"), ("city", "zones_revenue_500_to_1000yi"),
    ("industrial_zone", "new_national_platforms"), ("industrial_zone", "new_provincial_platforms"),
    ("city", "city_composite_growth_rate"), ("enterprise", "shared_tax_paid"),
    ("province", "zones_in_province"),
    ("city", "zones_fai_yi"), ("province", "zones_fai_yi"), ("city", "zones_revenue_yi"),
    ("province", "zones_revenue_yi"), ("city", "service_zone_fai_yi"), ("city", "zones_tax_yi"),
    ("province", "zones_value_added_yi"),
    ("city", "major_projects_1yi_implemented"), ("province", "major_projects_1yi_implemented"),
    ("city", "major_projects_1yi_started"), ("province", "major_projects_1yi_started"),
    ("city", "major_projects_1yi_completed"), ("province", "major_projects_1yi_completed"),
    ("city", "service_zone_major_projects_1yi"),
    ("industrial_zone", "new_top500_or_leading_projects"), ("service_zone", "new_top500_or_leading_projects"),
    ("city", "key_enterprises_designated"), ("province", "key_enterprises_designated"),
    ("city", "clusters_over_100yi"), ("province", "clusters_over_100yi"),
    ("city", "qualifying_100yi_clusters"), ("province", "qualifying_100yi_clusters"),
    ("city", "clusters_over_1000yi"), ("province", "clusters_over_1000yi"),
    ("industrial_zone", "clusters_100yi"),
    ("city", "zone_employees"), ("city", "service_zone_enterprises"), ("city", "major_manufacturing_projects_5yi"),
    ("province", "green_retrofit_zones"), ("industrial_zone", "new_related_supporting_enterprises"),
    ("industrial_zone", "listing_reserve_enterprises"), ("industrial_zone", "new_leading_projects_10yi_in_production"),
    ("service_zone", "new_above_scale_service_enterprises"), ("service_zone", "new_branded_service_enterprises"),
    ("service_zone", "aaa_logistics_introduced"), ("service_zone", "aaa_logistics_completed"),
    ("service_zone", "new_service_enterprises_5000wan_in_use"), ("service_zone", "new_leading_or_brand_enterprises"),
    ("city", "innovation_leading_enterprises"), ("city", "high_tech_enterprises"),
}


@pytest.fixture(scope="module")
def shipped():
    return policydsl.load(ROOT / "policies")


@pytest.mark.skipif(DICTIONARY is None, reason="the data dictionary lives in the shared spec")
def test_fact_list_document_is_generated_from_the_current_schema(shipped, update_golden):
    text = render_markdown(fact_list(shipped.program, DICTIONARY, root=ROOT))
    check_golden(ROOT / "docs" / "facts.md", text, update_golden)


def test_quantities_derived_from_member_data_are_computed_not_input(shipped):
    program = shipped.program
    for kind, name in sorted(COMPUTED):
        assert name not in program.entities[kind].facts, f"{kind}.{name} is still an input fact"
        assert (kind, name) in program.values, f"{kind}.{name} is not computed"
    computed = {(c.kind, c.name) for c in fact_list(program).computed}
    assert COMPUTED <= computed


def _xuchang_enterprises_counted() -> set[str]:
    """The A-class (2017) enterprises of 许昌市's zones retrofitted by 2020-12-31, read from the CSV."""
    province = ROOT / "examples" / "province"
    with (province / "industrial_zone.csv").open(encoding="utf-8") as handle:
        zones = {row["id"] for row in csv.DictReader(handle) if row["city"] == "许昌市"}
    classes: dict[tuple[str, str], str] = {}
    counted = set()
    with (province / "enterprise.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        classes[(row["id"], row["period"])] = row["class"]
    for row in rows:
        if row["period"] != "2020" or row["zone"] not in zones:
            continue
        done = row["smart_retrofit_implemented_on"]
        if classes.get((row["id"], "2017")) == "A" and done and dt.date.fromisoformat(done) <= dt.date(2020, 12, 31):
            counted.add(row["id"])
    return counted


def test_the_xuchang_coverage_target_explanation_lists_the_enterprises_it_counted(shipped):
    result = shipped.evaluate(shipped.load_data(ROOT / "examples" / "province"), period="2020")
    [decision] = [d for d in result.decisions if d.target == "xuchang2018.2.2.1.b#city_wide"]
    explanation = explanation_json(result.explain(decision.entity, decision.outcome, decision.period))
    [rule] = [r for r in explanation["rules"] if r["rule"] == "xuchang2018.2.2.1.b"]

    def member_lists(node):
        if "members" in node:
            yield node["members"]
        for child in node.get("children", ()):
            yield from member_lists(child)
    retrofitted = [m for m in member_lists(rule["condition"])
                   if m["where"] == "classified_2017 = A and retrofitted"]
    assert retrofitted, "the explanation shows the A-class enterprises retrofitted"
    expected = _xuchang_enterprises_counted()
    assert expected and {m["entity"] for m in retrofitted[0]["counted"]} == expected


def _members_of(node, text: str):
    if "members" in node and node["text"] == text:
        yield node["members"]
    for child in node.get("children", ()):
        yield from _members_of(child, text)


@pytest.mark.parametrize("third_zone, outcome", [(2250000, "target_met"), ("2249999.99", "target_not_met")])
def test_a_city_total_is_the_sum_of_its_zones_and_its_explanation_lists_them(third_zone, outcome):
    # 「完成固定资产投资825亿元」: the city's zones' investment (万元) added up and converted to 亿元
    policies = policydsl.load(ROOT / "policies" / "zhoukou2014")
    zones = [("Z1", 3000000), ("Z2", 3000000), ("Z3", third_zone)]
    data = {"city": [{"id": "周口市", "period": "2014", "city": "周口市", "zones_fai_growth_pct": 25}],
            "industrial_zone": [{"id": z, "period": "2014", "city": "周口市", "fixed_asset_investment": v}
                                for z, v in zones]
            + [{"id": "Z4", "period": "2014", "city": "周口市"},  # reported without its investment
               {"id": "Z9", "period": "2014", "city": "许昌市", "fixed_asset_investment": 9000000}]}
    result = policies.evaluate(data)
    [decision] = [d for d in result.decisions if d.target == "zhoukou2014.1.2.c"]
    assert decision.outcome == outcome
    explanation = explanation_json(result.explain("周口市", outcome, "2014"))
    [rule] = [r for r in explanation["rules"] if r["rule"] == "zhoukou2014.1.2.c"]
    [members] = list(_members_of(rule["condition"], "sum(fixed_asset_investment over industrial_zone)"))
    assert [(m["entity"], str(m["value"])) for m in members["counted"]] == [(z, str(v)) for z, v in zones]
    assert [m["entity"] for m in members["left_out"]] == ["Z4"]


def test_the_aaa_logistics_counts_of_a_service_zone_are_its_flagged_enterprises(shipped):
    """kaifeng2014's service-zone bonus counts the AAA logistics enterprises introduced and completed
    in the zone in the year: equal, zone by zone, to a count read independently from the CSV."""
    from policydsl.values import Period
    with (ROOT / "examples" / "province" / "enterprise.csv").open(encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle) if row["period"] == "2016" and row["host_service_zone"]]
    result = shipped.evaluate(shipped.load_data(ROOT / "examples" / "province"), period="2016")
    zones = sorted(result.evaluation.run.dataset.entities("service_zone"))
    for value, flag in (("aaa_logistics_introduced", "newly_introduced_aaa_logistics"),
                        ("aaa_logistics_completed", "newly_completed_aaa_logistics")):
        expected = {zone: sum(1 for row in rows if row["host_service_zone"] == zone and row[flag] == "true")
                    for zone in zones}
        assert sum(expected.values()) > 0, "the sample has some, so the count is tested"
        computed = {zone: result.evaluation.run.derived("service_zone", value, zone, Period(2016)) for zone in zones}
        assert computed == expected
