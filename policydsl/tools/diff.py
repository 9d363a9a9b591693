"""`policydsl diff OLD NEW --data PATH`: the impact of a revision of a policy on real data.

In: two policy versions (files or folders) and one data set. Both versions are compiled and
evaluated over the same data by the ordinary pipeline; their decisions are matched by (entity,
period, outcome, target). Out: an `Impact` — the decisions gained, lost, or whose amount,
value or status changed — grouped by outcome with counts, each change carrying the explanation
of both versions (why in one, why not in the other), rendered as text (side by side) or JSON.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import zip_longest

import attrs

from policydsl import api
from policydsl.engine.explain import ExplainError
from policydsl.render import explanation_json, explanation_text, wrap_lines
from policydsl.render.messages import word
from policydsl.language.printer import display_width
from policydsl.tools.exits import EXIT_FINDINGS, EXIT_OK
from policydsl.values import Period, format_value, json_value

KINDS = ("gained", "lost", "amount", "value", "status")


@attrs.frozen(kw_only=True)
class Change:
    kind: str  # one of KINDS
    entity_kind: str
    entity: str
    period: Period
    outcome: str
    target: str | None
    old: object | None  # the decision in the old version, if any
    new: object | None
    old_explanation: object | None = None  # Explanation, or None when it could not be made
    new_explanation: object | None = None
    old_note: str | None = None  # why there is no explanation
    new_note: str | None = None

    def detail(self, lang: str = "en") -> str:
        """What changed, in `lang`: values as the decision table writes them (a payload's fields
        as `dimensions = [land, energy]`, never a Python repr)."""
        def show(d, field):
            value = getattr(d, field) if d is not None else None
            return "—" if value is None else format_value(value)

        if self.kind == "amount":
            return word("diff.amount_was", lang, old=show(self.old, "amount"), new=show(self.new, "amount"))
        if self.kind == "value":
            return word("diff.value_was", lang, old=show(self.old, "value"), new=show(self.new, "value"))
        if self.kind == "status":
            return f"{self.old.status} → {self.new.status}" + (
                " " + word("diff.superseded_by", lang, rule=self.new.superseded_by) if self.new.superseded_by else "")
        decision = self.new if self.kind == "gained" else self.old
        extra = [word("diff.with_amount", lang, amount=format_value(decision.amount))] \
            if decision.amount is not None else []
        extra += [word("diff.with_value", lang, value=format_value(decision.value))] if decision.value is not None else []
        extra += [decision.status] if decision.status != "active" else []
        return word("list.separator", lang).join(extra)


@attrs.frozen(kw_only=True)
class Impact:
    changes: tuple[Change, ...]
    unchanged: int  # decisions the same in both versions

    def counts(self) -> dict[str, Counter]:
        """Outcome -> kind of change -> how many."""
        found: dict[str, Counter] = {}
        for change in self.changes:
            found.setdefault(change.outcome, Counter())[change.kind] += 1
        return found


def _key(decision) -> tuple:
    return (decision.entity_kind, decision.entity, decision.period, decision.outcome, decision.target)


def compare(old: Iterable, new: Iterable) -> tuple[list[tuple[str, object | None, object | None]], int]:
    """(kind, old decision, new decision) for each decision that differs, and how many did not."""
    before = {_key(d): d for d in old}
    after = {_key(d): d for d in new}
    changes, same = [], 0
    for key in sorted(before.keys() | after.keys(), key=lambda k: (k[0], k[1], k[2], k[3], k[4] or "")):
        was, now = before.get(key), after.get(key)
        if was is None:
            changes.append(("gained", None, now))
        elif now is None:
            changes.append(("lost", was, None))
        elif was.amount != now.amount:
            changes.append(("amount", was, now))
        elif was.value != now.value:
            changes.append(("value", was, now))
        elif (was.status, was.superseded_by) != (now.status, now.superseded_by):
            changes.append(("status", was, now))
        else:
            same += 1
    return changes, same


def _explain(result: api.Result, decision, entity: str, outcome: str, period: Period):
    """The explanation of a decision, or of its absence: (explanation, None) or (None, note)."""
    try:
        if decision is not None:
            return result.explain(entity, outcome, period), None
        return result.why_not(entity, outcome, period), None
    except ExplainError as err:
        return None, str(err)


def impact(old_paths: Sequence[str], new_paths: Sequence[str], data: str, *, period: Period | None = None,
           entities: Sequence[str] | None = None, explain: bool = True) -> Impact:
    """Evaluate both versions over the data and list what the revision changes."""
    old_set, new_set = api.load(*old_paths), api.load(*new_paths)
    old_result = old_set.evaluate(old_set.load_data(data), period=period, entities=entities)
    new_result = new_set.evaluate(new_set.load_data(data), period=period, entities=entities)
    found, same = compare(old_result.decisions, new_result.decisions)
    changes = []
    for kind, was, now in found:
        decision = now if now is not None else was
        where = (decision.entity, decision.outcome, decision.period)
        old_explanation = new_explanation = old_note = new_note = None
        if explain:
            old_explanation, old_note = _explain(old_result, was, *where)
            new_explanation, new_note = _explain(new_result, now, *where)
        changes.append(Change(kind=kind, entity_kind=decision.entity_kind, entity=decision.entity,
                              period=decision.period, outcome=decision.outcome, target=decision.target,
                              old=was, new=now, old_explanation=old_explanation, new_explanation=new_explanation,
                              old_note=old_note, new_note=new_note))
    return Impact(changes=tuple(changes), unchanged=same)


# ---- rendering -----------------------------------------------------------------------------

def side_by_side(left: str, right: str, width: int) -> str:
    """Two texts in two columns of `width` cells each, wrapped to fit."""
    left_lines = wrap_lines(left, width).split("\n")
    right_lines = wrap_lines(right, width).split("\n")
    rows = []
    for a, b in zip_longest(left_lines, right_lines, fillvalue=""):
        rows.append((a + " " * max(width - display_width(a), 0) + " │ " + b).rstrip())
    return "\n".join(rows)


def impact_text(found: Impact, lang: str = "en", *, width: int | None = None, explanations: bool = True) -> str:
    width = width or max(shutil.get_terminal_size((160, 40)).columns, 80)
    column = (width - 3) // 2
    counts = found.counts()
    if not found.changes:
        return word("diff.none", lang, unchanged=str(found.unchanged))
    n = len(found.changes)
    lines = [word("diff.one" if n == 1 else "diff.some", lang, n=str(n), unchanged=str(found.unchanged)), ""]
    for outcome in sorted(counts):
        tally = word("list.separator", lang).join(f"{counts[outcome][k]} {word('diff.' + k, lang)}"
                                                  for k in KINDS if counts[outcome][k])
        lines.append(f"{outcome}: {tally}")
        for change in (c for c in found.changes if c.outcome == outcome):
            target = f" [{change.target}]" if change.target else ""
            detail = change.detail(lang)
            kind = word("diff." + change.kind, lang)
            lines.append(f"  {kind + ' ' * max(15 - display_width(kind), 0)} {change.entity} {change.period}{target}" + (f": {detail}" if detail else ""))
    if explanations:
        for change in found.changes:
            lines += ["", "─" * width, word("diff.heading", lang, outcome=change.outcome, entity=change.entity,
                                           period=str(change.period), change=word("diff." + change.kind, lang)), ""]
            lines.append(side_by_side(word("diff.old", lang), word("diff.new", lang), column))
            left = explanation_text(change.old_explanation, lang) if change.old_explanation else change.old_note or ""
            right = explanation_text(change.new_explanation, lang) if change.new_explanation else change.new_note or ""
            lines.append(side_by_side(left, right, column))
    return "\n".join(lines)


def impact_json(found: Impact) -> str:
    def decision(d):
        if d is None:
            return None
        return {"status": d.status, "amount": json_value(d.amount), "value": json_value(d.value),
                "rule": d.rule_id, "policy": d.policy, "superseded_by": d.superseded_by}

    counts = found.counts()
    payload = {
        "unchanged": found.unchanged,
        "outcomes": [{"outcome": o, "counts": {k: counts[o][k] for k in KINDS if counts[o][k]},
                      "total": sum(counts[o].values())} for o in sorted(counts)],
        "changes": [{"change": c.kind, "entity": c.entity, "entity_kind": c.entity_kind, "period": str(c.period),
                     "outcome": c.outcome, "target": c.target, "old": decision(c.old), "new": decision(c.new),
                     "old_explanation": explanation_json(c.old_explanation) if c.old_explanation else c.old_note,
                     "new_explanation": explanation_json(c.new_explanation) if c.new_explanation else c.new_note}
                    for c in found.changes],
    }
    return json.dumps(payload, ensure_ascii=False, indent=2)


# ---- the command ---------------------------------------------------------------------------

def add_command(commands, period_type) -> None:
    parser = commands.add_parser("diff", help="what a revision of a policy changes on a data set")
    parser.add_argument("old", help="the policy as it was (.pol file or folder)")
    parser.add_argument("new", help="the revised policy (.pol file or folder)")
    parser.add_argument("--data", required=True, help="JSON file, or a folder of tables per entity kind")
    parser.add_argument("--period", type=period_type, help="only this period (2019 or 2019-Q3)")
    parser.add_argument("--entity", action="append", type=api.entity_id_argument, help="only this entity id (repeatable)")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--lang", choices=("zh", "en"), default="en", help="language of the explanations")
    parser.add_argument("--summary", action="store_true", help="counts and the list of changes, no explanations")


def run_command(args) -> int:
    found = impact([args.old], [args.new], args.data, period=args.period, entities=args.entity,
                   explain=not args.summary)
    if args.format == "json":
        print(impact_json(found))
    else:
        print(impact_text(found, args.lang, explanations=not args.summary))
    sys.stdout.flush()
    return EXIT_FINDINGS if found.changes else EXIT_OK
