"""Decisions rendered: the `eval --format json` contract, tables that fit the terminal, CSV and xlsx.

In: `Decision`s (and the load's warnings). Out: text or a workbook. Nothing here computes a value.
"""

from __future__ import annotations

import gc
import io
import json
import sys
from collections.abc import Sequence
from fractions import Fraction

from policydsl.engine.evaluate import Decision
from policydsl.values import Percent, format_number, format_value, json_value
from policydsl import output_files

def decision_to_json(d: Decision) -> dict:
    return {
        "entity": d.entity, "entity_kind": d.entity_kind, "period": str(d.period), "outcome": d.outcome,
        "outcome_kind": d.outcome_kind, "label": d.label,
        "amount": json_value(d.amount) if d.amount is not None else None,
        "value": json_value(d.value) if d.value is not None else None,
        "rule": d.rule_id, "policy": d.policy, "cite": d.cite, "status": d.status,
        "superseded_by": d.superseded_by, "target": d.target,
        "as_of": d.as_of.isoformat() if d.as_of is not None else None,
    }


def decisions_json(decisions: Sequence[Decision], warnings: Sequence = ()) -> str:
    """The `eval --format json` contract: the decisions, and the data warnings of the load."""
    return json.dumps({"decisions": [decision_to_json(d) for d in decisions],
                       "warnings": [w.to_json() for w in warnings]}, ensure_ascii=False, indent=2)


# The order in which kinds of outcome are shown: what an analyst looks for first comes first.
OUTCOME_KIND_ORDER = ("sanction", "reward", "eligibility", "measure", "classification", "target", "deadline",
                      "computed", "status")

# Column headings of exported decisions: the keys of the JSON contract, and their Chinese names.
DECISION_COLUMNS = (
    ("entity", "主体"), ("entity_kind", "主体类型"), ("period", "期间"), ("outcome", "结果"),
    ("outcome_kind", "结果类别"), ("label", "结果名称"), ("amount", "金额（万元）"), ("value", "数值"),
    ("rule", "规则"), ("policy", "政策"), ("cite", "条款"), ("status", "状态"),
    ("superseded_by", "被取代于"), ("target", "目标"), ("as_of", "截至日期"),
)

KIND_HEADINGS = {
    "en": {"sanction": "sanctions", "reward": "rewards", "eligibility": "eligibility", "measure": "measures",
           "classification": "classifications", "target": "targets", "deadline": "deadlines",
           "computed": "computed values", "status": "document status"},
    "zh": {"sanction": "惩戒", "reward": "奖励", "eligibility": "资格", "measure": "措施",
           "classification": "认定", "target": "目标", "deadline": "时限", "computed": "计算值",
           "status": "文件效力"},
}


def grouped_by_kind(decisions: Sequence[Decision], entity_order: Sequence[str] = ()
                    ) -> list[tuple[str, list[Decision]]]:
    """Decisions grouped by kind of outcome (sanctions first), each group ordered by entity kind
    in the schema's order of declaration, then entity, period and rule."""
    kind_rank = {k: n for n, k in enumerate(OUTCOME_KIND_ORDER)}
    entity_rank = {k: n for n, k in enumerate(entity_order)}
    groups: dict[str, list[Decision]] = {}
    for d in decisions:
        groups.setdefault(d.outcome_kind, []).append(d)
    ordered = sorted(groups.items(), key=lambda item: (kind_rank.get(item[0], len(kind_rank)), item[0]))
    return [(kind, sorted(items, key=lambda d: (entity_rank.get(d.entity_kind, len(entity_rank)),
                                                d.entity_kind, d.entity, d.period, d.rule_id, d.outcome)))
            for kind, items in ordered]


def _payload(d: Decision) -> str:
    shown = [format_value(d.amount) + " 万元"] if d.amount is not None else []
    shown += [format_value(d.value)] if d.value is not None else []  # an amount may come with payload fields
    return "; ".join(shown)


def decisions_table(decisions: Sequence[Decision], *, width: int = 120, entity_order: Sequence[str] = (),
                    lang: str = "en") -> str:
    """Decisions as tables that fit `width` columns, one per kind of outcome (rich wraps long cells)."""
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    # never narrower than every column at its floor: rich drops whole columns that do not fit (a
    # decision without its outcome); wider than the terminal, lines wrap there and nothing is lost
    console = Console(file=io.StringIO(), width=max(width, _NARROWEST), color_system=None, highlight=False,
                      emoji=False, soft_wrap=False)
    width = max(width, _NARROWEST)
    headings = KIND_HEADINGS[lang]
    for kind, items in grouped_by_kind(decisions, entity_order):
        table = Table(title=f"{headings.get(kind, kind)} ({len(items)})", title_justify="left", box=box.SIMPLE_HEAD,
                      expand=False, pad_edge=False, show_edge=False, padding=(0, 1, 0, 0))
        payloads = [_payload(d) for d in items]
        columns = ["entity", "period", "outcome", "amount/value", "rule · cite"]
        rows = []
        for d, payload in zip(items, payloads):
            outcome = f"{d.label}\n{d.outcome}" if d.label else d.outcome
            if d.target:
                outcome += f"\n→ {d.target}"
            if d.status != "active":  # the status shows only where it is not the usual one
                outcome += f"\n↑ {d.status}" + (f" by {d.superseded_by}" if d.superseded_by else "")
            rows.append([f"{d.entity}\n{d.entity_kind}", str(d.period), outcome, payload, f"{d.rule_id}\n{d.cite}"])
        if not any(payloads):  # sanctions and the like carry no amount: no empty column
            del columns[3]
            rows = [row[:3] + row[4:] for row in rows]
        widths = fit_widths(columns, rows, width, flexible=2)
        for name, column_width in zip(columns, widths):
            table.add_column(name, overflow="fold", width=column_width,
                             justify="right" if name == "amount/value" else "left")
        for row in rows:  # as Text: a cell is what the data says, never markup (`[red]E007`, a list `[a, b]`)
            table.add_row(*(Text(cell) for cell in row))
        console.print(table)
    console.print(f"{len(decisions)} decision{'s' if len(decisions) != 1 else ''}")
    return "\n".join(line.rstrip() for line in console.file.getvalue().splitlines())


_FLOOR, _GAP = 8, 2  # the narrowest a column folds to, and the room between two
_NARROWEST = 5 * _FLOOR + 4 * _GAP  # five columns at their floor


def fit_widths(columns: Sequence[str], rows: Sequence[Sequence[str]], width: int, *, flexible: int,
               gap: int = _GAP, floor: int = _FLOOR) -> list[int]:
    """Column widths (in terminal cells) that fit `width`: each column as wide as its widest line,
    the flexible one taking what is left; when that is too little, the widest others give way.

    Widths are fixed here rather than left to rich, whose own squeezing can crop a cell that
    cannot be folded narrow enough; with fixed widths every cell folds and nothing is lost."""
    from rich.cells import cell_len

    natural = [max([cell_len(name)] + [cell_len(line) for row in rows for line in str(row[i]).split("\n")])
               for i, name in enumerate(columns)]
    room = width - gap * (len(columns) - 1)
    widths = list(natural)
    floors = [min(w, floor) for w in natural]
    want = min(natural[flexible], 20)  # the flexible column keeps at least this much before others give way
    while sum(w for i, w in enumerate(widths) if i != flexible) + want > room:
        others = [i for i in range(len(widths)) if i != flexible and widths[i] > floors[i]]
        if not others:
            break
        widest = max(others, key=lambda i: widths[i])
        widths[widest] -= 1
    widths[flexible] = max(floors[flexible], min(natural[flexible],
                                                 room - sum(w for i, w in enumerate(widths) if i != flexible)))
    return widths


def decision_rows(decisions: Sequence[Decision], *, exact: bool = False) -> list[list[object]]:
    """Decisions as rows of the JSON contract's columns (numbers as JSON numbers, for spreadsheets;
    a value of named payload fields as one cell of JSON text, so that the columns never vary).
    `exact` (for text, CSV): an amount or value that is a finite decimal as its exact digits
    (12345678901234567.89, where a float has 17 significant digits)."""
    rows = []
    for d in decisions:
        row = decision_to_json(d)
        if exact:
            row["amount"] = _exact(d.amount, row["amount"])
            row["value"] = _exact(d.value, row["value"])
        rows.append([_cell(row[key]) for key, _ in DECISION_COLUMNS])
    return rows


def _exact(number: object, as_json: object) -> object:
    """A number's exact digits where it has them (a percent as its number shown, as in JSON)."""
    if isinstance(number, Percent):
        number = number.shown
    if isinstance(number, Fraction) and number.denominator != 1:
        text = format_number(number)
        return as_json if text.startswith("≈") else text
    return as_json


def _cell(value: object) -> object:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else value


def csv_text(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """CSV of the rows: cells as JSON spells them (true, false; a missing one empty)."""
    import csv

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(["" if cell is None else json.dumps(cell) if isinstance(cell, bool) else cell for cell in row]
                     for row in rows)
    return out.getvalue()


def decisions_csv(decisions: Sequence[Decision]) -> str:
    return csv_text([key for key, _ in DECISION_COLUMNS], decision_rows(decisions, exact=True))


def write_xlsx(path: str, header: Sequence[str], rows: Sequence[Sequence[object]], *, sheet: str) -> None:
    """A workbook with one sheet: a bold, frozen header row, columns sized to their contents."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from rich.cells import cell_len

    book = Workbook()
    page = book.active
    page.title = sheet
    page.append(list(header))
    for cell in page[1]:
        cell.font = Font(bold=True)
    for number, row in enumerate(rows, start=2):
        cells = [_sheet_text(cell) for cell in row]
        page.append(cells)
        for column, value in enumerate(cells, start=1):
            if isinstance(value, str) and value.startswith("="):  # text as written: an id `=2+3` is no
                page.cell(row=number, column=column).data_type = "s"  # formula for Excel to compute
    page.freeze_panes = "A2"
    for n, title in enumerate(header, start=1):
        longest = max([cell_len(str(title))] + [cell_len(str(r[n - 1])) for r in rows if r[n - 1] is not None])
        page.column_dimensions[get_column_letter(n)].width = min(60, longest + 2)
    output_files.write_bytes(path, _saved(book, path))  # whole, or the old file left as it was


def _sheet_text(cell: object) -> object:
    """A cell a worksheet can hold: control characters (which openpyxl refuses) written as `\\x01`."""
    if isinstance(cell, str):
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
        return ILLEGAL_CHARACTERS_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", cell)
    return cell


def _saved(book, path: str) -> bytes:
    """The workbook's bytes, made in memory; an OSError naming `path` when openpyxl cannot make
    them (it writes each sheet through a temporary file: a full disk fails there). openpyxl then
    closes its half-written streams in their finalizers, which Python reports as a traceback
    ("Exception ignored in ..."): those reports are dropped while the failure is cleaned up here,
    and the failure itself is raised once, as the command's error."""
    made, failure = io.BytesIO(), None
    reported = sys.unraisablehook
    sys.unraisablehook = lambda unraisable: None  # only while saving: set back below
    try:
        try:
            book.save(made)
        except OSError as err:
            failure = (err.errno, err.strerror or str(err))
        if failure is not None:
            gc.collect()  # the failed writer's streams, closed now (their reports dropped)
    finally:
        sys.unraisablehook = reported
    if failure is not None:
        raise OSError(failure[0], f"cannot write ({failure[1]})", path)
    return made.getvalue()


def decisions_xlsx(decisions: Sequence[Decision], path: str) -> None:
    write_xlsx(path, [zh for _, zh in DECISION_COLUMNS], decision_rows(decisions), sheet="决定")
