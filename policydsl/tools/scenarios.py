"""Scenario tests beside a policy: facts in, expected outcomes and expected absences out.

The format is documented in docs/scenarios.md and defined by `scenario.schema.json` (beside
this module), which every file is validated against before it runs: a malformed case is
reported with its file, case and field, and the other cases still run. In brief:

    {"description": "…", "policy": "../zone_sanctions.pol",          # policy: optional
     "cases": [{"name": "two consecutive Ds bring a yellow card",
                "facts": {"enterprise": [{"id": "E1", "period": "2018", …}]},
                "expect": [{"entity": "E1", "period": "2019", "outcome": "…", "status": "active",
                            "amount": 300, "value": "25/2", "superseded_by": "…", "target": "…"}],
                "absent": [{"entity": "E1", "period": "2019", "outcome": "…"}]}]}

Where scenarios are found (`suites`): a folder gives every `scenarios/*.json` and
`*.scenarios.json` under it; a `.pol` file gives `scenarios/<stem>.json` and
`<stem>.scenarios.json` beside it; a `.json` file is a scenario file. The policy a file tests is
its `policy` (relative to the file), else the folder holding `scenarios/`, else `<stem>.pol`.

`status` defaults to active (in `absent` too; `"status": "any"` there means no decision at all,
not even a superseded one); `target` (for goal checks) must match when given; `amount` and
`value` are compared exactly (a number, a decimal string, or a fraction "a/b"). A failure shows
what was expected, what happened, and the explanation of the actual outcome (or why the expected
one did not happen). An expectation naming an unknown outcome or target fails its case (with a
"did you mean"), and the other cases still run. A case may give `"as_of": "2014-08-25"`: it is
evaluated as of that date (document statuses on that day, in the period of its year).

Nothing may pass while testing nothing: the JSON is read strictly (`scenario_json`: a key given
twice is refused, a number that is not exact and finite fails its case), a file needs at least one
case, and an absence must name an entity and a period the case's facts have.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from importlib import resources
from pathlib import Path

import attrs

from policydsl.api import PolicySet
from policydsl.diagnostics import DataError, did_you_mean
from policydsl.engine.cells import nfc
from policydsl.engine.explain import ExplainError
from policydsl.engine.explain_status import STATUS_OUTCOMES
from policydsl.render import explanation_text
from policydsl.tools.scenario_json import JsonProblem, parse, unfit_numbers
from policydsl.values import Fields, Percent, Period, ValueList, json_value
from policydsl import output_files


@attrs.frozen(kw_only=True)
class CaseResult:
    file: str
    name: str
    failures: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.failures


class ScenarioError(Exception):
    """A scenario file that cannot be read or has the wrong shape."""


@attrs.frozen(kw_only=True)
class Suite:
    """One scenario file and the policy paths it is run against."""

    file: Path
    policies: tuple[Path, ...]


def scenario_files(paths: list[str | Path]) -> list[Path]:
    """Every scenario file the paths name or hold (see the module docstring)."""
    return [suite.file for suite in suites(paths)]


def _policy_name(path: Path) -> str | None:
    try:
        match = re.search(r"^\s*policy\s+(\w+)", path.read_text(encoding="utf-8"), re.MULTILINE)
    except (OSError, UnicodeDecodeError):
        return None
    return match.group(1) if match else None


def _policy_of_file(policy: Path) -> tuple[Path, ...]:
    """A `.pol` file with the sibling files of the same policy (a policy may span files)."""
    name = _policy_name(policy)
    siblings = [p for p in sorted(policy.parent.glob("*.pol"))
                if p != policy and name is not None and _policy_name(p) == name]
    return (policy, *siblings)


def _default_policies(file: Path) -> tuple[Path, ...]:
    declared = _declared_policy(file)
    if declared:
        return tuple((file.parent / p) for p in declared)
    if file.parent.name == "scenarios":
        return (file.parent.parent,)
    if file.name.endswith(".scenarios.json"):
        return _policy_of_file(file.with_name(file.name[: -len(".scenarios.json")] + ".pol"))
    raise ScenarioError(f"{file}: which policy does it test? Keep it in a policy folder's scenarios/, name it "
                        f"NAME.scenarios.json beside NAME.pol, or give \"policy\": \"path/to/policy.pol\"")


def _declared_policy(file: Path) -> list[str]:
    # Read in full (ScenarioError when it is not a scenario file): a file that is not JSON must
    # be reported as such, not as one that names no policy.
    declared = _content(file).get("policy")
    if isinstance(declared, str):
        return [declared]
    return [p for p in declared if isinstance(p, str)] if isinstance(declared, list) else []


def suites(paths: list[str | Path]) -> list[Suite]:
    """The scenario files to run for the paths given, each with the policy it tests.

    Raises ScenarioError for a path that does not exist or a `.pol` file without scenarios."""
    found: dict[Path, Suite] = {}
    for raw in paths:
        path = Path(raw)
        if path.is_file() and path.suffix == ".json":
            files = [path]
        elif path.is_file() and path.suffix == ".pol":
            files = [f for f in (path.parent / "scenarios" / f"{path.stem}.json",
                                 path.with_name(f"{path.stem}.scenarios.json")) if f.is_file()]
            if not files:
                raise ScenarioError(f"no scenario files for {path}: write {path.stem}.scenarios.json or "
                                    f"scenarios/{path.stem}.json beside it (see docs/scenarios.md)")
            for file in files:
                found.setdefault(file, Suite(file=file, policies=_declared_or(file, _policy_of_file(path))))
            continue
        elif path.is_dir():
            files = sorted(set(path.rglob("scenarios/*.json")) | set(path.rglob("*.scenarios.json")))
        elif not path.exists():
            raise ScenarioError(f"no such file or folder: {path}")
        else:
            raise ScenarioError(f"{path}: not a policy (.pol), a scenario file (.json) or a folder")
        for file in files:
            found.setdefault(file, Suite(file=file, policies=_default_policies(file)))
    return list(found.values())


def _declared_or(file: Path, default: tuple[Path, ...]) -> tuple[Path, ...]:
    declared = _declared_policy(file)
    return tuple(file.parent / p for p in declared) if declared else default


@functools.cache
def schema() -> dict:
    """The JSON Schema of a scenario file (policydsl/tools/scenario.schema.json)."""
    return json.loads((resources.files("policydsl.tools") / "scenario.schema.json").read_text(encoding="utf-8"))


def _field(path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def validate(content: object, path: Path) -> tuple[list[str], dict[int, list[str]]]:
    """Problems of the whole file, and problems per case index: numbers that are not exact and
    finite, and what the JSON Schema finds."""
    whole: list[str] = []
    per_case: dict[int, list[str]] = {}
    import jsonschema  # here, not at the top: every CLI command imports this module, few validate (40 ms)

    cases = content.get("cases") if isinstance(content, dict) else None
    unfit = {("cases", index, *where): problem
             for index, case in enumerate(cases if isinstance(cases, list) else [])
             for where, problem in unfit_numbers(case)}
    for where, problem in unfit.items():
        per_case.setdefault(where[1], []).append(f"field `{_field(where[2:])}`: {problem}")
    validator = jsonschema.Draft202012Validator(schema())
    for problem in sorted(validator.iter_errors(content), key=lambda e: list(map(str, e.absolute_path))):
        where = tuple(problem.absolute_path)
        if where in unfit:  # said above, without the schema's copy of a number thousands of digits long
            continue
        if len(where) >= 2 and where[0] == "cases" and isinstance(where[1], int):
            field = _field(where[2:]) if len(where) > 2 else "(the case itself)"
            per_case.setdefault(where[1], []).append(f"field `{field}`: {problem.message}")
        else:
            whole.append(f"{path}: field `{_field(where)}`: {problem.message}")
    return whole, per_case


# An exact number is built from its digits: "1e999999999" would take minutes and gigabytes, and
# nothing the engine computes from facts (at most 10^30, cells.MAX_MAGNITUDE) comes near 10^1000.
_MAX_EXPONENT = 1000


def _exact(value: object) -> Fraction | None:
    if value is None:
        return None
    try:
        if isinstance(value, str) and "/" in value:
            return Fraction(value)
        number = Decimal(str(value))
    except (InvalidOperation, ValueError, ZeroDivisionError):
        raise ScenarioError(f"`{value}` is not an exact number (write 12.5 or \"25/2\")") from None
    if not number.is_finite():
        raise ScenarioError(f"`{value}` is not a finite number (write 12.5 or \"25/2\")")
    if abs(number.adjusted()) > _MAX_EXPONENT:
        raise ScenarioError(f"`{value}` is out of range (an exact number between 10^-{_MAX_EXPONENT} "
                            f"and 10^{_MAX_EXPONENT})")
    return Fraction(number)


def _same(actual: object, expected: object) -> bool:
    """An amount or value as a scenario expects it: numbers exactly, text, dates and booleans as
    written; payload fields (an object) field by field, each one listed compared, and a field not
    listed must be unset."""
    if isinstance(actual, Fields) or isinstance(expected, dict):
        if not (isinstance(actual, Fields) and isinstance(expected, dict)):
            return False
        given = dict(actual.items)
        return set(expected) <= set(given) and all(
            _same(value, expected[name]) if name in expected else value is None for name, value in given.items())
    if isinstance(actual, ValueList) or isinstance(expected, list):  # a list: item by item, in order
        return (isinstance(actual, ValueList) and isinstance(expected, list) and len(actual.items) == len(expected)
                and all(_same(item, wanted) for item, wanted in zip(actual.items, expected)))
    if isinstance(actual, Percent):  # expected as shown: 12.5 for 12.5%
        actual = actual.shown
    if actual is None or isinstance(actual, (int, Fraction)) and not isinstance(actual, bool):
        return (None if actual is None else Fraction(actual)) == _exact(expected)
    return json_value(actual) == expected  # text, dates, booleans: compared as written


def _read(path: Path) -> dict:
    """A scenario file's content; ScenarioError when it is not JSON (a key given twice included),
    not a scenario file at all, or has no cases (problems inside single cases are left to
    `validate`, so that the other cases still run)."""
    content = _content(path)
    whole, _ = validate(content, path)
    if whole:
        raise ScenarioError("\n".join(whole))
    if not content["cases"]:  # "0 passed, 0 failed" would read as success while testing nothing
        raise ScenarioError(f"{path}: field `cases`: no cases: a scenario file must hold at least one case")
    return content


def _content(path: Path) -> dict:
    """A scenario file's JSON object, before the schema; ScenarioError when it is none."""
    try:
        content = parse(path.read_text(encoding="utf-8"))
    except JsonProblem as err:
        raise ScenarioError(f"{path}:{err.line}:{err.column}: {err.message}") from None
    except UnicodeDecodeError as err:
        raise ScenarioError(f"{path}: not UTF-8 text (byte {err.start})") from None
    except OSError as err:
        raise ScenarioError(f"{path}: {err.strerror}") from None
    if not isinstance(content, dict):
        found = "a list" if isinstance(content, list) else "a single value"
        raise ScenarioError(f"{path}: not a scenario file: its top level is {found}, not an object with "
                            "`cases` (see docs/scenarios.md)")
    return content


def _matches(decision, expected: dict) -> bool:
    return (decision.entity == str(expected["entity"]) and str(decision.period) == str(expected["period"])
            and decision.outcome == expected["outcome"]
            and ("target" not in expected or decision.target == expected["target"]))


def _describe(entry: dict, status: str | None = None) -> str:
    text = f"{entry['outcome']} for {entry['entity']} in {entry['period']}"
    if entry.get("target"):
        text += f" (target {entry['target']})"
    details = [status] if status else []
    details += [f"{key} {entry[key]}" for key in ("amount", "value", "superseded_by") if key in entry]
    return text + (", " + ", ".join(details) if details else "")


def _decision_text(decision) -> str:
    shown = {"outcome": decision.outcome, "entity": decision.entity, "period": decision.period,
             "target": decision.target}
    for key in ("amount", "value", "superseded_by"):
        if getattr(decision, key) is not None:
            shown[key] = json_value(getattr(decision, key))
    return _describe(shown, decision.status)


def _explained(action) -> str:
    try:
        return _indent(explanation_text(action()))
    except ExplainError as err:
        return _indent(f"(no explanation: {err})")


def _failure(expected: str, actual: str, explanation: str) -> str:
    return f"expected: {expected}\nactual:   {actual}\n{explanation}"


def run_case(policies: PolicySet, file: str, case: dict, executor: str = "row") -> CaseResult:
    """Run one case; every failure says what was expected, what happened, and why."""
    name = case.get("name", "(unnamed)")
    try:
        result = policies.evaluate(case.get("facts", {}), as_of=case.get("as_of"), executor=executor)
    except DataError as err:
        return CaseResult(file=file, name=name, failures=("bad facts: " + "; ".join(err.problems),))
    except ValueError as err:
        return CaseResult(file=file, name=name, failures=(f"bad as_of: {err}",))
    failures, unknown = _unknown_names(policies, case)
    outside, untestable = _absent_outside_facts(case)
    failures.extend(outside)
    unknown |= untestable
    # Facts the engine did not read (a misspelt column or kind) would leave the case testing
    # nothing without a word: the case fails and names them.
    # (A case without facts, such as a document's status on a day, has nothing to misspell.)
    if case.get("facts"):
        failures.extend(f"facts not read: {issue}" for issue in result.warnings if issue.about == "data")
    for index, expected in enumerate(case.get("expect", [])):
        if ("expect", index) in unknown:
            continue
        unended = _not_ended(expected, case.get("as_of"))
        if unended:  # it could neither happen nor fail to: no expectation of it is tested
            failures.append(f"`expect[{index}].period`: {unended}")
            continue
        found = [d for d in result.decisions if _matches(d, expected)]
        wanted_status = expected.get("status", "active")
        wanted = _describe(expected, wanted_status)
        if not found:
            failures.append(_failure(wanted, "it did not happen", _explained(lambda: result.why_not(
                str(expected["entity"]), expected["outcome"], str(expected["period"])))))
            continue
        decision = found[0]
        problems = decision.status != wanted_status or (
            "superseded_by" in expected and decision.superseded_by != expected["superseded_by"])
        try:
            for key in ("amount", "value"):
                if key in expected:
                    problems = problems or not _same(getattr(decision, key), expected[key])
        except ScenarioError as err:  # a number that is none (`"abc"`, `"1/0"`): this expectation only
            failures.append(f"malformed case: field `expect[{index}].{key}`: {err}")
            continue
        if problems:
            failures.append(_failure(wanted, _decision_text(decision), _explained(
                lambda: result.explain(decision.entity, decision.outcome, decision.period))))
    failures.extend(_statuses_not_decided(case, result, unknown))
    for index, absent in enumerate(case.get("absent", [])):
        if ("absent", index) in unknown:
            continue
        # an absence is of an active decision, unless `"status": "any"` asks that the rule not fire at all
        found = [d for d in result.decisions if _matches(d, absent) and absent.get("status", "active") in (d.status, "any")]
        if found:
            decision = found[0]
            failures.append(_failure("no " + _describe(absent), _decision_text(decision), _explained(
                lambda: result.explain(decision.entity, decision.outcome, decision.period))))
    return CaseResult(file=file, name=name, failures=tuple(failures))


def _not_ended(expected: dict, as_of: object) -> str | None:
    """Why an expectation's period cannot be evaluated as of the case's `as_of` (it ends after it,
    as `eval --as-of` refuses it), or None."""
    if as_of is None or expected.get("outcome") in STATUS_OUTCOMES:  # a status is of the as-of day itself
        return None
    try:
        period, day = Period.parse(str(expected.get("period"))), dt.date.fromisoformat(str(as_of))
    except ValueError:
        return None  # reported as a bad period or as_of elsewhere
    if period.end <= day:
        return None
    return f"period {period} ends on {period.end}, after the as-of date {day}: as of that date it cannot be evaluated"


def _unknown_names(policies: PolicySet, case: dict) -> tuple[list[str], set[tuple[str, int]]]:
    """An expectation that names no outcome or target of the policies could never fail: each is
    a failure of its case (the case's other expectations still run)."""
    outcomes = policies.program.outcomes
    targets = {r.target for r in policies.program.rules if r.target}
    problems, unknown = [], set()
    for field in ("expect", "absent"):
        for index, entry in enumerate(case.get(field, [])):
            if entry.get("outcome") not in outcomes:
                hint = did_you_mean(str(entry.get("outcome")), outcomes)
                problems.append(f"`{field}[{index}].outcome`: unknown outcome `{entry.get('outcome')}`"
                                + (f"; {hint}" if hint else ""))
                unknown.add((field, index))
            if "target" in entry and entry["target"] not in targets:
                hint = did_you_mean(str(entry["target"]), targets)
                problems.append(f"`{field}[{index}].target`: unknown target `{entry['target']}`"
                                + (f"; {hint}" if hint else ""))
                unknown.add((field, index))
    return problems, unknown


def _statuses_not_decided(case: dict, result, unknown: set[tuple[str, int]]) -> list[str]:
    """An absence of a document's status where no status is decided holds whatever the document
    says: each is a failure of its case (and is not tested). Statuses are of every document the
    policies are or cite as of the case's `as_of` (in the period of its year); without one, at the
    end of each year of the facts, of the documents of policies that declare a status rule
    (`engine/status.py`)."""
    periods_of: dict[str, set[str]] = {}  # per document, the periods it has a status in
    for decision in result.decisions:
        if decision.outcome in STATUS_OUTCOMES:
            periods_of.setdefault(decision.entity, set()).add(str(decision.period))
    problems = []
    for index, absent in enumerate(case.get("absent", [])):
        if absent.get("outcome") not in STATUS_OUTCOMES or ("absent", index) in unknown:
            continue
        entity, period = nfc(str(absent.get("entity"))), nfc(str(absent.get("period")))
        if entity not in periods_of:
            hint = did_you_mean(entity, periods_of)
            problems.append(f"`absent[{index}].entity`: `{entity}` has no status in this case (statuses are of every "
                            "document the policies are or cite as of the case's `as_of`; without it, at the end of "
                            "each year of the facts, of the documents of policies that declare a `status_rule`), so "
                            "the absence tests nothing" + (f"; {hint}" if hint else ""))
            unknown.add(("absent", index))
        elif period not in periods_of[entity]:
            problems.append(f"`absent[{index}].period`: the statuses of `{entity}` in this case are of "
                            f"{', '.join(sorted(periods_of[entity]))} only, not of {period}, so the absence tests "
                            "nothing")
            unknown.add(("absent", index))
    return problems


def _absent_outside_facts(case: dict) -> tuple[list[str], set[tuple[str, int]]]:
    """An absence of an entity or period the case's facts do not have holds whatever the policy
    says (nothing is evaluated there): each is a failure of its case. A document's status is
    about a document, not the facts: `_statuses_not_decided` checks its absences."""
    facts = case.get("facts") if isinstance(case.get("facts"), dict) else {}
    rows = [row for kind_rows in facts.values() if isinstance(kind_rows, list)
            for row in kind_rows if isinstance(row, dict) and "id" in row]
    entities = {nfc(str(row["id"])) for row in rows}
    # an entity given by static attributes only is evaluated in every period of the data
    periods = {nfc(str(row["period"])) for row in rows if "period" in row}
    problems, untestable = [], set()
    for index, absent in enumerate(case.get("absent", [])):
        if absent.get("outcome") in STATUS_OUTCOMES:
            continue
        entity, period = nfc(str(absent.get("entity"))), nfc(str(absent.get("period")))
        if entity not in entities:
            hint = did_you_mean(entity, entities)
            problems.append(f"`absent[{index}].entity`: no entity `{entity}` in the case's facts, so its "
                            "absence tests nothing" + (f"; {hint}" if hint else ""))
            untestable.add(("absent", index))
        if period not in periods:
            known = ", ".join(sorted(periods)) or "none"
            problems.append(f"`absent[{index}].period`: no row of the case's facts is of period {period}, "
                            f"so the absence tests nothing (periods in the facts: {known})")
            untestable.add(("absent", index))
    return problems, untestable


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


def run_file(policies: PolicySet, path: Path, executor: str = "row") -> list[CaseResult]:
    """Every case of a file; a case the schema rejects fails with its field, the others run."""
    content = _read(path)
    _, malformed = validate(content, path)
    results = []
    for index, case in enumerate(content["cases"]):
        name = case.get("name") if isinstance(case, dict) and isinstance(case.get("name"), str) else f"case {index + 1}"
        if index in malformed:
            results.append(CaseResult(file=str(path), name=name,
                                      failures=tuple(f"malformed case: {p}" for p in malformed[index])))
        else:
            results.append(run_case(policies, str(path), case, executor))
    return results


def _focus(paths: list[str], found: list[Suite]) -> set[Path]:
    """The policy files whose rules a coverage report is about: the `.pol` files named, the
    files in the folders named, and the policies of the scenario files named."""
    from policydsl.language.build import policy_files

    named: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.suffix == ".json":
            named += [p for s in found if s.file == path for p in s.policies]
        else:
            named.append(path)
    return {p.resolve() for p in policy_files(named)[0]}


def _run_suites(paths: list[str], coverage: bool, executor: str = "row"):
    from policydsl import api
    from policydsl.tools.rule_coverage import merge, rule_coverage

    found = suites(paths)
    if not found:
        raise ScenarioError("no scenario files found (a policy folder keeps them in scenarios/*.json; "
                            "a policy file NAME.pol in NAME.scenarios.json or scenarios/NAME.json)")
    loaded: dict[tuple[Path, ...], PolicySet] = {}
    results, reports = [], []
    for suite in found:
        key = tuple(p.resolve() for p in suite.policies)
        if key not in loaded:
            # imports may read anywhere in the folders the user named, as `check` of them would
            loaded[key] = api.load(*suite.policies, import_from=[p for p in paths if Path(p).suffix != ".json"])
        results.extend(run_file(loaded[key], suite.file, executor))
        if coverage:
            content = _read(suite.file)
            _, malformed = validate(content, suite.file)
            reports.append(rule_coverage(loaded[key], [c for i, c in enumerate(content["cases"])
                                                       if i not in malformed]))
    focus = _focus(paths, found)
    report = [e for e in merge(reports) if Path(e.rule.span.path).resolve() in focus]
    return results, report


def run_tests(paths: list[str], *, output: str = "text", coverage: bool = False, executor: str = "row") -> int:
    """`policydsl test`: run the scenario files for the paths; print results (and coverage)."""
    from policydsl.tools.exits import EXIT_FINDINGS, EXIT_OK
    from policydsl.tools.rule_coverage import coverage_json, coverage_text

    results, report = _run_suites(paths, coverage, executor)
    failed = [r for r in results if not r.passed]
    if output == "json":
        payload = {"cases": [{"file": r.file, "name": r.name, "passed": r.passed, "failures": list(r.failures)}
                             for r in results]}
        if coverage:
            payload["coverage"] = coverage_json(report)
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        for r in results:
            print(f"{'PASS' if r.passed else 'FAIL'}  {r.file} :: {r.name}")
            for failure in r.failures:
                print("      " + failure.replace("\n", "\n      "))
        if coverage:
            print("\n" + coverage_text(report) + "\n")
        print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    return EXIT_FINDINGS if failed else EXIT_OK


def run_coverage(paths: list[str], *, output: str = "md", to: str | None = None) -> int:
    """`policydsl coverage` without a catalogue: the rule and boundary coverage of the scenarios."""
    from policydsl.tools.exits import EXIT_OK
    from policydsl.tools.rule_coverage import coverage_json, coverage_text

    _, report = _run_suites(paths, True)
    text = (json.dumps(coverage_json(report), ensure_ascii=False, indent=2) if output == "json"
            else coverage_text(report)) + "\n"
    if to:
        output_files.write_text(to, text)
    else:
        print(text, end="")
    return EXIT_OK
