"""Planted history bugs: does the pinned `ci` differential property notice each one?

Not part of CI. Each plant is one deliberate bug in `policydsl/engine/semantics.py` (the history
walks the plan and the explainer share), made by replacing one exact piece of its source in a
scratch copy of the repository; the chosen differential tests then run there on the examples of
the pinned `ci` hypothesis profile (profile `ci-no-shrink`: the same examples, without
shrinking a failure, which only costs time here). A plant the tests do not notice is a hole in
the generator.
Usage, from the repository root:

    python3 bench/history_plants.py [--plant NAME]... [-k long_histories]

It prints one line per plant: `caught` or `MISSED`, and the seconds the tests took.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULE = Path("policydsl/engine/semantics.py")

STREAK_END = "    return count, count + 1"
FIRST_TIME_READ = """    for value in tests:
        depth += 1"""
# name -> (the exact source replaced, its replacement, what the bug is)
PLANTS = {
    "streak_plus_one": (STREAK_END, "    return count + 1, count + 1",
                        "streak counts the period that broke the run"),
    "streak_minus_one": (STREAK_END, "    return count - 1, count + 1", "streak misses one period of every run"),
    "streak_long_minus_one": (STREAK_END, "    return count - (count > 2), count + 1",
                              "a run of three or more periods is counted one short"),
    "gap_keeps_streak": ("""        if value is not True:
            break""", """        if value is UNRECORDED:
            continue
        if value is not True:
            break""", "a period without a record is skipped instead of breaking the streak"),
    "previous_n_off_by_one": ("""    earlier = period.shift(-n)
""", """    earlier = period.shift(-n + (n > 1))
""", "previous(x, n) and change(x, n) read n - 1 periods back when n > 1"),
    "first_time_looks_back_one": (FIRST_TIME_READ, """    for value in islice(tests, 1):
        depth += 1""", "first_time reads only the period before now"),
    "change_over_missing_period": ("""    return ops.arith("-", [operand(period), before]), (period, earlier)""",
                                   """    return ops.arith("-", [operand(period), 0 if isinstance(before, Unknown) else before]), (period, earlier)""",
                                   "change over a missing period takes the earlier value as 0"),
}


def plant(name: str, scratch: Path, selection: str) -> tuple[bool, float]:
    """Plant one bug in the scratch copy, run the tests, put the source back."""
    old, new, _ = PLANTS[name]
    path = scratch / MODULE
    original = path.read_text(encoding="utf-8")
    if original.count(old) != 1:
        raise SystemExit(f"{name}: the piece to replace is not found exactly once in {MODULE}")
    path.write_text(original.replace(old, new), encoding="utf-8")
    started = time.monotonic()
    try:
        code = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
                               "--hypothesis-profile=ci-no-shrink", "tests/test_differential.py", "-k", selection],
                              cwd=scratch, capture_output=True, check=False).returncode
    finally:
        path.write_text(original, encoding="utf-8")
    return code == 1, time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plant", action="append", choices=sorted(PLANTS), help="only this plant (repeatable)")
    parser.add_argument("-k", default="agrees_with_the_oracle",
                        help="which differential tests run (pytest -k); default: every executor property")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="plants-"))
    shutil.copytree(ROOT, scratch, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns(".git", "__pycache__", ".hypothesis", "*.egg-info"))
    missed = 0
    try:
        for name in args.plant or list(PLANTS):
            caught, seconds = plant(name, scratch, args.k)
            missed += not caught
            print(f"{'caught' if caught else 'MISSED'} {name} ({seconds:.0f}s): {PLANTS[name][2]}", flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
