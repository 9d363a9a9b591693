"""The declared schema and the data set it describes.

The checker (`resolve`) produces `EntitySchema`s from a policy's `entity` declarations; the data
loader (`data`) reads tables into a `Dataset` against them; the evaluator reads facts from it.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from policydsl.types import Type
from policydsl.values import Period


@attrs.frozen(kw_only=True)
class FactSchema:
    name: str
    type: Type
    period_kind: str | None  # "year", "quarter", or None for a static attribute
    label: str | None = None


@attrs.frozen(kw_only=True)
class EntitySchema:
    name: str
    facts: Mapping[str, FactSchema]
    group: str | None = None  # the static attribute whose value names the entity's group
    label: str | None = None


@attrs.frozen(kw_only=True)
class EntityRecord:
    """One entity: its static attributes and its facts per period."""

    id: str
    static: Mapping[str, object]
    periods: Mapping[Period, Mapping[str, object]]


@attrs.frozen(kw_only=True)
class Dataset:
    """Entities by kind and id. Absent keys mean absent data; values are already typed."""

    kinds: Mapping[str, Mapping[str, EntityRecord]]

    def entities(self, kind: str) -> Mapping[str, EntityRecord]:
        return self.kinds.get(kind, {})

    def periods(self) -> list[Period]:
        found = {p for records in self.kinds.values() for e in records.values() for p in e.periods}
        return sorted(found)
