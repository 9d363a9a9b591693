"""Load test of `policydsl serve` on loopback: N requests from C concurrent clients, then a check
that every decision answered is in the decision log exactly once.

    python3 bench/service_load.py --requests 20000 --concurrency 32 [--time-limit 600]

Starts the server itself (127.0.0.1, a free port, a fresh SQLite log in a temporary folder),
sends `POST /v1/evaluate` requests whose facts differ from one request to the next (kaifeng2014's
zone sanctions over four zones and two years, positions drawn from a seeded generator), stops
after N requests or the time limit, whichever comes first, stops the server, and compares the
answers with the log. Prints throughput and latency percentiles; exits 1 if anything is missing,
doubled or different. `tests/test_service_load.py` runs the same with a few thousand requests.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import queue
import random
import re
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
POLICY = ROOT / "policies" / "kaifeng2014" / "zone_sanctions.pol"
ZONES = ROOT / "examples" / "province" / "industrial_zone.csv"
FACTS = ("city", "absolute_index_position", "development_index_position", "value_added",
         "fixed_asset_investment", "tax_revenue", "eliminated_in_provincial_dynamic_management")


def base_rows() -> list[dict]:
    with ZONES.open(encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r.get("city") == "开封市" and r["period"] in ("2015", "2016")]
    ids = sorted({r["id"] for r in rows})[:4]
    return [{k: v for k, v in r.items() if v != "" and k in ("id", "period", *FACTS)} for r in rows if r["id"] in ids]


def request_bodies(count: int, seed: int = 2016) -> list[dict]:
    """Bodies that differ: each zone's 2016 positions drawn anew, so decisions vary by request."""
    rng = random.Random(seed)
    rows = base_rows()
    bodies = []
    for _ in range(count):
        facts = []
        for row in rows:
            row = dict(row)
            if row["period"] == "2016":
                row["absolute_index_position"] = rng.randint(1, 180)
                row["development_index_position"] = rng.randint(1, 180)
            facts.append(row)
        bodies.append({"facts": {"industrial_zone": facts}})
    return bodies


# How long a server may take to compile the policies and load its data before it answers; generous,
# since a loaded machine (a CI runner, several test suites at once) can be many times slower.
START_SECONDS = 300.0


def serve(arguments: list[str], seconds: float = START_SECONDS) -> tuple[subprocess.Popen, str]:
    """Start `policydsl serve ARGUMENTS --port 0` and wait, at most `seconds`, for the address it
    says it is running on. Its stderr is read by a thread for as long as it runs, so the server
    never blocks on a full pipe, and the wait ends at the deadline even if the server prints nothing."""
    server = subprocess.Popen(
        [sys.executable, "-m", "policydsl", "serve", *arguments, "--host", "127.0.0.1", "--port", "0"],
        cwd=ROOT, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    lines: queue.Queue[str | None] = queue.Queue()

    def drain() -> None:
        for line in server.stderr:
            lines.put(line)
        lines.put(None)
    threading.Thread(target=drain, daemon=True).start()
    deadline = time.monotonic() + seconds
    seen = []
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        if line is None:  # the server ended
            break
        seen.append(line)
        found = re.search(r"running on (http://127\.0\.0\.1:\d+)", line, re.IGNORECASE)
        if found:
            return server, found.group(1)
    stop_server(server)
    raise RuntimeError(f"the server did not start within {seconds:.0f} s:\n" + "".join(seen))


# The server closes a connection idle longer than its keep-alive; a client stalled that long on a
# loaded machine then sends on a connection already closing and reads nothing (httpx.ReadError).
# This run measures the log, not that race, so its server keeps connections as long as a request may take.
KEEP_ALIVE_SECONDS = 300.0


def start_server(log_db: Path) -> tuple[subprocess.Popen, str]:
    return serve([str(POLICY), "--log-db", str(log_db), "--keep-alive", str(KEEP_ALIVE_SECONDS)])


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGINT)
    try:
        server.wait(timeout=60)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


REQUEST_SECONDS = 300.0


async def drive(base: str, bodies: list[dict], concurrency: int, time_limit: float
                ) -> tuple[list, list, float, list]:
    """Send the bodies from `concurrency` clients; stop at the end of the list or the time limit."""
    answers: list[tuple[str, list[dict]]] = []
    latencies: list[float] = []
    failures: list[str] = []
    cursor = iter(range(len(bodies)))
    stop_at = time.monotonic() + time_limit
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def client(http: httpx.AsyncClient) -> None:
        for index in cursor:
            if time.monotonic() > stop_at:
                return
            started = time.perf_counter()
            try:
                response = await http.post("/v1/evaluate", json=bodies[index])
            except httpx.TransportError as error:  # reported with the others, never a traceback
                latencies.append(time.perf_counter() - started)
                failures.append(f"request {index}: {type(error).__name__}: {error}")
                continue
            latencies.append(time.perf_counter() - started)
            if response.status_code != 200:
                failures.append(f"{response.status_code}: {response.text[:200]}")
                continue
            payload = response.json()
            answers.append((payload["request_id"], payload["decisions"]))

    started = time.perf_counter()
    # a request's own bound: generous, as the answer waits for the log's commit on a loaded machine
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=REQUEST_SECONDS) as http:
        await asyncio.gather(*(client(http) for _ in range(concurrency)))
    return answers, failures, time.perf_counter() - started, latencies


def _key(d: dict) -> tuple:
    from policydsl.service.log import cell_text  # the log's text for a value (this check counts rows)

    amount, value = cell_text(d["amount"]), cell_text(d["value"])
    return (d["entity_kind"], d["entity"], d["period"], d["policy"], d["rule"], d["outcome"], d["status"],
            amount, value, d["superseded_by"], d["target"])


def check_log(log_db: Path, answers: list[tuple[str, list[dict]]]) -> list[str]:
    """Every answered decision is in the log exactly once, with the same content; nothing else is."""
    problems = []
    connection = sqlite3.connect(log_db)
    try:
        logged_requests = Counter(r for (r,) in connection.execute("select request_id from requests"))
        rows = connection.execute(
            "select request_id, entity_kind, entity, period, policy, rule, outcome, status, amount, value, "
            "superseded_by, target from decisions").fetchall()
    finally:
        connection.close()
    logged: dict[str, Counter] = {}
    for request_id, *rest in rows:
        logged.setdefault(request_id, Counter())[tuple(rest)] += 1
    answered = {request_id for request_id, _ in answers}
    for request_id, decisions in answers:
        if logged_requests[request_id] != 1:
            problems.append(f"request {request_id} logged {logged_requests[request_id]} times")
        if logged.get(request_id, Counter()) != Counter(_key(d) for d in decisions):
            problems.append(f"request {request_id}: logged decisions differ from the answer")
    extra = set(logged_requests) - answered
    if extra:
        problems.append(f"{len(extra)} logged requests were never answered")
    return problems


def run(requests: int, concurrency: int, time_limit: float) -> dict:
    bodies = request_bodies(requests)
    with tempfile.TemporaryDirectory() as folder:
        log_db = Path(folder) / "decisions.db"
        server, base = start_server(log_db)
        try:
            answers, failures, elapsed, latencies = asyncio.run(drive(base, bodies, concurrency, time_limit))
        finally:
            stop_server(server)
        problems = check_log(log_db, answers)
    latencies.sort()
    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else 0.0
    return {
        "requests_sent": len(latencies), "answered": len(answers), "failed": len(failures),
        "decisions": sum(len(d) for _, d in answers), "seconds": round(elapsed, 2),
        "throughput_per_s": round(len(answers) / elapsed, 1) if elapsed else 0.0,
        "p50_ms": round(pct(0.50), 1), "p99_ms": round(pct(0.99), 1),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 1) if latencies else 0.0,
        "problems": problems[:20], "failures": failures[:5],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--time-limit", type=float, default=600.0, help="seconds of sending at most")
    args = parser.parse_args()
    report = run(args.requests, args.concurrency, args.time_limit)
    print(json.dumps(report, indent=2))
    return 0 if not report["problems"] and not report["failed"] else 1


if __name__ == "__main__":
    sys.exit(main())
