"""Scenario tests beside a policy: facts in, expected outcomes and expected absences out.

A scenario file is JSON, kept in a policy folder's `scenarios/` (found by `policydsl test` and
by pytest):

    {"description": "…",
     "cases": [{"name": "two consecutive Ds bring a yellow card",
                "facts": {"enterprise": [{"id": "E1", "period": "2018", …}]},
                "expect": [{"entity": "E1", "period": "2019", "outcome": "…", "status": "active",
                            "amount": 300, "value": "25/2", "superseded_by": "…", "target": "…"}],
                "absent": [{"entity": "E1", "period": "2019", "outcome": "…"}]}]}

A case may give `"as_of": "2014-08-25"`: it is evaluated as of that date (document statuses on
that day, in the period of its year). `status` defaults to active; `target` (for goal checks) must match when given; `amount` and
`value` are compared exactly (a number, a decimal
string, or a fraction "a/b"). A failure shows what was expected, what happened, and the
explanation of the actual outcome (or why the expected one did not happen).
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path

import attrs

from policydsl.api import PolicySet
from policydsl.diagnostics import DataError, did_you_mean
from policydsl.render import explanation_text
from policydsl.values import Percent, json_value


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


def scenario_files(paths: list[str | Path]) -> list[Path]:
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_file() and path.suffix == ".json":
            files.append(path)
        elif path.is_dir():
            files.extend(sorted(path.rglob("scenarios/*.json")))
    return files


def _exact(value: object) -> Fraction | None:
    if value is None:
        return None
    try:
        if isinstance(value, str) and "/" in value:
            return Fraction(value)
        return Fraction(Decimal(str(value)))
    except (InvalidOperation, ValueError, ZeroDivisionError):
        raise ScenarioError(f"`{value}` is not an exact number (write 12.5 or \"25/2\")") from None


def _read(path: Path) -> dict:
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ScenarioError(f"{path}:{err.lineno}:{err.colno}: invalid JSON: {err.msg}") from None
    except OSError as err:
        raise ScenarioError(f"{path}: {err.strerror}") from None
    if not isinstance(content, dict) or not isinstance(content.get("cases"), list):
        raise ScenarioError(f"{path}: a scenario file is an object with a list `cases`")
    return content


def _matches(decision, expected: dict) -> bool:
    return (decision.entity == str(expected["entity"]) and str(decision.period) == str(expected["period"])
            and decision.outcome == expected["outcome"]
            and ("target" not in expected or decision.target == expected["target"]))


def run_case(policies: PolicySet, file: str, case: dict, executor: str = "row") -> CaseResult:
    name = case.get("name", "(unnamed)")
    try:
        result = policies.evaluate(case.get("facts", {}), as_of=case.get("as_of"), executor=executor)
    except DataError as err:
        return CaseResult(file=file, name=name, failures=("bad facts: " + "; ".join(err.problems),))
    except ValueError as err:
        return CaseResult(file=file, name=name, failures=(f"bad as_of: {err}",))
    failures = _unknown_names(policies, case)
    for expected in case.get("expect", []):
        found = [d for d in result.decisions if _matches(d, expected)]
        wanted_status = expected.get("status", "active")
        label = f"{expected['outcome']} for {expected['entity']} in {expected['period']}"
        if not found:
            why = result.why_not(str(expected["entity"]), expected["outcome"], str(expected["period"]))
            failures.append(f"expected {label} ({wanted_status}), but it did not happen\n"
                            + _indent(explanation_text(why)))
            continue
        decision = found[0]
        problems = []
        if decision.status != wanted_status:
            problems.append(f"status {decision.status}, expected {wanted_status}")
        if "superseded_by" in expected and decision.superseded_by != expected["superseded_by"]:
            problems.append(f"superseded by {decision.superseded_by}, expected {expected['superseded_by']}")
        for key in ("amount", "value"):
            if key in expected:
                actual = getattr(decision, key)
                if isinstance(actual, Percent):  # expected as shown: 12.5 for 12.5%
                    actual = actual.shown
                if actual is None or isinstance(actual, (int, Fraction)) and not isinstance(actual, bool):
                    same = (None if actual is None else Fraction(actual)) == _exact(expected[key])
                else:  # text, dates, booleans: compared as written
                    same = json_value(actual) == expected[key]
                if not same:
                    problems.append(f"{key} {json_value(actual)}, expected {expected[key]}")
        if problems:
            failures.append(f"{label}: " + "; ".join(problems) + "\n"
                            + _indent(explanation_text(result.explain(decision.entity, decision.outcome,
                                                                      decision.period))))
    for absent in case.get("absent", []):
        found = [d for d in result.decisions if _matches(d, absent) and d.status == "active"]
        if found:
            decision = found[0]
            failures.append(f"expected no {absent['outcome']} for {absent['entity']} in {absent['period']}, "
                            f"but it happened\n" + _indent(explanation_text(
                                result.explain(decision.entity, decision.outcome, decision.period))))
    return CaseResult(file=file, name=name, failures=tuple(failures))


def _unknown_names(policies: PolicySet, case: dict) -> list[str]:
    """An expectation that names no outcome or target of the policies could never fail: report it."""
    outcomes = policies.program.outcomes
    targets = {r.target for r in policies.program.rules if r.target}
    problems = []
    for entry in case.get("expect", []) + case.get("absent", []):
        if entry.get("outcome") not in outcomes:
            hint = did_you_mean(str(entry.get("outcome")), outcomes)
            problems.append(f"unknown outcome `{entry.get('outcome')}` in the expectations" + (f"; {hint}" if hint else ""))
        if "target" in entry and entry["target"] not in targets:
            hint = did_you_mean(str(entry["target"]), targets)
            problems.append(f"unknown target `{entry['target']}` in the expectations" + (f"; {hint}" if hint else ""))
    return problems


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


def run_file(policies: PolicySet, path: Path, executor: str = "row") -> list[CaseResult]:
    content = _read(path)
    return [run_case(policies, str(path), case, executor) for case in content["cases"]]
