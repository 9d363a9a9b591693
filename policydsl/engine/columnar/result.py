"""Columnar stage, the result of a run: a `ColumnarEvaluation` (the compact decision table per kind,
the decisions of combined cases and row-executed rules, the rule results) and its conversions to
the row executor's objects (`Decision`, `RuleResult`, Python values), made only when asked for.

The decision table keeps, per decision, the entity code, the period index, the rule and
consequence, the outcome, the payload as numerators and denominators, and the superseding rule;
`decisions` turns it into `Decision`s, `active_table` gives the active ones as a frame without
any. Explanations re-evaluate one entity's slice with the row executor (`row_slice`), so they show
the same values as the batch decision (the property tests check that they agree).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping
from fractions import Fraction

import attrs
import polars as pl

from policydsl.engine import data as data_stage
from policydsl.engine.columnar import columns as C
from policydsl.engine.columnar import frames_in
from policydsl.engine.columnar.columns import CODE
from policydsl.engine.columnar.dates import Span
from policydsl.engine.columnar.operators import ENTITY, PERIOD, Num
from policydsl.engine.combine import Decision, decision_of, decision_order
from policydsl.engine.evaluate import Evaluation, RuleResult, evaluate
from policydsl.engine.plan import Plan
from policydsl.schema import Dataset
from policydsl.values import Percent, Period, Unknown, normalise_number

PAYLOAD_COLUMNS = {"amount_num": pl.Int64, "amount_den": pl.Int64, "value_num": pl.Int64,
                   "value_den": pl.Int64, "value_text": pl.String, "value_bool": pl.Boolean,
                   "value_date": pl.Date}
PERIOD_KIND = pl.Enum(["quarter", "year"])  # a decision's period kind: a small integer per row, read as its text
LIGHT_SCHEMA = {CODE: pl.Int32, "@pk": PERIOD_KIND, PERIOD: pl.Int32, "rule": pl.Int64, "consequence": pl.Int64,
                "outcome": pl.String, **PAYLOAD_COLUMNS, "superseded_by": pl.String}
# a decision table has the columns of LIGHT_SCHEMA, less the payload columns none of its rules sets
# (absent: null in every row, read as such by `payload_column`): a null column per row costs as much
# as a full one
ACTIVE_SCHEMA = {"entity": pl.String, "outcome": pl.String}


class ColumnarEvaluation:
    """The result of a columnar run; `decisions` and `results` are built when first asked for."""

    def __init__(self, *, plan: Plan, light: Mapping[str, pl.DataFrame], ids: Mapping[str, pl.Series],
                 materialised: list[Decision], conditions: list[tuple[int, str, Callable, pl.Series]],
                 row: Evaluation | None, fallbacks: Mapping[str, str], dataset_source, period: Period | None,
                 as_of: dt.date | None = None, fired_results: Iterable[RuleResult] = (), warnings: tuple = (),
                 periods: Iterable[Period] = (), selected_entities: frozenset[str] | None = None):
        self.plan = plan
        self.light = dict(light)  # per kind: decisions of columnar rules (LIGHT_SCHEMA), entities by code
        self.ids = dict(ids)  # per kind: the entity id of each code
        self.materialised = materialised  # decisions of combined cases and of row-executed rules
        self.conditions = conditions
        self.row = row
        self.fired_results = list(fired_results)  # where a rule decided with the row executor's payload fired
        self.fallbacks = dict(fallbacks)
        self._dataset_source = dataset_source  # what the run was given: an explanation reads all of it
        self._warnings = tuple(warnings)
        self.periods = sorted(periods)  # the periods the data has (a selection is checked against them)
        self.selected_period = period  # what the run was asked for (None: every period, every entity)
        self.selected_entities = selected_entities
        self.as_of = as_of
        self.values: dict = {}  # with keep_values: (kind, name, entity, period) -> value
        self._decisions: tuple[Decision, ...] | None = None
        self._results: tuple[RuleResult, ...] | None = None
        self._dataset: Dataset | None = None

    # ---- decisions -------------------------------------------------------------------------
    @property
    def decisions(self) -> tuple[Decision, ...]:
        if self._decisions is None:
            built = [d for kind, frame in self.light.items() for d in decisions_from_table(self.plan, frame, self.ids[kind])]
            self._decisions = tuple(sorted(built + self.materialised, key=decision_order))
        return self._decisions

    def active_table(self, kind: str) -> pl.DataFrame:
        """The active decisions of one kind as a frame (`entity`, `outcome`), built from the
        decision table without a Python object per decision."""
        parts = []
        frame = self.light.get(kind)
        if frame is not None and frame.height:
            # the two columns read, then the rows: filtering the whole table would copy every column
            active = frame.select(CODE, "outcome", "superseded_by").filter(pl.col("superseded_by").is_null())
            parts.append(pl.DataFrame([self.ids[kind].gather(active[CODE]).alias("entity"), active["outcome"]]))
        rows = [(d.entity, d.outcome) for d in self.materialised if d.entity_kind == kind and d.status == "active"]
        if rows:
            parts.append(pl.DataFrame(rows, schema=ACTIVE_SCHEMA, orient="row"))
        return pl.concat(parts) if parts else pl.DataFrame(schema=ACTIVE_SCHEMA)

    def active_outcomes(self, kind: str) -> Iterator[tuple[str, str]]:
        """(entity, outcome) of every active decision of one kind, without building decisions."""
        table = self.active_table(kind)
        yield from zip(table["entity"].to_list(), table["outcome"].to_list())

    # ---- rule results ----------------------------------------------------------------------
    @property
    def results(self) -> tuple[RuleResult, ...]:
        if self._results is None:
            found = (list(self.row.results) if self.row is not None else []) + self.fired_results
            for index, pk, frame, ids in self.conditions:
                rule = self.plan.rules[index].rule
                names = ids.to_list()
                frame = frame() if callable(frame) else frame
                for code, at, condition in frame.iter_rows():
                    found.append(RuleResult(rule=rule.name, entity_kind=rule.entity, entity=names[code],
                                            period=C.period_of(at, pk),
                                            condition=Unknown() if condition is None else condition))
            self._results = tuple(sorted(found, key=lambda r: (r.entity_kind, r.entity, r.period.year,
                                                               r.period.quarter, r.rule)))
        return self._results

    # ---- explanations ----------------------------------------------------------------------
    @property
    def dataset(self) -> Dataset:
        if self._dataset is None:
            self._dataset = dataset_of(self.plan, self._dataset_source)
        return self._dataset

    def row_slice(self, entity: str) -> Evaluation:
        """The row executor's evaluation of one entity (its history, its groups, its references)."""
        return evaluate(self.plan, self.dataset, period=self.selected_period, entities=[entity], as_of=self.as_of)

    @property
    def warnings(self) -> tuple:
        """What reading the data reported without stopping (unknown kinds and columns...)."""
        return self._warnings

    @warnings.setter
    def warnings(self, found) -> None:
        # a batch's result carries the whole data's warnings (`PolicySet.evaluate_in_batches`)
        self._warnings = tuple(found)


def with_entities(frame: pl.DataFrame, ids: pl.Series) -> pl.DataFrame:
    """Decision rows with their entity ids (ENTITY) beside the codes."""
    return frame.with_columns(ids.gather(frame[CODE]).alias(ENTITY))


def among(column: str, values: Iterable, dtype) -> pl.Expr:
    """`column` is one of `values` (as one typed list: Polars reads a bare collection ambiguously)."""
    # imploded inside the expression: an eager `Series.implode` is a query of its own
    return pl.col(column).is_in(pl.lit(pl.Series(list(values), dtype=dtype)).implode())


def payload_column(frame: pl.DataFrame, name: str) -> list:
    """A column of the decision table as Python values; a payload column the table lacks is null."""
    return frame[name].to_list() if name in frame.columns else [None] * frame.height


def decision_from_row(plan: Plan, row: Mapping) -> Decision:
    """The `Decision` of one row of the compact decision table (payload columns it lacks are null)."""
    return _decision(plan, {}, row["rule"], row["consequence"], row[ENTITY], C.period_of(row[PERIOD], row["@pk"]),
                     _number(row.get("amount_num"), row.get("amount_den")), _value(row), row.get("superseded_by"))


def decisions_from_table(plan: Plan, frame: pl.DataFrame, ids: pl.Series) -> list[Decision]:
    """The `Decision`s of a compact decision table, read column by column (a dictionary per row
    costs more than the decision)."""
    if frame.height == 0:
        return []
    names = ids.to_list()
    columns = [payload_column(frame, name) for name in (CODE, PERIOD, "@pk", "rule", "consequence", "amount_num",
                                                   "amount_den", "value_num", "value_den", "value_text",
                                                   "value_date", "value_bool", "superseded_by")]
    found, outcomes = [], {}
    for code, t, pk, rule, position, amount, amount_den, num, den, text, day, flag, superseded in zip(*columns):
        found.append(_decision(plan, outcomes, rule, position, names[code], C.period_of(t, pk),
                               _number(amount, amount_den), _value_of(num, den, text, day, flag), superseded))
    return found


def _decision(plan: Plan, outcomes: dict, rule: int, position: int, entity: str, period: Period, amount: object,
              value: object, superseded_by: str | None) -> Decision:
    if (rule, position) not in outcomes:
        compiled = plan.rules[rule]
        consequence = compiled.rule.consequences[position]
        percent = consequence.value is not None and consequence.value.type.name == "percent"
        outcomes[(rule, position)] = (compiled.rule, plan.program.outcomes[consequence.outcome], percent)
    found, outcome, percent = outcomes[(rule, position)]
    if percent and value is not None:
        value = Percent(value)  # a percent is computed as its ratio
    decision = decision_of(found, outcome, entity, period, amount, value)
    if superseded_by is not None:
        return attrs.evolve(decision, status="superseded", superseded_by=superseded_by)
    return decision


def _number(num, den) -> object:
    if num is None:
        return None
    return num if den == 1 else normalise_number(Fraction(num, den))


def _value(row: Mapping) -> object:
    return _value_of(row.get("value_num"), row.get("value_den"), row.get("value_text"), row.get("value_date"),
                     row.get("value_bool"))


def _value_of(num, den, text, day, flag) -> object:
    """A decision's value from its payload columns: the one of them that is set (a row sets one)."""
    if num is not None:
        return _number(num, den)
    if text is not None:
        return text
    if day is not None:
        return day
    return flag


def dataset_of(plan: Plan, source) -> Dataset:
    if isinstance(source, Dataset):
        return source
    return data_stage.dataset_from_mapping(frames_in.rows_of(source), plan.program.entities)

def computed_values(program, kept: list) -> dict[tuple[str, str, str, Period], object]:
    """(kind, value name, entity, period) -> value, for the derived values computed columnar."""
    found = {}
    for kind, pk, table, derived in kept:
        for name, value in derived.items():
            if isinstance(value, Span):
                continue
            percent = program.values[(kind, name)].type.name == "percent"
            column = (value.num if isinstance(value, Num) else value.expr).meta.output_name()
            dens = (table[value.den.meta.output_name()].to_list() if isinstance(value, Num) and not value.static
                    else None)
            for row, (entity, at, item) in enumerate(zip(table[ENTITY], table[PERIOD], table[column])):
                if isinstance(value, Num):
                    den = dens[row] if dens is not None else value.den
                    item = Unknown() if item is None or den is None else _number(item, den)
                    if percent and not isinstance(item, Unknown):
                        item = Percent(item)
                elif item is None:
                    item = Unknown()
                found[(kind, name, entity, C.period_of(at, pk))] = item
    return found
