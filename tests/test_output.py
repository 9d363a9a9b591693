"""Output people can read: eval tables that fit the terminal, filters, CSV/xlsx exports, the
graph's selection and its labels, --version."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
import tomllib

import pytest
from rich.cells import cell_len

from policydsl import cli
from policydsl.engine import graph as graph_stage
from tests.conftest import ROOT, check_golden

GOLDEN = ROOT / "tests" / "golden" / "output"
PROVINCE = ["policies/", "--data", "examples/province"]


def run(capsys, monkeypatch, *argv: str, columns: int = 120) -> tuple[int, str, str]:
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("COLUMNS", str(columns))
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def eval_json(capsys, monkeypatch, *extra: str) -> list[dict]:
    code, out, _ = run(capsys, monkeypatch, "eval", *PROVINCE, "--period", "2016", "--format", "json", *extra)
    assert code == 0
    return json.loads(out)["decisions"]


@pytest.mark.parametrize("columns", [60, 80, 120, 200])
def test_eval_table_fits_the_terminal_width(capsys, monkeypatch, columns):
    code, out, _ = run(capsys, monkeypatch, "eval", *PROVINCE, "--period", "2016", "--all", columns=columns)
    assert code == 0
    assert max(cell_len(line) for line in out.splitlines()) <= columns


def test_readme_first_command_fits_120_columns(capsys, monkeypatch):
    for argv in (["eval", *PROVINCE, "--period", "2016"],
                 ["explain", *PROVINCE, "--entity", "Z11", "--period", "2016", "--outcome",
                  "zone_head_replacement_ordered"]):
        monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)  # warnings go to a terminal
        code, out, err = run(capsys, monkeypatch, *argv)
        assert code == 0
        too_wide = [line for line in (out + err).splitlines() if cell_len(line) > 120]
        assert not too_wide, too_wide[:3]


def test_eval_table_at_120_columns_keeps_every_rule_and_outcome_whole(capsys, monkeypatch):
    decisions = eval_json(capsys, monkeypatch)
    _, out, _ = run(capsys, monkeypatch, "eval", *PROVINCE, "--period", "2016")
    for d in decisions:
        if d["status"] == "active":
            assert d["rule"] in out and d["outcome"] in out
        else:  # superseded decisions are listed with --all only
            assert f"{d['outcome']}" not in out or d["outcome"] in {x["outcome"] for x in decisions
                                                                   if x["status"] == "active"}


def test_eval_table_groups_by_kind_of_outcome_sanctions_first(capsys, monkeypatch):
    _, out, _ = run(capsys, monkeypatch, "eval", *PROVINCE, "--period", "2016")
    headings = [line.split(" (")[0] for line in out.splitlines() if line and line[0].isalpha()
                and line.endswith(")") and " (" in line and not line.startswith("entity")]
    assert headings[:2] == ["sanctions", "rewards"]
    counts = {line.split(" (")[0]: int(line.split(" (")[1].rstrip(")")) for line in out.splitlines()
              if line.split(" (")[0] in headings}
    active = [d for d in eval_json(capsys, monkeypatch) if d["status"] == "active"]
    assert counts["sanctions"] == sum(d["outcome_kind"] == "sanction" for d in active)
    assert out.rstrip().endswith(f"{len(active)} decisions")


def test_eval_table_golden(capsys, monkeypatch, update_golden):
    _, out, _ = run(capsys, monkeypatch, "eval", *PROVINCE, "--period", "2016", "--all", "--kind", "reward")
    check_golden(GOLDEN / "eval_rewards_2016_120.expected", out, update_golden)


def test_kind_outcome_and_policy_filters_narrow_the_decisions(capsys, monkeypatch):
    every = eval_json(capsys, monkeypatch)
    sanctions = eval_json(capsys, monkeypatch, "--kind", "sanction")
    assert sanctions and sanctions == [d for d in every if d["outcome_kind"] == "sanction"]
    both = eval_json(capsys, monkeypatch, "--kind", "sanction,reward")
    assert both == [d for d in every if d["outcome_kind"] in ("sanction", "reward")]
    replaced = eval_json(capsys, monkeypatch, "--outcome", "zone_head_replacement_ordered")
    assert replaced and {d["outcome"] for d in replaced} == {"zone_head_replacement_ordered"}
    kaifeng = eval_json(capsys, monkeypatch, "--policy", "kaifeng2014", "--kind", "reward")
    assert kaifeng == [d for d in every if d["policy"] == "kaifeng2014" and d["outcome_kind"] == "reward"]


@pytest.mark.parametrize("flag, name, hint", [
    ("--outcome", "zone_head_replacement_orderd", "zone_head_replacement_ordered"),
    ("--policy", "kaifeng2041", "kaifeng2014"),
    ("--kind", "sanctions", "sanction"),
])
def test_a_filter_naming_nothing_known_is_an_input_error_with_a_hint(capsys, monkeypatch, flag, name, hint):
    code, out, err = run(capsys, monkeypatch, "eval", *PROVINCE, "--period", "2016", flag, name)
    assert code == 2 and not out
    assert name in err and hint in err and "Traceback" not in err


def test_eval_csv_is_the_json_contract_as_rows(capsys, monkeypatch, tmp_path):
    decisions = eval_json(capsys, monkeypatch, "--all")
    target = tmp_path / "decisions.csv"
    code, out, _ = run(capsys, monkeypatch, "eval", *PROVINCE, "--period", "2016", "--all", "--format", "csv",
                       "-o", str(target))
    assert code == 0 and not out
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert len(rows) == len(decisions)
    for row, d in zip(rows, decisions):
        assert row.keys() == d.keys()
        assert all(row[k] == ("" if d[k] is None else str(d[k])) for k in d)


def test_eval_xlsx_has_chinese_headers_and_every_decision(capsys, monkeypatch, tmp_path):
    from openpyxl import load_workbook

    decisions = eval_json(capsys, monkeypatch, "--kind", "reward")
    target = tmp_path / "decisions.xlsx"
    code, _, _ = run(capsys, monkeypatch, "eval", *PROVINCE, "--period", "2016", "--kind", "reward",
                     "--format", "xlsx", "-o", str(target))
    assert code == 0
    sheet = load_workbook(target).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("主体", "主体类型", "期间", "结果") and "金额（万元）" in rows[0]
    assert len(rows) == len(decisions) + 1
    amount = rows[0].index("金额（万元）")
    assert [r[amount] for r in rows[1:]] == [d["amount"] for d in decisions]
    assert any(isinstance(r[amount], (int, float)) for r in rows[1:])  # numbers stay numbers


def test_eval_xlsx_without_an_output_file_is_a_usage_error(capsys, monkeypatch):
    code, out, err = run(capsys, monkeypatch, "eval", *PROVINCE, "--format", "xlsx")
    assert code == 2 and "-o" in err and not out


def test_version_is_the_package_version(capsys, monkeypatch):
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    with pytest.raises(SystemExit) as stop:
        run(capsys, monkeypatch, "--version")
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"policydsl {version}"


# ---- graph ----------------------------------------------------------------------------------

def graph_json(capsys, monkeypatch, *extra: str) -> dict:
    code, out, err = run(capsys, monkeypatch, "graph", "policies/", "--format", "json", *extra)
    assert code == 0, err
    return json.loads(out)


def test_graph_leaves_out_facts_no_rule_reads(capsys, monkeypatch):
    whole = graph_json(capsys, monkeypatch)
    ids = {n["id"] for n in whole["nodes"]}
    compiled = __import__("policydsl").compile_paths([ROOT / "policies"])
    unread = [n for n, d in compiled.graph.nodes(data=True) if d["kind"] == "fact"
              and not any(compiled.graph.nodes[x]["kind"] == "rule" for x in compiled.graph.successors(n))
              and not any(compiled.graph.nodes[x]["kind"] == "rule"
                          for x in __import__("networkx").descendants(compiled.graph, n))]
    assert unread, "the shipped schema declares facts no rule reads"
    assert not ids & set(unread)
    assert len(ids) < compiled.graph.number_of_nodes()


def test_graph_for_one_outcome_holds_its_rules_and_what_they_read(capsys, monkeypatch):
    part = graph_json(capsys, monkeypatch, "--outcome", "zone_head_replacement_ordered")
    kinds = {}
    for node in part["nodes"]:
        kinds.setdefault(node["kind"], set()).add(node["id"])
    assert kinds["outcome"] == {"outcome:zone_head_replacement_ordered"}
    assert any("fall" in r for r in kinds["rule"])
    assert "fact:industrial_zone.absolute_index_position" in kinds["fact"]  # read through derived values
    shallow = graph_json(capsys, monkeypatch, "--outcome", "zone_head_replacement_ordered", "--depth", "1")
    assert {n["kind"] for n in shallow["nodes"]} == {"outcome", "rule"}
    assert len(part["nodes"]) > len(shallow["nodes"])


def test_graph_for_one_policy_holds_only_that_policys_rules(capsys, monkeypatch):
    part = graph_json(capsys, monkeypatch, "--policy", "henan2014")
    rules = [n for n in part["nodes"] if n["kind"] == "rule"]
    assert rules and all(n["policy"] == "henan2014" for n in rules)


def test_graph_selection_is_a_subgraph_with_only_upstream_nodes():
    compiled = __import__("policydsl").compile_paths([ROOT / "policies"])
    part = graph_stage.select(compiled.graph, outcomes=["reward_star_upgrade"])
    for node in part:
        assert node == "outcome:reward_star_upgrade" or __import__("networkx").has_path(
            compiled.graph, node, "outcome:reward_star_upgrade")


def test_graph_dot_labels_break_lines_with_dot_escapes_not_literal_backslash_n(capsys, monkeypatch):
    _, dot, _ = run(capsys, monkeypatch, "graph", "policies/", "--outcome", "reward_star_upgrade")
    assert "\\\\n" not in dot  # an escaped backslash followed by n would print a literal "\n"
    assert "\\n" in dot  # DOT's line break inside labels


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_graph_renders_with_graphviz_and_labels_have_no_literal_backslash_n(capsys, monkeypatch):
    _, dot, _ = run(capsys, monkeypatch, "graph", "policies/", "--outcome", "zone_head_replacement_ordered")
    svg = subprocess.run(["dot", "-Tsvg"], input=dot, capture_output=True, text=True, check=True).stdout
    assert "<svg" in svg
    texts = [line for line in svg.splitlines() if "<text" in line]
    assert texts and not any("\\n" in line for line in texts)
    assert any("zone_head_replacement_ordered" in line for line in texts)


def test_graph_filter_with_an_unknown_outcome_is_an_input_error(capsys, monkeypatch):
    code, out, err = run(capsys, monkeypatch, "graph", "policies/", "--outcome", "reward_star_upgrad")
    assert code == 2 and "reward_star_upgrade" in err and not out


# ---- explanations: Chinese throughout, and the arithmetic of derived values ------------------

EXPLAIN_Z11 = ["explain", *PROVINCE, "--entity", "Z11", "--period", "2016", "--outcome",
               "zone_head_replacement_ordered"]


def test_explain_text_shows_the_arithmetic_of_every_derived_value(capsys, monkeypatch):
    _, out, _ = run(capsys, monkeypatch, *EXPLAIN_Z11)
    assert "change(composite_position) = 65.4 − 24.2 = 41.2" in out
    assert "2016: composite_position = 0.4 × 117 + 0.6 × 31 = 65.4" in out
    assert "2015: composite_position = 0.4 × 56 + 0.6 × 3 = 24.2" in out


def test_explain_zh_golden(capsys, monkeypatch, update_golden):
    _, out, _ = run(capsys, monkeypatch, *EXPLAIN_Z11, "--lang", "zh")
    assert "[惩戒]" in out and " 且 " in out and "≥" in out and " and " not in out
    check_golden(GOLDEN / "explain_Z11_2016_replacement_zh.expected", out, update_golden)


def test_explain_json_and_dot_carry_the_arithmetic(capsys, monkeypatch, update_golden):
    _, out, _ = run(capsys, monkeypatch, *EXPLAIN_Z11, "--format", "json")
    worked = []

    def walk(node):
        if node.get("arithmetic"):
            worked.append(node["arithmetic"])
        for child in node.get("children", ()):
            walk(child)
    for rule in json.loads(out)["rules"]:
        walk(rule["condition"])
    assert "0.4 × 117 + 0.6 × 31 = 65.4" in worked and "65.4 − 24.2 = 41.2" in worked
    _, dot, _ = run(capsys, monkeypatch, *EXPLAIN_Z11, "--format", "dot")
    assert "\\n0.4 × 117 + 0.6 × 31 = 65.4" in dot
    check_golden(GOLDEN / "explain_Z11_2016_replacement.dot.expected", dot, update_golden)


def test_arithmetic_parenthesises_by_precedence_and_shows_nothing_for_unknowns():
    from policydsl.engine.explain import TraceNode
    from policydsl.render import arithmetic
    from policydsl.values import Unknown

    def leaf(value):
        return TraceNode(kind="fact", text="x", value=value, entity="E", period="2016")

    def op(symbol, value, *children):
        return TraceNode(kind="expr", text="…", value=value, entity="E", period="2016", op=symbol,
                         children=children)
    assert arithmetic(op("*", 20, op("+", 4, leaf(1), leaf(3)), leaf(5))) == "(1 + 3) × 5 = 20"
    assert arithmetic(op("-", 0, leaf(5), op("-", 5, leaf(7), leaf(2)))) == "5 − (7 − 2) = 0"
    assert arithmetic(op("-", 0, op("-", 5, leaf(7), leaf(2)), leaf(5))) == "7 − 2 − 5 = 0"
    assert arithmetic(op("+", Unknown(), leaf(1), leaf(Unknown()))) is None
    assert arithmetic(leaf(3)) is None


def test_explain_zh_says_a_rank_as_place_out_of_group(capsys, monkeypatch):
    argv = ["explain", *PROVINCE, "--entity", "Z12", "--period", "2016", "--outcome", "city_rank"]
    _, zh, _ = run(capsys, monkeypatch, *argv, "--lang", "zh")
    _, en, _ = run(capsys, monkeypatch, *argv)
    assert "考核综合得分的组内排名 = 第1名（共7个）" in zh and "2016 期成员共7个" in zh and "从高到低" in zh
    assert "rank(indicator_total) = 1" in en and "7 members in 2016" in en


ODD = """policy tp
  title "t"
entity firm
  yearly name: text
  yearly money_f: money
  yearly flag: boolean
outcome o_text "文本" is computed with value: text
outcome o_bool "布尔" is computed with value: boolean
outcome o_amt "奖励" is reward with amount
rule r implements tp.1 cite "一" for firm then o_text = name, o_bool = flag, o_amt amount money_f
"""


def _odd_case(tmp_path, name: str, entity: str = "[red]E7") -> tuple[str, str]:
    policy, data = tmp_path / "p.pol", tmp_path / "d.json"
    policy.write_text(ODD, encoding="utf-8")
    data.write_text(json.dumps({"firm": [{"id": entity, "period": "2020", "name": name, "flag": True,
                                          "money_f": "12345678901234567.89"}]}), encoding="utf-8")
    return str(policy), str(data)


def test_the_table_shows_cells_as_the_data_writes_them_never_as_markup(tmp_path, capsys, monkeypatch):
    """rich read `[red]E7` and `[bold]粗[/bold]` as styles and dropped them (and a list payload `[a, b]`)."""
    monkeypatch.setenv("COLUMNS", "120")
    policy, data = _odd_case(tmp_path, "[bold]粗[/bold] [@x]")
    assert cli.main(["eval", policy, "--data", data]) == 0
    out = capsys.readouterr().out
    assert "[red]E7" in out and "[bold]粗[/bold] [@x]" in out


@pytest.mark.parametrize("columns", ["14", "1"])
def test_a_terminal_too_narrow_for_the_table_loses_no_column(tmp_path, capsys, monkeypatch, columns):
    """Below the columns' floors rich dropped whole columns (the outcome); the table is then wider
    than the terminal, whose lines wrap, and every cell is there."""
    monkeypatch.setenv("COLUMNS", columns)
    assert cli.main(["eval", str(ROOT / "policies"), "--data", str(ROOT / "examples" / "province"), "--period",
                     "2018", "--entity", "E010", "--kind", "sanction"]) == 0
    out = capsys.readouterr().out
    assert all(part in out for part in ("E010", "2018", "限期进行整改提升", "zhoukou2"))


def test_csv_writes_exact_amounts_and_json_booleans(tmp_path, capsys):
    policy, data = _odd_case(tmp_path, "x", entity="E7")
    assert cli.main(["eval", policy, "--data", data, "--format", "csv"]) == 0
    rows = {r["outcome"]: r for r in csv.DictReader(io.StringIO(capsys.readouterr().out))}
    assert rows["o_amt"]["amount"] == "12345678901234567.89" and rows["o_bool"]["value"] == "true"


def test_csv_writes_a_percent_value_in_its_exact_digits_too(tmp_path, capsys):
    policy, data = tmp_path / "p.pol", tmp_path / "d.json"
    policy.write_text('policy tp\n  title "t"\nentity firm\n  yearly g: percent\n'
                      'outcome o_pct "比例" is computed with value: percent\n'
                      'rule r implements tp.1 cite "一" for firm then o_pct = g\n', encoding="utf-8")
    data.write_text(json.dumps({"firm": [{"id": "F", "period": "2020", "g": "12.3456789012345678901"}]}),
                    encoding="utf-8")
    assert cli.main(["eval", str(policy), "--data", str(data), "--format", "csv"]) == 0
    [row] = csv.DictReader(io.StringIO(capsys.readouterr().out))
    assert row["value"] == "12.3456789012345678901"


def test_xlsx_keeps_a_text_starting_with_equals_as_text_and_writes_control_characters_escaped(tmp_path, capsys):
    openpyxl = pytest.importorskip("openpyxl")
    policy, data = _odd_case(tmp_path, "a\u0001b", entity="=2+3")
    out = tmp_path / "o.xlsx"
    assert cli.main(["eval", policy, "--data", data, "--format", "xlsx", "-o", str(out)]) == 0, capsys.readouterr().err
    sheet = openpyxl.load_workbook(out).active
    cells = [c for row in sheet.iter_rows(min_row=2) for c in row]
    assert all(c.data_type != "f" for c in cells)
    assert "=2+3" in [c.value for c in cells] and "a\\x01b" in [c.value for c in cells]
