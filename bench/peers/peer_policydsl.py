"""policydsl as a peer of the shared benchmark (../shared/bench-peers, contract in its
peer_policydsl.py): W1 and W2 written in the policy language (w1.pol, w2.pol beside this file),
compiled once in setup(), evaluated through the public API.

Both workloads are native: the W1 streak and first-D flag and the W2 city mean are computed by
the engine from the policies, not precomputed. Rules-only mode is skipped: its input is the
harness's precomputed features, which would bypass the very history and group logic the
policies express.

$POLICYDSL_EXECUTOR picks the executor of the full jobs: `columnar` (default when available)
or `row`. The project is imported from the checkout this file lives in.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import common as C

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

import policydsl  # noqa: E402  (after the checkout is on the path)

YEARS = C.YEARS
LAST = str(YEARS[-1])


def _executor() -> str:
    return os.environ.get("POLICYDSL_EXECUTOR", "columnar" if policydsl.EXECUTORS[-1] == "columnar" else "row")


class PolicyDslPeer(C.Peer):
    name = "policydsl"
    dists = ("policydsl", "polars")
    w1_native = True
    w2_native = True
    skip = {("w1", "rules"), ("w2", "rules")}
    notes = ("W1/W2 in the policy language (bench/peers/w1.pol, w2.pol): streak, first_time, "
             "group_mean evaluated by the engine; executor from $POLICYDSL_EXECUTOR")

    def setup(self):
        self.executor = _executor()
        self.w1 = policydsl.load(HERE / "w1.pol")
        self.w2 = policydsl.load(HERE / "w2.pol")
        self.notes = f"{PolicyDslPeer.notes} (this run: {self.executor})"

    def w1_full(self, path, ph):
        import polars as pl
        wide = pl.read_parquet(path)
        ph.mark("load")
        long = policydsl.long_from_wide(wide, id_column="enterprise_id",
                                        periods={str(y): f"r{y}" for y in YEARS}, fact="rating")
        ph.mark("reshape")
        result = self.w1.evaluate({"enterprise": long}, period=LAST, executor=self.executor)
        active = result.active_table("enterprise")
        ph.mark("eval")
        out = list(zip(active["entity"].cast(pl.Int64).to_list(), active["outcome"].to_list()))
        ph.mark("to_python")
        return out

    def w2_full(self, path, ph):
        import polars as pl
        zones = pl.read_parquet(path)
        ph.mark("load")
        # long rows: one per zone and year; the static city rides on the 2019 row (a static
        # attribute may be given on any row of its entity); the integer ids as they are (the
        # engine reads a whole number as its decimal text)
        ids = zones["zone_id"].alias("id")
        period = pl.Enum([str(YEARS[-2]), LAST])  # the two years as an enumeration: no text per row
        y2019 = pl.DataFrame([ids, pl.repeat(str(YEARS[-2]), zones.height, dtype=period, eager=True).alias("period"),
                              zones["city_id"], zones["rank2019"].alias("provincial_rank")])
        y2020 = pl.DataFrame([ids, pl.repeat(LAST, zones.height, dtype=period, eager=True).alias("period"),
                              zones["rank2020"].alias("provincial_rank"), zones["tax_growth_bp"],
                              zones["va_growth_bp"], zones["fai_growth_bp"]])
        long = pl.concat([y2019, y2020], how="diagonal", rechunk=False)
        ph.mark("reshape")
        result = self.w2.evaluate({"zone": long}, period=LAST, executor=self.executor)
        # a zone's labels as common.canon_w2 writes them: sorted, joined by "|", or "none"; from
        # one row per zone with a Boolean column per outcome: the set of outcomes as a number (a
        # bit per outcome), which picks its text from the 2**k texts written once
        flags = result.outcomes_by_entity("zone", LAST)
        names = sorted(C.W2_LABELS)
        texts = pl.Series([C.canon_w2([n for bit, n in enumerate(names) if code >> bit & 1])
                           for code in range(1 << len(names))], dtype=pl.String)
        code = pl.sum_horizontal([pl.col(n).cast(pl.UInt32) * (1 << bit) for bit, n in enumerate(names)])
        canon = flags.select(pl.col("entity").cast(pl.Int64).alias("zone_id"), pl.lit(texts).gather(code).alias("outcome"))
        ph.mark("eval")
        out = list(zip(canon["zone_id"].to_list(), canon["outcome"].to_list()))
        ph.mark("to_python")
        return out

    def w1_single(self, record):
        decide = self.w1.decider("enterprise", period=LAST)
        ratings = record["ratings"]
        facts = {str(y): {"rating": r} for y, r in zip(YEARS, ratings)}
        entity = str(record["enterprise_id"])

        def one():
            return decide(entity, facts)[0]
        return one


PEER = PolicyDslPeer
