"""Benchmark: compile the shipped policies and evaluate them over a generated province.

    python3 bench/bench_eval.py --enterprises 20000 --zones 180 --years 5

Prints the time to compile, to load and validate the data, to evaluate, and the peak memory
(tracemalloc) of the evaluation, with decisions per second. The data are generated with a
fixed seed, so runs are comparable.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import policydsl


def generate(enterprises: int, zones: int, years: int, seed: int = 7) -> dict:
    rng = random.Random(seed)
    first = 2020 - years + 1
    enterprise_rows = []
    for i in range(enterprises):
        for year in range(first, 2021):
            if rng.random() < 0.05:
                continue  # not evaluated that round
            enterprise_rows.append({"id": f"E{i:06d}", "period": str(year), "city": "周口市",
                                    "zone": f"Z{i % 40:02d}", "performance_class": rng.choice("AABBCCD")})
    zone_rows = []
    for z in range(zones):
        tax, va, fai = rng.randint(5_000, 80_000), rng.randint(50_000, 500_000), rng.randint(100_000, 1_000_000)
        for year in range(first, 2021):
            zone_rows.append({
                "id": f"KF{z:03d}", "period": str(year), "city": f"C{z % 18:02d}",
                "absolute_index_position": rng.randint(1, 180), "development_index_position": rng.randint(1, 180),
                "eliminated_in_provincial_dynamic_management": rng.random() < 0.02,
                "tax_revenue": tax, "value_added": va, "fixed_asset_investment": fai})
            tax, va, fai = (int(v * rng.uniform(0.9, 1.25)) for v in (tax, va, fai))
    return {"enterprise": enterprise_rows, "industrial_zone": zone_rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=20_000)
    parser.add_argument("--zones", type=int, default=180)
    parser.add_argument("--years", type=int, default=5)
    args = parser.parse_args()

    started = time.perf_counter()
    policies = policydsl.load(ROOT / "policies")
    compiled = time.perf_counter()
    mapping = generate(args.enterprises, args.zones, args.years)
    rows = sum(len(v) for v in mapping.values())
    generated = time.perf_counter()
    from policydsl.engine.data import dataset_from_mapping

    dataset = dataset_from_mapping(mapping, policies.program.entities)
    loaded = time.perf_counter()
    tracemalloc.start()
    result = policies.evaluate(dataset)
    evaluated = time.perf_counter()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    decisions = len(result.decisions)
    print(f"rows: {rows:,} ({args.enterprises:,} enterprises, {args.zones} zones, {args.years} years)")
    print(f"compile policies:    {compiled - started:8.3f} s")
    print(f"validate data:       {loaded - generated:8.3f} s")
    print(f"evaluate:            {evaluated - loaded:8.3f} s  ({decisions:,} decisions, "
          f"{decisions / (evaluated - loaded):,.0f} decisions/s, {rows / (evaluated - loaded):,.0f} rows/s)")
    print(f"peak memory of evaluate (tracemalloc): {peak / 2**20:,.1f} MiB")


if __name__ == "__main__":
    main()
