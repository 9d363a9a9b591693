"""The decision log loses nothing under load: a bounded run of `bench/service_load.py` on loopback
(a real server process, concurrent clients), then every decision answered is in the log once.
The full run (20,000 requests, 32 clients) and its figures are in bench/README.md."""

from __future__ import annotations

import sqlite3

from tests.serving import service_load


def test_every_decision_answered_under_concurrent_load_is_logged_exactly_once():
    # bounded in count and in time; the time bound is far above a normal run (about half a minute)
    # so that a loaded machine slows the test down rather than failing it
    report = service_load.run(requests=2000, concurrency=32, time_limit=1200)
    assert report["failed"] == 0, report["failures"]
    assert report["answered"] == 2000
    assert report["decisions"] > 2000  # the requests' facts give decisions, not empty answers
    assert report["problems"] == []


def _answers_and_log(tmp_path):
    from policydsl.service.log import DecisionLog, Entry

    log_db = tmp_path / "decisions.db"
    log = DecisionLog(log_db)
    decision = {"entity_kind": "industrial_zone", "entity": "Z1", "period": "2016", "policy": "p",
                "rule": "p.1", "outcome": "o", "status": "active", "amount": 100, "value": None,
                "superseded_by": None, "target": None, "outcome_kind": "sanction", "label": None}
    answers = []
    for n in range(3):
        entry = Entry(request_id=f"r{n}", time="t", endpoint="evaluate", policy_set="h", facts_hash="f",
                      decisions=(decision, {**decision, "entity": "Z2"}))
        log.record(entry)
        answers.append((entry.request_id, list(entry.decisions)))
    log.close()
    return log_db, answers


def test_the_load_check_finds_a_lost_decision(tmp_path):
    log_db, answers = _answers_and_log(tmp_path)
    assert service_load.check_log(log_db, answers) == []
    with sqlite3.connect(log_db) as connection:
        connection.execute("delete from decisions where request_id = 'r1' and entity = 'Z2'")
    assert service_load.check_log(log_db, answers) == ["request r1: logged decisions differ from the answer"]


def test_the_load_check_finds_a_request_never_answered(tmp_path):
    log_db, answers = _answers_and_log(tmp_path)
    assert service_load.check_log(log_db, answers[:2]) == ["1 logged requests were never answered"]
