"""Time: evaluation as of a date, document status (loaded and referenced documents), legal
effect kept apart from the periods a document governs, a policy's own dates in expressions, and
deadlines without a completion date (G8)."""

from __future__ import annotations

import datetime as dt
import json
import textwrap

import pytest

import policydsl
from policydsl.cli import main

PLAN = """
policy plan2014
  title "2014年示范方案"
  document "示政〔2014〕7号"
  issued 2014-07-20
  in_force_from 2014-07-22
  in_force_until 2014-12-31
  governs_from 2014-01-01
  governs_until 2014-12-31
  supersedes "示政〔2011〕3号"
  supersedes "示政〔2012〕5号"
  status_rule "plan2014.0"
  status_cite "通知"

reference "示政〔2011〕3号"
  title "旧意见"
  issued 2011

entity zone "集聚区"
  yearly output "产值": decimal
  quarterly quarter_rank "季度位次": integer
  yearly application_date "申请日期": date
  yearly report_on "报告日期": date
  yearly report_unfinished "报告仍未完成": boolean

outcome flagged "标记" is measure
outcome quarter_flag "季度标记" is measure
outcome new_application "新申请" is measure

rule flag_output
  implements plan2014.1
  cite "一"
  for zone
  when output >= 10
  then flagged

rule flag_quarter
  implements plan2014.2
  cite "二"
  for zone
  when quarter_rank <= 3
  then quarter_flag

rule applications_after_effect
  implements plan2014.3
  cite "三"
  for zone
  when application_date >= document.in_force_from
  then new_application

deadline report_due
  implements plan2014.4
  cite "四"
  for zone
  due 2014-10-31
  done report_on
  unfinished report_unfinished
"""


def statuses(result) -> dict[str, tuple[str, object]]:
    return {d.entity: (d.outcome, d.value) for d in result.decisions if d.entity_kind == "document"}


@pytest.fixture
def plan(policy_from_text):
    return policy_from_text(PLAN)


ROWS = {"zone": [{"id": "Z", "period": "2014", "output": 12}, {"id": "Z", "period": "2014-Q1", "quarter_rank": 1},
                 {"id": "Z", "period": "2015", "output": 12}]}


@pytest.mark.parametrize(("day", "expected"), [
    # 示政〔2012〕5号 is known only as repealed: before its repeal its status is not evaluable (G8)
    ("2014-07-21", {"示政〔2014〕7号": ("document_not_yet_in_force", None),
                    "示政〔2011〕3号": ("document_in_force", None),
                    "示政〔2012〕5号": ("document_status_unknown", None)}),
    ("2014-07-22", {"示政〔2014〕7号": ("document_in_force", None),
                    "示政〔2011〕3号": ("document_repealed", "示政〔2014〕7号"),
                    "示政〔2012〕5号": ("document_repealed", "示政〔2014〕7号")}),
    ("2014-12-31", {"示政〔2014〕7号": ("document_in_force", None),
                    "示政〔2011〕3号": ("document_repealed", "示政〔2014〕7号"),
                    "示政〔2012〕5号": ("document_repealed", "示政〔2014〕7号")}),
    ("2015-01-01", {"示政〔2014〕7号": ("document_lapsed", None),
                    "示政〔2011〕3号": ("document_repealed", "示政〔2014〕7号"),
                    "示政〔2012〕5号": ("document_repealed", "示政〔2014〕7号")}),
    # known only by its year: before 2011 not yet in force, within 2011 the corpus cannot say: not
    # evaluable, reported as such rather than guessed or left out
    ("2010-12-31", {"示政〔2014〕7号": ("document_not_yet_in_force", None),
                    "示政〔2011〕3号": ("document_not_yet_in_force", None),
                    "示政〔2012〕5号": ("document_status_unknown", None)}),
    ("2011-06-01", {"示政〔2014〕7号": ("document_not_yet_in_force", None),
                    "示政〔2011〕3号": ("document_status_unknown", None),
                    "示政〔2012〕5号": ("document_status_unknown", None)}),
])
def test_every_document_has_its_status_on_any_day_and_a_repeal_names_the_repealing_document(plan, day, expected):
    result = plan.evaluate({"zone": []}, as_of=day)
    assert statuses(result) == expected
    assert all(d.as_of == dt.date.fromisoformat(day) and str(d.period) == day[:4]
               for d in result.decisions if d.entity_kind == "document")


def test_a_repeal_is_the_repealing_policys_decision_and_cites_its_status_rule(plan):
    result = plan.evaluate({"zone": []}, as_of="2014-08-01")
    repeal = next(d for d in result.decisions if d.entity == "示政〔2012〕5号")
    assert (repeal.policy, repeal.rule_id, repeal.cite) == ("plan2014", "plan2014.0", "通知")


def test_without_an_as_of_date_status_is_reported_at_each_year_end(plan):
    result = plan.evaluate(ROWS)
    found = {(str(d.period), d.entity, d.outcome) for d in result.decisions if d.entity_kind == "document"}
    assert ("2014", "示政〔2014〕7号", "document_in_force") in found
    assert ("2015", "示政〔2014〕7号", "document_lapsed") in found
    assert ("2014", "示政〔2011〕3号", "document_repealed") in found


def test_an_annual_plan_governs_its_year_even_when_evaluated_after_it_lapsed(plan):
    late = plan.evaluate(ROWS, as_of="2015-03-01")
    assert {str(d.period) for d in late.decisions if d.outcome == "flagged"} == {"2014"}
    assert statuses(late)["示政〔2014〕7号"] == ("document_lapsed", None)
    # 2015 is not a period the plan governs
    assert late.why_not("Z", "flagged", "2015").status == "not_in_force"


def test_a_period_governed_but_evaluated_before_the_document_took_effect_is_not_decided(plan):
    # 2014-Q1 ends before the plan took effect: evaluated at its own end, the plan does not apply;
    # evaluated as of a date after the effect, the plan governs the quarter of its year
    at_quarter_end = plan.evaluate(ROWS)
    assert not [d for d in at_quarter_end.decisions if d.outcome == "quarter_flag"]
    assert at_quarter_end.why_not("Z", "quarter_flag", "2014-Q1").status == "not_in_force"
    later = plan.evaluate(ROWS, as_of="2014-08-01")
    assert {str(d.period) for d in later.decisions if d.outcome == "quarter_flag"} == {"2014-Q1"}


def test_as_of_a_date_only_the_periods_ended_by_then_are_evaluated(plan):
    result = plan.evaluate(ROWS, as_of="2014-12-30")
    assert not [d for d in result.decisions if d.outcome == "flagged"]
    with pytest.raises(ValueError, match="after the as-of date"):
        plan.evaluate(ROWS, as_of="2014-12-30", period="2014")
    with pytest.raises(ValueError, match="not a date"):
        plan.evaluate(ROWS, as_of="2014-13-01")


@pytest.mark.parametrize(("applied", "fires"), [("2014-07-21", False), ("2014-07-22", True), ("2014-09-01", True)])
def test_a_rule_compares_a_fact_date_with_its_policys_own_effect_date(plan, applied, fires):
    result = plan.evaluate({"zone": [{"id": "Z", "period": "2014", "application_date": applied}]})
    assert any(d.outcome == "new_application" for d in result.decisions) is fires


def test_a_policy_date_that_is_not_declared_is_an_error(compile_text):
    compiled = compile_text(PLAN.replace("document.in_force_from", "document.in_force_untl"))
    assert [d.code for d in compiled.diagnostics if d.is_error] == ["E201"]
    assert "in_force_until" in (compiled.diagnostics[0].hint or "")
    compiled = compile_text(PLAN.replace("  governs_until 2014-12-31\n", "").replace(
        "  in_force_until 2014-12-31\n", "").replace("document.in_force_from", "document.governs_until"))
    assert "declares no `governs_until`" in compiled.diagnostics[0].message


@pytest.mark.parametrize(("row", "as_of", "outcome"), [
    ({"report_on": "2014-10-31"}, None, "deadline_met"),
    ({"report_on": "2014-11-01"}, None, "deadline_missed"),
    ({}, None, None),  # no completion date: not evaluable (G8), never silently missed
    ({"report_unfinished": False}, None, None),
    ({"report_unfinished": True}, None, "deadline_missed"),  # the data say it is still not done
])
def test_a_deadline_without_a_completion_date_is_missed_only_when_the_data_say_it_is_unfinished(
        plan, row, as_of, outcome):
    result = plan.evaluate({"zone": [{"id": "Z", "period": "2014", **row}]}, as_of=as_of)
    found = [d.outcome for d in result.decisions if d.outcome.startswith("deadline")]
    assert found == ([outcome] if outcome else [])
    if outcome is None:
        assert result.why_not("Z", "deadline_missed", "2014").status == "not_evaluable"


def test_unfinished_before_the_due_date_is_not_yet_missed(policy_from_text):
    quarterly = PLAN.replace("yearly report_on", "quarterly report_on").replace(
        "yearly report_unfinished", "quarterly report_unfinished")
    result = policy_from_text(quarterly).evaluate(
        {"zone": [{"id": "Z", "period": "2014-Q3", "report_unfinished": True},
                  {"id": "Z", "period": "2014-Q4", "report_unfinished": True}]}, as_of="2014-12-31")
    # as of 2014-12-31 both quarters are evaluated on that day, after the due date
    assert {str(d.period) for d in result.decisions if d.outcome == "deadline_missed"} == {"2014-Q3", "2014-Q4"}
    at_ends = policy_from_text(quarterly).evaluate(
        {"zone": [{"id": "Z", "period": "2014-Q3", "report_unfinished": True},
                  {"id": "Z", "period": "2014-Q4", "report_unfinished": True}]})
    assert {str(d.period) for d in at_ends.decisions if d.outcome == "deadline_missed"} == {"2014-Q4"}


def test_reference_declarations_are_checked(compile_text):
    twice = PLAN + '\nreference "示政〔2011〕3号"\n  issued 2011-03-01\n'
    assert [d.code for d in compile_text(twice, "twice.pol").diagnostics] == ["E204"]  # declared differently
    agreeing = PLAN + '\nreference "示政〔2011〕3号"\n  title "旧意见"\n  issued 2011\n'  # each citing policy may declare it
    assert not compile_text(agreeing, "agreeing.pol").diagnostics
    loaded = PLAN + '\nreference "示政〔2014〕7号"\n'
    assert [d.code for d in compile_text(loaded, "loaded.pol").diagnostics] == ["E204"]
    bad = PLAN.replace("  issued 2011\n", "  issued 20110\n")
    assert [d.code for d in compile_text(bad, "bad.pol").diagnostics] == ["E111"]
    outside = 'reference "示政〔2011〕3号"\n  issued 2011\n'
    assert "E305" in [d.code for d in compile_text(outside, "outside.pol").diagnostics]


def test_eval_as_of_on_the_command_line(tmp_path, capsys):
    policy = tmp_path / "plan.pol"
    policy.write_text(PLAN, encoding="utf-8")
    data = tmp_path / "data.json"
    data.write_text(json.dumps(ROWS), encoding="utf-8")
    code = main(["eval", str(policy), "--data", str(data), "--as-of", "2014-07-21", "--format", "json"])
    out = json.loads(capsys.readouterr().out)["decisions"]
    assert code == 0
    assert {(d["entity"], d["outcome"], d["as_of"]) for d in out if d["entity_kind"] == "document"} == {
        ("示政〔2014〕7号", "document_not_yet_in_force", "2014-07-21"),
        ("示政〔2011〕3号", "document_in_force", "2014-07-21"),
        ("示政〔2012〕5号", "document_status_unknown", "2014-07-21")}
    with pytest.raises(SystemExit) as bad_date:
        main(["eval", str(policy), "--data", str(data), "--as-of", "21.7.2014"])
    assert bad_date.value.code == 2
    assert main(["eval", str(policy), "--data", str(data), "--as-of", "2014-07-21", "--period", "2014"]) == 2
    assert "after the as-of date" in capsys.readouterr().err


def test_as_of_a_date_every_document_has_a_status_even_without_a_status_rule(policy_from_text):
    """`--as-of` answers for every document; without a date only status-rule policies report."""
    without_rule = policy_from_text(PLAN.replace('  status_rule "plan2014.0"\n', ""))
    assert statuses(without_rule.evaluate({"zone": []}, as_of="2014-07-22"))["示政〔2014〕7号"] == (
        "document_in_force", None)
    assert statuses(without_rule.evaluate(ROWS)) == {}


def test_a_quarter_asked_for_reports_no_document_status_a_year_does(plan):
    rows = {"zone": [*ROWS["zone"], {"id": "Z", "period": "2014-Q3", "quarter_rank": 2}]}
    assert statuses(plan.evaluate(rows, period="2014-Q3")) == {}
    assert statuses(plan.evaluate(rows, period="2014"))["示政〔2014〕7号"] == ("document_in_force", None)


def test_a_loaded_policy_reports_its_own_status_until_the_policy_that_repeals_it_reports_the_repeal(tmp_path):
    """Both documents are loaded: before the repeal the old policy reports its own status under its
    own status rule; from the repeal on, the repealing policy reports it under its rule."""
    (tmp_path / "old.pol").write_text(textwrap.dedent("""
        policy old2011
          document "示政〔2011〕3号"
          in_force_from 2011-03-01
          status_rule "old2011.0"
          status_cite "旧"
        """), encoding="utf-8")
    (tmp_path / "new.pol").write_text(textwrap.dedent("""
        policy new2014
          document "示政〔2014〕7号"
          in_force_from 2014-07-22
          supersedes "示政〔2011〕3号"
          status_rule "new2014.0"
          status_cite "新"
        """), encoding="utf-8")
    both = policydsl.load(tmp_path / "old.pol", tmp_path / "new.pol")

    def status_of_old(day: str) -> tuple:
        decision = next(d for d in both.evaluate({}, as_of=day).decisions if d.entity == "示政〔2011〕3号")
        return decision.outcome, decision.policy, decision.rule_id, decision.cite, decision.value
    assert status_of_old("2013-01-01") == ("document_in_force", "old2011", "old2011.0", "旧", None)
    assert status_of_old("2014-07-22") == ("document_repealed", "new2014", "new2014.0", "新", "示政〔2014〕7号")


def test_eval_as_of_before_every_period_of_the_data_says_so(tmp_path, capsys):
    """A date before the data (a typo for 2017, say) answers the documents' statuses only: said on stderr."""
    policy = tmp_path / "plan.pol"
    policy.write_text(PLAN, encoding="utf-8")
    data = tmp_path / "data.json"
    data.write_text(json.dumps(ROWS), encoding="utf-8")
    assert main(["eval", str(policy), "--data", str(data), "--as-of", "1017-01-01"]) == 0
    err = capsys.readouterr().err
    assert "note: no period of the data had ended on 1017-01-01" in err and "only the documents' statuses" in err
    assert main(["eval", str(policy), "--data", str(data), "--as-of", "2014-07-21"]) == 0
    assert "note:" not in capsys.readouterr().err


@pytest.mark.parametrize("day", ["2015-W01", "20151231", "2015-W01-1"])
def test_as_of_is_a_calendar_date_written_yyyy_mm_dd_only(tmp_path, capsys, day):
    """Python reads `2015-W01` as the Monday of week 1 and `20151231` as a date: no one means those here."""
    policy = tmp_path / "plan.pol"
    policy.write_text(PLAN, encoding="utf-8")
    data = tmp_path / "data.json"
    data.write_text(json.dumps(ROWS), encoding="utf-8")
    with pytest.raises(SystemExit) as refused:
        main(["eval", str(policy), "--data", str(data), "--as-of", day])
    assert refused.value.code == 2 and "write YYYY-MM-DD" in capsys.readouterr().err
