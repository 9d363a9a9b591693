"""One W1 decision per call through the public API (`PolicySet.decider`), with and without its
explanation: the latency of a service request (issue 9, "A fast single decision").

    python3 bench/single_decision.py [--calls 20000] [--history ABCABD] [--profile] [--parts]

The enterprise is the peer harness's latency case (../shared/bench-peers: six yearly ratings,
the 2020 D its first D ever, so the whole history is read). Each call is timed alone
(`time.perf_counter_ns`) after a warm-up and a `gc.collect()`, as the harness's worker does;
the p50, p90 and minimum are printed in µs, beside the same loop over a hand-written Python
decision (the harness's `python` peer) as a yardstick for a loaded machine: on a shared
machine compare the ratio, not the absolute figure. `--profile` prints where a call spends its
time (cProfile, by own time); `--parts` times the parts of a call one by one (checking the
facts, the values the rules' conditions read — then the decider's decision table gives the
outcomes, `engine/decision_table.py` — or, on a miss, the rules by their conditions; building
the decision's evaluation for an explanation, the trace).
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import policydsl  # noqa: E402  (after the checkout is on the path)

YEARS = [str(year) for year in range(2015, 2021)]


def plain_python(ratings: list[str]) -> str:
    """The harness's reference decision for W1, written by hand."""
    streak = 0
    for rating in reversed(ratings):
        if rating != "D":
            break
        streak += 1
    if streak >= 3:
        return "exit"
    if streak == 2:
        return "yellow_card"
    if streak == 1:
        return "rectify"
    return "key_supervision" if ratings[-1] == "C" else "priority_support"


def percentiles(call, calls: int) -> dict[str, float]:
    for _ in range(min(500, calls)):
        call()
    gc.collect()
    clock, times = time.perf_counter_ns, []
    for _ in range(calls):
        start = clock()
        call()
        times.append(clock() - start)
    times.sort()
    return {"p50": times[len(times) // 2] / 1000, "p90": times[int(len(times) * 0.9)] / 1000,
            "min": times[0] / 1000}


def parts(decide, facts: dict, outcome: str, calls: int) -> int:
    """The p50 of each part of a call, in µs (the parts are the decider's own steps)."""
    from policydsl.engine.explain import explain_decision

    checked = decide.entity("7", facts)

    def rules():
        checked.store.clear()  # every call decides afresh: no memo of the last one
        return [c for c, _, _, _ in decide._now if c(checked, decide._t) is True]

    def leaves():
        checked.store.clear()
        row = checked.rows[decide._pk][decide._t]
        return [row.get(name) for name, _ in decide._fact_leaves] + [
            leaf(checked, decide._t) for leaf, _ in decide._leaves]

    evaluation = decide._evaluation(decide.entity("7", facts), keep_results=False)
    measured = [
        ("decide(entity, facts)", percentiles(lambda: decide("7", facts), calls)),
        ("  checking the facts (decide.entity)", percentiles(lambda: decide.entity("7", facts), calls)),
        ("  the conditions' leaves (then the table's entry)", percentiles(leaves, calls)),
        ("  (the rules by their conditions: a table's miss)", percentiles(rules, calls)),
        ("decide.explain(entity, facts, outcome)",
         percentiles(lambda: decide.explain("7", facts, outcome), max(calls // 10, 100))),
        ("  the decision's evaluation (decisions, world)",
         percentiles(lambda: decide._evaluation(decide.entity("7", facts), keep_results=False), max(calls // 10, 100))),
        ("  explain_decision (the trace)", percentiles(lambda: explain_decision(
            evaluation, "7", outcome, decide.period, cache=decide._trace_cache,
            values=decide._values_of(checked)), max(calls // 10, 100))),
    ]
    for name, found in measured:
        print(f"{name:52s} p50 {found['p50']:9.2f} µs")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--history", default="ABCABD", help="six ratings, 2015..2020")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--parts", action="store_true")
    args = parser.parse_args()
    policies = policydsl.load(ROOT / "bench" / "peers" / "w1.pol")
    decide = policies.decider("enterprise", period="2020")
    ratings = list(args.history)
    facts = {year: {"rating": rating} for year, rating in zip(YEARS, ratings)}
    outcome = decide("7", facts)[0]
    assert outcome == plain_python(ratings), (outcome, plain_python(ratings))
    why = decide.explain("7", facts, outcome)
    assert why.status == "active" and why == policies.evaluate(
        {"enterprise": [{"id": "7", "period": year, **row} for year, row in facts.items()]},
        period="2020").explain("7", outcome, "2020")

    if args.profile:
        import cProfile
        import pstats
        profiler = cProfile.Profile()
        profiler.runcall(lambda: [decide("7", facts) for _ in range(args.calls)])
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)
        return 0
    if args.parts:
        return parts(decide, facts, outcome, args.calls)
    rows = [
        ("hand-written Python", percentiles(lambda: plain_python(ratings), args.calls)),
        ("decide(entity, facts)", percentiles(lambda: decide("7", facts)[0], args.calls)),
        ("decide.explain(entity, facts, outcome)",
         percentiles(lambda: decide.explain("7", facts, outcome), max(args.calls // 10, 100))),
    ]
    print(f"W1 single decision, history {args.history} -> {outcome}; µs per call")
    print(f"{'':34s} {'p50':>9s} {'p90':>9s} {'min':>9s} {'p50 / Python':>13s}")
    base = rows[0][1]["p50"]
    for name, found in rows:
        print(f"{name:34s} {found['p50']:9.2f} {found['p90']:9.2f} {found['min']:9.2f} {found['p50'] / base:12.1f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
