"""The columnar executor: a plan run as Polars expressions over long tables (one per kind).

Stages: `support` (compile time: which rules run columnar, and why the others fall back),
`columns` (data to typed columns on a dense entity × period grid), `lowering` (IR expressions
to Polars expressions, one frame's columns in order) over `operators` (the value types and the
meaning of each operator, walk and aggregate, with exact rational numbers), `dates` and `across`
(reads of other kinds), `execute` (frames, rules, decisions, combination, fallbacks), `result`
(the decision table and its conversions), `handover` (values given to row-executed rules),
`batches` (a large kind in batches of whole groups).

The package imports Polars only when a columnar run starts (`execute`, `columns`, `lowering`);
`support` needs no Polars, so `policydsl dump --stage plan` and the row executor stay light.
"""
