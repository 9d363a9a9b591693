"""The types of the policy language, shared by the checker, the data loader and the evaluator.

Numbers are exact: integers stay `int`, everything else is a `fractions.Fraction` at run time.
`money` (万元) and `percent` are decimals that carry a unit, so that the checker can refuse
adding a sum of money to a percentage.
"""

from __future__ import annotations

import attrs


@attrs.frozen(kw_only=True)
class Type:
    name: str
    members: tuple[str, ...] = ()  # enumeration members, in declared order
    unit: str | None = None
    target: str | None = None  # for a reference: the entity kind whose id it holds
    element: Type | None = None  # for a list (`list of T`): the type of its elements

    @property
    def is_list(self) -> bool:
        return self.element is not None

    @property
    def is_numeric(self) -> bool:
        return self.name in NUMERIC_NAMES

    @property
    def is_enum(self) -> bool:
        return bool(self.members)

    @property
    def is_reference(self) -> bool:
        return self.target is not None

    def __str__(self) -> str:
        if self.is_list:
            return f"list of {self.element}"
        if self.is_reference:
            return f"ref {self.target}"
        if self.is_enum:
            return self.name if self.name != "enum" else " | ".join(self.members)
        return self.name


INTEGER = Type(name="integer")
DECIMAL = Type(name="decimal")
MONEY = Type(name="money", unit="万元")
PERCENT = Type(name="percent", unit="%")
BOOLEAN = Type(name="boolean")
TEXT = Type(name="text")
DATE = Type(name="date")
DURATION = Type(name="duration")
# The type of an expression that already failed to check: it unifies with anything, so that
# one mistake is reported once rather than at every use.
ERROR = Type(name="<error>")

NUMERIC_NAMES = frozenset({"integer", "decimal", "money", "percent"})
BUILTIN_TYPES = {t.name: t for t in (INTEGER, DECIMAL, MONEY, PERCENT, BOOLEAN, TEXT, DATE)}


def enumeration(name: str, members: tuple[str, ...]) -> Type:
    return Type(name=name, members=members)


def list_of(element: Type) -> Type:
    return Type(name="list", element=element)


def reference(target: str) -> Type:
    return Type(name="ref", target=target)


def is_error(t: Type) -> bool:
    return t.name == ERROR.name


def numeric_join(left: Type, right: Type) -> Type | None:
    """The type of `left + right`, or None when the units do not agree."""
    if is_error(left) or is_error(right):
        return ERROR
    if not (left.is_numeric and right.is_numeric):
        return None
    if left.unit and right.unit:
        return left if left.unit == right.unit else None
    if left.unit or right.unit:
        return left if left.unit else right
    if left == INTEGER and right == INTEGER:
        return INTEGER
    return DECIMAL


def declarable(source: Type, target: Type) -> bool:
    """Whether a value of type `source` may be declared `target` (a parameter, a table's value, a
    derived value, an outcome's value or field): as `assignable`, except that a declaration never
    drops a unit (`20%` or `20万元` declared `integer` or `decimal`) and never calls a number that
    may have a fraction an integer (`2.5`, `score / 2`: `round` it first)."""
    if source.is_list and target.is_list:  # item by item: `list of integer = [2.5, 3]` is refused too
        return declarable(source.element, target.element)
    if source.is_numeric and target.is_numeric and not (is_error(source) or is_error(target)):
        if source.unit and not target.unit:
            return False
        if target.name == "integer" and source.name != "integer":
            return False
    return assignable(source, target)


def assignable(source: Type, target: Type) -> bool:
    """Whether a value of type `source` may be declared as (or compared with) `target`."""
    if is_error(source) or is_error(target) or source == target:
        return True
    if source.is_list or target.is_list:  # element by element
        return source.is_list and target.is_list and assignable(source.element, target.element)
    if source.is_numeric and target.is_numeric:
        # A plain number takes on a declared unit; two different units never mix.
        return not (source.unit and target.unit and source.unit != target.unit)
    if source.is_enum and target.is_enum:
        return set(source.members) <= set(target.members)
    # an entity id may be compared with text, and text may name an entity
    if (source.is_reference and target == TEXT) or (source == TEXT and target.is_reference):
        return True
    return False
