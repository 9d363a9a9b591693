"""Hypothesis strategies for generated policies and data that cover the language.

Policies are built from typed expression strategies (numbers, money, percent, dates, booleans,
enumerations; percent arithmetic with percents, numbers and money; dates moved by durations and
by sums of durations; the evaluation date), in a yearly or a quarterly context, over a fixed
schema with a referenced kind, parameters, a table, a ladder, a highest-only group, a computed
outcome, an outcome with payload fields, a scope, a target, a deadline, a running total and a
second policy. Literals and data come from the same small sets, so comparisons land on their
thresholds after multiplication and division, and ranks tie. Each draw is a small text choice,
so hypothesis shrinks a failure to a short readable policy. Aggregates across entity kinds
(`count(KIND via … where …)`, `sum(x over KIND)`, …) have their own generator, checked against
the same oracle: `tests/test_member_properties.py`.
"""

from __future__ import annotations

from hypothesis import strategies as st

HEADER = """policy gen
  document "GEN-1"
  in_force_from {starts}
  in_force_until {ends}
  supersedes "OLD-1"
  status_rule "gen.0"
  status_cite "通知"

type grade = A | B | C

entity area "区域"
  yearly budget: money
  yearly area_score: integer

entity unit "单位"
  group by region
  static region: ref area
  static sector: text
  static founded: date
  yearly score: integer
  yearly grade: grade
  yearly flag: boolean
  yearly revenue: money
  yearly share: percent
  yearly ratio: decimal
  yearly reported_on: date
  quarterly qscore: integer
  quarterly qflag: boolean

parameter threshold: integer = {threshold}
parameter bonus: money = {bonus}万元
parameter double_threshold: integer = threshold * 2
table points: integer -> money
  1 -> 300万元
  2 -> 200万元
  3 -> 100万元

outcome o0 "零" is sanction
outcome o1 "一" is sanction
outcome o2 "二" is sanction
outcome a0 "甲" is reward with amount
outcome a1 "乙" is reward with amount
outcome c0 "值" is computed with value: decimal
outcome f0 "字段" is eligibility with fields (floor: money, count: decimal, optional flag: boolean)
ladder escalation: o0 < o1 < o2
highest only prizes: a0, a1
"""

SECOND = """policy gen2
  in_force_from {starts}

parameter threshold: integer = {threshold}

rule s0
  implements gen2.0
  cite "二"
  for unit
  when score >= threshold
  then a1 amount {amount}
"""

SMALL = ["0", "1", "2", "3", "0.5", "1.5"]


def _join(parts, template):
    return st.tuples(*parts).map(lambda t: template.format(*t))


class Expressions:
    """Typed expression strategies for one period context ("year" or "quarter")."""

    def __init__(self, context: str, values: dict[str, str]):
        self.quarterly = context == "quarter"
        self.values = values  # derived value name -> its type: num, money, bool

    def leaves(self, kind: str) -> list[str]:
        return [name for name, t in self.values.items() if t == kind]

    def num(self, depth: int) -> st.SearchStrategy[str]:
        facts = ["qscore"] if self.quarterly else ["score", "ratio", "threshold", "double_threshold",
                                                     "region.area_score"]
        leaves = st.sampled_from(facts + SMALL + self.leaves("num"))
        if depth <= 0:
            return leaves
        n, b = self.num(depth - 1), self.bool(depth - 1)
        options = [
            leaves,
            _join([n, st.sampled_from(["+", "-", "*", "/"]), n], "({} {} {})"),
            n.map(lambda x: f"-{x}"),
            st.tuples(st.sampled_from(["abs", "round"]), n).map(lambda t: f"{t[0]}({t[1]})"),
            n.map(lambda x: f"round({x}, 1)"),
            _join([st.sampled_from(["min", "max", "value_or"]), n, n], "{}({}, {})"),
            _join([st.sampled_from(["previous", "change"]), n, st.sampled_from(["", ", 2"])], "{}({}{})"),
            b.map(lambda c: f"streak({c})"),
            _join([b, st.integers(1, 3)], "count_periods({}, {})"),
            _join([n, st.sampled_from(["", ", ascending", ", descending", ", where: flag", ", within: sector",
                                       ", within: all", ", where: not flag, within: all"])], "rank({}{})"),
            _join([st.sampled_from(["group_sum", "group_mean", "group_min", "group_max"]), n,
                   st.sampled_from(["", ", within: sector", ", where: score > 2", ", within: all"])], "{}({}{})"),
            _join([b, st.sampled_from(["", ", within: all", ", where: score >= 99"])], "group_count({}{})"),
            _join([b, n, n], "(if {} then {} else {})"),
            _join([self.pct(depth - 1), self.pct(depth - 1)], "({} / {})"),  # a ratio of percents
            _join([n, self.pct(depth - 1)], "({} * {})"),  # a percent scales a number
        ]
        return st.one_of(*options).map(self.in_context)

    def pct(self, depth: int) -> st.SearchStrategy[str]:
        """Percent expressions: a percent with a percent (+ - * /), scaled by a number, divided
        by a number, negated, rounded as shown, and their history."""
        facts = ["12.5%", "50%", "0%"] if self.quarterly else ["share", "12.5%", "50%", "0%", "previous(share)"]
        leaves = st.sampled_from(facts)
        if depth <= 0:
            return leaves
        p, n = self.pct(depth - 1), self.num(depth - 1)
        options = [
            leaves,
            _join([p, st.sampled_from(["+", "-", "*"]), p], "({} {} {})"),
            _join([p, n], "({} / {})"),
            p.map(lambda x: f"-{x}"),
            p.map(lambda x: f"round({x}, 1)"),
            _join([st.sampled_from(["min", "max"]), p, p], "{}({}, {})"),
        ]
        if not self.quarterly:
            options.append(st.sampled_from(["change(share)", "group_max(share)", "value_or(share, 5%)"]))
        return st.one_of(*options)

    def money(self, depth: int) -> st.SearchStrategy[str]:
        facts = ["1万元", "10万元", "1.5万元"] if self.quarterly else ["revenue", "bonus", "region.budget", "10万元",
                                                                   "1.5万元", "0万元"]
        leaves = st.sampled_from(facts + self.leaves("money"))
        if depth <= 0:
            return leaves
        m, n = self.money(depth - 1), self.num(depth - 1)
        options = [
            leaves,
            _join([m, st.sampled_from(["+", "-"]), m], "({} {} {})"),
            _join([m, st.sampled_from(["*", "/"]), n], "({} {} {})"),
            _join([m, st.sampled_from(["*", "/"]), self.pct(depth - 1)], "({} {} {})"),  # a share of money
            _join([st.sampled_from(["1", "2", "3", "4"]), n], "value_or(points[{}], 0万元)"),
            n.map(lambda x: f"points[{x}]"),
            _join([st.sampled_from(["group_sum", "group_max"]), m], "{}({})"),
            m.map(lambda x: f"previous({x})"),
        ]
        return st.one_of(*options).map(self.in_context)

    def date(self, depth: int) -> st.SearchStrategy[str]:
        base = ["period_end", "period_start", "evaluation_date", "2016-02-29", "2017-03-31"] + (
            [] if self.quarterly else ["reported_on", "founded"])
        leaves = st.sampled_from(base)
        if depth <= 0:
            return leaves
        return st.one_of(leaves, _join([leaves, st.sampled_from(["+", "-"]),
                                        st.sampled_from(["1 year", "3 months", "1 month", "30 days", "12 months",
                                                         "(1 month + 30 days)", "(1 year - 1 day)"])],
                                       "{} {} {}"))

    def bool(self, depth: int) -> st.SearchStrategy[str]:
        facts = ["qflag", "qscore >= 3"] if self.quarterly else [
            "flag", "grade = A", "grade in {B, C}", "grade not in {A}", "score >= threshold", "is_missing(score)",
            "sector = \"S1\"", "share >= 12.5%", "share < previous(share)"]
        leaves = st.sampled_from(facts + self.leaves("bool"))
        if depth <= 0:
            return leaves
        b, n, m, d = self.bool(depth - 1), self.num(depth - 1), self.money(depth - 1), self.date(depth - 1)
        cmp = st.sampled_from(["<", "<=", "=", "!=", ">", ">="])
        options = [
            leaves,
            _join([n, cmp, n], "{} {} {}"),
            _join([m, cmp, m], "{} {} {}"),
            _join([d, cmp, d], "{} {} {}"),
            b.map(lambda x: f"not ({x})"),
            _join([b, st.sampled_from(["and", "or"]), b], "({}) {} ({})"),
            _join([st.sampled_from(["top", "bottom"]), n, st.integers(1, 3),
                   st.sampled_from(["", ", ascending", ", within: all", ", where: flag"])], "{}({}, {}{})"),
            b.map(lambda x: f"first_time({x})"),
            b.map(lambda x: f"previous({x})"),
            n.map(lambda x: f"is_missing({x})"),
            _join([n, n, n], "{} in {{{}, {}}}"),
            _join([n, n], "{} not in {{{}, 2}}"),
            _join([self.pct(depth - 1), cmp, self.pct(depth - 1)], "{} {} {}"),
        ]
        if not self.quarterly:
            options.append(_join([m, cmp], "revenue * 2 {1} {0}"))
        return st.one_of(*options).map(self.in_context)

    def in_context(self, text: str) -> str:
        """A quarterly context filters groups by its quarterly facts."""
        if not self.quarterly:
            return text
        return text.replace("where: not flag", "where: not qflag").replace("where: flag", "where: qflag").replace(
            "where: score", "where: qscore")

    def of(self, kind: str, depth: int) -> st.SearchStrategy[str]:
        return {"num": self.num, "money": self.money, "bool": self.bool}[kind](depth)


# Aggregates over the units whose `region` is the area (G8: units with an unknown operand or
# filter are left out; the empty set gives 0, 0, unknown, unknown, unknown, false, true).
UNIT_FILTERS = ["", " where flag", " where score >= threshold", " where grade in {A, B}", " where not flag"]


@st.composite
def area_condition(draw) -> str:
    """A condition for an area over its units: a count, a sum, a mean, a min or max compared with
    a small number or money, any/all of a unit condition, or the area's own fact with one."""
    where = draw(st.sampled_from(UNIT_FILTERS))
    number = draw(st.sampled_from([f"count(unit{where})", f"sum(score over unit{where})",
                                   f"mean(ratio over unit{where})", f"min(score over unit{where})",
                                   f"max(score over unit{where})"]))
    money = draw(st.sampled_from([f"sum(revenue over unit{where})", f"max(revenue over unit{where})"]))
    cmp = draw(st.sampled_from(["<", "<=", "=", "!=", ">", ">="]))
    condition = draw(st.sampled_from([
        f"{number} {cmp} {draw(st.sampled_from(SMALL))}",
        f"{money} {cmp} {draw(st.sampled_from(['3万元', '10万元', '0万元']))}",
        f"{draw(st.sampled_from(['any', 'all']))}({draw(st.sampled_from(['flag', 'score >= 3', 'share >= 12.5%']))}"
        f" over unit{where})",
        f"{number} >= area_score",
    ]))
    return f"({condition}) {draw(st.sampled_from(['and', 'or']))} budget >= 10万元" if draw(st.booleans()) \
        else condition


def _rule(name: str, condition: str, then: str, kind: str = "unit") -> str:
    return f'rule {name}\n  implements gen.{name}\n  cite "{name}"\n  for {kind}\n  when {condition}\n  then {then}\n'


@st.composite
def policies(draw) -> dict[str, str]:
    """A generated policy set: file name -> text."""
    starts = draw(st.sampled_from(["2014-01-01", "2016-06-30", "2017-01-01"]))
    ends = draw(st.sampled_from(["2030-12-31", "2017-12-31", "2018-09-30"]))
    lines = [HEADER.format(starts=starts, ends=ends, threshold=draw(st.sampled_from(["2", "3"])),
                           bonus=draw(st.sampled_from(["3", "10"])))]
    if draw(st.booleans()):
        lines.append('scope unit: sector = "S1"\n')
    values: dict[str, str] = {}
    for i in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["num", "money", "bool"]))
        lines.append(f"value v{i} for unit = {draw(Expressions('year', values).of(kind, 2))}\n")
        values[f"v{i}"] = kind
    if draw(st.booleans()):  # a running total reads its own earlier periods
        lines.append("value total for unit: money = value_or(previous(total), 0万元) + value_or(revenue, 1万元)\n")
        values["total"] = "money"
    year = Expressions("year", values)
    quarter = Expressions("quarter", {})
    for i in range(draw(st.integers(1, 4))):
        quarterly = draw(st.integers(0, 4)) == 0
        exprs = quarter if quarterly else year
        condition = draw(exprs.bool(2))
        outcomes = draw(st.lists(st.sampled_from(["o0", "o1", "o2", "a0", "a1", "c0", "f0"]), min_size=1,
                                 max_size=3, unique=True))
        parts = []
        for outcome in outcomes:
            if outcome.startswith("a"):
                parts.append(f"{outcome} amount {draw(exprs.money(1))}")
            elif outcome == "c0":
                parts.append(f"c0 = {draw(exprs.num(1))}")
            elif outcome == "f0":  # named payload fields; the optional one set or not
                flag = f", flag = {draw(exprs.bool(1))}" if draw(st.booleans()) else ""
                parts.append(f"f0 with (floor = {draw(exprs.money(1))}, count = {draw(exprs.num(1))}{flag})")
            else:
                parts.append(outcome)
        lines.append(_rule(f"r{i}", condition, ", ".join(parts)))
    if draw(st.booleans()):  # an area decided by aggregates over its units
        amount = draw(st.sampled_from(["sum(revenue over unit where flag)", "bonus", "count(unit) * 1万元"]))
        lines.append(_rule("ra", draw(area_condition()), f"a0 amount {amount}", kind="area"))
        function = draw(st.sampled_from(["sum", "mean", "min", "max"]))
        lines.append(f"value area_{function} for area = {function}(score over unit"
                     f"{draw(st.sampled_from(UNIT_FILTERS))})\n")
    if draw(st.booleans()):
        lines.append(f'target t0\n  implements gen.t0\n  cite "t0"\n  for unit\n  require {draw(year.bool(1))}\n')
    if draw(st.booleans()):
        lines.append('target t1\n  implements gen.t1\n  cite "t1"\n  for unit\n  approximately share near 12.5%\n')
    if draw(st.booleans()):
        due = draw(st.sampled_from(["2017-06-30", "2016-12-31"]))
        lines.append(f'deadline d0\n  implements gen.d0\n  cite "d0"\n  for unit\n  due {due}\n  done reported_on\n')
    files = {"gen.pol": "\n".join(lines)}
    if draw(st.booleans()):
        files["gen2.pol"] = SECOND.format(starts=draw(st.sampled_from(["2016-01-01", "2018-01-01"])),
                                          threshold=draw(st.sampled_from(["3", "5"])),
                                          amount=draw(st.sampled_from(["2万元", "300万元"])))
    return files


NUMBERS = {"score": st.integers(0, 5), "ratio": st.sampled_from(["0", "0.5", "1.5", "3"]),
           "revenue": st.sampled_from(["0", "1.5", "3", "5", "10"]), "share": st.sampled_from(["10", "12.5", "30"]),
           "qscore": st.integers(0, 4)}
DATES = st.sampled_from(["2016-02-29", "2016-12-31", "2017-06-30", "2017-07-01", "2018-03-31"])


@st.composite
def datasets(draw) -> dict[str, list[dict]]:
    areas = []
    for area in ("R1", "R2"):
        for year in (2015, 2016, 2017, 2018):
            if draw(st.integers(0, 5)) == 0:
                continue
            row = {"id": area, "period": str(year)}
            for fact, strategy in (("budget", st.sampled_from(["3", "10"])), ("area_score", st.integers(0, 3))):
                if draw(st.integers(0, 5)) > 0:
                    row[fact] = draw(strategy)
            areas.append(row)
    units = []
    for unit in range(draw(st.integers(1, 5))):
        static = {"id": f"u{unit}"}
        if draw(st.integers(0, 6)) > 0:
            static["region"] = draw(st.sampled_from(["R1", "R2", "R1", "R9"]))  # R9: no such area
        static["sector"] = draw(st.sampled_from(["S1", "S2"]))
        if draw(st.booleans()):
            static["founded"] = draw(DATES)
        for year in (2015, 2016, 2017, 2018):
            if draw(st.integers(0, 4)) == 0 and year != 2017:
                continue  # no record that year: a missing period
            row = {**static, "period": str(year)}
            for fact, strategy in (("score", NUMBERS["score"]), ("grade", st.sampled_from("ABC")),
                                   ("flag", st.booleans()), ("revenue", NUMBERS["revenue"]),
                                   ("share", NUMBERS["share"]), ("ratio", NUMBERS["ratio"]), ("reported_on", DATES)):
                if draw(st.integers(0, 4)) > 0:
                    row[fact] = draw(strategy)
            units.append(row)
        for year in (2017, 2018):
            for q in (1, 2, 3, 4):
                if draw(st.integers(0, 3)) == 0:
                    continue
                row = {**static, "period": f"{year}-Q{q}"}
                if draw(st.integers(0, 6)) > 0:
                    row["qscore"] = draw(NUMBERS["qscore"])
                if draw(st.integers(0, 6)) > 0:
                    row["qflag"] = draw(st.booleans())
                units.append(row)
    return {"area": areas, "unit": units}
