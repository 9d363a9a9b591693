"""The declared schema and the data set it describes.

The checker (`resolve`) produces `EntitySchema`s from a policy's `entity` declarations; the data
loader (`data`) reads tables into a `Dataset` against them; the evaluator reads facts from it.
A `Dataset` also carries the `DataIssue` warnings of its load (what was read but not used).

The representation is compact, because data sets are large: a row of facts is a `Row`, a
read-only mapping over one tuple whose positions a kind's rows share, rather than a dict.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from operator import attrgetter, itemgetter

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
class DataIssue:
    """A problem with input data, located: file, row (as a person counts them), column."""

    source: str
    message: str
    severity: str = "error"  # "error" or "warning"
    table: str | None = None  # the entity kind, for the rows of a JSON mapping
    row: int | None = None
    column: str | None = None
    hint: str | None = None
    # "data": the input itself (an unread column, kind or file); "scope": the data against a
    # policy's scope (the data was read whole; the policy may simply govern other entities)
    about: str = "data"

    def __str__(self) -> str:
        where = self.source
        if self.row is not None:
            where += f": {self.table + ' ' if self.table else ''}row {self.row}"
        if self.column is not None:
            where += f", column {self.column}"
        return f"{where}: {self.message}" + (f" ({self.hint})" if self.hint else "")

    def to_json(self) -> dict:
        return {"severity": self.severity, "file": self.source, "table": self.table, "row": self.row,
                "column": self.column, "message": self.message, "hint": self.hint, "text": str(self)}


class _Absent:
    __slots__ = ()

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT = _Absent()  # a position of a Row with no value (a missing fact)


class Row(Mapping):
    """The facts of one entity at one period (or its static attributes): a mapping over a tuple.

    `positions` (fact name to index) is shared by every row of a kind; absent facts hold ABSENT
    and are not keys of the mapping."""

    __slots__ = ("_positions", "_values")

    def __init__(self, positions: Mapping[str, int], values: tuple):
        self._positions = positions
        self._values = values

    def __getitem__(self, name: str) -> object:
        index = self._positions.get(name)
        if index is None or self._values[index] is ABSENT:
            raise KeyError(name)
        return self._values[index]

    def __contains__(self, name: object) -> bool:
        index = self._positions.get(name)
        return index is not None and self._values[index] is not ABSENT

    def get(self, name: str, default: object = None) -> object:
        index = self._positions.get(name)
        if index is None:
            return default
        value = self._values[index]
        return default if value is ABSENT else value

    def __iter__(self) -> Iterator[str]:
        return (name for name, index in self._positions.items() if self._values[index] is not ABSENT)

    def __len__(self) -> int:
        return sum(1 for v in self._values if v is not ABSENT)

    def __repr__(self) -> str:
        return f"Row({dict(self)!r})"


def columns_of(rows: Sequence[Mapping[str, object]], names: Sequence[str]) -> dict[str, list]:
    """Each name's value in every row, in order (None where absent): the rows made columns. Rows
    of one kind as the loader makes them (`Row`s sharing their positions) are read by position
    (one pass in C per name, not a lookup per row and name); any other mapping by `get`."""
    if rows and all(type(row) is Row for row in rows):
        shared = rows[0]._positions
        if all(row._positions is shared for row in rows):
            values = list(map(attrgetter("_values"), rows))
            found = {}
            for name in names:
                index = shared.get(name)
                found[name] = [None] * len(rows) if index is None else \
                    [None if v is ABSENT else v for v in map(itemgetter(index), values)]
            return found
    return {name: [row.get(name) for row in rows] for name in names}


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
    warnings: tuple[DataIssue, ...] = ()

    def entities(self, kind: str) -> Mapping[str, EntityRecord]:
        return self.kinds.get(kind, {})

    def periods(self) -> list[Period]:
        found = {p for records in self.kinds.values() for e in records.values() for p in e.periods}
        return sorted(found)

    def entity_values(self, kind: str, facts: tuple[str, ...]
                      ) -> tuple[int, list[dict[str, set[str]]]] | None:
        """The scope check's question (`scope_check`) answered without the records: how many
        entities of the kind, and per entity the texts of each fact. None: the records answer (a
        data set read into columns answers from its columns where it can)."""
        return None
