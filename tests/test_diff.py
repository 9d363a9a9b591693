"""`policydsl diff OLD NEW --data`: the decisions a revision changes, each with both explanations."""

from __future__ import annotations

import csv
import json
import shutil
from fractions import Fraction
from pathlib import Path

from conftest import ROOT

from policydsl.cli import main
from policydsl.tools.diff import impact, impact_text

PROVINCE = ROOT / "examples" / "province"
FALL_PARAMETER = 'parameter criticism_fall "通报批评的后退位次": integer = 5'


def revised_policies(tmp_path: Path) -> Path:
    """The shipped policies with kaifeng2014's fall for criticism raised from 5 to 6 places."""
    new = tmp_path / "new"
    shutil.copytree(ROOT / "policies", new)
    sanctions = new / "kaifeng2014" / "zone_sanctions.pol"
    text = sanctions.read_text(encoding="utf-8")
    assert FALL_PARAMETER in text
    sanctions.write_text(text.replace(FALL_PARAMETER, FALL_PARAMETER[:-1] + "6"), encoding="utf-8")
    return new


def falls_from_five_to_six(data: Path) -> set[tuple[str, str]]:
    """The oracle, written independently from the policy: Kaifeng's zones whose provincial
    composite position (0.4 × absolute + 0.6 × development index position) fell by at least 5
    and less than 6 places on the year before, in a year the document is in force (2014 on)."""
    positions = {}
    with open(data / "industrial_zone.csv", encoding="utf-8") as handle:
        static = {}
        rows = list(csv.DictReader(handle))
    for row in rows:
        if row.get("city"):
            static[row["id"]] = row["city"]
    for row in rows:
        if "-" not in row["period"] and row["absolute_index_position"] and row["development_index_position"]:
            positions[(row["id"], int(row["period"]))] = (Fraction(2, 5) * int(row["absolute_index_position"])
                                                         + Fraction(3, 5) * int(row["development_index_position"]))
    return {(zone, str(year)) for (zone, year), position in positions.items()
            if static.get(zone) == "开封市" and year >= 2014 and (zone, year - 1) in positions
            and 5 <= position - positions[(zone, year - 1)] < 6}


def test_raising_the_fall_for_criticism_lists_exactly_the_zones_whose_fall_is_five(tmp_path):
    expected = falls_from_five_to_six(PROVINCE)
    assert expected, "the generated province should have a zone that fell by 5 places"
    found = impact([str(ROOT / "policies")], [str(revised_policies(tmp_path))], str(PROVINCE))
    assert {c.outcome for c in found.changes} == {"zone_criticised_rank_drop", "zone_head_admonishment_talk"}
    assert {c.kind for c in found.changes} == {"lost"}
    for outcome in ("zone_criticised_rank_drop", "zone_head_admonishment_talk"):
        assert {(c.entity, str(c.period)) for c in found.changes if c.outcome == outcome} == expected
    change = found.changes[0]
    assert (change.old_explanation.question, change.old_explanation.status) == ("why", "active")
    assert (change.new_explanation.question, change.new_explanation.status) == ("why_not", "not_fired")


POLICY = """\
policy shop
entity shop
  yearly sales: integer
outcome bonus "奖金" is reward with amount
outcome warning "警告" is sanction
outcome closure "关闭" is sanction
ladder escalation: warning < closure
rule bonus_for_sales
  implements shop.1
  cite "一"
  for shop
  when sales >= 100
  then bonus amount {bonus}
rule warn_low_sales
  implements shop.2
  cite "二"
  for shop
  when sales < {warn_below}
  then warning
rule close_very_low_sales
  implements shop.3
  cite "三"
  for shop
  when sales < 10
  then closure
"""
DATA = {"shop": [{"id": "S1", "period": "2020", "sales": 150}, {"id": "S2", "period": "2020", "sales": 5},
                 {"id": "S3", "period": "2020", "sales": 30}, {"id": "S4", "period": "2020", "sales": 60}]}


def write(tmp_path: Path, name: str, **values) -> str:
    path = tmp_path / f"{name}.pol"
    path.write_text(POLICY.format(**values), encoding="utf-8")
    return str(path)


def test_each_kind_of_change_is_found_and_counted_by_outcome(tmp_path):
    data = tmp_path / "data.json"
    data.write_text(json.dumps(DATA), encoding="utf-8")
    old = write(tmp_path, "old", bonus=300, warn_below=50)
    new = write(tmp_path, "new", bonus=200, warn_below=80)
    found = impact([old], [new], str(data))
    kinds = {(c.kind, c.outcome, c.entity) for c in found.changes}
    assert kinds == {("amount", "bonus", "S1"), ("gained", "warning", "S4")}
    assert found.counts()["bonus"]["amount"] == 1 and found.unchanged == 3  # S2 warning (superseded), S2 closure, S3
    text = impact_text(found, width=160)
    assert "bonus: 1 amount changed" in text and "amount 300 → 200" in text and "OLD" in text and "│" in text


def test_a_status_change_under_a_ladder_is_reported(tmp_path):
    data = tmp_path / "data.json"
    data.write_text(json.dumps(DATA), encoding="utf-8")
    old = write(tmp_path, "old", bonus=300, warn_below=50)
    new = write(tmp_path, "new", bonus=300, warn_below=50).replace("new", "new")
    Path(new).write_text(Path(new).read_text(encoding="utf-8").replace("when sales < 10", "when sales < 40"),
                         encoding="utf-8")
    found = impact([old], [new], str(data))
    assert {(c.kind, c.outcome, c.entity) for c in found.changes} == {
        ("gained", "closure", "S3"), ("status", "warning", "S3")}


def test_diff_command_json_and_exit_codes(tmp_path, capsys):
    data = tmp_path / "data.json"
    data.write_text(json.dumps(DATA), encoding="utf-8")
    old = write(tmp_path, "old", bonus=300, warn_below=50)
    assert main(["diff", old, old, "--data", str(data)]) == 0
    assert "no decision changes" in capsys.readouterr().out
    new = write(tmp_path, "new", bonus=200, warn_below=50)
    assert main(["diff", old, new, "--data", str(data), "--format", "json", "--entity", "S1"]) == 1
    payload = json.loads(capsys.readouterr().out)
    assert payload["outcomes"] == [{"outcome": "bonus", "counts": {"amount": 1}, "total": 1}]
    [change] = payload["changes"]
    assert (change["old"]["amount"], change["new"]["amount"]) == (300, 200)
    assert change["old_explanation"]["entity"] == "S1" and change["new_explanation"]["entity"] == "S1"
    assert main(["diff", old, str(tmp_path / "missing.pol"), "--data", str(data)]) == 2


def test_a_revision_that_does_not_compile_is_an_input_error_not_a_change(tmp_path, capsys):
    """diff's exit 1 says "decisions changed": a broken policy must not read as one (2, with the diagnostics)."""
    data = tmp_path / "data.json"
    data.write_text(json.dumps(DATA), encoding="utf-8")
    old = write(tmp_path, "old", bonus=300, warn_below=50)
    broken = Path(write(tmp_path, "broken", bonus=300, warn_below=50))
    broken.write_text(broken.read_text(encoding="utf-8").replace("when ", "when nonexistent_fact > 1 and ", 1),
                      encoding="utf-8")
    assert main(["diff", old, str(broken), "--data", str(data)]) == 2
    captured = capsys.readouterr()
    assert "error[E" in captured.err and "nonexistent_fact" in captured.err and captured.out == ""
    assert main(["eval", str(broken), "--data", str(data)]) == 1  # elsewhere a policy error is still a finding


def test_the_summary_speaks_the_language_asked_and_writes_payloads_as_the_table_does(tmp_path):
    """`--lang zh` left the summary in English, and a payload of fields was a Python repr ({'m': …})."""
    data = tmp_path / "data.json"
    data.write_text(json.dumps(DATA), encoding="utf-8")
    fields = ('outcome tier "档" is measure with fields (dims "维度": list of text)\n'
              'rule tiered implements shops.9 cite "九" for shop when sales > 0 then tier with (dims = [{dims}])\n')
    old, new = write(tmp_path, "old", bonus=300, warn_below=50), write(tmp_path, "new", bonus=200, warn_below=50)
    Path(old).write_text(Path(old).read_text(encoding="utf-8") + fields.format(dims='"land"'), encoding="utf-8")
    Path(new).write_text(Path(new).read_text(encoding="utf-8") + fields.format(dims='"land", "energy"'),
                         encoding="utf-8")
    found = impact([old], [new], str(data))
    english = impact_text(found, "en", width=160, explanations=False)
    assert "value dims = [land] → dims = [land, energy]" in english and "{'" not in english
    chinese = impact_text(found, "zh", width=160, explanations=False)
    assert "项决定有变化" in chinese and "金额 300 → 200" in chinese and "数值变化" in chinese
