"""What the columnar executor leaves to the row executor, and how it cuts a large kind.

- `dump --stage plan` names, at compile time, every rule that runs on the row executor and why:
  those `support` refuses from the IR, and those the lowering refuses whatever the data
  (`dry_run`: an aggregate or rank over per-row denominators), whatever the policy's dates;
  `Result.fallbacks` names them after a run, with those the data sent there;
- `evaluate_in_batches` cuts a kind into batches of whole groups, decides as one run does, checks
  the data whole first, and refuses a plan that cannot be cut.
"""

from __future__ import annotations

import polars as pl
import pytest
from conftest import ROOT
from test_properties import load_text

import policydsl
from policydsl.cli import main


def test_plan_dump_names_rules_that_fall_back_and_why(capsys):
    assert main(["dump", "--stage", "plan", str(ROOT / "policies")]) == 0
    out = capsys.readouterr().out
    section = out.split("columnar executor (--executor columnar):", 1)[1]
    assert ": columnar" in section
    assert "row executor: `special_fund` reads its own earlier periods (a running total)" in section


def test_batches_of_whole_groups_decide_as_one_run():
    from policydsl.engine.columnar.batches import batch_ids, evaluate_batches

    w2 = policydsl.load(ROOT / "bench" / "peers" / "w2.pol")
    rows = []
    for zone in range(12):
        rows.append({"id": f"Z{zone}", "city_id": zone % 3})
        rows.append({"id": f"Z{zone}", "period": "2019", "provincial_rank": zone + 1})
        rows.append({"id": f"Z{zone}", "period": "2020", "provincial_rank": (zone * 7) % 12 + 1,
                     "tax_growth_bp": zone * 10, "va_growth_bp": 5, "fai_growth_bp": 12 - zone})
    frame = pl.DataFrame(rows, infer_schema_length=None)
    whole = w2.evaluate({"zone": frame}, executor="columnar").decisions
    batches = list(evaluate_batches(w2.plan, {"zone": frame}, kind="zone", batch_rows=10))
    assert len(batches) == 3  # one city (12 rows) per batch
    assert tuple(sorted((d for b in batches for d in b.decisions), key=lambda d: (d.entity, str(d.period), d.rule))) \
        == tuple(sorted(whole, key=lambda d: (d.entity, str(d.period), d.rule)))
    # every batch holds whole cities
    for ids in batch_ids(frame, "city_id", 10):
        assert len({int(i[1:]) % 3 for i in ids}) == 1


def test_a_plan_ranking_every_entity_is_not_cut_into_batches(tmp_path):
    from policydsl.engine.columnar.batches import BatchError, evaluate_batches

    policy_set = load_text(tmp_path, """
policy everyone
  issued 2015-01-01
entity zone
  yearly score: integer
outcome first "第一" is measure
rule first implements everyone.1 cite "1" for zone when rank(score, within: all) = 1 then first
""")
    frame = pl.DataFrame({"id": ["a"], "period": ["2020"], "score": [1]})
    with pytest.raises(BatchError, match="within: all"):
        evaluate_batches(policy_set.plan, {"zone": frame}, kind="zone")  # at once, not at the first batch
    with pytest.raises(policydsl.BatchError, match="within: all"):
        policy_set.evaluate_in_batches({"zone": frame}, kind="zone")


def test_the_api_evaluates_a_kind_in_batches_each_result_explaining_its_own_decisions():
    w2 = policydsl.load(ROOT / "bench" / "peers" / "w2.pol")
    rows = [row for zone in range(12) for row in (
        {"id": f"Z{zone}", "city_id": zone % 3}, {"id": f"Z{zone}", "period": "2019", "provincial_rank": zone + 1},
        {"id": f"Z{zone}", "period": "2020", "provincial_rank": (zone * 7) % 12 + 1, "tax_growth_bp": zone * 10,
         "va_growth_bp": 5, "fai_growth_bp": 12 - zone})]
    frame = pl.DataFrame(rows, infer_schema_length=None)
    whole = w2.evaluate({"zone": frame}, executor="columnar")
    results = list(w2.evaluate_in_batches({"zone": frame}, kind="zone", batch_rows=10, period="2020"))
    assert len(results) == 3
    decided = sorted((d for r in results for d in r.decisions), key=lambda d: (d.entity, d.rule))
    assert decided == sorted((d for d in whole.decisions if str(d.period) == "2020"), key=lambda d: (d.entity, d.rule))
    for result in results:
        for decision in result.decisions:
            assert result.explain(decision.entity, decision.outcome, "2020") == \
                whole.explain(decision.entity, decision.outcome, "2020")
    with pytest.raises(policydsl.SelectionError, match="did you mean `zone`"):
        w2.evaluate_in_batches({"zone": frame}, kind="zones")
    with pytest.raises(TypeError, match="Polars DataFrame or an Arrow table"):
        w2.evaluate_in_batches({"zone": rows}, kind="zone")
    with pytest.raises(ValueError, match="at least 1"):
        w2.evaluate_in_batches({"zone": frame}, kind="zone", batch_rows=0)
    # the data checked whole, before any batch: a period it lacks, a bad cell located in the whole table
    with pytest.raises(policydsl.SelectionError, match="no data for period 2002"):
        w2.evaluate_in_batches({"zone": frame}, kind="zone", batch_rows=10, period="2002")
    bad = frame.with_columns(pl.when(pl.int_range(pl.len()) == 31).then(pl.lit("20x0")).otherwise(pl.col("period"))
                             .alias("period"))
    with pytest.raises(policydsl.DataError) as by_batches:
        w2.evaluate_in_batches({"zone": bad}, kind="zone", batch_rows=10)
    with pytest.raises(policydsl.DataError) as whole_run:
        w2.evaluate({"zone": bad}, executor="columnar")
    assert by_batches.value.problems == whole_run.value.problems
    assert any("row 32" in p for p in by_batches.value.problems)


GROWTH = """
policy g
  issued 2015-01-01
entity zone
  group by city
  static city: text
  yearly tax: money
  yearly va: money
value growth for zone = (tax - previous(tax)) / previous(tax)
value comp for zone = 0.4 * growth + 0.6 * ((va - previous(va)) / previous(va))
outcome below "低于" is sanction
outcome ranked_low "后" is sanction
outcome big "大" is measure
rule below implements g.1 cite "1" for zone when comp < group_mean(comp) then below
rule low implements g.2 cite "2" for zone when rank(comp) >= 3 then ranked_low
rule big implements g.3 cite "3" for zone when tax > 100 and group_mean(tax) > 50 then big
"""


def test_the_plan_names_what_the_lowering_refuses_whatever_the_data(tmp_path, capsys):
    """An aggregate or a rank over a quotient by a column has no exact Int64 form on any data: the
    plan names it at compile time, with the reason the run then gives (and `Result.fallbacks`)."""
    path = tmp_path / "g.pol"
    path.write_text(GROWTH, encoding="utf-8")
    assert main(["dump", "--stage", "plan", str(path)]) == 0
    section = capsys.readouterr().out.split("columnar executor (--executor columnar):", 1)[1]
    assert "g::below: row executor: `group_mean` over per-row denominators" in section
    assert "g::low: row executor: `rank` over per-row denominators" in section
    assert "g::big: columnar" in section
    policy_set = policydsl.load(path)
    rows = {"zone": [{"id": f"Z{n}", "period": year, "city": "c", "tax": 100 + n * (year - 2015), "va": 90 + n}
                     for n in range(5) for year in (2015, 2016)]}
    result = policy_set.evaluate(rows, executor="columnar")
    assert result.fallbacks == {"g::below": "at run time: `group_mean` over per-row denominators",
                                "g::low": "at run time: `rank` over per-row denominators"}
    assert result.decisions == policy_set.evaluate(rows).decisions and policy_set.evaluate(rows).fallbacks == {}


@pytest.mark.parametrize("window", ["governs_from 2020-01-01\n  governs_until 2020-06-30",  # half a year
                                    "in_force_from 1985-01-01\n  in_force_until 1988-12-31"])  # long ago
def test_the_plan_names_the_lowerings_refusals_whatever_the_policys_dates(tmp_path, window):
    path = tmp_path / "q.pol"
    path.write_text(f"""policy q
  issued 1985-01-01
  {window}
entity zone
  group by city
  static city: text
  quarterly tax: money
  quarterly staff: integer
value per for zone = tax / staff
outcome below "低于" is sanction
rule below implements q.1 cite "1" for zone when per < group_mean(per) then below
""", encoding="utf-8")
    from policydsl.engine.columnar.dry_run import lowering_fallbacks

    assert lowering_fallbacks(policydsl.load(path).plan) == {"q::below": "`group_mean` over per-row denominators"}


CITY_FIRMS = """
policy p
  title "t"
  document "D1"
  issued 2010-01-01
  in_force_from 2010-01-01
entity firm "企业"
  group by zone
  static zone "区": text
  static city: text
  yearly score: integer
entity zone
  yearly rank: integer
outcome top "第一" is reward
outcome above "高于均值" is reward
outcome top_city "市第一" is reward
outcome zone_flag "区" is measure
rule r_top implements p.1 cite "1" for firm when top(score, 1) then top
rule r_mean implements p.2 cite "2" for firm when score > group_mean(score) then above
rule r_zone implements p.3 cite "3" for zone when rank > 0 then zone_flag
"""


def _batched_against_whole(policy_set, facts, **options):
    whole = policy_set.evaluate(facts, executor="columnar", **options)
    results = list(policy_set.evaluate_in_batches(facts, kind="firm", batch_rows=1, **options))
    mine = sorted((d for d in whole.decisions if d.entity_kind in ("firm", "document")), key=str)
    assert sorted((d for r in results for d in r.decisions), key=str) == mine
    return results


@pytest.mark.parametrize("zones", [["Z1", " Z1", "Z1 "], ["é", "e\u0301", "é"]], ids=["spaces", "nfc"])
@pytest.mark.parametrize("header", ["zone", "区"])
def test_batches_keep_the_groups_the_data_stage_reads(tmp_path, zones, header):
    """One group written three ways (spaces about it, another Unicode form), or its column headed by
    the attribute's label: one group, in one batch, as `evaluate` reads it (each way was its own
    group, and every rank and group mean changed)."""
    policy_set = load_text(tmp_path, CITY_FIRMS)
    frame = pl.DataFrame({"id": ["A", "B", "C"], header: zones, "city": ["c"] * 3, "period": ["2014"] * 3,
                          "score": [1, 5, 8]})
    results = _batched_against_whole(policy_set, {"firm": frame, "zone": [{"id": "Z1", "period": "2014", "rank": 1}]},
                                     as_of="2015-01-01")
    assert len(results) == 1  # one group: one batch, however small the batch size
    statuses = [d for r in results for d in r.decisions if d.entity_kind == "document"]
    assert len(statuses) == 1  # the document's status once, with the first batch; no zone decisions


def test_an_aggregate_within_another_attribute_is_not_cut_into_batches(tmp_path):
    policy_set = load_text(tmp_path, CITY_FIRMS + 'rule r_city implements p.4 cite "4" for firm '
                           'when rank(score, within: city) = 1 then top_city\n')
    frame = pl.DataFrame({"id": ["A", "B"], "zone": ["Z1", "Z2"], "city": ["c", "c"], "period": ["2014"] * 2,
                          "score": [1, 5]})
    with pytest.raises(policydsl.BatchError, match="within `city`"):
        policy_set.evaluate_in_batches({"firm": frame}, kind="firm")
