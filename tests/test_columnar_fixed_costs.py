"""The columnar executor's fixed costs (what it pays per rule, per expression and per query, not per
row) are cut without changing a decision: rules whose policy applies at no evaluated period are
not lowered, a built-in date is one column of its frame, and the columns between two joins run in
as few Polars stages as their dependencies allow (each of those tests also compares with the row
executor); records are made columns by position, each number an Int64 numerator exactly."""

from __future__ import annotations

import math
from fractions import Fraction

import polars as pl
from differential import write
from hypothesis import given
from hypothesis import strategies as st

import policydsl

from policydsl.engine.columnar.across import Frames
from policydsl.engine.columnar.columns import MAX_SCALE, scaled, tables_from_dataset
from policydsl.engine.columnar.lowering import _layers, apply_steps
from policydsl.engine.data import dataset_from_mapping
from policydsl.schema import ABSENT, Row, columns_of

SCHEMA = """
entity zone
  group by city
  static city: text
  yearly score: integer
outcome early_high "早高" is measure
outcome late_high "晚高" is measure
"""

TWO_DOCUMENTS = {
    "early.pol": """policy early
  issued 2014-01-01
  in_force_from 2014-01-01
  in_force_until 2015-12-31
""" + SCHEMA + 'rule early_high implements early.1 cite "1" for zone when score >= 2 then early_high\n',
    "late.pol": """policy late
  issued 2017-01-01
  in_force_from 2017-01-01
""" + SCHEMA + ('rule late_high implements late.1 cite "1" for zone '
                "when score >= 2 and period_end >= 2018-12-31 then late_high\n")}


def _load(tmp_path, files: dict[str, str]) -> policydsl.PolicySet:
    return policydsl.load(*write(tmp_path, files))


ROWS = {"zone": [{"id": zone, "period": str(year), "city": "C", "score": score}
                 for zone, scores in (("a", (1, 2, 3, 4, 5)), ("b", (3, 1, 2, 2, 1)))
                 for year, score in zip(range(2014, 2019), scores)]}


def _lowered_rules(result) -> set[str]:
    plan = result.evaluation.plan
    return {plan.rules[index].rule.name.split("::")[-1] for index, *_ in result.evaluation.conditions}


def test_rules_whose_policy_applies_at_no_evaluated_period_are_not_lowered(tmp_path):
    policy_set = _load(tmp_path, TWO_DOCUMENTS)
    for options, lowered in (({}, {"early_high", "late_high"}), ({"period": "2015"}, {"early_high"}),
                             ({"period": "2018"}, {"late_high"}), ({"as_of": "2016-06-30"}, {"early_high"})):
        row = policy_set.evaluate(ROWS, **options)
        columnar = policy_set.evaluate(ROWS, executor="columnar", **options)
        assert _lowered_rules(columnar) == lowered, options
        assert columnar.decisions == row.decisions, options
        assert ({(r.rule, r.entity, str(r.period), r.condition) for r in columnar.evaluation.results}
                == {(r.rule, r.entity, str(r.period), r.condition) for r in row.evaluation.results}), options
    decided = {(d.entity, str(d.period), d.outcome) for d in policy_set.evaluate(ROWS, executor="columnar").decisions}
    assert decided == {("a", "2015", "early_high"), ("b", "2014", "early_high"), ("a", "2018", "late_high")}


def test_a_built_in_date_read_by_several_rules_is_one_column_of_the_frame(tmp_path):
    files = {**TWO_DOCUMENTS, "late.pol": TWO_DOCUMENTS["late.pol"] + (
        'rule late_low implements late.2 cite "2" for zone when score < 2 and period_end >= 2018-12-31 '
        "then late_high\n")}
    policy_set = _load(tmp_path, files)
    plan = policy_set.plan
    dataset = dataset_from_mapping(ROWS, plan.program.entities)
    frames = Frames(plan, tables_from_dataset(dataset, plan.program.entities), {"year": list(range(2014, 2019))},
                    0, None)
    _grid, lowering = frames.get("zone", "year")
    for compiled in plan.rules:
        lowering.boolean(compiled.rule.condition)
    names = [step.meta.output_name() for step in lowering.steps]
    assert names.count("b:period_end") == 1
    row = policy_set.evaluate(ROWS).decisions
    assert policy_set.evaluate(ROWS, executor="columnar").decisions == row
    assert {(d.entity, str(d.period), d.outcome) for d in row if d.period.year == 2018} == {
        ("a", "2018", "late_high"), ("b", "2018", "late_high")}


def test_columns_run_in_layers_each_after_the_columns_it_reads():
    steps = [(pl.col("x") + 1).alias("a"), (pl.col("x") * 2).alias("b"), (pl.col("a") + pl.col("b")).alias("c"),
             (pl.col("x") - 1).alias("d"), (pl.col("c") * 10).alias("e"), (pl.col("a") * 0).alias("a"),
             (pl.col("a") + 5).alias("f")]
    layers = [[step.meta.output_name() for step in layer] for layer in _layers(steps)]
    # `a` replaced after `c` read it; `f` reads the new `a`
    assert layers == [["a", "b", "d"], ["c", "a"], ["e", "f"]]
    # a column replaced after a later layer read the old one: the replacement goes no earlier
    late = [(pl.col("x") + 1).alias("a"), (pl.col("a") * 2).alias("b"), (pl.col("a") + pl.col("b")).alias("c"),
            (pl.col("x") * 0).alias("a")]
    assert [[step.meta.output_name() for step in layer] for layer in _layers(late)] == [["a"], ["b"], ["c", "a"]]
    frame = pl.DataFrame({"x": [1, 2, 3]})
    for written in (steps, late):
        in_order = frame
        for step in written:
            in_order = in_order.with_columns(step)
        layered = apply_steps(frame.lazy(), written).collect()
        assert layered.select(in_order.columns).equals(in_order)  # the same columns, maybe in another order



READS = """
policy reads
  issued 2010-01-01
entity city
  yearly budget: integer
  yearly staff: integer
entity zone
  group by city
  static city: ref city
  static home: ref city
  yearly score: integer
outcome rich "富" is measure
outcome strong "强" is measure
outcome crowded "多" is measure
value per_head "人均" for city: decimal = budget / staff
rule rich implements reads.1 cite "1" for zone when city.budget > 10 and home.staff > 1 then rich
rule strong implements reads.2 cite "2" for zone when score * 2 >= city.per_head and city.staff >= 1 then strong
"""

BOTH_WAYS = """
value zone_total "区得分合计" for city: integer = sum(score over zone via city)
value share_high "高" for zone: boolean = score * 2 >= city.zone_total
value busy "忙" for city: integer = count(zone via city where share_high)
rule crowded implements reads.3 cite "3" for city when busy >= 1 and zone_total - budget < 0 then crowded
"""

READ_ROWS = {"city": [{"id": "C", "period": str(year), "budget": budget, "staff": 2}
                      for year, budget in ((2019, 12), (2020, 5))] + [{"id": "D", "period": "2020", "budget": 1}],
             "zone": [{"id": zone, "period": str(year), "city": city, "home": "C", "score": score}
                      for zone, city, scores in (("a", "C", (1, 4)), ("b", "C", (3, 2)), ("c", "D", (None, 7)))
                      for year, score in zip((2019, 2020), scores) if score is not None]}


def test_other_kinds_columns_are_computed_once_per_frame_read_when_the_queries_run(tmp_path, monkeypatch):
    """Reads of another kind (`city.x` over two references) are lowered without running a query;
    the frame read is computed once, when the query that reads it runs, with every column lowered
    by then (not once per reference: 4 queries before). Where two kinds read each other (a member
    aggregate over zones that read their city), a frame is computed in parts, each part once (7
    queries before, some computing the same columns again)."""
    from policydsl.engine.columnar import across
    real = across.collect
    for files, most in (({"reads.pol": READS}, 1), ({"reads.pol": READS + BOTH_WAYS}, 5)):
        policy_set = _load(tmp_path, files)
        computed = []
        monkeypatch.setattr(across, "collect", lambda frame, rows: computed.append(real(frame, rows)) or computed[-1])
        columnar = policy_set.evaluate(READ_ROWS, executor="columnar")
        monkeypatch.setattr(across, "collect", real)
        assert len(computed) <= most
        row = policy_set.evaluate(READ_ROWS)
        assert columnar.decisions == row.decisions
        decided = {(d.entity, str(d.period), d.outcome) for d in row.decisions}
        assert {d for d in decided if d[2] != "crowded"} == {
            ("a", "2019", "rich"), ("b", "2019", "rich"), ("b", "2019", "strong"), ("a", "2020", "strong"),
            ("b", "2020", "strong")}
    assert {d for d in decided if d[2] == "crowded"} == {("C", "2019", "crowded")}


def test_a_member_sum_that_could_overflow_falls_back_in_every_rule_that_reads_it(tmp_path):
    """A member aggregate whose total could pass Int64 on this data sends each rule reading it to the
    row executor, and leaves no group-by behind: the second rule lowering it used to add its columns
    to the first one's group-by again (a Polars DuplicateError, a traceback)."""
    policy_set = _load(tmp_path, {"big.pol": READS + """
value zone_total "区得分合计" for city: integer = sum(score over zone via city)
rule crowded implements reads.3 cite "3" for city when zone_total > 0 then crowded
rule rich_city implements reads.4 cite "4" for city when zone_total > 1 then rich
"""})
    huge = {"city": [{"id": "C", "period": "2020", "budget": 1, "staff": 1}],
            "zone": [{"id": zone, "period": "2020", "city": "C", "home": "C", "score": 2 ** 61} for zone in "abc"]}
    columnar = policy_set.evaluate(huge, executor="columnar")
    assert columnar.decisions == policy_set.evaluate(huge).decisions
    assert {(d.entity, d.outcome) for d in columnar.decisions if d.entity == "C"} == {("C", "crowded"), ("C", "rich")}
    fallbacks = {name.split("::")[-1]: reason for name, reason in columnar.evaluation.fallbacks.items()}
    assert "64-bit" in fallbacks["crowded"] and "64-bit" in fallbacks["rich_city"]


def test_what_is_known_of_the_rules_whatever_the_data_is_found_once_per_policy_set(tmp_path, monkeypatch):
    """Whether a rule runs columnar and how far back it reads depend on the program alone: a
    `PolicySet` evaluated again does not find them again, and a run over one period asks only
    about the rules that apply there."""
    from policydsl.engine.columnar import support
    asked = []
    real = support._reason
    monkeypatch.setattr(support, "_reason", lambda plan, rule, seen: asked.append(rule.name) or real(plan, rule, seen))
    policy_set = _load(tmp_path, TWO_DOCUMENTS)
    first = policy_set.evaluate(ROWS, executor="columnar", period="2015")
    assert asked == ["early::early_high"]
    again = policy_set.evaluate(ROWS, executor="columnar", period="2015")
    assert asked == ["early::early_high"]
    everything = policy_set.evaluate(ROWS, executor="columnar")
    assert sorted(asked) == ["early::early_high", "late::late_high"]
    assert first.decisions == again.decisions == policy_set.evaluate(ROWS, period="2015").decisions
    assert everything.decisions == policy_set.evaluate(ROWS).decisions


ZONE_WITH_GRANTS = """entity zone
  group by city
  static city: text
  yearly score: integer
  yearly grant: money
"""
FUND = ('value fund "基金" for zone: money = if period_end = 2018-12-31 then 1万元 '
        'else previous(fund) + value_or(grant, 0万元)\n')

HANDED = "\npolicy handed\n  issued 2010-01-01\n" + ZONE_WITH_GRANTS + """outcome saved "累计" is computed with value: money
value high "高分" for zone = score >= 3
""" + FUND + 'rule saved implements handed.1 cite "1" for zone when high then saved = fund\n'


def test_what_is_known_of_the_values_handed_over_is_found_once_per_policy_set(tmp_path, monkeypatch):
    """The values a rule left to the row executor reads are handed over from the frames; whether
    each can be (its columnar form, how far back it reads) depends on the program alone: a
    `PolicySet` evaluated again does not find it again."""
    from policydsl.engine.columnar import handover, support
    policy_set = _load(tmp_path, {"handed.pol": HANDED})
    first = policy_set.evaluate(SPLIT_ROWS, executor="columnar")
    assert first.evaluation.fallbacks == {"handed::saved": "`fund` reads its own earlier periods (a running total)"}
    asked = []
    for module in (support, handover):
        for name in ("unsupported", "lookback", "reach"):
            real = getattr(support, name)
            monkeypatch.setattr(module, name, lambda *args, _real=real, _name=name, **kwargs:
                                asked.append(_name) or _real(*args, **kwargs), raising=False)
    again = policy_set.evaluate(SPLIT_ROWS, executor="columnar")
    assert asked == []
    assert again.decisions == first.decisions == policy_set.evaluate(SPLIT_ROWS).decisions
    assert {d.entity for d in first.decisions} == {"a", "b"}


SPLIT = ("\npolicy split\n  issued 2010-01-01\n" + ZONE_WITH_GRANTS + """outcome funded "资助" is measure with fields (
  amount "金额": money,
  scores "得分": list of integer)
outcome praised "表扬" is measure
outcome warned "提醒" is measure
outcome saved "累计" is computed with value: money
""" + FUND + """ladder care "关注":
  warned
  < funded
rule funded implements split.1 cite "1" for zone when score >= 2 then funded with (amount = grant, scores = [score, 1])
rule praised implements split.2 cite "2" for zone when score >= 3 then praised
rule warned implements split.3 cite "3" for zone when score >= 1 then warned
rule saved implements split.4 cite "4" for zone when score >= 3 then saved = fund
""")

SPLIT_ROWS = {"zone": [{"id": zone, "period": str(year), "city": "C", **row}
                       for zone, rows in (("a", ({"score": 1, "grant": "5"}, {"score": 2, "grant": "6"},
                                                 {"score": 3})),
                                          ("b", ({"grant": "1"}, {"score": 4, "grant": "2.5"}, {"score": 0})))
                       for year, row in zip((2018, 2019, 2020), rows)]}


def test_a_rule_whose_payload_is_not_columnar_has_its_condition_decided_columnar(tmp_path, monkeypatch):
    """A rule with payload fields (a list among them) falls back for its payload only: its
    condition is a column, and the row executor's closures compute the payload where it fires
    and nowhere else — true, false and unknown conditions, a payload that needs a missing fact
    (unknown: no decision, G8), a ladder it takes part in, a selected period, as of a date."""
    from policydsl.engine.columnar import across, execute
    policy_set = _load(tmp_path, {"split.pol": SPLIT})
    depths = []
    framed = across.Frames.__init__
    monkeypatch.setattr(across.Frames, "__init__", lambda self, plan, tables, periods, depth, *rest, **named:
                        depths.append(depth) or framed(self, plan, tables, periods, depth, *rest, **named))
    fired = []
    real = execute.fire
    monkeypatch.setattr(execute, "fire", lambda compiled, run, entity, at, outcomes:
                        fired.append((entity, str(at))) or real(compiled, run, entity, at, outcomes))
    where = [("a", "2019"), ("b", "2019"), ("a", "2020")]  # score >= 2
    for options, fires, saves in (({}, where, [("a", "2020"), ("b", "2019")]),
                                  ({"period": "2019"}, where[:2], [("b", "2019")]),
                                  ({"as_of": "2019-12-31"}, where[:2], [("b", "2019")])):
        fired.clear()
        row = policy_set.evaluate(SPLIT_ROWS, **options)
        columnar = policy_set.evaluate(SPLIT_ROWS, executor="columnar", **options)
        assert columnar.decisions == row.decisions, options
        assert ({(r.rule, r.entity, str(r.period), str(r.condition)) for r in columnar.evaluation.results}
                == {(r.rule, r.entity, str(r.period), str(r.condition)) for r in row.evaluation.results}), options
        assert sorted(fired) == sorted(fires + saves), options  # the payload where it fires, nowhere else
        assert "split::funded" in columnar.evaluation.fallbacks and "split::saved" in columnar.evaluation.fallbacks
        # the running total `saved` pays is read on the row executor: the grid holds no history for it
        assert depths[-1] == 0
    decided = {(d.entity, str(d.period), d.outcome, d.status) for d in policy_set.evaluate(SPLIT_ROWS).decisions}
    assert {d for d in decided if d[2] == "funded"} == {("a", "2019", "funded", "active"),
                                                         ("b", "2019", "funded", "active")}  # a 2020: no grant
    assert ("b", "2019", "warned", "superseded") in decided
    saved = {(d.entity, str(d.period)): d.value for d in policy_set.evaluate(SPLIT_ROWS).decisions if d.outcome == "saved"}
    assert saved == {("b", "2019"): Fraction(7, 2), ("a", "2020"): 7}  # 万元


NAMES = ("a", "b", "c")


@given(st.lists(st.dictionaries(st.sampled_from(NAMES), st.one_of(st.integers(), st.text(max_size=3))),
                max_size=6), st.sampled_from(["rows", "dicts", "mixed", "own positions"]))
def test_rows_made_columns_read_each_rows_value_of_each_name(given_rows, made):
    shared = {name: index for index, name in enumerate(NAMES)}
    rows = []
    for number, values in enumerate(given_rows):
        positions = dict(shared) if made == "own positions" else shared
        row = Row(positions, tuple(values.get(name, ABSENT) for name in NAMES) + ("source", number))
        rows.append(dict(values) if made == "dicts" or (made == "mixed" and number % 2) else row)
    asked = (*NAMES, "missing")
    assert columns_of(rows, asked) == {name: [row.get(name) for row in rows] for name in asked}


@given(st.lists(st.one_of(st.none(), st.integers(-2 ** 64, 2 ** 64), st.fractions(max_denominator=10 ** 7)),
                max_size=8))
def test_exact_numbers_become_int64_numerators_over_their_least_common_denominator(values):
    den = math.lcm(*(v.denominator for v in values if v is not None))
    fits = den <= MAX_SCALE and all(v is None or abs(v * den) <= 2 ** 62 for v in values)
    found = scaled(values)
    if not fits:
        assert found is None  # the column stays on the row executor
        return
    nums, scale = found
    assert scale == den and nums.dtype == pl.Int64
    assert [None if n is None else Fraction(n, den) for n in nums.to_list()] == values


def test_an_expression_of_hundreds_of_operations_runs_on_the_row_executor_saying_why(policy_from_text):
    """A 300-term sum: Polars plans an expression that large in time and memory growing with the
    square of its size (4,000 terms: 17 s, 2.6 GB), so the rule falls back, and says so."""
    from policydsl.engine.columnar.support import MAX_NODES, columnar_support

    terms = " + ".join(["a"] * 300)
    policy_set = policy_from_text(f"""
        policy big
          in_force_from 2015-01-01
        entity firm "企业"
          yearly a: integer
        outcome total "合计" is computed with value: integer
        rule sum_of_terms
          implements big.r
          cite "r"
          for firm
          then total = {terms}
        """)
    reason = columnar_support(policy_set.plan)["big::sum_of_terms"]
    assert reason is not None and f"more than {MAX_NODES} operations" in reason
    rows = {"firm": [{"id": "F1", "period": "2018", "a": 2}]}
    found = policy_set.evaluate(rows, executor="columnar").decisions
    assert found == policy_set.evaluate(rows).decisions and found[0].value == 600
