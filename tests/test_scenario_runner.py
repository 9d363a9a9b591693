"""`policydsl test`: files and folders, the scenario schema, failures that say where and why,
and rule/boundary coverage without a catalogue."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from conftest import ROOT

from policydsl.cli import main
from policydsl.tools.scenarios import schema

POLICY = """\
policy taxwatch
entity firm
  yearly tax: money
outcome praised "表扬" is reward
outcome warned "警告" is sanction
rule praise_big_payers
  implements taxwatch.1
  cite "一" "纳税100万元以上的，予以表扬"
  for firm
  when tax >= 100
  then praised
rule warn_small_payers
  implements taxwatch.2
  cite "二"
  for firm
  when tax < 10
  then warned
"""


def case(name: str, tax, expect=(), absent=()) -> dict:
    return {"name": name, "facts": {"firm": [{"id": "F1", "period": "2020", "tax": tax}]},
            "expect": [{"entity": "F1", "period": "2020", "outcome": o} for o in expect],
            "absent": [{"entity": "F1", "period": "2020", "outcome": o} for o in absent]}


GOOD = [case("exactly 100 is praised", 100, expect=["praised"]),
        case("99 is not", 99, absent=["praised", "warned"]),
        case("5 is warned", 5, expect=["warned"])]


def write(tmp_path: Path, cases: list, where: str = "scenarios/taxwatch.json") -> Path:
    (tmp_path / "taxwatch.pol").write_text(POLICY, encoding="utf-8")
    file = tmp_path / where
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(json.dumps({"cases": cases}, ensure_ascii=False), encoding="utf-8")
    return tmp_path / "taxwatch.pol"


def test_a_policy_file_runs_its_scenarios_beside_it(tmp_path, capsys):
    policy = write(tmp_path, GOOD)
    assert main(["test", str(policy)]) == 0
    assert "3 passed, 0 failed" in capsys.readouterr().out


def test_a_policy_file_may_keep_its_scenarios_in_name_scenarios_json(tmp_path, capsys):
    policy = write(tmp_path, GOOD, where="taxwatch.scenarios.json")
    assert main(["test", str(policy)]) == 0
    assert main(["test", str(tmp_path / "taxwatch.scenarios.json")]) == 0
    assert main(["test", str(tmp_path)]) == 0


def test_a_policy_file_without_scenarios_names_where_to_put_them(tmp_path, capsys):
    (tmp_path / "taxwatch.pol").write_text(POLICY, encoding="utf-8")
    assert main(["test", str(tmp_path / "taxwatch.pol")]) == 2
    err = capsys.readouterr().err
    assert "taxwatch.scenarios.json" in err and "scenarios/taxwatch.json" in err


def test_a_malformed_case_names_file_case_and_field_and_the_others_run(tmp_path, capsys):
    broken = case("amount as a list", 100, expect=["praised"])
    broken["expect"][0]["amount"] = [300]
    misspelt_key = case("misspelt key", 100)
    misspelt_key["expct"] = misspelt_key.pop("expect")
    policy = write(tmp_path, [GOOD[0], broken, misspelt_key, GOOD[2]])
    assert main(["test", str(policy)]) == 1
    out = capsys.readouterr().out
    assert "FAIL  " + str(tmp_path / "scenarios" / "taxwatch.json") + " :: amount as a list" in out
    assert "field `expect[0].amount`" in out
    assert "'expct' was unexpected" in out
    assert "2 passed, 2 failed" in out


def test_a_misspelt_outcome_fails_its_case_with_a_suggestion_and_the_run_goes_on(tmp_path, capsys):
    misspelt = case("misspelt outcome", 100, expect=["praise"])
    policy = write(tmp_path, [misspelt, *GOOD])
    assert main(["test", str(policy)]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and ":: misspelt outcome" in out
    assert "`expect[0].outcome`: unknown outcome `praise`; did you mean `praised`?" in out
    assert "3 passed, 1 failed" in out


def test_a_case_whose_facts_the_engine_did_not_read_fails_naming_them(tmp_path, capsys):
    # A misspelt column leaves the rule unknown, so an expected absence would pass while testing
    # nothing: the case fails instead, and says which column was not read.
    misspelt_column = case("99 is not praised", 99, absent=["praised"])
    misspelt_column["facts"]["firm"].insert(0, {"id": "F0", "period": "2020", "tax": 5})
    misspelt_column["facts"]["firm"][1]["txa"] = misspelt_column["facts"]["firm"][1].pop("tax")
    misspelt_kind = case("5 is warned", 5, absent=["praised"])
    misspelt_kind["facts"] = {"firms": misspelt_kind["facts"]["firm"]}
    policy = write(tmp_path, [misspelt_column, misspelt_kind, GOOD[0]])
    assert main(["test", str(policy)]) == 1
    out = capsys.readouterr().out
    assert "facts not read:" in out and "txa" in out
    assert "`firms`" in out
    assert "1 passed, 2 failed" in out


def test_a_failure_shows_expected_actual_and_the_explanation(tmp_path, capsys):
    wrong = case("99 should be praised (it is not)", 99, expect=["praised"])
    policy = write(tmp_path, [wrong])
    assert main(["test", str(policy)]) == 1
    out = capsys.readouterr().out
    assert "expected: praised for F1 in 2020, active" in out
    assert "actual:   it did not happen" in out
    assert "tax >= 100" in out  # the explanation: the failing condition


def test_a_file_level_problem_is_an_input_error_naming_the_file(tmp_path, capsys):
    policy = write(tmp_path, GOOD)
    (tmp_path / "scenarios" / "taxwatch.json").write_text('{"cases": {}}', encoding="utf-8")
    assert main(["test", str(policy)]) == 2
    err = capsys.readouterr().err
    assert "taxwatch.json" in err and "field `cases`" in err


def test_coverage_reports_fired_and_the_sides_of_each_boundary(tmp_path, capsys):
    policy = write(tmp_path, GOOD)
    assert main(["test", str(policy), "--coverage", "--format", "json"]) == 0
    report = {r["rule"]: r for r in json.loads(capsys.readouterr().out)["coverage"]}
    praise = report["praise_big_payers"]
    assert (praise["fired"], praise["not_fired"]) == (1, 2)
    [threshold] = praise["comparisons"]
    assert threshold["text"] == "tax >= 100"
    assert threshold["sides"] == {"below": 2, "on": 1, "above": 0} and threshold["missing"] == ["above"]
    assert report["warn_small_payers"]["comparisons"][0]["sides"] == {"below": 1, "on": 0, "above": 2}


def test_coverage_command_without_a_catalogue_reports_rules_and_boundaries(tmp_path, capsys):
    policy = write(tmp_path, GOOD + [case("a big payer", 500, expect=["praised"])])
    assert main(["coverage", str(policy)]) == 0
    out = capsys.readouterr().out
    assert "✓   10:8   tax >= 100   below 2 · on 1 · above 1" in out
    assert "no case on" in out  # tax < 10: nobody paid exactly 10


def test_every_shipped_scenario_file_matches_the_schema():
    validator = jsonschema.Draft202012Validator(schema())
    for file in sorted((ROOT / "policies").rglob("scenarios/*.json")):
        errors = list(validator.iter_errors(json.loads(file.read_text(encoding="utf-8"))))
        assert not errors, f"{file}: {errors[0].message}"


def test_the_documentation_describes_every_field_of_the_schema():
    doc = (ROOT / "docs" / "scenarios.md").read_text(encoding="utf-8")
    definitions = schema()["$defs"]
    fields = set(schema()["properties"])
    for name in ("case", "expectation", "absence"):
        fields |= set(definitions[name]["properties"])
    assert not [f for f in sorted(fields) if f"`{f}`" not in doc]


def test_a_scenario_file_that_names_no_policy_is_refused_not_guessed(tmp_path, capsys):
    stray = tmp_path / "cases.json"
    stray.write_text(json.dumps({"cases": GOOD}), encoding="utf-8")
    assert main(["test", str(stray)]) == 2
    assert "which policy does it test" in capsys.readouterr().err
    write(tmp_path, [])
    stray.write_text(json.dumps({"policy": "taxwatch.pol", "cases": GOOD}), encoding="utf-8")
    assert main(["test", str(stray)]) == 0


def test_scenarios_of_a_folder_import_from_anywhere_in_that_folder(tmp_path, capsys):
    # A copy of the shipped policies is not "the shipped schema" (as with a wheel install): its
    # policies import ../schema, which lies in the folder the user named, so they still load.
    import shutil

    for name in ("schema", "henan2014"):
        shutil.copytree(ROOT / "policies" / name, tmp_path / "policies" / name)
    assert main(["test", str(tmp_path / "policies")]) == 0, capsys.readouterr()
    assert " 0 failed" in capsys.readouterr().out


VALUED = """\
policy taxshare
entity firm
  yearly tax: money
outcome share "份额" is computed with value: money
rule share_of_tax
  implements taxshare.1
  cite "一"
  for firm
  then share = tax * 50%
"""


def _valued(tmp_path: Path, cases: list) -> Path:
    (tmp_path / "taxshare.pol").write_text(VALUED, encoding="utf-8")
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "taxshare.json").write_text(json.dumps({"cases": cases}), encoding="utf-8")
    return tmp_path / "taxshare.pol"


def _share(name: str, value, **extra) -> dict:
    return {"name": name, "facts": {"firm": [{"id": "F1", "period": "2020", "tax": 6}]},
            "expect": [{"entity": "F1", "period": "2020", "outcome": "share", "value": value}], **extra}


def test_a_bad_number_in_an_expectation_fails_its_case_naming_the_field_and_the_others_run(tmp_path, capsys):
    policy = _valued(tmp_path, [_share("good", 3), _share("not a number", "abc"), _share("by zero", "1/0"),
                                _share("also good", "6/2")])
    assert main(["test", str(policy)]) == 1
    out = capsys.readouterr().out
    assert "2 passed, 2 failed" in out
    assert "malformed case: field `expect[0].value`: `abc` is not an exact number" in out
    assert "malformed case: field `expect[0].value`: `1/0` is not an exact number" in out


def test_an_expectation_of_a_period_not_ended_by_the_cases_as_of_fails_saying_so(tmp_path, capsys):
    """As of 2020-06-01 the year 2020 cannot be evaluated (eval refuses it): "it did not happen"
    with an explanation whose conditions all hold would be no answer."""
    policy = _valued(tmp_path, [_share("mid-year", 3, as_of="2020-06-01"), _share("year end", 3, as_of="2020-12-31")])
    assert main(["test", str(policy)]) == 1
    out = capsys.readouterr().out
    assert "1 passed, 1 failed" in out
    assert ("`expect[0].period`: period 2020 ends on 2020-12-31, after the as-of date 2020-06-01: as of that "
            "date it cannot be evaluated") in out and "it did not happen" not in out


def _raw(tmp_path: Path, text: str, where: str = "scenarios/taxshare.json") -> Path:
    """A scenario file written as text, for JSON that json.dumps would not write."""
    (tmp_path / "taxshare.pol").write_text(VALUED, encoding="utf-8")
    (tmp_path / where).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / where).write_text(text, encoding="utf-8")
    return tmp_path / "taxshare.pol"


def _share_text(name: str, expectation: str = "", tax: str = "6") -> str:
    facts = '{"firm": [{"id": "F1", "period": "2020", "tax": %s}]}' % tax
    expect = '[{"entity": "F1", "period": "2020", "outcome": "share"%s}]' % expectation
    return '{"name": "%s", "facts": %s, "expect": %s}' % (name, facts, expect)


def test_an_infinite_nan_or_huge_number_fails_its_case_naming_the_field_and_the_others_run(tmp_path, capsys):
    cases = [_share_text("amount 1e400", ', "amount": 1e400'),
             _share_text("value -1e400", ', "value": -1e400'),
             _share_text("value NaN", ', "value": NaN'),
             _share_text("field Infinity", ', "value": {"a": [Infinity]}'),
             _share_text("huge exponent", ', "value": "1e999999999"'), _share_text("fact 1e400", tax="1e400"),
             _share_text("fact of 5000 digits", tax="9" * 5000), _share_text("good", ', "value": 3')]
    policy = _raw(tmp_path, '{"cases": [%s]}' % ", ".join(cases))
    assert main(["test", str(policy)]) == 1
    out = capsys.readouterr().out
    assert "1 passed, 7 failed" in out
    assert "malformed case: field `expect[0].amount`: inf is not a finite number" in out
    assert "malformed case: field `expect[0].value`: -inf is not a finite number" in out
    assert "malformed case: field `expect[0].value`: nan is not a finite number" in out
    assert "malformed case: field `expect[0].value.a[0]`: inf is not a finite number" in out
    assert "malformed case: field `expect[0].value`: `1e999999999` is out of range" in out
    assert "malformed case: field `facts.firm[0].tax`: inf is not a finite number" in out
    assert "malformed case: field `facts.firm[0].tax`: a whole number of 5000 digits is out of range" in out


def test_a_key_given_twice_in_a_scenario_file_is_an_input_error_with_line_and_column(tmp_path, capsys):
    # JSON keeps the last of a repeated key: the first `expect` would test nothing without a word.
    policy = _raw(tmp_path, '{"cases": [{"name": "twice", "facts": {},\n'
                            '  "expect": [{"entity": "F1", "period": "2020", "outcome": "share"}],\n'
                            '  "expect": []}]}')
    assert main(["test", str(policy)]) == 2
    err = capsys.readouterr().err
    assert "taxshare.json:3:3: key `expect` given twice in one object (first at line 2, column 3)" in err
    _raw(tmp_path, '{"cases": [%s],\n "cases": []}' % _share_text("good", ', "value": 3'))
    assert main(["test", str(policy)]) == 2
    assert "taxshare.json:2:2: key `cases` given twice" in capsys.readouterr().err


def test_an_absence_of_an_entity_or_period_not_in_the_facts_fails_its_case(tmp_path, capsys):
    # Nothing is evaluated for an entity or a period the facts do not have: such an absence would
    # pass whatever the policy says.
    misspelt_entity = case("entity not in the facts", 99, absent=["praised"])
    misspelt_entity["facts"]["firm"][0]["id"] = "F10"
    other_period = case("period not in the facts", 99, absent=["praised"])
    other_period["absent"][0]["period"] = "2021"
    policy = write(tmp_path, [misspelt_entity, other_period, GOOD[1]])
    assert main(["test", str(policy)]) == 1
    out = capsys.readouterr().out
    assert ("`absent[0].entity`: no entity `F1` in the case's facts, so its absence tests nothing; "
            "did you mean `F10`?") in out
    assert ("`absent[0].period`: no row of the case's facts is of period 2021, so the absence tests "
            "nothing (periods in the facts: 2020)") in out
    assert "1 passed, 2 failed" in out


def test_a_scenario_file_without_cases_is_an_input_error(tmp_path, capsys):
    policy = write(tmp_path, [])
    assert main(["test", str(policy)]) == 2
    assert "taxwatch.json: field `cases`: no cases" in capsys.readouterr().err


def test_a_scenario_file_named_directly_that_is_not_json_says_so_not_which_policy(tmp_path, capsys):
    write(tmp_path, GOOD)
    stray = tmp_path / "cases.json"
    stray.write_text('{"policy": "taxwatch.pol",\n "cases": [}', encoding="utf-8")
    assert main(["test", str(stray)]) == 2
    err = capsys.readouterr().err
    assert "cases.json:2:12: invalid JSON: Expecting value" in err and "which policy" not in err
    stray.write_text('[{"policy": "taxwatch.pol"}]', encoding="utf-8")
    assert main(["test", str(stray)]) == 2
    err = capsys.readouterr().err
    assert "cases.json: not a scenario file: its top level is a list" in err and "which policy" not in err


def test_a_scenario_file_may_start_with_a_byte_order_mark(tmp_path, capsys):
    policy = write(tmp_path, GOOD)
    file = tmp_path / "scenarios" / "taxwatch.json"
    file.write_text("\ufeff" + file.read_text(encoding="utf-8"), encoding="utf-8")
    assert main(["test", str(policy)]) == 0
    stray = tmp_path / "cases.json"
    stray.write_text("\ufeff" + json.dumps({"policy": "taxwatch.pol", "cases": GOOD}), encoding="utf-8")
    assert main(["test", str(stray)]) == 0


def test_an_absence_of_a_status_no_document_has_fails_its_case(tmp_path, capsys):
    # Statuses are of every document as of the case's day (in the period of its year); without a
    # day, of the documents of policies with a status rule (taxwatch has none): an absence of any
    # other document or period would pass whatever the document says.
    def status_case(name: str, entity: str, period: str, as_of: str | None) -> dict:
        found = {"name": name, "facts": {} if as_of else {"firm": [{"id": "F1", "period": "2020", "tax": 5}]},
                 "absent": [{"entity": entity, "period": period, "outcome": "document_repealed"}]}
        return found if as_of is None else {**found, "as_of": as_of}

    policy = write(tmp_path, [status_case("misspelt", "taxwach", "2020", "2020-06-01"),
                              status_case("other period", "taxwatch", "2019", "2020-06-01"),
                              status_case("no day, no status rule", "taxwatch", "2020", None),
                              status_case("not repealed", "taxwatch", "2020", "2020-06-01")])
    assert main(["test", str(policy)]) == 1
    out = capsys.readouterr().out
    assert ("`absent[0].entity`: `taxwach` has no status in this case (statuses are of every document the "
            "policies are or cite as of the case's `as_of`; without it, at the end of each year of the facts, of "
            "the documents of policies that declare a `status_rule`), so the absence tests nothing; did you mean "
            "`taxwatch`?") in out
    assert ("`absent[0].period`: the statuses of `taxwatch` in this case are of 2020 only, not of 2019, so the "
            "absence tests nothing") in out
    assert "`absent[0].entity`: `taxwatch` has no status in this case" in out
    assert "1 passed, 3 failed" in out
