"""The service's OpenAPI 3.1 document, generated from the loaded program's declared schema.

In: a `Snapshot` (the program's entity kinds with their facts and types, outcomes, policies).
Out: a JSON-ready dict. Each entity kind's rows are a schema of their own (`<kind>_row`), each
fact typed as the data loader accepts it (numbers also as text: "300", "12.5%", "300万元"),
with its label, unit and period kind; the endpoints refer to them.
"""

from __future__ import annotations

from policydsl import __version__
from policydsl.language.resolve import OUTCOME_KINDS
from policydsl.schema import FactSchema
from policydsl.service.state import Snapshot

_PERIOD = {"type": ["string", "integer"], "pattern": r"^\d{4}(-Q[1-4])?$",
           "description": "a year (2016) or a quarter (2016-Q3)"}
_NUMBER_TEXT = {"type": "string", "description": "the number as text, exactly"}

# the keys each request takes: the schemas below list exactly these, and the service refuses any
# other key (a misspelt `perod` would otherwise be dropped, and the answer cover every period)
EVALUATE_KEYS = ("facts", "dataset", "period", "as_of", "entities", "kind", "outcome", "policy", "all", "strict")
EXPLAIN_KEYS = ("facts", "dataset", "entity", "outcome", "period", "as_of", "lang")
DECISIONS_QUERY = ("entity", "period", "request_id", "limit")


def fact_schema(fact: FactSchema) -> dict:
    t = fact.type
    if t.is_enum:
        out: dict = {"type": "string", "enum": list(t.members)}
    elif t.is_reference:
        out = {"type": "string", "description": f"the id of a {t.target}"}
    elif t.name == "integer":
        out = {"anyOf": [{"type": "integer"}, _NUMBER_TEXT]}
    elif t.is_numeric:
        out = {"anyOf": [{"type": "number"}, _NUMBER_TEXT]}
    elif t.name == "boolean":
        out = {"type": "boolean"}
    elif t.name == "date":
        out = {"type": "string", "format": "date"}
    else:
        out = {"type": "string"}
    out["x-policydsl-type"] = str(t)
    if t.unit:
        out["x-unit"] = t.unit
    out["x-period-kind"] = {"year": "yearly", "quarter": "quarterly"}.get(fact.period_kind, "static")
    if fact.label:
        out["title"] = fact.label
    return out


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json_body(schema: dict) -> dict:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _answers(ok: dict, description: str) -> dict:
    error = {"content": {"application/json": {"schema": _ref("error")}}}
    return {"200": {"description": description, "content": {"application/json": {"schema": ok}}},
            "400": {"description": "malformed request (not JSON, wrong shape)", **error},
            "422": {"description": "bad facts or a selection the data does not have, located", **error}}


def openapi_document(snapshot: Snapshot) -> dict:
    program = snapshot.policies.program
    schemas: dict[str, dict] = {}
    for kind, entity in sorted(program.entities.items()):
        schemas[f"{kind}_row"] = {
            "type": "object", "title": entity.label or kind,
            "required": ["id"],
            "properties": {"id": {"type": ["string", "integer"]}, "period": _PERIOD,
                           **{name: fact_schema(fact) for name, fact in entity.facts.items()}},
        }
    schemas["facts"] = {
        "type": "object", "description": "rows per entity kind: the JSON shape of `--data`",
        "properties": {kind: {"type": "array", "items": _ref(f"{kind}_row")} for kind in sorted(program.entities)},
    }
    source = {
        "facts": _ref("facts"),
        "dataset": {"type": "string", "enum": sorted(snapshot.datasets) or None,
                    "description": "a data set the service loaded with --data (instead of facts)"},
    }
    if not snapshot.datasets:
        del source["dataset"]["enum"]
    schemas["evaluate_request"] = {
        "type": "object",
        "properties": {
            **source, "period": _PERIOD,
            "as_of": {"type": "string", "format": "date",
                      "description": "evaluate as of this date, as `eval --as-of`: the periods ended by then, "
                                     "each document's status on it; a `period` ending after it is a 422"},
            "entities": {"type": "array", "items": {"type": "string"}},
            "kind": {"type": "array", "items": {"type": "string", "enum": list(OUTCOME_KINDS)}},
            "outcome": {"type": "array", "items": {"type": "string", "enum": sorted(program.outcomes)}},
            "policy": {"type": "array", "items": {"type": "string", "enum": sorted(program.policies)}},
            "all": {"type": "boolean", "description": "also superseded decisions (default true)"},
            "strict": {"type": "boolean", "description": "data warnings are errors (422)"},
        },
        "additionalProperties": False,
    }
    schemas["explain_request"] = {
        "type": "object", "required": ["entity", "outcome"],
        "properties": {**source, "entity": {"type": "string"},
                       "outcome": {"type": "string", "enum": sorted(program.outcomes)}, "period": _PERIOD,
                       "as_of": {"type": "string", "format": "date", "description": "as `explain --as-of`"},
                       "lang": {"type": "string", "enum": ["zh", "en"]}},
        "additionalProperties": False,
    }
    schemas["decision"] = {
        "type": "object",
        "properties": {
            "entity": {"type": "string"}, "entity_kind": {"type": "string"}, "period": {"type": "string"},
            "outcome": {"type": "string"}, "outcome_kind": {"type": "string", "enum": list(OUTCOME_KINDS)},
            "label": {"type": ["string", "null"]},
            "amount": {"type": ["number", "null"], "description": "万元"}, "value": {},
            "rule": {"type": "string", "description": "catalogue id"}, "policy": {"type": "string"},
            "cite": {"type": "string"}, "status": {"type": "string", "enum": ["active", "superseded"]},
            "superseded_by": {"type": ["string", "null"]}, "target": {"type": ["string", "null"]},
        },
    }
    schemas["evaluate_response"] = {
        "type": "object",
        "properties": {"request_id": {"type": "string"}, "policy_set": {"type": "string"},
                       "facts_hash": {"type": "string"},
                       "decisions": {"type": "array", "items": _ref("decision")},
                       "warnings": {"type": "array", "items": {"type": "object"}}},
    }
    schemas["error"] = {
        "type": "object", "required": ["error"],
        "properties": {"error": {"type": "string"}, "problems": {"type": "array", "items": {"type": "string"}},
                       "issues": {"type": "array", "items": {"type": "object"}},
                       "request_id": {"type": "string"}},
    }
    paths = {
        "/v1/evaluate": {"post": {
            "summary": "evaluate the loaded policies over facts; every decision is logged",
            "requestBody": _json_body(_ref("evaluate_request")),
            "responses": _answers(_ref("evaluate_response"), "the decisions, with the request's id")}},
        "/v1/explain": {"post": {
            "summary": "why an entity got an outcome (or why not, when it did not)",
            "requestBody": _json_body(_ref("explain_request")),
            "responses": _answers({"type": "object"}, "the explanation (as `explain --format json`)")}},
        "/v1/why-not": {"post": {
            "summary": "why an entity did not get an outcome",
            "requestBody": _json_body(_ref("explain_request")),
            "responses": _answers({"type": "object"}, "the explanation (as `explain --format json`)")}},
        "/v1/upload": {"post": {
            "summary": "read uploaded data with the loader of --data and keep it as a data set for "
                       "`{\"dataset\": NAME}` in later requests (the most recent 8 are kept)",
            "requestBody": {"required": True, "content": {
                "multipart/form-data": {"schema": {"type": "object", "properties": {"file": {
                    "type": "array", "items": {"type": "string", "format": "binary"},
                    "description": "a JSON file in the --data shape, tables named <kind>.csv/.json/.xlsx/.parquet, "
                                   "or a .zip of tables"}}}},
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"},
                                             "description": "one file; name it with ?filename="}}},
            "responses": {"201": {"description": "the data set's name, hash, kinds, periods and warnings"},
                          "400": {"description": "not an upload the loader can read",
                                  "content": {"application/json": {"schema": _ref("error")}}},
                          "422": {"description": "bad data: the located messages of the loader",
                                  "content": {"application/json": {"schema": _ref("error")}}}}}},
        "/v1/policies": {"get": {
            "summary": "the loaded policies, their documents and in-force dates, and the policy set's hash",
            "responses": {"200": {"description": "the policy set"}}}},
        "/v1/decisions": {"get": {
            "summary": "decisions from the log",
            "parameters": [{"name": n, "in": "query", "required": False, "schema": {"type": "string"}}
                           for n in DECISIONS_QUERY],
            "responses": {"200": {"description": "logged decisions, oldest first"}}}},
        "/v1/datasets": {"get": {"summary": "the data sets loaded with --data",
                                 "responses": {"200": {"description": "names, kinds and periods"}}}},
        "/healthz": {"get": {"summary": "liveness", "responses": {"200": {"description": "ok"}}}},
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "policydsl", "version": __version__,
                 "description": f"policy set {snapshot.policy_set_hash}: "
                                + ", ".join(sorted(program.policies))},
        "paths": paths,
        "components": {"schemas": schemas},
    }
