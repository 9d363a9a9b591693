"""The differential harness: executors and the oracle, observed in one comparable form.

An executor is a function `(PolicySet, rows, as_of) -> Observed`; adding one (a columnar executor,
say) is one entry in `EXECUTORS`, and every differential test then checks it too. `as_of` (a date
or None) is the day every period is evaluated on (`--as-of`): only the periods ended by then are
evaluated, and only their derived values are compared.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import NamedTuple

from oracle import oracle_answer
from oracle.calendar import Period, Span
from oracle.logic import UNKNOWN, Pct
from oracle.outcomes import FieldValues

import policydsl
from policydsl.values import Duration, Fields, Percent, Unknown, ValueList


class Observed(NamedTuple):
    values: dict  # (kind, name, entity, period text) -> value
    results: dict  # (rule, kind, entity, period text) -> True / False / unknown
    decisions: list  # comparable decision tuples, in decision order


def comparable(value: object) -> object:
    """One form for the values of the oracle and of an executor (bool before numbers)."""
    if value is None:
        return None
    if value is UNKNOWN or isinstance(value, Unknown):
        return "unknown"
    if isinstance(value, bool):
        return value
    if isinstance(value, (Fields, FieldValues)):  # named payload fields, in declaration order
        return ("fields", tuple((name, comparable(item)) for name, item in value.items))
    if type(value) is tuple or isinstance(value, ValueList):  # a list (the oracle's is a plain tuple)
        return ("list", tuple(comparable(item) for item in (value.items if isinstance(value, ValueList) else value)))
    if isinstance(value, (Pct, Percent)):
        return ("percent", Fraction(value.ratio))
    if isinstance(value, (int, Fraction)):
        return ("number", Fraction(value))
    if isinstance(value, (Span, Duration)):
        return ("duration", value.months, value.days)
    if isinstance(value, dt.date):
        return ("date", value.isoformat())
    return ("text", str(value))


def decision_tuple(d) -> tuple:
    return (d.entity_kind, d.entity, str(d.period), d.policy, d.rule_id, d.rule, d.outcome, d.outcome_kind,
            d.label, comparable(d.amount), comparable(d.value), d.cite, d.status, d.superseded_by, d.target)


def planned(policy_set: policydsl.PolicySet, rows: dict, as_of: dt.date | None = None) -> Observed:
    """The compiled plan and its `Run` (`policydsl.engine.evaluate`)."""
    result = policy_set.evaluate(rows, as_of=as_of)
    run = result.evaluation.run
    values = {}
    for (kind, name), value in policy_set.program.values.items():
        for entity, record in run.dataset.entities(kind).items():
            # an entity with static attributes only is evaluated at every period of the data
            for period in (record.periods or run.dataset.periods()):
                if period.kind == (value.period_kind or "year") or value.period_kind is None:
                    values[(kind, name, entity, str(period))] = comparable(run.derived(kind, name, entity, period))
    results = {(r.rule, r.entity_kind, r.entity, str(r.period)): comparable(r.condition)
               for r in result.evaluation.results}
    return ended(Observed(values, results, [decision_tuple(d) for d in result.decisions]), as_of)


def ended(observed: Observed, as_of: dt.date | None) -> Observed:
    """As of a day, only the derived values of the periods ended by then (the others are not
    evaluated; an executor need not compute them)."""
    if as_of is None:
        return observed
    values = {key: value for key, value in observed.values.items() if Period.parse(key[3]).last_day <= as_of}
    return observed._replace(values=values)


def columnar(policy_set: policydsl.PolicySet, rows: dict, as_of: dt.date | None = None) -> Observed:
    """The columnar executor (`policydsl.engine.columnar`): its own values where it computed them,
    the row executor's for the rules and values it hands over (dump --stage plan says which)."""
    from policydsl.engine.columnar.execute import evaluate_columnar

    from policydsl.engine.columnar.dry_run import lowering_fallbacks
    from policydsl.engine.columnar.execute import RUN_TIME

    row = planned(policy_set, rows, as_of)
    evaluation = evaluate_columnar(policy_set.plan, rows, keep_values=True, as_of=as_of)
    # what the lowering refused on this data for the plan's sake alone, `dump --stage plan` names
    # (what the data decides: numbers past 64-bit integers, a column or period kind it lacks, not)
    named = lowering_fallbacks(policy_set.plan)
    for name, reason in evaluation.fallbacks.items():
        reason = reason.removeprefix(RUN_TIME)
        if reason != evaluation.fallbacks[name] and "64-bit" not in reason and not reason.startswith("no "):
            assert named.get(name) == reason, f"{name} fell back ({reason}) but the plan said {named.get(name)}"
    values = dict(row.values)
    for (kind, name, entity, period), value in evaluation.values.items():
        if (kind, name, entity, str(period)) in values:
            values[(kind, name, entity, str(period))] = comparable(value)
    results = {(r.rule, r.entity_kind, r.entity, str(r.period)): comparable(r.condition)
               for r in evaluation.results}
    return ended(Observed(values, results, [decision_tuple(d) for d in evaluation.decisions]), as_of)


def single(policy_set: policydsl.PolicySet, rows: dict, as_of: dt.date | None = None) -> Observed:
    """The single-decision executor (`policydsl.engine.single`): every entity through the rules
    compiled for one entity, on ordinal periods."""
    from policydsl.engine import data as data_stage
    from policydsl.engine.single import evaluate_single

    dataset = data_stage.dataset_from_mapping(rows, policy_set.program.entities, computed=policy_set.computed())
    evaluation, values = evaluate_single(policy_set.plan, dataset, keep_values=True, as_of=as_of)
    results = {(r.rule, r.entity_kind, r.entity, str(r.period)): comparable(r.condition)
               for r in evaluation.results}
    return ended(Observed({key: comparable(value) for key, value in values.items()}, results,
                          [decision_tuple(d) for d in evaluation.decisions]), as_of)


EXECUTORS: dict[str, Callable[..., Observed]] = {
    "plan": planned,
    "columnar": columnar,
    "single": single,
}


def oracle_observed(policy_set, paths: list[Path], rows: dict, as_of: dt.date | None = None) -> Observed:
    answer = oracle_answer(policy_set.program, paths, rows, as_of)
    return ended(Observed({(k, n, e, str(p)): comparable(v) for (k, n, e, p), v in answer.values.items()},
                    {(r, k, e, str(p)): comparable(v) for (r, k, e, p), v in answer.results.items()},
                    [decision_tuple(d) for d in answer.decisions]), as_of)


def write(folder: Path, files: dict[str, str]) -> list[Path]:
    paths = []
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
        paths.append(folder / name)
    return paths


def assert_same(expected: Observed, actual: Observed, executor: str) -> None:
    for field in ("values", "results"):
        want, got = getattr(expected, field), getattr(actual, field)
        assert set(got) == set(want), f"{executor}: {field} computed for other cases"
        wrong = {k: (want[k], got[k]) for k in want if want[k] != got[k]}
        assert not wrong, f"{executor}: {field} differ from the oracle (oracle, executor): {wrong}"
    assert actual.decisions == expected.decisions, f"{executor}: decisions differ from the oracle"




def check_every_executor(policy_set: policydsl.PolicySet, paths: list[Path], rows: dict) -> None:
    """Every executor agrees with the oracle on the policy set and the rows."""
    expected = oracle_observed(policy_set, paths, rows)
    for name, executor in sorted(EXECUTORS.items()):
        assert_same(expected, executor(policy_set, rows), name)
