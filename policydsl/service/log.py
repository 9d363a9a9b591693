"""The decision log: every request the service answers, and every decision it returned, in SQLite.

In: a request's id, time, policy-set hash, facts hash and its decisions (the JSON contract of
`eval --format json`). Out: rows read back by entity, period or request, and CSV.

The file is in WAL mode, so readers (`GET /v1/decisions`, `log export`) never block the writer.
One writer thread owns the connection that writes: requests queue their records, the writer
inserts everything queued in one transaction (group commit, `synchronous=FULL`), and only then
does each request get its answer. A decision the service answered is therefore on disk, exactly
once (the request id is the primary key of `requests`; a decision's key is request id and its
position in the answer).
"""

from __future__ import annotations

import json
import queue
import sqlite3
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from pathlib import Path

import attrs

SCHEMA = """
create table if not exists requests (
    request_id text primary key,
    time text not null,
    endpoint text not null,
    policy_set text not null,
    facts_hash text not null,
    decisions integer not null
);
create table if not exists decisions (
    request_id text not null references requests(request_id),
    seq integer not null,
    time text not null,
    policy_set text not null,
    facts_hash text not null,
    entity_kind text not null,
    entity text not null,
    period text not null,
    policy text not null,
    rule text not null,
    outcome text not null,
    outcome_kind text not null,
    label text,
    amount text,
    value text,
    status text not null,
    superseded_by text,
    target text,
    primary key (request_id, seq)
);
create index if not exists decisions_by_entity on decisions (entity, period);
create index if not exists decisions_by_period on decisions (period);
"""

# The columns of a logged decision, in the order of `log export` (CSV) and `GET /v1/decisions`.
COLUMNS = ("request_id", "seq", "time", "policy_set", "facts_hash", "entity_kind", "entity", "period", "policy",
           "rule", "outcome", "outcome_kind", "label", "amount", "value", "status", "superseded_by", "target")
_DECISION_KEYS = COLUMNS[5:]


class LogError(Exception):
    """The decision log cannot be opened or written; the service refuses to answer without it."""


@attrs.frozen(kw_only=True)
class Entry:
    """One answered request: what the log keeps of it."""

    request_id: str
    time: str  # ISO 8601, UTC
    endpoint: str
    policy_set: str
    facts_hash: str
    decisions: tuple[dict, ...]  # the JSON contract of each decision


def cell_text(value: object) -> str | None:
    """An amount or value as the log keeps it: text, exact as the JSON answer gave it; a value
    with payload fields or a list (and true/false) as its JSON, as `eval --format csv` writes it."""
    if value is None:
        return None
    if isinstance(value, (dict, list, bool)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def connect(path: str | Path) -> sqlite3.Connection:
    try:
        connection = sqlite3.connect(str(path), timeout=30, check_same_thread=False, isolation_level=None)
        connection.execute("pragma journal_mode=wal")
        connection.execute("pragma synchronous=full")
        connection.execute("pragma busy_timeout=30000")
        connection.executescript(SCHEMA)
    except sqlite3.Error as err:
        raise LogError(f"cannot open the decision log `{path}`: {err}") from None
    return connection


class DecisionLog:
    """A SQLite decision log with a single writer thread and group commits."""

    def __init__(self, path: str | Path):
        self.path = str(path)
        self._writer = connect(self.path)
        self._queue: queue.Queue[tuple[Entry, Future] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._write_loop, name="decision-log-writer", daemon=True)
        self._thread.start()

    # ---- writing ------------------------------------------------------------------------------
    def submit(self, entry: Entry) -> Future:
        """Queue an entry; the future completes once it is committed (or fails with LogError)."""
        done: Future = Future()
        self._queue.put((entry, done))
        return done

    def record(self, entry: Entry) -> None:
        """Write an entry and wait for its commit."""
        self.submit(entry).result()

    def _write_loop(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            batch = [item]
            while True:  # everything queued meanwhile goes into the same transaction
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._queue.put(None)
                    break
                batch.append(more)
            self._settle(batch)

    def _settle(self, batch: list) -> None:
        """Commit a batch and tell each request how it went. An entry that cannot be written
        (text SQLite refuses, a lone surrogate in an id) fails its own request only: the batch is
        written again entry by entry. Whatever happens, the writer goes on: were it to stop, every
        later request would wait for it forever."""
        try:
            self._commit([entry for entry, _ in batch])
        except Exception as err:  # noqa: BLE001  any failure of one entry must not end the writer
            if len(batch) > 1:
                for one in batch:
                    self._settle([one])
                return
            for _, done in batch:
                done.set_exception(LogError(f"the decision log `{self.path}` could not be written: {err}"))
        else:
            for _, done in batch:
                done.set_result(None)

    def _commit(self, entries: Sequence[Entry]) -> None:
        connection = self._writer
        connection.execute("begin immediate")
        try:
            connection.executemany(
                "insert into requests values (?, ?, ?, ?, ?, ?)",
                [(e.request_id, e.time, e.endpoint, e.policy_set, e.facts_hash, len(e.decisions)) for e in entries])
            connection.executemany(
                f"insert into decisions values ({', '.join('?' * len(COLUMNS))})",
                [(e.request_id, seq, e.time, e.policy_set, e.facts_hash,
                  *(cell_text(d[k]) if k in ("amount", "value") else d[k] for k in _DECISION_KEYS))
                 for e in entries for seq, d in enumerate(e.decisions)])
        except BaseException:
            connection.execute("rollback")
            raise
        connection.execute("commit")

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()
        self._writer.close()

    # ---- reading ------------------------------------------------------------------------------
    def query(self, *, entity: str | None = None, period: str | None = None, request_id: str | None = None,
              limit: int | None = None) -> list[dict]:
        return read_decisions(self.path, entity=entity, period=period, request_id=request_id, limit=limit)


def read_decisions(path: str | Path, *, entity: str | None = None, period: str | None = None,
                   request_id: str | None = None, limit: int | None = None) -> list[dict]:
    """Logged decisions, oldest first, narrowed by entity, period and request id."""
    if not Path(path).is_file():
        raise LogError(f"no decision log at `{path}`")
    where, params = [], []
    for column, wanted in (("entity", entity), ("period", period), ("request_id", request_id)):
        if wanted is not None:
            where.append(f"{column} = ?")
            params.append(wanted)
    sql = f"select {', '.join(COLUMNS)} from decisions"
    if where:
        sql += " where " + " and ".join(where)
    sql += " order by time, request_id, seq"
    if limit is not None:
        sql += " limit ?"
        params.append(limit)
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
        try:
            rows = connection.execute(sql, params).fetchall()
        finally:
            connection.close()
    except sqlite3.Error as err:
        raise LogError(f"cannot read the decision log `{path}`: {err}") from None
    return [dict(zip(COLUMNS, row)) for row in rows]
