"""The HTTP service: endpoints, the OpenAPI document, errors as located JSON (never a traceback),
the decision log, reload, and the `serve` / `log export` commands."""

from __future__ import annotations

import csv
import io
import json
import shutil
import signal
import time

import httpx
import attrs
import pytest
from starlette.testclient import TestClient

import policydsl
from policydsl import cli, render
from policydsl.service.app import make_app
from policydsl.service.log import DecisionLog, read_decisions
from policydsl.service.state import Holder
from tests.conftest import ROOT
from tests.serving import PATIENCE, serve, stop_server

POLICIES = str(ROOT / "policies")
PROVINCE = str(ROOT / "examples" / "province")


@pytest.fixture(scope="module")
def holder():
    return Holder([POLICIES], [PROVINCE])


@pytest.fixture
def service(holder, tmp_path):
    log = DecisionLog(tmp_path / "decisions.db")
    with TestClient(make_app(holder, log), raise_server_exceptions=False) as client:
        client.log_path = tmp_path / "decisions.db"
        yield client
    log.close()


def small_facts() -> dict:
    """Two zones of 开封市 over two years, as in the --data JSON shape."""
    rows = []
    for zone, (abs15, dev15, abs16, dev16) in {"KF01": (10, 10, 60, 60), "KF02": (20, 20, 22, 21)}.items():
        for period, (absolute, development) in (("2015", (abs15, dev15)), ("2016", (abs16, dev16))):
            rows.append({"id": zone, "period": period, "city": "开封市", "absolute_index_position": absolute,
                         "development_index_position": development, "value_added": 10, "tax_revenue": 5,
                         "fixed_asset_investment": 8, "eliminated_in_provincial_dynamic_management": False})
    return {"industrial_zone": rows}


SANCTIONS = ROOT / "policies" / "kaifeng2014" / "zone_sanctions.pol"


@pytest.fixture
def sanctions_service(tmp_path):
    log = DecisionLog(tmp_path / "decisions.db")
    with TestClient(make_app(Holder([str(SANCTIONS)]), log), raise_server_exceptions=False) as client:
        client.log_path = tmp_path / "decisions.db"
        yield client
    log.close()


def test_evaluate_answers_the_same_decisions_as_the_api_with_a_request_id(sanctions_service):
    response = sanctions_service.post("/v1/evaluate", json={"facts": small_facts()})
    assert response.status_code == 200
    payload = response.json()
    expected = json.loads(policydsl.decisions_json(policydsl.load(SANCTIONS).evaluate(small_facts()).decisions))
    assert payload["decisions"] == expected["decisions"] and payload["decisions"]
    assert len(payload["request_id"]) == 32 and response.headers["x-request-id"] == payload["request_id"]
    assert payload["policy_set"].startswith("sha256:") and payload["facts_hash"].startswith("sha256:")


def test_every_answered_decision_is_in_the_log_with_its_request_and_hashes(sanctions_service):
    payload = sanctions_service.post("/v1/evaluate", json={"facts": small_facts(), "period": "2016"}).json()
    logged = read_decisions(sanctions_service.log_path, request_id=payload["request_id"])
    assert [(r["entity"], r["outcome"], r["rule"], r["period"]) for r in logged] == \
        [(d["entity"], d["outcome"], d["rule"], d["period"]) for d in payload["decisions"]]
    assert {r["policy_set"] for r in logged} == {payload["policy_set"]}
    assert {r["facts_hash"] for r in logged} == {payload["facts_hash"]}
    back = sanctions_service.get("/v1/decisions", params={"entity": "KF01", "period": "2016"}).json()
    assert back["count"] == sum(d["entity"] == "KF01" for d in payload["decisions"]) > 0


def test_the_same_facts_give_the_same_facts_hash_and_different_facts_another(sanctions_service):
    first = sanctions_service.post("/v1/evaluate", json={"facts": small_facts()}).json()
    second = sanctions_service.post("/v1/evaluate", json={"facts": small_facts()}).json()
    changed = small_facts()
    changed["industrial_zone"][1]["absolute_index_position"] = 99
    third = sanctions_service.post("/v1/evaluate", json={"facts": changed}).json()
    assert first["facts_hash"] == second["facts_hash"] != third["facts_hash"]
    assert first["request_id"] != second["request_id"]


def test_evaluate_filters_by_period_kind_outcome_policy_and_as_of(service, holder):
    every = service.post("/v1/evaluate", json={"dataset": "province"}).json()["decisions"]
    sanctions = service.post("/v1/evaluate", json={"dataset": "province", "period": "2016",
                                                   "kind": ["sanction"]}).json()["decisions"]
    assert sanctions == [d for d in every if d["period"] == "2016" and d["outcome_kind"] == "sanction"]
    early = service.post("/v1/evaluate", json={"dataset": "province", "as_of": "2015-12-31"}).json()["decisions"]
    assert early and all(d["period"][:4] <= "2015" for d in early)
    # as `eval --as-of` evaluates: as of that day (each document's status on it), not a filter of
    # the decisions made at each period's end (which lost decisions and dated statuses wrongly)
    policies = holder.current.policies
    assert early == [render.decision_to_json(d) for d in policies.evaluate(
        policies.load_data(PROVINCE), as_of="2015-12-31").decisions]
    assert {d["as_of"] for d in early if d["entity_kind"] == "document"} == {"2015-12-31"}
    refused = service.post("/v1/evaluate", json={"dataset": "province", "period": "2019", "as_of": "2015-01-01"})
    assert refused.status_code == 422 and "after the as-of date 2015-01-01" in refused.json()["error"]
    one = service.post("/v1/evaluate", json={"dataset": "province", "entities": ["Z11"],
                                             "outcome": "zone_head_replacement_ordered"}).json()["decisions"]
    assert one and {(d["entity"], d["outcome"]) for d in one} == {("Z11", "zone_head_replacement_ordered")}


@pytest.mark.parametrize("body, status, words", [
    ({"facts": {"industrial_zone": [{"id": "Z1", "period": "2016", "absolute_index_position": "many"}]}},
     422, "absolute_index_position"),
    ({"facts": {"industrial_zon": []}, "strict": True}, 422, "industrial_zone"),
    ({"facts": []}, 400, "`facts` must be an object"),
    ({"dataset": "provinse"}, 422, "no data set `provinse`"),
    ({"dataset": "province", "period": "2099"}, 422, "no data for period 2099"),
    ({"dataset": "province", "period": "20x6"}, 422, "`period`"),
    ({"dataset": "province", "entities": ["Z1l"]}, 422, "no entity `Z1l`"),
    ({"dataset": "province", "kind": "sanctions"}, 422, "did you mean `sanction`"),
    ({"dataset": "province", "as_of": "yesterday"}, 422, "`as_of`"),
    ({"dataset": "province", "facts": {}}, 400, "not both"),
])
def test_input_errors_are_400_or_422_with_located_messages(sanctions_service, service, body, status, words):
    client = service if "dataset" in body else sanctions_service
    response = client.post("/v1/evaluate", json=body)
    assert response.status_code == status
    payload = response.json()
    text = json.dumps(payload, ensure_ascii=False)
    assert words in text and "Traceback" not in text and payload["request_id"]


def test_data_warnings_come_back_with_the_answer(sanctions_service):
    payload = sanctions_service.post("/v1/evaluate", json={"facts": {**small_facts(), "industrial_zon": []}}).json()
    assert payload["decisions"] and any("industrial_zone" in w["text"] for w in payload["warnings"])


def test_bad_data_carries_the_same_messages_as_the_cli(sanctions_service, tmp_path, capsys):
    facts = {"industrial_zone": [{"id": "Z1", "period": "2016", "city": "开封市", "absolute_index_position": "x"}]}
    payload = sanctions_service.post("/v1/evaluate", json={"facts": facts}).json()
    data = tmp_path / "facts.json"
    data.write_text(json.dumps(facts, ensure_ascii=False), encoding="utf-8")
    assert cli.main(["eval", str(SANCTIONS), "--data", str(data)]) == 2
    err = capsys.readouterr().err
    for problem in payload["problems"]:
        assert problem.split(": ", 1)[1] in err  # the same message; the file name differs (<data> vs path)


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b"\xff\xfe", b'"text"'])
def test_a_body_that_is_not_a_json_object_is_a_400(service, raw):
    response = service.post("/v1/evaluate", content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 400 and "error" in response.json()


def test_explain_and_why_not_answer_with_the_tree_the_text_and_the_siblings(service):
    body = {"dataset": "province", "entity": "Z11", "period": "2016", "outcome": "zone_head_replacement_ordered"}
    why = service.post("/v1/explain", json=body).json()["explanation"]
    assert why["status"] == "active" and why["rules"][0]["cite"] == "四(五)2(7)"
    assert why["rules"][0]["quote"] and "责令县委调整" in why["rules"][0]["quote"]
    assert "责令县委调整" in why["text"]
    siblings = {s["outcome"]: s["status"] for s in why["siblings"]}
    assert siblings and "zone_head_replacement_ordered" not in siblings
    assert any(status == "not_fired" for status in siblings.values())
    why_not = service.post("/v1/why-not", json={**body, "outcome": "zone_head_removal_recommended"}).json()
    assert why_not["explanation"]["question"] == "why_not"
    assert why_not["explanation"]["status"] in ("not_fired", "not_evaluable")


def test_explain_errors_are_422_with_a_hint(service):
    response = service.post("/v1/explain", json={"dataset": "province", "entity": "Z11",
                                                 "outcome": "zone_head_replacement_orderd"})
    assert response.status_code == 422 and "did you mean `zone_head_replacement_ordered`" in response.json()["error"]
    response = service.post("/v1/explain", json={"dataset": "province", "outcome": "zone_head_replacement_ordered"})
    assert response.status_code == 400 and "`entity` is required" in response.json()["error"]


def test_policies_lists_documents_in_force_dates_and_the_set_hash(service, holder):
    payload = service.get("/v1/policies").json()
    assert payload["policy_set"] == holder.current.policy_set_hash
    by_id = {p["id"]: p for p in payload["policies"]}
    assert set(by_id) == {"henan2014", "kaifeng2014", "xuchang2018", "zhoukou2014", "zhoukou2017"}
    assert by_id["henan2014"]["document"] == "豫政办〔2014〕49号"
    assert by_id["henan2014"]["in_force_until"] == "2014-12-31"
    assert any(f.endswith("zone_sanctions.pol") for f in by_id["kaifeng2014"]["files"])
    assert service.get("/healthz").json()["status"] == "ok"


def test_policies_lists_the_documents_known_only_by_reference_with_the_dates_the_corpus_gives(service):
    documents = {d["document"]: d for d in service.get("/v1/policies").json()["documents"]}
    assert documents["汴发〔2011〕23号"]["issued"] == "2011"  # a year alone
    assert documents["汴发〔2011〕23号"]["repealed_by"] == "kaifeng2014"
    assert documents["汴发〔2011〕23号"]["repealed_on"] == "2014-08-26"
    assert documents["周发〔2012〕12号"]["cited_in"] == "zhoukou2014"
    undated = documents["党政领导干部选拔任用工作条例"]
    assert (undated["issued"], undated["in_force_from"], undated["cited_in"]) == (None, None, "kaifeng2014")


def test_openapi_documents_every_endpoint_and_each_kinds_facts_with_types(service):
    document = service.get("/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    assert {"/v1/evaluate", "/v1/explain", "/v1/why-not", "/v1/policies", "/v1/decisions", "/healthz"} <= \
        set(document["paths"])
    schemas = document["components"]["schemas"]
    program = policydsl.load(POLICIES).program
    for kind, entity in program.entities.items():
        properties = schemas[f"{kind}_row"]["properties"]
        assert set(entity.facts) <= set(properties)
    zone = schemas["industrial_zone_row"]["properties"]
    assert zone["absolute_index_position"]["x-policydsl-type"] == "integer"
    assert zone["eliminated_in_provincial_dynamic_management"]["type"] == "boolean"
    assert zone["city"]["type"] == "string"
    money = [f for f in zone.values() if f.get("x-unit") == "万元"]
    assert money and all("anyOf" in f for f in money)


def test_the_openapi_document_validates_a_real_request(service):
    jsonschema = pytest.importorskip("jsonschema")
    document = service.get("/openapi.json").json()
    schema = {"$ref": "#/components/schemas/evaluate_request", "components": document["components"]}
    jsonschema.validate({"facts": small_facts(), "period": "2016"}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"facts": {"industrial_zone": [{"id": "Z1", "value_added": True}]}}, schema)


def test_unknown_paths_and_methods_are_json_errors(service):
    assert service.get("/v1/nothing").status_code == 404
    response = service.get("/v1/evaluate")
    assert response.status_code == 405 and "error" in response.json()


def test_decisions_query_rejects_a_bad_limit_or_period(service):
    assert service.get("/v1/decisions", params={"limit": "-3"}).status_code == 400
    assert service.get("/v1/decisions", params={"period": "20x6"}).status_code == 422


def copy_of_sanctions(tmp_path):
    """A copy of kaifeng2014's zone sanctions with the schema it imports: (folder, policy file)."""
    folder = tmp_path / "policies"
    shutil.copytree(ROOT / "policies" / "schema", folder / "schema")
    (folder / "kaifeng2014").mkdir()
    policy = folder / "kaifeng2014" / "zone_sanctions.pol"
    policy.write_text(SANCTIONS.read_text(encoding="utf-8"), encoding="utf-8")
    return folder, policy


def test_reload_swaps_the_policy_set_atomically_and_a_broken_reload_keeps_the_old(tmp_path):
    folder, policy = copy_of_sanctions(tmp_path)
    holder = Holder([str(folder)])
    before = holder.current
    policy.write_text(policy.read_text(encoding="utf-8") + "\n# revised\n", encoding="utf-8")
    assert holder.reload() is None
    assert holder.current is not before and holder.current.policy_set_hash != before.policy_set_hash
    revised = holder.current
    policy.write_text("policy broken\nrule r\n  when x >= \n", encoding="utf-8")
    problem = holder.reload()
    assert problem and "error[" in problem
    assert holder.current is revised  # still serving the last good set


def test_log_export_writes_csv_of_the_logged_decisions(sanctions_service, capsys, tmp_path):
    payload = sanctions_service.post("/v1/evaluate", json={"facts": small_facts()}).json()
    target = tmp_path / "log.csv"
    assert cli.main(["log", "export", "--log-db", str(sanctions_service.log_path), "-o", str(target)]) == 0
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert len(rows) == len(payload["decisions"])
    assert {r["request_id"] for r in rows} == {payload["request_id"]}
    assert [r["outcome"] for r in rows] == [d["outcome"] for d in payload["decisions"]]


def test_log_export_of_a_missing_log_is_an_input_error(capsys, tmp_path):
    assert cli.main(["log", "export", "--log-db", str(tmp_path / "none.db")]) == 2
    assert "no decision log" in capsys.readouterr().err


def test_the_log_is_in_wal_mode(sanctions_service):
    import sqlite3

    sanctions_service.post("/v1/evaluate", json={"facts": small_facts()})
    with sqlite3.connect(sanctions_service.log_path) as connection:
        assert connection.execute("pragma journal_mode").fetchone()[0] == "wal"


def test_serve_with_bad_policies_exits_like_the_cli(capsys, tmp_path):
    broken = tmp_path / "broken.pol"
    broken.write_text("policy p\nrule r\n  when x >= \n", encoding="utf-8")
    assert cli.main(["serve", str(broken), "--log-db", str(tmp_path / "d.db")]) == 1
    assert "error[" in capsys.readouterr().err


@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="SIGHUP is POSIX")
def test_serve_answers_over_http_and_reloads_on_sighup(tmp_path):
    folder, policy = copy_of_sanctions(tmp_path)
    server, base = serve([str(folder), "--log-db", str(tmp_path / "d.db")])
    try:
        with httpx.Client(base_url=base, timeout=PATIENCE) as http:
            first = http.get("/v1/policies").json()["policy_set"]
            policy.write_text(policy.read_text(encoding="utf-8") + "\n# revised\n", encoding="utf-8")
            server.send_signal(signal.SIGHUP)
            deadline = time.monotonic() + PATIENCE  # the reload compiles anew: poll until it is in
            while (now := http.get("/v1/policies").json()["policy_set"]) == first and time.monotonic() < deadline:
                time.sleep(0.1)
            assert now != first
            assert http.post("/v1/evaluate", json={"facts": small_facts()}).status_code == 200
    finally:
        stop_server(server)


def test_the_page_is_served_at_the_root(service):
    response = service.get("/")
    assert response.status_code == 200 and "text/html" in response.headers["content-type"]


@pytest.mark.parametrize("seconds", ["0", "-1", "soon", "inf"])
def test_serve_refuses_a_keep_alive_that_is_not_a_positive_number_of_seconds(capsys, seconds):
    with pytest.raises(SystemExit) as raised:
        cli.main(["serve", "policies", "--keep-alive", seconds])
    assert raised.value.code == 2
    assert "not a number of seconds above 0" in capsys.readouterr().err


def _idle_connection_is_closed(base: str, idle: float) -> bool:
    """Ask once on a kept-alive connection, stay idle, and say whether the server closed it."""
    import socket
    from urllib.parse import urlsplit

    address = urlsplit(base)
    with socket.create_connection((address.hostname, address.port), timeout=PATIENCE) as connection:
        connection.sendall(b"GET /v1/policies HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n")
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += connection.recv(65536)
        time.sleep(idle)
        connection.settimeout(0.5)
        try:
            while chunk := connection.recv(65536):  # the rest of the body, then the close if any
                answer += chunk
        except TimeoutError:
            return False
        return True


def test_serve_closes_idle_connections_after_the_keep_alive_it_is_given(tmp_path):
    folder, _ = copy_of_sanctions(tmp_path)
    server, base = serve([str(folder), "--log-db", str(tmp_path / "d.db"), "--keep-alive", "0.5"])
    try:
        assert _idle_connection_is_closed(base, idle=2.0)
    finally:
        stop_server(server)
    server, base = serve([str(folder), "--log-db", str(tmp_path / "e.db"), "--keep-alive", "60"])
    try:
        assert not _idle_connection_is_closed(base, idle=2.0)
    finally:
        stop_server(server)


def test_the_log_keeps_a_value_with_fields_or_a_list_as_its_json(service):
    import json
    import sqlite3

    answer = service.post("/v1/evaluate", json={"dataset": "province", "period": "2018",
                                                "outcome": "allocation_tier_priority"}).json()
    decisions = answer["decisions"]
    assert decisions and all(isinstance(d["value"], dict) for d in decisions)
    with sqlite3.connect(service.log_path) as connection:
        logged = [row[0] for row in connection.execute(
            "select value from decisions where request_id = ? order by seq", (answer["request_id"],))]
    assert [json.loads(text) for text in logged] == [d["value"] for d in decisions]  # JSON, not a Python repr
    assert "'" not in logged[0] and "dimensions" in logged[0]


@pytest.mark.parametrize("path, body, status, message", [
    ("/v1/decisions?limit=99999999999999999999", None, 400, "`limit` must be a whole number"),
    ("/v1/decisions?limit=%C2%B2", None, 400, "`limit` must be a whole number"),
    ("/v1/evaluate", b"[" * 200000 + b"]" * 200000, 400, "nested too deeply"),
])
def test_odd_requests_are_refused_not_answered_with_a_500(service, path, body, status, message):
    answer = service.get(path) if body is None else service.post(path, content=body)
    assert answer.status_code == status and message in answer.json()["error"]


def test_a_chunked_body_past_the_limit_is_a_413(service, monkeypatch):
    """A chunked body has no Content-Length to check first: it is counted as it is read (the
    reading stops at the limit; the test client hands the body over whole, so only the 413 is
    seen here)."""
    from policydsl.service import app

    monkeypatch.setattr(app, "MAX_BODY", 1000)
    answer = service.post("/v1/evaluate", content=(b" " * 100 for _ in range(50)))
    assert answer.status_code == 413 and "larger than" in answer.json()["error"]


def test_explain_of_a_period_the_data_lacks_is_a_422_naming_the_nearest(service):
    answer = service.post("/v1/explain", json={"dataset": "province", "entity": "E042",
                                               "outcome": "enterprise_rectification_order", "period": "2099"})
    assert answer.status_code == 422 and "nearest" in answer.json()["error"]


@pytest.mark.parametrize("path, body, named", [
    ("/v1/evaluate", {"dataset": "province", "perod": "2016"}, "`perod` (did you mean `period`?)"),
    ("/v1/explain", {"dataset": "province", "entity": "E042", "outcome": "enterprise_rectification_order",
                     "as-of": "2016-12-31"}, "`as-of` (did you mean `as_of`?)"),
    ("/v1/why-not", {"dataset": "province", "entity": "E042", "outcome": "enterprise_rectification_order",
                     "explain": True}, "`explain`"),
])
def test_a_misspelt_key_is_refused_not_dropped(service, path, body, named):
    """`perod` dropped would answer for every period, as if the filter had been applied."""
    answer = service.post(path, json=body)
    assert answer.status_code == 400, answer.json()
    assert named in answer.json()["error"] and "`period`" in answer.json()["error"]


def test_a_misspelt_decisions_query_parameter_is_refused(service):
    answer = service.get("/v1/decisions", params={"entty": "E042"})
    assert answer.status_code == 400 and "`entty` (did you mean `entity`?)" in answer.json()["error"]


def test_the_openapi_request_schemas_list_exactly_the_keys_the_service_takes(service):
    from policydsl.service.openapi import DECISIONS_QUERY, EVALUATE_KEYS, EXPLAIN_KEYS

    document = service.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    assert set(schemas["evaluate_request"]["properties"]) == set(EVALUATE_KEYS)
    assert set(schemas["explain_request"]["properties"]) == set(EXPLAIN_KEYS)
    assert schemas["evaluate_request"]["additionalProperties"] is False
    query = document["paths"]["/v1/decisions"]["get"]["parameters"]
    assert {p["name"] for p in query} == set(DECISIONS_QUERY)


def test_an_entry_the_log_cannot_write_fails_its_request_only_and_the_writer_goes_on(tmp_path):
    """A lone surrogate ended the log's one writer thread: that request, and every later one, waited forever."""
    from policydsl.service.log import DecisionLog, Entry, LogError

    log = DecisionLog(tmp_path / "log.sqlite")
    try:
        bad = Entry(request_id="r1", time="t", endpoint="evaluate", policy_set="p", facts_hash="f",
                    decisions=({**{k: None for k in ("entity_kind", "period", "outcome", "outcome_kind", "label",
                                                      "amount", "value", "rule", "policy", "cite", "status",
                                                      "superseded_by", "target", "as_of")}, "entity": "KF\ud800"},))
        good = attrs.evolve(bad, request_id="r2", decisions=())
        first, second = log.submit(bad), log.submit(good)
        with pytest.raises(LogError):
            first.result(timeout=30)
        assert second.result(timeout=30) is None
        assert log.submit(attrs.evolve(good, request_id="r3")).result(timeout=30) is None
    finally:
        log.close()


@pytest.mark.parametrize("path, query, body, status, words", [
    ("/v1/evaluate", "?perod=2016", {"dataset": "province"}, 400, "unknown key in the query: `perod`"),
    ("/v1/explain", "?period=2016", {"dataset": "province", "entity": "E042", "outcome": "enterprise_rectification_order"},
     400, "takes its options in the JSON body"),
    ("/v1/evaluate", "", b'{"period": ' + b"9" * 5000 + b"}", 400, "more than 4300 digits"),
    ("/v1/evaluate", "", b'{"facts": {"industrial_zone": [{"id": "KF\\ud8001"}]}}', 422, "lone surrogate"),
    ("/v1/evaluate", "", b'{"\\ud800": 1}', 400, "unknown key in the body"),
])
def test_a_query_on_a_post_a_huge_number_or_a_lone_surrogate_is_a_4xx_with_the_request_id(
        service, path, query, body, status, words):
    """The query was dropped (`?perod=2016` answered every period); the others were 500s."""
    answer = service.post(path + query, **({"json": body} if isinstance(body, dict) else {"content": body}))
    assert answer.status_code == status and words in answer.json()["error"]
    assert answer.json()["request_id"] == answer.headers["X-Request-Id"]


def test_explain_reads_the_entity_asked_for_as_the_datas_ids_are(service):
    """` E042` was refused by /v1/explain (did you mean `E042`?) though /v1/evaluate and the CLI strip it."""
    answer = service.post("/v1/explain", json={"dataset": "province", "entity": " E042 ",
                                               "outcome": "enterprise_rectification_order"})
    assert answer.status_code == 200 and answer.json()["explanation"]["entity"] == "E042"


@pytest.mark.parametrize("as_of, status", [("2015-W01", 422), ("20151231", 422), (20151231, 400)])
def test_as_of_is_yyyy_mm_dd_as_the_cli_reads_it(service, as_of, status):
    answer = service.post("/v1/evaluate", json={"dataset": "province", "as_of": as_of})
    assert answer.status_code == status and "as_of" in answer.json()["error"]


def test_a_get_endpoint_refuses_an_unknown_or_repeated_query_parameter(service):
    assert service.get("/v1/policies", params={"perod": "1"}).status_code == 400
    assert service.get("/v1/datasets", params={"x": "1"}).status_code == 400
    answer = service.get("/v1/decisions?entity=KF01&entity=KF02")
    assert answer.status_code == 400 and "`entity` is given 2 times" in answer.json()["error"]
