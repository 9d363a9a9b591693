"""The columnar executor: a plan run as Polars expressions over long tables (one per kind).

Stages: `support` (compile time: which rules run columnar, and why the others fall back),
`columns` (data to typed columns on a dense entity × period grid), `lowering` (IR expressions
to Polars expressions with exact rational numbers), `execute` (frames, rules, decisions,
combination, fallbacks).

The package imports Polars only when a columnar run starts (`execute`, `columns`, `lowering`);
`support` needs no Polars, so `policydsl dump --stage plan` and the row executor stay light.
"""
