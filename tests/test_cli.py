"""The command line: exit codes, the eval JSON contract, explain, graph, dump, test."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import ROOT, SAMPLE_DATA, SAMPLE_POLICIES

from policydsl.cli import main

POLICIES = str(ROOT / "policies")
SAMPLE = [str(p) for p in SAMPLE_POLICIES]
DATA = str(SAMPLE_DATA)


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_check_of_the_shipped_policies_is_clean(capsys):
    code, out, err = run(capsys, "check", POLICIES)
    assert code == 0 and out.startswith("ok:") and err == ""


def test_check_reports_findings_with_exit_1(capsys):
    case = str(ROOT / "tests" / "golden" / "diagnostics" / "E201_unknown_name.pol")
    code, out, err = run(capsys, "check", case)
    assert code == 1 and "error[E201]" in err and "did you mean `performance_class`?" in err


def test_check_json_lists_diagnostics(capsys):
    case = str(ROOT / "tests" / "golden" / "diagnostics" / "E205_undeclared_outcome.pol")
    code, out, _ = run(capsys, "check", case, "--format", "json")
    codes = [d["code"] for d in json.loads(out)["diagnostics"]]
    assert code == 1 and codes == ["E205", "E205"]


def test_missing_policy_file_is_an_input_error(capsys):
    code, _, err = run(capsys, "check", "no/such/file.pol")
    assert code == 2 and "no such policy file" in err


def test_wrong_flag_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["eval", *SAMPLE, "--data", DATA, "--format", "xml"])
    assert exit_info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_bad_period_flag_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["eval", *SAMPLE, "--data", DATA, "--period", "2019Q3"])
    assert exit_info.value.code == 2


def test_eval_json_is_the_documented_contract(capsys):
    code, out, _ = run(capsys, "eval", *SAMPLE, "--data", DATA, "--format", "json", "--entity", "E03",
                       "--period", "2019")
    decisions = json.loads(out)["decisions"]
    assert code == 0
    assert {"entity": "E03", "entity_kind": "enterprise", "period": "2019",
            "outcome": "enterprise_yellow_card_warning", "outcome_kind": "sanction", "label": "黄牌警告",
            "amount": None, "value": None, "rule": "zhoukou2017.2.5.3.d", "policy": "zhoukou2017",
            "cite": "二(五)3", "status": "active", "superseded_by": None, "target": None, "as_of": None} in decisions
    assert all(list(d) == ["entity", "entity_kind", "period", "outcome", "outcome_kind", "label", "amount",
                           "value", "rule", "policy", "cite", "status", "superseded_by", "target", "as_of"]
               for d in decisions)


def test_eval_table_shows_active_decisions(capsys):
    code, out, _ = run(capsys, "eval", *SAMPLE, "--data", DATA, "--period", "2016", "--entity", "KF03")
    assert code == 0 and "zone_head_replacement_ordered" in out and "kaifeng2014.4.5.2.7.b" in out


def test_eval_with_bad_data_names_file_row_and_column(capsys, tmp_path):
    bad = tmp_path / "data"
    bad.mkdir()
    (bad / "enterprise.csv").write_text("id,period,city,zone,performance_class\nE1,2019,周口市,Z,E\n",
                                        encoding="utf-8")
    code, _, err = run(capsys, "eval", *SAMPLE, "--data", str(bad))
    assert code == 2 and "enterprise.csv" in err and "performance_class" in err and "Traceback" not in err


def test_eval_with_missing_data_path_is_an_input_error(capsys):
    code, _, err = run(capsys, "eval", *SAMPLE, "--data", "no/such/data")
    assert code == 2 and err


def test_explain_json_has_the_tree(capsys):
    code, out, _ = run(capsys, "explain", *SAMPLE, "--data", DATA, "--entity", "KF03", "--period", "2016",
                       "--outcome", "zone_head_replacement_ordered", "--format", "json")
    payload = json.loads(out)
    assert code == 0 and payload["status"] == "active"
    assert payload["rules"][0]["rule"] == "kaifeng2014.4.5.2.7.b"
    assert [c["text"] for c in payload["rules"][0]["condition"]["children"]] == [
        "city = \"开封市\"", "position_fall >= replacement_fall"]


def test_explain_of_an_unknown_outcome_is_an_input_error(capsys):
    code, _, err = run(capsys, "explain", *SAMPLE, "--data", DATA, "--entity", "KF03",
                       "--outcome", "zone_head_replacment_ordered")
    assert code == 2 and "did you mean" in err


def test_explain_of_an_unknown_entity_is_an_input_error(capsys):
    code, _, err = run(capsys, "explain", *SAMPLE, "--data", DATA, "--entity", "NOPE", "--outcome",
                       "zone_head_replacement_ordered")
    assert code == 2 and "NOPE" in err


def test_graph_dot_and_json(capsys):
    code, out, _ = run(capsys, "graph", POLICIES)
    assert code == 0 and out.startswith("digraph policy {")
    code, out, _ = run(capsys, "graph", POLICIES, "--format", "json")
    assert code == 0 and json.loads(out)["nodes"]


@pytest.mark.parametrize("stage", ["parse", "ast", "ir", "graph", "plan"])
def test_dump_prints_every_stage(capsys, stage):
    code, out, _ = run(capsys, "dump", "--stage", stage, str(ROOT / "policies" / "zhoukou2017"))
    assert code == 0 and out.strip()


def test_policy_test_command_runs_scenarios(capsys):
    code, out, _ = run(capsys, "test", POLICIES)
    assert code == 0 and out.rstrip().endswith(" failed") and " 0 failed" in out


def test_python_dash_m_runs_the_cli():
    completed = subprocess.run([sys.executable, "-m", "policydsl", "check", POLICIES], capture_output=True,
                               text=True, cwd=ROOT)
    assert completed.returncode == 0 and completed.stdout.startswith("ok:")


def test_graph_svg_uses_graphviz_or_says_it_is_missing(capsys, tmp_path):
    import shutil

    target = tmp_path / "graph.svg"
    code, _, err = run(capsys, "graph", POLICIES, "--format", "svg", "-o", str(target))
    if shutil.which("dot"):
        assert code == 0 and "<svg" in target.read_text(encoding="utf-8")
    else:
        assert code == 2 and "Graphviz" in err


def test_all_shipped_policies_run_on_the_generated_province(capsys):
    code, out, err = run(capsys, "eval", POLICIES, "--data", str(ROOT / "examples" / "province"), "--format", "json")
    decisions = json.loads(out)["decisions"]
    assert code == 0, err
    assert {d["policy"] for d in decisions} == {p.name for p in (ROOT / "policies").iterdir()
                                                 if p.is_dir() and p.name != "schema"}
