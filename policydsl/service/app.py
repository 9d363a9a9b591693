"""The HTTP service: a Starlette application over a `Holder` (policies, data sets) and a `DecisionLog`.

In: JSON requests (and uploaded data files, `uploads.py`). Out: JSON answers — decisions in the `eval --format json` contract, explanations
as `explain --format json` — each with the request's id; every decision answered is committed to
the log before the answer leaves. Bad input is a 400 (not JSON, wrong shape) or a 422 (facts,
names or a selection the data does not have) with the same located messages as the CLI; a bug is
a 500 with the request's id and no traceback. Evaluation runs in worker threads (a `PolicySet` is
immutable; each evaluation has its own state).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import logging
import uuid
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from policydsl import render
from policydsl.api import SelectionError, as_of_date, check_selection, entity_id_argument
from policydsl.cli_output import OptionError, select_decisions
from policydsl.diagnostics import DataError, did_you_mean
from policydsl.engine.explain import ExplainError
from policydsl.engine.explain_status import document_labels
from policydsl.language.limits import run_deep
from policydsl.service.log import DecisionLog, Entry, LogError
from policydsl.service.openapi import DECISIONS_QUERY, EVALUATE_KEYS, EXPLAIN_KEYS, openapi_document
from policydsl.service.state import Holder, Snapshot
from policydsl.service.uploads import MAX_FILES, Upload, UploadError, Uploads, load_upload, upload_hash
from policydsl.values import Period

WEB = Path(__file__).resolve().parent / "web"
MAX_BODY = 64 * 1024 * 1024
MAX_LIMIT = 1_000_000  # decisions listed by one /v1/decisions query
logger = logging.getLogger("policydsl.service")


class BadRequest(Exception):
    """The request is not what the endpoint takes: 400 (shape) or 422 (content), with a message."""

    def __init__(self, message: str, status: int = 400, **extra):
        super().__init__(message)
        self.status = status
        self.extra = extra


# ---- reading requests ---------------------------------------------------------------------------

async def _limited(request: Request, what: str) -> bytes:
    """The request's body, read no further than MAX_BODY (a chunked body gives no length to check
    first: it is counted as it arrives, and refused once it passes)."""
    too_large = BadRequest(f"{what} is larger than {MAX_BODY // (1024 * 1024)} MB", status=413)
    size = request.headers.get("content-length")
    if size is not None and size.isascii() and size.isdigit() and int(size) > MAX_BODY:
        raise too_large
    chunks, total = [], 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > MAX_BODY:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def _known_keys(given, takes: tuple[str, ...], where: str) -> None:
    """Every key is one the request takes: a misspelt option is refused, never dropped (400)."""
    unknown = [key for key in given if key not in takes]
    if unknown:
        problems = []
        for key in unknown:
            hint = did_you_mean(str(key), takes)
            shown = str(key).encode("utf-8", "backslashreplace").decode("utf-8")  # a lone surrogate escaped
            problems.append(f"`{shown}`" + (f" ({hint})" if hint else ""))
        takes_text = f"it takes {', '.join(f'`{k}`' for k in takes)}" if takes else \
            "this endpoint takes no query parameter (a POST takes its options in the JSON body)"
        raise BadRequest(f"unknown {'key' if len(unknown) == 1 else 'keys'} in {where}: {', '.join(problems)}; "
                         + takes_text)


async def _body(request: Request, takes: tuple[str, ...]) -> dict:
    raw = await _limited(request, "the body")
    try:
        body = json.loads(raw or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        where = f" at line {err.lineno}, column {err.colno}" if isinstance(err, json.JSONDecodeError) else ""
        raise BadRequest(f"the body is not JSON{where}: {getattr(err, 'msg', err)}") from None
    except RecursionError:
        raise BadRequest("the body is not JSON this service reads: nested too deeply") from None
    except ValueError:  # a whole number of more than 4300 digits (Python's limit on reading one)
        raise BadRequest("the body is not JSON this service reads: a whole number of more than 4300 digits") from None
    if not isinstance(body, dict):
        raise BadRequest(f"the body must be a JSON object, not {type(body).__name__}")
    _known_keys(body, takes, "the body")
    return body


def _text(body: dict, key: str, *, required: bool = False) -> str | None:
    value = body.get(key)
    if value is None:
        if required:
            raise BadRequest(f"`{key}` is required")
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise BadRequest(f"`{key}` must be text, not {type(value).__name__}")
    return str(value)


def _names(body: dict, key: str) -> list[str]:
    value = body.get(key)
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise BadRequest(f"`{key}` must be a name or a list of names")


def _period(body: dict) -> Period | None:
    text = _text(body, "period")
    if text is None:
        return None
    try:
        return Period.parse(text)
    except ValueError as err:
        raise BadRequest(f"`period`: {err}", status=422) from None


def _as_of(body: dict) -> dt.date | None:
    value = body.get("as_of")
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadRequest(f"`as_of` must be a date as text (YYYY-MM-DD), not {type(value).__name__}")
    try:
        return as_of_date(value)  # as `--as-of` reads it: YYYY-MM-DD only
    except ValueError:
        raise BadRequest(f"`as_of`: not a date (YYYY-MM-DD): {value!r}", status=422) from None


def _facts(snapshot: Snapshot, body: dict, uploads: Uploads | None = None):
    """The facts of a request: its own (`facts`, the JSON shape of --data), a loaded data set, or
    an uploaded one (`POST /v1/upload`)."""
    if "facts" in body and "dataset" in body:
        raise BadRequest("give `facts` or `dataset`, not both")
    if "dataset" in body:
        name = _text(body, "dataset")
        if name in snapshot.datasets:
            return snapshot.datasets[name], snapshot.dataset_hashes[name]
        uploaded = uploads.get(name) if uploads is not None and name else None
        if uploaded is not None:
            if uploaded.policy_set != snapshot.policy_set_hash:
                raise BadRequest(f"the uploaded data set `{name}` was read for policies since reloaded; "
                                 "upload it again", status=422)
            return uploaded.dataset, uploaded.hash
        known = ", ".join(sorted(snapshot.datasets)) or "none (start serve with --data PATH)"
        raise BadRequest(f"no data set `{name}`; loaded: {known}", status=422)
    facts = body.get("facts")
    if not isinstance(facts, dict):
        raise BadRequest("`facts` must be an object of rows per entity kind, as in --data JSON "
                         '({"enterprise": [{"id": "E03", "period": "2019", ...}]}), or give `dataset`')
    canonical = json.dumps(facts, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    try:
        encoded = canonical.encode()
    except UnicodeEncodeError as err:  # JSON's `\ud800`: a lone surrogate is no character
        raise BadRequest(f"`facts` holds a lone surrogate (\\u{ord(canonical[err.start]):04x}), which is no character",
                         status=422) from None
    return facts, "sha256:" + hashlib.sha256(encoded).hexdigest()


# ---- answering ----------------------------------------------------------------------------------

def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")


def _evaluate(snapshot: Snapshot, body: dict, uploads: Uploads | None = None) -> tuple[list[dict], str, list]:
    facts, facts_hash = _facts(snapshot, body, uploads)
    period, as_of = _period(body), _as_of(body)
    entities = _names(body, "entities") or None
    all_statuses = body.get("all", True)
    if not isinstance(all_statuses, bool):
        raise BadRequest("`all` must be true or false")
    kinds, outcomes, policies = _names(body, "kind"), _names(body, "outcome"), _names(body, "policy")
    strict = body.get("strict", False)
    if not isinstance(strict, bool):
        raise BadRequest("`strict` must be true or false")
    result = _evaluated(snapshot, facts, period=period, entities=entities, strict=strict, as_of=as_of)
    chosen = select_decisions(snapshot.policies.program, result.decisions, kinds=kinds, outcomes=outcomes,
                              policies=policies)
    if not all_statuses:
        chosen = [d for d in chosen if d.status == "active"]
    warnings = [w.to_json() for w in getattr(result.evaluation.run.dataset, "warnings", ())]
    return [render.decision_to_json(d) for d in chosen], facts_hash, warnings


def _evaluated(snapshot: Snapshot, facts, **options):
    """`PolicySet.evaluate`, as the CLI's `eval` runs it: `as_of` evaluates as of that day (each
    document's status on it, the periods ended by then), and a period ending after it is refused."""
    try:
        return snapshot.policies.evaluate(facts, **options)
    except (DataError, SelectionError):
        raise
    except ValueError as err:  # a period after the as-of date
        raise BadRequest(str(err), status=422) from None


def _explain(snapshot: Snapshot, body: dict, question: str, uploads: Uploads | None = None) -> tuple[dict, str]:
    facts, facts_hash = _facts(snapshot, body, uploads)
    entity = entity_id_argument(_text(body, "entity", required=True))  # as the data's ids are read
    outcome = _text(body, "outcome", required=True)
    period = _period(body)
    lang = _text(body, "lang") or "zh"
    if lang not in render.LANGUAGES:
        raise BadRequest(f"`lang` must be one of {', '.join(render.LANGUAGES)}", status=422)
    as_of = _as_of(body)
    # the entity's rules at the period asked about only (a document's status is of the as-of day)
    labels = document_labels(snapshot.policies.program)
    result = _evaluated(snapshot, facts, entities=[entity], as_of=as_of,
                        period=None if entity in labels else period)
    check_selection(result.evaluation.run.dataset, period, [entity], labels)  # a period the data lacks: 422
    explanation = (result.why_not if question == "why_not" else result.explain)(entity, outcome, period)
    answer = render.explanation_json(explanation, lang)
    answer["text"] = render.explanation_text(explanation, lang)
    answer["siblings"] = sibling_outcomes(snapshot, result, explanation)
    return answer, facts_hash


def sibling_outcomes(snapshot: Snapshot, result, explanation) -> list[dict]:
    """The outcomes of the same clause for the same kind of entity (the other rungs of a ladder, the
    other rewards of a paragraph), each with whether this entity got it in this period."""
    if explanation.period is None:
        return []
    program = snapshot.policies.program
    clauses = {(r.policy, r.clause) for r in program.rules if r.name in {t.rule for t in explanation.rules}}
    got = {d.outcome: d.status for d in result.decisions
           if d.entity == explanation.entity and str(d.period) == explanation.period}
    seen, out = set(), []
    for rule in program.rules:
        if rule.entity != explanation.entity_kind or (rule.policy, rule.clause) not in clauses:
            continue
        for consequence in rule.consequences:
            name = consequence.outcome
            if name == explanation.outcome or name in seen:
                continue
            seen.add(name)
            declared = program.outcomes[name]
            out.append({"outcome": name, "label": declared.label, "outcome_kind": declared.kind,
                        "rule": rule.implements, "status": got.get(name, "not_fired")})
    return out


def dataset_summary(data) -> dict:
    """What a data set holds: entities per kind, and its periods."""
    return {"kinds": {kind: len(data.entities(kind)) for kind in data.kinds if data.entities(kind)},
            "periods": [str(p) for p in sorted(data.periods())]}


async def _uploaded_files(request: Request) -> list[tuple[str, bytes]]:
    """The files of an upload: the `file` fields of a multipart form (a browser's upload), or the
    body itself named by `?filename=` (curl --data-binary @enterprise.csv)."""
    size = request.headers.get("content-length")
    if size is not None and size.isdigit() and int(size) > MAX_BODY:
        raise BadRequest(f"the upload is larger than {MAX_BODY // (1024 * 1024)} MB", status=413)
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        try:
            async with request.form(max_files=MAX_FILES, max_fields=MAX_FILES) as form:
                files = [(item.filename or "", await item.read()) for item in form.getlist("file")
                         if hasattr(item, "filename")]
        except (ValueError, HTTPException) as err:  # a malformed form
            raise BadRequest(f"the upload is not a readable form: {getattr(err, 'detail', err)}") from None
        if sum(len(content) for _, content in files) > MAX_BODY:
            raise BadRequest(f"the upload is larger than {MAX_BODY // (1024 * 1024)} MB", status=413)
        return files
    name = request.query_params.get("filename")
    if not name:
        raise BadRequest("send the files as multipart/form-data fields named `file`, "
                         "or the body of one file with `?filename=NAME` (e.g. enterprise.csv)")
    return [(name, await _limited(request, "the upload"))]


def _error(message: str, status: int, request_id: str | None = None, **extra) -> JSONResponse:
    payload = {"error": message, **extra}
    if request_id:
        payload["request_id"] = request_id
    return JSONResponse(payload, status_code=status, headers={"X-Request-Id": request_id} if request_id else None)


def _bad_data(err: DataError, request_id: str) -> JSONResponse:
    """Data the loader refused: 422 with its located messages, as the CLI prints them (and the
    warnings it found before it stopped: a table it did not read says why the data had none)."""
    return _error("bad data", 422, request_id, problems=list(err.problems),
                  issues=[i.to_json() for i in err.issues if hasattr(i, "to_json")],
                  warnings=[w.to_json() for w in err.warnings if hasattr(w, "to_json")])


def make_app(holder: Holder, log: DecisionLog) -> Starlette:
    """The ASGI application. `holder.current` is read once per request (a reload swaps it whole)."""
    uploads = Uploads()

    async def answered(request: Request, endpoint: str, work, takes: tuple[str, ...]) -> Response:
        request_id = uuid.uuid4().hex
        snapshot = holder.current
        try:
            _known_keys(request.query_params.keys(), (), "the query")  # the body says it all: `?period=` is no option
            body = await _body(request, takes)
            # deep policies need a deep stack, as in the CLI (language/limits.py)
            payload, facts_hash, decisions = await run_in_threadpool(run_deep, work, snapshot, body)
            entry = Entry(request_id=request_id, time=_now(), endpoint=endpoint,
                          policy_set=snapshot.policy_set_hash, facts_hash=facts_hash, decisions=tuple(decisions))
            await asyncio.wrap_future(log.submit(entry))
        except BadRequest as err:
            return _error(str(err), err.status, request_id, **err.extra)
        except DataError as err:
            return _bad_data(err, request_id)
        except (SelectionError, ExplainError, OptionError) as err:
            return _error(str(err), 422, request_id)
        except LogError as err:
            return _error(str(err), 503, request_id)
        return JSONResponse({"request_id": request_id, "policy_set": snapshot.policy_set_hash,
                             "facts_hash": facts_hash, **payload}, headers={"X-Request-Id": request_id})

    def evaluate_work(snapshot: Snapshot, body: dict):
        decisions, facts_hash, warnings = _evaluate(snapshot, body, uploads)
        return {"decisions": decisions, "warnings": warnings}, facts_hash, decisions

    def explain_work(question: str):
        def work(snapshot: Snapshot, body: dict):
            answer, facts_hash = _explain(snapshot, body, question, uploads)
            logged = [answer["decision"]] if answer.get("decision") else []
            return {"explanation": answer}, facts_hash, logged
        return work

    async def evaluate(request: Request) -> Response:
        return await answered(request, "evaluate", evaluate_work, EVALUATE_KEYS)

    async def explain(request: Request) -> Response:
        return await answered(request, "explain", explain_work("why"), EXPLAIN_KEYS)

    async def why_not(request: Request) -> Response:
        return await answered(request, "why-not", explain_work("why_not"), EXPLAIN_KEYS)

    async def upload(request: Request) -> Response:
        """Read uploaded files with the loader of --data and keep them as a data set for later requests."""
        request_id = uuid.uuid4().hex
        snapshot = holder.current
        try:
            files = await _uploaded_files(request)
            dataset = await run_in_threadpool(run_deep, load_upload, snapshot.policies, files)
        except BadRequest as err:
            return _error(str(err), err.status, request_id, **err.extra)
        except UploadError as err:
            return _error(str(err), 400, request_id)
        except DataError as err:
            return _bad_data(err, request_id)
        digest = upload_hash(files)
        name = "upload-" + digest.split(":", 1)[1][:12]
        uploads.add(Upload(name=name, hash=digest, files=tuple(n for n, _ in files), dataset=dataset,
                           policy_set=snapshot.policy_set_hash))
        return JSONResponse({"request_id": request_id, "dataset": name, "hash": digest,
                             "files": [n for n, _ in files], **dataset_summary(dataset),
                             "warnings": [w.to_json() for w in dataset.warnings if hasattr(w, "to_json")]},
                            status_code=201, headers={"X-Request-Id": request_id})

    def no_query(endpoint):
        """A GET endpoint that takes no query parameter: one given is a 400, never dropped."""
        async def checked(request: Request) -> Response:
            try:
                _known_keys(request.query_params.keys(), (), "the query")
            except BadRequest as err:
                return _error(str(err), err.status)
            return await endpoint(request)
        return checked

    async def policies(request: Request) -> Response:
        snapshot = holder.current
        return JSONResponse({"policy_set": snapshot.policy_set_hash, "loaded_at": snapshot.loaded_at,
                             "reloads": holder.reloads, "last_reload_error": holder.last_reload_error,
                             "policies": snapshot.policy_list(), "documents": snapshot.document_list()})

    async def datasets(request: Request) -> Response:
        snapshot = holder.current
        return JSONResponse({"datasets": [
            {"name": name, "hash": snapshot.dataset_hashes[name], **dataset_summary(data)}
            for name, data in sorted(snapshot.datasets.items())]})

    async def decisions(request: Request) -> Response:
        query = request.query_params
        try:
            _known_keys(query.keys(), DECISIONS_QUERY, "the query")
        except BadRequest as err:
            return _error(str(err), err.status)
        twice = [key for key in DECISIONS_QUERY if len(query.getlist(key)) > 1]
        if twice:  # `entity=A&entity=B` read as B alone would list B's decisions as the answer for both
            return _error(f"`{twice[0]}` is given {len(query.getlist(twice[0]))} times; it takes one value", 400)
        limit = query.get("limit")
        if limit is not None and not (limit.isascii() and limit.isdigit() and 0 < int(limit) <= MAX_LIMIT):
            return _error(f"`limit` must be a whole number from 1 to {MAX_LIMIT}", 400)
        period = query.get("period")
        if period is not None:
            try:
                period = str(Period.parse(period))
            except ValueError as err:
                return _error(f"`period`: {err}", 422)
        try:
            rows = await run_in_threadpool(log.query, entity=query.get("entity"), period=period,
                                           request_id=query.get("request_id"),
                                           limit=int(limit) if limit else None)
        except LogError as err:
            return _error(str(err), 503)
        return JSONResponse({"decisions": rows, "count": len(rows)})

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok", "policy_set": holder.current.policy_set_hash})

    async def openapi(request: Request) -> Response:
        return JSONResponse(openapi_document(holder.current))

    async def index(request: Request) -> Response:
        return FileResponse(WEB / "index.html", media_type="text/html; charset=utf-8")

    async def not_found(request: Request, exc: HTTPException) -> Response:
        return _error(exc.detail if isinstance(exc.detail, str) else "error", exc.status_code)

    async def internal(request: Request, exc: Exception) -> Response:
        request_id = uuid.uuid4().hex  # the log line and the answer name the same request
        logger.exception("internal error on %s %s (request %s)", request.method, request.url.path, request_id)
        return _error("internal error (a bug in policydsl; the server log has the details)", 500, request_id)

    routes = [
        Route("/", index), Route("/healthz", healthz), Route("/openapi.json", openapi),
        Route("/v1/evaluate", evaluate, methods=["POST"]), Route("/v1/explain", explain, methods=["POST"]),
        Route("/v1/why-not", why_not, methods=["POST"]), Route("/v1/upload", upload, methods=["POST"]),
        Route("/v1/policies", no_query(policies)),
        Route("/v1/datasets", no_query(datasets)), Route("/v1/decisions", decisions),
        Mount("/static", StaticFiles(directory=WEB), name="static"),
    ]
    return Starlette(routes=routes, exception_handlers={HTTPException: not_found, Exception: internal})

