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


# ---- issue 6: never an empty answer to an empty question; one table of exit codes ------------

PROVINCE = str(ROOT / "examples" / "province")


def test_eval_of_a_missing_policy_path_is_an_input_error(capsys):
    code, _, err = run(capsys, "eval", "/missing", "--data", DATA)
    assert code == 2 and "no such policy file or folder" in err


@pytest.mark.parametrize("command", ["eval", "explain"])
def test_an_entity_the_data_does_not_have_exits_2_naming_the_nearest(capsys, command):
    extra = ["--outcome", "zone_head_replacement_ordered"] if command == "explain" else []
    code, out, err = run(capsys, command, *SAMPLE, "--data", DATA, "--entity", "KF3", *extra)
    assert code == 2 and out == ""
    assert "no entity `KF3` in the data; did you mean `KF03`" in err


@pytest.mark.parametrize("command", ["eval", "explain"])
def test_a_period_the_data_does_not_have_exits_2_naming_the_nearest(capsys, command):
    extra = ["--entity", "KF03", "--outcome", "zone_head_replacement_ordered"] if command == "explain" else []
    code, out, err = run(capsys, command, *SAMPLE, "--data", DATA, "--period", "2030", *extra)
    assert code == 2 and out == "" and "no data for period 2030; nearest: 2020, 2019" in err


def test_explain_without_a_period_says_when_the_outcome_happened_and_explains_the_latest(capsys):
    code, out, _ = run(capsys, "eval", *SAMPLE, "--data", DATA, "--format", "json")
    periods = sorted({d["period"] for d in json.loads(out)["decisions"]
                      if d["entity"] == "E03" and d["outcome"] == "enterprise_yellow_card_warning"})
    assert periods  # the sample has the case
    code, out, _ = run(capsys, "explain", *SAMPLE, "--data", DATA, "--entity", "E03", "--outcome",
                       "enterprise_yellow_card_warning")
    first = out.splitlines()[0]
    assert code == 0 and first.startswith(f"E03 got enterprise_yellow_card_warning in {', '.join(periods)}")
    assert periods[-1] in out.splitlines()[1 if len(periods) == 1 else 0]


def test_an_internal_error_exits_3_with_one_line_and_debug_shows_the_traceback(capsys, monkeypatch):
    from policydsl import cli

    def broken(args):
        raise ZeroDivisionError("boom")
    monkeypatch.setitem(cli.COMMANDS, "check", broken)
    code, out, err = run(capsys, "check", POLICIES)
    assert code == 3 and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "internal error: ZeroDivisionError: boom" in err and "bug" in err and "--debug" in err
    with pytest.raises(ZeroDivisionError):
        main(["check", POLICIES, "--debug"])


def test_data_warnings_go_to_stderr_and_into_the_json_output(capsys, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for name in ("enterprise.csv", "industrial_zone.csv"):
        (data / name).write_bytes((SAMPLE_DATA / name).read_bytes())
    (data / "industrial_zones.csv").write_bytes((SAMPLE_DATA / "industrial_zone.csv").read_bytes())
    code, out, err = run(capsys, "eval", *SAMPLE, "--data", str(data), "--format", "json")
    warnings = json.loads(out)["warnings"]
    assert code == 0 and any(w["file"].endswith("industrial_zones.csv") and "industrial_zone.csv" in w["hint"]
                             for w in warnings)
    assert "warning: " in err and "industrial_zones.csv" in err
    code, out, err = run(capsys, "eval", *SAMPLE, "--data", str(data), "--strict")
    assert code == 2 and out == "" and "industrial_zones.csv" in err


def test_scope_matching_no_entity_warns_listing_the_values_seen(capsys, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    text = (SAMPLE_DATA / "industrial_zone.csv").read_text(encoding="utf-8").replace("开封市", "kaifeng")
    (data / "industrial_zone.csv").write_text(text, encoding="utf-8")
    code, out, err = run(capsys, "eval", str(SAMPLE_POLICIES[1]), "--data", str(data))
    assert code == 0
    assert 'for `industrial_zone` (city = "开封市") matches none of the' in err and "`city` has kaifeng" in err


def test_coverage_catalogue_that_is_empty_or_binary_is_a_located_input_error(capsys, tmp_path):
    for content in (b"", bytes(range(256)), "# a catalogue without rules\n".encode(),
                    "## 4. Rules by document\nnothing\n## 5. End\n".encode()):
        catalogue = tmp_path / "catalogue.md"
        catalogue.write_bytes(content)
        code, _, err = run(capsys, "coverage", POLICIES, "--catalogue", str(catalogue))
        assert code == 2 and str(catalogue) in err and "Traceback" not in err


def test_why_not_without_a_period_says_which_period_it_explains(capsys):
    code, out, _ = run(capsys, "explain", *SAMPLE, "--data", DATA, "--entity", "E01", "--why-not",
                       "enterprise_yellow_card_warning")
    first = out.splitlines()[0]
    assert code == 0 and first.startswith("E01 never got enterprise_yellow_card_warning in the data; explaining 20")
    assert first.split("explaining ")[1].split()[0] in out.splitlines()[1]


@pytest.mark.parametrize("command", [["eval", "/missing", "--data", DATA], ["explain", "/missing", "--data", DATA,
                                     "--entity", "E1"], ["graph", "/missing"], ["dump", "--stage", "parse", "/missing"],
                                     ["dump", "--stage", "ast", "/missing"], ["dump", "--stage", "plan", "/missing"],
                                     ["test", "/missing"], ["coverage", "/missing"]])
def test_a_missing_policy_path_exits_2_for_every_command(capsys, command):
    code, _, err = run(capsys, *command)
    assert code == 2 and err.strip() and "Traceback" not in err


def test_csv_encoding_can_be_given_on_the_command_line(capsys, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    text = (SAMPLE_DATA / "industrial_zone.csv").read_text(encoding="utf-8")
    (data / "industrial_zone.csv").write_bytes(text.encode("gbk"))
    code, out, _ = run(capsys, "eval", str(SAMPLE_POLICIES[1]), "--data", str(data), "--encoding", "gbk",
                       "--format", "json")
    assert code == 0 and json.loads(out)["decisions"]
    code, _, err = run(capsys, "eval", str(SAMPLE_POLICIES[1]), "--data", str(data), "--encoding", "nope")
    assert code == 2 and "unknown encoding `nope`" in err


@pytest.mark.parametrize("period, as_of", [("2016", "2015-01-01"), ("2014", "2014-06-01")])
def test_explain_refuses_a_period_not_ended_by_the_as_of_date_as_eval_does(capsys, period, as_of):
    """Not "did not happen" over conditions that all hold, nor "not in force": the period cannot
    be evaluated as of that day at all (exit 2, the same message as `eval`)."""
    common = [str(ROOT / "policies"), "--data", str(ROOT / "examples" / "province"), "--period", period,
              "--as-of", as_of]
    assert main(["eval", *common]) == 2
    refused = capsys.readouterr().err
    assert main(["explain", *common, "--entity", "Z11", "--outcome", "zone_criticised_rank_drop"]) == 2
    captured = capsys.readouterr()
    assert captured.err == refused and f"period {period} ends on {period}-12-31, after the as-of date" in refused
    assert captured.out == ""


@pytest.mark.parametrize("dictionary, message", [
    ("missing.md", "cannot read the data dictionary: No such file or directory"),
    (".", "a folder, not the data dictionary"),
    ("gbk.md", "the data dictionary is not UTF-8 text"),
])
def test_facts_refuses_a_dictionary_it_cannot_read_rather_than_leave_it_out(tmp_path, capsys, dictionary,
                                                                              message):
    (tmp_path / "gbk.md").write_bytes("## enterprise\n| `城市` |\n".encode("gb18030"))
    assert main(["facts", str(ROOT / "policies"), "--dictionary", str(tmp_path / dictionary)]) == 2
    captured = capsys.readouterr()
    assert message in captured.err and captured.out == ""


def test_facts_without_a_dictionary_beside_says_so(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no ../shared/spec/data-dictionary.md from here
    assert main(["facts", str(ROOT / "policies")]) == 0
    captured = capsys.readouterr()
    assert "note: no data dictionary at ../shared/spec/data-dictionary.md" in captured.err
    assert "*Not compared with the data dictionary: none was read.*" in captured.out


@pytest.mark.parametrize("encoding, message", [
    ("rot13", "`rot13` is not a text encoding"), ("base64", "`base64` is not a text encoding"),
    ("utf-16", "not UTF-16 text (UTF-16 stream does not start with BOM)"),
])
def test_an_encoding_that_reads_no_text_is_an_input_error(capsys, encoding, message):
    assert main(["eval", *map(str, SAMPLE_POLICIES), "--data", str(SAMPLE_DATA), "--encoding", encoding]) == 2
    assert message in capsys.readouterr().err


def test_explain_of_a_documents_status_on_a_day_within_its_period_still_answers(capsys):
    """A document's status is reported on the as-of day, within a period not yet ended: explained."""
    assert main(["explain", str(ROOT / "policies"), "--data", str(ROOT / "examples" / "province"),
                 "--entity", "kaifeng2014", "--period", "2014", "--as-of", "2014-05-08",
                 "--outcome", "document_not_yet_in_force"]) == 0
    assert "document_not_yet_in_force) [status]: applies" in capsys.readouterr().out


def test_an_entity_asked_for_is_read_as_the_datas_ids_are(tmp_path, capsys):
    """`Café` typed with a combining accent, or ` E1` pasted with a space, was "no entity `Café`; did
    you mean `Café`?": ids in the data are NFC and stripped, and so is `--entity` now."""
    data = tmp_path / "data.json"
    data.write_text(json.dumps({"enterprise": [{"id": "Caf\u00e9", "period": "2019"}, {"id": "E1", "period": "2019"}]}),
                    encoding="utf-8")
    policy = tmp_path / "p.pol"
    policy.write_text('policy p\n  title "t"\nentity enterprise\n  yearly score: integer\n', encoding="utf-8")
    for asked in ("Cafe\u0301", " E1 "):
        assert main(["eval", str(policy), "--data", str(data), "--entity", asked]) == 0, capsys.readouterr().err
    import policydsl
    assert policydsl.load(policy).evaluate(json.loads(data.read_text()), entities=["Cafe\u0301"]) is not None


def test_an_entity_far_from_every_id_still_names_the_nearest(capsys):
    """It said "(it has 9 entities)", counting documents, and named none."""
    code, out, err = run(capsys, "eval", *SAMPLE, "--data", DATA, "--entity", "ZZZZZZ")
    assert code == 2 and "no entity `ZZZZZZ` in the data; nearest: `" in err and "entities)" not in err
