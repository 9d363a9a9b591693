"""Single decisions for services: one entity's facts in, its active outcomes out.

`Decider` is built once per (policy set, entity kind, period) and then called per request with
the entity's facts by period. Facts are checked with the data stage's own conversion
(`engine/data.py`: the same messages), the entity is evaluated by the row executor alone (no
group: aggregates see the entity as the only member), and only the active outcomes are
returned, or every decision with `decisions=True`.
"""

from __future__ import annotations

from collections.abc import Mapping

from policydsl.diagnostics import DataError
from policydsl.engine import data as data_stage
from policydsl.engine.evaluate import Decision, evaluate
from policydsl.engine.plan import Plan
from policydsl.schema import Dataset, EntityRecord
from policydsl.values import Period


class Decider:
    """decide(entity, {period: {fact: value}}, static={...}) -> active outcome names."""

    def __init__(self, plan: Plan, kind: str, period: str | Period | None = None):
        if kind not in plan.program.entities:
            raise ValueError(f"unknown entity kind `{kind}`")
        self.plan = plan
        self.kind = kind
        self.schema = plan.program.entities[kind]
        self.period = Period.parse(period) if isinstance(period, str) else period
        self._periods: dict[str, Period] = {}

    def _period(self, text: str) -> Period:
        found = self._periods.get(text)
        if found is None:
            try:
                found = Period.parse(text)
            except ValueError as err:
                raise DataError([f"{self.kind} period `{text}`: {err}"]) from None
            if len(self._periods) < 1024:
                self._periods[text] = found
        return found

    def _value(self, name: str, value: object, where: str) -> object:
        fact = self.schema.facts.get(name)
        if fact is None:
            raise DataError([f"{where}: `{name}` is not a fact of `{self.kind}`"])
        if fact.type.is_enum and value in fact.type.members:
            return value  # already a member: what the conversion would return
        try:
            return data_stage._convert(value, fact.type)  # the row loader's own conversion and message
        except ValueError as err:
            raise DataError([f"{where}, column {name}: {err}"]) from None

    def record(self, entity: str, facts: Mapping[str, Mapping[str, object]],
               static: Mapping[str, object] | None = None) -> EntityRecord:
        periods = {}
        for text, row in facts.items():
            at = self._period(str(text))
            periods[at] = {name: self._value(name, v, f"{entity} {text}") for name, v in row.items()
                           if v is not None}
        statics = {name: self._value(name, v, entity) for name, v in (static or {}).items() if v is not None}
        return EntityRecord(id=entity, static=statics, periods=periods)

    def decisions(self, entity: str, facts: Mapping[str, Mapping[str, object]],
                  static: Mapping[str, object] | None = None) -> tuple[Decision, ...]:
        dataset = Dataset(kinds={self.kind: {entity: self.record(entity, facts, static)}})
        return evaluate(self.plan, dataset, period=self.period).decisions

    def __call__(self, entity: str, facts: Mapping[str, Mapping[str, object]],
                 static: Mapping[str, object] | None = None) -> list[str]:
        return [d.outcome for d in self.decisions(entity, facts, static) if d.status == "active"
                and d.entity_kind == self.kind]
