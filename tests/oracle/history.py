"""Hypothesis strategies aimed at history: long runs of periods, gaps, and the walks over them.

The general generator (`generate.py`) draws four years with scattered records, where a streak is
rarely longer than one and an off-by-one in a walk changes almost nothing. Here the data of each
entity is a sequence of *segments* — several periods in a row where the condition holds, fails,
is unknown (a record without the fact) or has no record at all (a gap, which breaks a streak,
catalogue G4) — over twelve years and sixteen quarters, yearly and quarterly kinds together.
The policy reads it with `streak`, `first_time`, `count_periods`, `previous` and `change` (n from
1 to 4), also of derived values, and compares them with thresholds drawn from the same small
range as the segment lengths, so comparisons land exactly on a streak's length. Scores rise
with the position in the data, so that reading one period too far or too near gives another
number. A failing example shrinks to few segments and a short policy.
"""

from __future__ import annotations

from hypothesis import strategies as st

HEADER = """policy hist
  document "HIST-1"
  in_force_from 2000-01-01

entity unit "单位"
  yearly score: integer
  yearly flag: boolean
  quarterly qscore: integer
  quarterly qflag: boolean

parameter threshold: integer = {threshold}

outcome h0 "零" is sanction
outcome h1 "一" is sanction
outcome h2 "二" is sanction
outcome h3 "三" is measure
outcome hv "值" is computed with value: decimal
ladder escalation: h0 < h1 < h2
"""

YEARS = [str(year) for year in range(2008, 2020)]
QUARTERS = [f"{year}-Q{q}" for year in range(2016, 2020) for q in (1, 2, 3, 4)]
# what a period of a segment is: the condition holds, fails, is unknown, or there is no record
STATES = ("holds", "fails", "unknown", "gap")


class Context:
    """The facts and conditions of one period kind."""

    def __init__(self, quarterly: bool):
        self.score, self.flag = ("qscore", "qflag") if quarterly else ("score", "flag")
        self.conditions = [f"{self.score} >= 5", self.flag, f"{self.score} >= 5 and {self.flag}",
                           f"not {self.flag}", f"{self.score} > threshold", f"{self.score} >= 5 or {self.flag}"]


def _counts():
    return st.integers(1, 4).map(lambda n: "" if n == 1 else f", {n}")


def numbers(context: Context, derived: list[str]) -> st.SearchStrategy[str]:
    """A whole-number history expression of the context."""
    condition = st.sampled_from(context.conditions + [f"previous({context.flag})"])
    operand = st.sampled_from([context.score] + derived)
    return st.one_of(
        condition.map(lambda c: f"streak({c})"),
        st.tuples(operand, _counts()).map(lambda t: f"previous({t[0]}{t[1]})"),
        st.tuples(operand, _counts()).map(lambda t: f"change({t[0]}{t[1]})"),
        st.tuples(condition, st.integers(1, 6)).map(lambda t: f"count_periods({t[0]}, {t[1]})"),
        st.tuples(condition, st.integers(1, 4)).map(lambda t: f"streak(streak({t[0]}) >= {t[1]})"),
    )


def conditions(context: Context, derived: list[str]) -> st.SearchStrategy[str]:
    """A condition over history: thresholds on the lengths the data's segments have."""
    comparison = st.sampled_from([">=", "=", ">", "<"])
    return st.one_of(
        st.tuples(numbers(context, derived), comparison, st.integers(0, 6)).map(lambda t: f"{t[0]} {t[1]} {t[2]}"),
        st.sampled_from(context.conditions).map(lambda c: f"first_time({c})"),
        st.sampled_from(context.conditions).map(lambda c: f"previous(first_time({c}))"),
        st.tuples(st.sampled_from(context.conditions), st.integers(1, 5)).map(
            lambda t: f"streak({t[0]}) >= threshold + {t[1] - 1}"),
    )


def _rule(name: str, condition: str, then: str) -> str:
    return f'rule {name}\n  implements hist.{name}\n  cite "{name}"\n  for unit\n  when {condition}\n  then {then}\n'


@st.composite
def history_policies(draw) -> dict[str, str]:
    """A policy whose values and rules walk the history of yearly and quarterly facts."""
    parts = [HEADER.format(threshold=draw(st.integers(1, 5)))]
    for quarterly in (False, True):
        context, prefix = Context(quarterly), "q" if quarterly else "y"
        derived: list[str] = []
        for i in range(draw(st.integers(1, 3))):
            name = f"{prefix}{i}"
            if draw(st.integers(0, 3)) == 0:
                parts.append(f"value {name} for unit = {draw(conditions(context, derived))}\n")
            else:
                parts.append(f"value {name} for unit = {draw(numbers(context, derived))}\n")
                derived.append(name)
        for i in range(draw(st.integers(0 if quarterly else 1, 2))):
            outcomes = draw(st.lists(st.sampled_from(["h0", "h1", "h2", "h3", "hv"]), min_size=1, max_size=2,
                                     unique=True))
            then = ", ".join(f"hv = {draw(numbers(context, derived))}" if o == "hv" else o for o in outcomes)
            parts.append(_rule(f"{prefix}r{i}", draw(conditions(context, derived)), then))
    return {"hist.pol": "\n".join(parts)}


def _segments(length: int):
    """States for `length` periods in a row, the most recent last: runs of zero to six periods
    that hold, each followed by a break of one or two periods (fails, unknown, or a gap), so that
    every kind of break sits between runs; periods before the first run have no record."""
    block = st.tuples(st.integers(0, 6), st.sampled_from(["gap", "fails", "unknown"]), st.integers(1, 2))
    tail = st.integers(0, 6)  # the run that holds up to the latest period

    def flatten(drawn) -> list[str]:
        blocks, last = drawn
        states = [state for holds, broken, n in blocks for state in ["holds"] * holds + [broken] * n]
        states += ["holds"] * last
        return (["gap"] * length + states)[-length:]
    return st.tuples(st.lists(block, min_size=1, max_size=5), tail).map(flatten)


def _row(entity: str, period: str, state: str, position: int, quarterly: bool, flag: bool) -> dict | None:
    """The record of one period in a given state; scores grow with the position (5 and up hold)."""
    if state == "gap":
        return None
    score, flag_name = ("qscore", "qflag") if quarterly else ("score", "flag")
    row: dict = {"id": entity, "period": period}
    if state == "unknown":
        row[flag_name] = flag  # the score is missing: `score >= 5` is unknown in this record
        return row
    holds = state == "holds"
    row[score] = 5 + position % 5 if holds else position % 5
    row[flag_name] = holds or flag
    return row


@st.composite
def history_datasets(draw) -> dict[str, list[dict]]:
    """One to three units, each a sequence of segments over the years and the quarters."""
    rows = []
    for unit in range(draw(st.integers(1, 3))):
        entity = f"u{unit}"
        for periods, quarterly in ((YEARS, False), (QUARTERS, True)):
            states = draw(_segments(len(periods)))
            flags = draw(st.lists(st.booleans(), min_size=len(states), max_size=len(states)))
            for position, (period, state) in enumerate(zip(periods, states)):
                row = _row(entity, period, state, position, quarterly, flags[position])
                if row is not None:
                    rows.append(row)
        if not any(r["id"] == entity for r in rows):
            rows.append({"id": entity, "period": YEARS[-1]})  # every unit has at least one record
    return {"unit": rows}
