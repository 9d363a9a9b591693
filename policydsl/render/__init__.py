"""Rendering of results: decisions as a table, JSON, CSV or xlsx; explanations as text (zh/en), JSON, DOT.

Each format is its own function over the same data (`Decision`, `Explanation`), one module per
concern: `decisions` (tables and exports of decisions), `text` (explanations in words), `structured`
(explanations as JSON and DOT), `messages` (the message catalogue: every word in each language). Nothing here computes a value.
"""

from policydsl.render.decisions import (
    DECISION_COLUMNS, KIND_HEADINGS, OUTCOME_KIND_ORDER, csv_text, decision_rows, decision_to_json,
    decisions_csv, decisions_json, decisions_table, decisions_xlsx, fit_widths, grouped_by_kind, write_xlsx,
)
from policydsl.render.structured import explanation_dot, explanation_json
from policydsl.render.text import (
    TEXT_MEMBERS, TEXT_SHORTFALLS, TEXT_VALUE_DEPTH, arithmetic, explanation_text, outcome_periods_text, wrap_lines,
)
from policydsl.render.messages import CATALOGUE, LANGUAGES, say, word

__all__ = [
    "CATALOGUE", "DECISION_COLUMNS", "KIND_HEADINGS", "LANGUAGES", "OUTCOME_KIND_ORDER", "TEXT_MEMBERS", "TEXT_SHORTFALLS",
    "TEXT_VALUE_DEPTH", "arithmetic", "csv_text", "decision_rows", "decision_to_json", "decisions_csv",
    "decisions_json", "decisions_table", "decisions_xlsx", "explanation_dot", "explanation_json",
    "explanation_text", "fit_widths", "grouped_by_kind", "outcome_periods_text", "say", "word", "wrap_lines", "write_xlsx",
]
