"""Memory and time of loading one large CSV table (`load_data`), measured in a child process.

    python3 bench/bench_load.py                        # a 200 MB enterprise.csv
    python3 bench/bench_load.py --kind industrial_zone --size-mb 200
    python3 bench/bench_load.py --folder DIR           # load an existing data folder instead
    python3 bench/bench_load.py --generate DIR         # only write DIR/<kind>.csv (to time loads apart)
    python3 bench/bench_load.py --child DIR            # load DIR in this process (what is measured)
    python3 bench/bench_load.py --executor columnar    # read straight into columns (`load_data(executor=...)`)
    python3 bench/bench_load.py --executor row+columns # the row loader, then its records into columns
    python3 bench/bench_load.py --parquet --size-mb 20 # the table as Parquet (read by Polars: a CSV's types inferred)
    python3 bench/bench_load.py --as json --size-mb 20 # ... as a JSON list of objects (cells as texts), or --as xlsx

The file is generated for an entity kind of the shipped policies (`policies/`), with a column for
every declared fact: static attributes repeat on every row of an entity, as exported tables do;
periodic facts get fresh random values per row (decimals with two places, percents, integers,
grades, dates, booleans); text comes from a pool of town names. The child process loads it
against all shipped policies and reports rows, entities and seconds; the parent reports the
child's peak resident memory (ru_maxrss), which includes the interpreter and the policies.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOWNS = [f"{name}镇" for name in ("城关", "北关", "南关", "东城", "西城", "许田", "尚集", "椹涧", "灵井", "小召")]


def _value(fact, rng: random.Random):
    type_ = fact.type
    if type_.is_enum:
        return rng.choice(type_.members)
    name = type_.name
    if name == "boolean":
        return rng.choice(("true", "false"))
    if name == "integer":
        return str(rng.randrange(0, 100_000))
    if name in ("decimal", "money"):
        return f"{rng.uniform(0, 100_000):.2f}"
    if name == "percent":
        return f"{rng.uniform(-50, 150):.2f}"
    if name == "date":
        return (dt.date(2000, 1, 1) + dt.timedelta(days=rng.randrange(0, 9000))).isoformat()
    if name == "ref":
        return f"Z{rng.randrange(1, 200):03d}"
    return rng.choice(TOWNS)


def generate(folder: Path, kind: str, size_mb: float, seed: int = 7) -> int:
    """Write folder/<kind>.csv of about size_mb megabytes; return its number of rows."""
    sys.path.insert(0, str(ROOT))
    import policydsl

    schema = policydsl.load(ROOT / "policies").program.entities[kind]
    facts = list(schema.facts.values())
    rng = random.Random(seed)
    target = int(size_mb * 1_000_000)
    rows = 0
    with (folder / f"{kind}.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "period", *(f.name for f in facts)])
        entity = 0
        while handle.tell() < target:
            entity += 1
            static = {f.name: _value(f, rng) for f in facts if f.period_kind is None}
            for year in range(2010, 2021):
                cells = [static[f.name] if f.period_kind is None else
                         (_value(f, rng) if f.period_kind == "year" else "") for f in facts]
                writer.writerow([f"{kind[0].upper()}{entity:07d}", str(year), *cells])
                rows += 1
    return rows


def as_parquet(folder: Path, kind: str) -> None:
    """The generated CSV rewritten as <kind>.parquet, its column types inferred as an export would
    type them (floats, whole numbers, booleans, texts); the CSV removed."""
    import polars as pl

    table = folder / f"{kind}.csv"
    pl.read_csv(table, infer_schema_length=None).write_parquet(folder / f"{kind}.parquet")
    table.unlink()


def as_json(folder: Path, kind: str) -> None:
    """The generated CSV rewritten as <kind>.json, a list of objects (an empty cell left out); the CSV removed."""
    import json

    table = folder / f"{kind}.csv"
    with table.open(encoding="utf-8", newline="") as handle:
        header, *rows = csv.reader(handle)
    objects = [{key: cell for key, cell in zip(header, row) if cell != ""} for row in rows]
    (folder / f"{kind}.json").write_text(json.dumps(objects, ensure_ascii=False), encoding="utf-8")
    table.unlink()


def as_xlsx(folder: Path, kind: str) -> None:
    """The generated CSV rewritten as <kind>.xlsx (one sheet, cells as texts; an empty cell left
    empty); the CSV removed."""
    import openpyxl

    table = folder / f"{kind}.csv"
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    with table.open(encoding="utf-8", newline="") as handle:
        for row in csv.reader(handle):
            sheet.append([cell if cell != "" else None for cell in row])
    book.save(folder / f"{kind}.xlsx")
    table.unlink()


REWRITE = {"parquet": as_parquet, "json": as_json, "xlsx": as_xlsx}


def load_in_child(folder: Path, executor: str = "row") -> dict:
    """Load the folder in a fresh interpreter; return its report and peak memory."""
    started = time.perf_counter()
    completed = subprocess.run([sys.executable, __file__, "--child", str(folder), "--executor", executor],
                               capture_output=True, text=True, cwd=ROOT, check=False)
    seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if completed.returncode != 0:
        raise SystemExit(f"loading failed:\n{completed.stderr}")
    return {"child": completed.stdout.strip(), "wall_seconds": round(seconds, 1), "peak_mib": peak_kib // 1024}


def child(folder: Path, executor: str = "row") -> None:
    sys.path.insert(0, str(ROOT))
    import policydsl

    policies = policydsl.load(ROOT / "policies")
    if executor != "row":
        import polars  # noqa: F401 (its import is not the load's)
    started, cpu = time.perf_counter(), time.process_time()
    if executor == "columnar":  # straight into the columns the columnar executor reads
        tables = policies.load_data(folder, executor="columnar").tables.values()
    else:
        dataset = policies.load_data(folder)
        if executor == "row+columns":  # what the columnar executor read before: records, then columns
            from policydsl.engine.columnar.columns import tables_from_dataset
            tables = tables_from_dataset(dataset, policies.program.entities).values()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    if executor == "row":
        rows = sum(len(r.periods) for records in dataset.kinds.values() for r in records.values())
        entities = sum(len(records) for records in dataset.kinds.values())
    else:
        rows, entities = sum(t.rows.height for t in tables), sum(t.ids.len() for t in tables)
    print(f"loaded {rows} rows of {entities} entities in {seconds:.1f} s ({cpu:.2f} CPU s, {executor})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", default="enterprise", help="entity kind of the shipped schema (default: enterprise)")
    parser.add_argument("--size-mb", type=float, default=200)
    parser.add_argument("--folder", type=Path, help="load this data folder instead of generating one")
    parser.add_argument("--generate", type=Path, metavar="DIR", help="only write DIR/<kind>.csv")
    parser.add_argument("--child", type=Path, metavar="DIR", help="load DIR in this process and report")
    parser.add_argument("--parquet", action="store_true", help="write the generated table as <kind>.parquet")
    parser.add_argument("--as", dest="form", choices=("csv", "parquet", "json", "xlsx"), default="csv",
                        help="write the generated table in this form (default csv; --parquet is --as parquet)")
    parser.add_argument("--executor", choices=("row", "columnar", "row+columns"), default="row",
                        help="row: the row loader's records (default); columnar: straight into columns; "
                             "row+columns: the row loader's records, then columns from them")
    args = parser.parse_args()
    if args.parquet:
        args.form = "parquet"
    if args.child:
        child(args.child, args.executor)
        return
    if args.generate:
        args.generate.mkdir(parents=True, exist_ok=True)
        rows = generate(args.generate, args.kind, args.size_mb)
        if args.form in REWRITE:
            REWRITE[args.form](args.generate, args.kind)
        print(f"generated {args.generate / f'{args.kind}.{args.form}'}: {rows} rows")
        return
    if args.folder:
        print(load_in_child(args.folder, args.executor))
        return
    with tempfile.TemporaryDirectory() as folder:
        rows = generate(Path(folder), args.kind, args.size_mb)
        if args.form in REWRITE:
            REWRITE[args.form](Path(folder), args.kind)
        name = f"{args.kind}.{args.form}"
        size = (Path(folder) / name).stat().st_size / 1_000_000
        print(f"generated {name}: {size:.1f} MB, {rows} rows")
        print(load_in_child(Path(folder), args.executor))


if __name__ == "__main__":
    main()
