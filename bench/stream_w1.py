"""Benchmark: a W1-style province (one yearly rating per enterprise) evaluated in batches.

    python3 ../shared/bench-peers/gen.py --n 1666667 --m 180      # 10,000,002 enterprise-years
    /usr/bin/time -v python3 bench/stream_w1.py /tmp/peers-data/w1_enterprises_n1666667.parquet --batch-rows 2000000

Reads the wide Parquet file, reshapes it into long rows, and evaluates bench/peers/w1.pol for 2020
with the columnar executor in batches of whole groups (`PolicySet.evaluate_in_batches`),
with a progress bar on a terminal. Prints the rows, decisions and seconds; peak memory comes
from `/usr/bin/time -v` (Maximum resident set size).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import polars as pl  # noqa: E402

import policydsl  # noqa: E402
from policydsl.render.progress import on_terminal  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("parquet")
    parser.add_argument("--batch-rows", type=int, default=2_000_000)
    args = parser.parse_args()
    started = time.perf_counter()
    policies = policydsl.load(ROOT / "bench" / "peers" / "w1.pol")
    wide = pl.read_parquet(args.parquet)
    years = [c[1:] for c in wide.columns if c.startswith("r")]
    long = policydsl.long_from_wide(wide, id_column="enterprise_id", periods={y: f"r{y}" for y in years},
                                    fact="rating")
    del wide
    counts: Counter = Counter()
    with on_terminal(delay=0) as progress:  # a rich bar on a terminal
        for batch in policies.evaluate_in_batches({"enterprise": long}, kind="enterprise", batch_rows=args.batch_rows,
                                                  period=years[-1], progress=progress):
            counts.update(outcome for _, outcome in batch.active_outcomes("enterprise"))
    print(f"rows {long.height:,}  decisions {sum(counts.values()):,}  seconds {time.perf_counter() - started:.1f}")
    print(dict(sorted(counts.items())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
