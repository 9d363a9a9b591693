"""Mutation testing of the semantic core: how many plausible single bugs the test suite notices.

Not part of CI. Usage, from the repository root (or any copy of it: the script mutates the tree
it lives in):

    python3 bench/mutation.py [--jobs 1] [--only ops.py] [--sample N --seed S] [--list]
                              [--results mutation-results.txt]

Each mutant is one small change to one module of `policydsl/engine/` (an arithmetic or
comparison operator swapped, `and`/`or` swapped, a `not` dropped, `is`/`in` negated, a
boolean flipped, an integer moved by one), made on the syntax tree and printed back with
`ast.unparse` (standard library; no source is edited by hand).

What makes a complete run affordable (mutmut 3 does the same):

1. Coverage per test, once. The tests in `TESTS` run once, unmutated, under coverage.py with one
   context per test; this gives, for every line of the mutated modules, the tests that execute
   it, and each test's duration (`mutation-coverage.json`, reused while the sources are
   unchanged). A run that fails unmutated stops everything: a kill would mean nothing.
2. Per mutant, only the tests that execute its lines run (a line executed at import, such as a
   `def` or a module constant, selects every test that executes the module). A mutant on lines
   no test executes is not run at all and counts as a survivor, reported as `not-covered`.
3. Kill-first ordering, with `-x`: the tests that killed earlier mutants of the same module
   first (the most recent first), then the rest, fastest first.
4. Fork after import: pytest, hypothesis and the libraries are imported once; each mutant's run
   is a forked child that imports `policydsl` afresh from the mutated scratch copy.
5. Hypothesis tests run the `mutation` profile (the `ci` examples, pinned, without shrinking).

Timeouts are generous so that a loaded machine does not fake kills: `--timeout-floor` seconds
plus `--timeout-factor` times the selected tests' measured duration; a mutant that times out
is run once more with twice the time, and only a second timeout kills it. A run appends one
line per mutant to `--results` and skips the mutants already there, so an interrupted run
resumes.
"""

from __future__ import annotations

import argparse
import ast
import copy
import hashlib
import importlib
import json
import os
import random
import shutil
import signal
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import coverage
import pytest  # imported once here, so each forked test run starts without the import cost

for _library in ("hypothesis", "lark", "networkx", "attrs", "dateutil", "polars", "jsonschema"):
    try:  # imported before forking; policydsl itself never is (each child imports the mutant)
        importlib.import_module(_library)
    except ImportError:  # pragma: no cover - an optional dependency
        pass

ROOT = Path(__file__).resolve().parent.parent
ENGINE = Path("policydsl") / "engine"

# the semantic core: operators, history and groups, cross-kind members, the plan, the
# evaluator, combination and document status, the explainer (its traces and their readings)
TARGETS = ("ops.py", "semantics.py", "members.py", "plan.py", "evaluate.py", "combine.py", "status.py",
           "explain.py", "readings.py")
# the tests whose coverage selects the tests of each mutant (the fast ones that exercise the core)
TESTS = ("tests/test_operators.py", "tests/test_semantics.py", "tests/test_units.py", "tests/test_language.py",
         "tests/test_members.py", "tests/test_member_properties.py", "tests/test_time.py", "tests/test_goals.py",
         "tests/test_explain.py", "tests/test_explain_details.py", "tests/test_scenarios.py",
         "tests/test_differential.py", "tests/test_properties.py", "tests/test_api.py")
# Functions that are not run-time semantics: the checker's unit table lives in ops.py.
SKIP_FUNCTIONS = {"ops.py": {"arith_type", "_join_numbers", "join_type"}}

SWAPS = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult,
         ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq,
         ast.NotEq: ast.Eq, ast.Is: ast.IsNot, ast.IsNot: ast.Is, ast.In: ast.NotIn, ast.NotIn: ast.In,
         ast.And: ast.Or, ast.Or: ast.And}
IMPORT_TIME = ""  # coverage's context for lines executed outside any test (imports, collection)


class Mutant:
    def __init__(self, module: str, line: int, end_line: int, description: str, tree: ast.Module):
        self.module, self.line, self.end_line, self.description, self.tree = (module, line, end_line, description,
                                                                               tree)

    def __str__(self) -> str:
        return f"{self.module}:{self.line} {self.description}"


def _skipped(tree: ast.Module, module: str) -> set[int]:
    """Lines of docstrings and of functions that are not run-time semantics."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Module)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                lines.update(range(body[0].lineno, body[0].end_lineno + 1))
        if isinstance(node, ast.FunctionDef) and node.name in SKIP_FUNCTIONS.get(module, ()):
            lines.update(range(node.lineno, node.end_lineno + 1))
    return lines


def _points(tree: ast.Module):
    """(node, field, replacement, description) for every mutation of the tree."""
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and type(node.op) in SWAPS:
            yield node, "op", SWAPS[type(node.op)](), f"{type(node.op).__name__} -> {SWAPS[type(node.op)].__name__}"
        elif isinstance(node, ast.BoolOp):
            yield node, "op", SWAPS[type(node.op)](), f"{type(node.op).__name__} -> {SWAPS[type(node.op)].__name__}"
        elif isinstance(node, ast.Compare):
            for i, op in enumerate(node.ops):
                if type(op) in SWAPS:
                    ops = list(node.ops)
                    ops[i] = SWAPS[type(op)]()
                    yield node, "ops", ops, f"{type(op).__name__} -> {SWAPS[type(op)].__name__}"
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            yield node, None, node.operand, "not dropped"
        elif isinstance(node, ast.Constant) and isinstance(node.value, bool):
            yield node, "value", not node.value, f"{node.value} -> {not node.value}"
        elif isinstance(node, ast.Constant) and type(node.value) is int:
            yield node, "value", node.value + 1, f"{node.value} -> {node.value + 1}"


class _Replace(ast.NodeTransformer):
    def __init__(self, target: ast.AST, replacement: ast.AST):
        self.target, self.replacement = target, replacement

    def generic_visit(self, node):
        if node is self.target:
            return self.replacement
        return super().generic_visit(node)


def mutants(module: str) -> list[Mutant]:
    source = (ROOT / ENGINE / module).read_text(encoding="utf-8")
    tree = ast.parse(source)
    skipped = _skipped(tree, module)
    original_nodes = list(ast.walk(tree))
    found = []
    for node, field, replacement, description in list(_points(tree)):
        if node.lineno in skipped:
            continue
        mutated = copy.deepcopy(tree)
        twin = list(ast.walk(mutated))[original_nodes.index(node)]  # the same node, by walk order
        if field is None:
            mutated = _Replace(twin, copy.deepcopy(replacement)).visit(mutated)
        else:
            setattr(twin, field, replacement)
        found.append(Mutant(module, node.lineno, node.end_lineno or node.lineno, description, mutated))
    return found


# ---- coverage per test ---------------------------------------------------------------------

class _Contexts:
    """pytest plugin: one coverage context per test (setup, call and teardown), and durations."""

    def __init__(self, cov: coverage.Coverage):
        self.cov = cov
        self.durations: dict[str, float] = defaultdict(float)
        self.failed: list[str] = []

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item, nextitem):
        self.cov.switch_context(item.nodeid)
        yield
        self.cov.switch_context(IMPORT_TIME)

    def pytest_runtest_logreport(self, report):
        self.durations[report.nodeid] += report.duration
        if report.failed:
            self.failed.append(report.nodeid)


def _sources_hash(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted([*(root / "policydsl").rglob("*.py"), *(root / "tests").rglob("*.py")]):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _in_child(work, timeout: float | None = None) -> tuple[str, int]:
    """Run `work()` (returning an exit code) in a forked child: ("done", code) or ("timeout", -1)."""
    started = time.monotonic()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child
        code = 3
        try:
            quiet = os.open(os.devnull, os.O_WRONLY)
            os.dup2(quiet, 1)
            os.dup2(quiet, 2)
            code = int(work())
        finally:
            os._exit(code)
    while True:
        done, status = os.waitpid(child, os.WNOHANG)
        if done:
            return "done", os.waitstatus_to_exitcode(status)
        if timeout is not None and time.monotonic() - started > timeout:
            os.kill(child, signal.SIGKILL)
            os.waitpid(child, 0)
            return "timeout", -1
        time.sleep(0.05)


def collect(scratch: Path, cache: Path) -> dict:
    """Which tests execute each line of the target modules, and how long each test takes."""
    key = _sources_hash(scratch)
    if cache.exists():
        known = json.loads(cache.read_text(encoding="utf-8"))
        if known.get("sources") == key and set(known["lines"]) == set(TARGETS):
            return known
    out = scratch / ".coverage-map.json"

    def work() -> int:
        os.chdir(scratch)
        sys.path.insert(0, str(scratch))
        files = {str(scratch / ENGINE / m): m for m in TARGETS}
        cov = coverage.Coverage(data_file=None, include=list(files), config_file=False)
        plugin = _Contexts(cov)
        cov.start()
        code = pytest.main(["-q", "-p", "no:cacheprovider", "-p", "no:warnings", "--hypothesis-profile=mutation",
                            *TESTS], plugins=[plugin])
        cov.stop()
        data = cov.get_data()
        lines = {module: {str(n): sorted(c) for n, c in data.contexts_by_lineno(path).items()}
                 for path, module in files.items()}
        out.write_text(json.dumps({"sources": key, "code": int(code), "failed": plugin.failed, "lines": lines,
                                   "durations": plugin.durations}), encoding="utf-8")
        return 0

    print(f"measuring which tests execute which lines ({len(TESTS)} test files, unmutated) ...", flush=True)
    started = time.monotonic()
    state, _ = _in_child(work)
    known = json.loads(out.read_text(encoding="utf-8"))
    if known["code"] != 0:
        raise SystemExit(f"the tests fail without any mutant (exit {known['code']}): {known['failed'][:5]}")
    print(f"... done in {time.monotonic() - started:.0f}s", flush=True)
    cache.write_text(json.dumps(known), encoding="utf-8")
    return known


def selected(mutant: Mutant, known: dict) -> list[str]:
    """The tests that execute the mutant's lines; a line run at import selects every test that
    executes the module."""
    lines = known["lines"][mutant.module]
    tests: set[str] = set()
    for line in range(mutant.line, mutant.end_line + 1):
        tests.update(lines.get(str(line), ()))
    if IMPORT_TIME in tests:
        tests = {t for contexts in lines.values() for t in contexts}
    tests.discard(IMPORT_TIME)
    return sorted(tests)


# ---- running one mutant --------------------------------------------------------------------

class _FirstFailure:
    """pytest plugin for a mutant's run: writes the id of the test that failed first."""

    def __init__(self, path: Path):
        self.path = path

    def pytest_runtest_logreport(self, report):
        if report.failed and not self.path.exists():
            self.path.write_text(report.nodeid, encoding="utf-8")


def run(mutant: Mutant, tests: list[str], scratch: Path, timeout: float) -> tuple[str, str | None]:
    """("killed" | "survived" | "timeout", the test that failed first)."""
    path = scratch / ENGINE / mutant.module
    original = path.read_text(encoding="utf-8")
    path.write_text(ast.unparse(ast.fix_missing_locations(mutant.tree)), encoding="utf-8")
    killer = scratch / ".killer"
    killer.unlink(missing_ok=True)

    def work() -> int:
        os.chdir(scratch)
        sys.path.insert(0, str(scratch))
        return pytest.main(["-x", "-q", "-p", "no:cacheprovider", "-p", "no:warnings", "--hypothesis-profile=mutation",
                            *tests], plugins=[_FirstFailure(killer)])
    try:
        state, code = _in_child(work, timeout)
    finally:
        path.write_text(original, encoding="utf-8")
    if state == "timeout":
        return "timeout", None
    first = killer.read_text(encoding="utf-8") if killer.exists() else None
    return ("survived" if code == 0 else "killed"), first


def shard(every: list[Mutant], done: set[int], known: dict, job: int, jobs: int, args, results: Path) -> None:
    """One job's share of the mutants not yet in `results`, in its own scratch copy of the
    repository; one result line per mutant, appended as it finishes."""
    pending = [i for i in range(len(every)) if i not in done][job::jobs]
    scratch = _scratch()
    killers: dict[str, list[str]] = defaultdict(list)  # module -> tests that killed, most recent first
    try:
        with results.open("a", encoding="utf-8") as out:
            for position in pending:
                mutant = every[position]
                tests = selected(mutant, known)
                started = time.monotonic()
                first = None
                if not tests:
                    verdict = "not-covered"
                else:
                    recent = [t for t in killers[mutant.module] if t in tests]
                    rest = sorted(set(tests) - set(recent), key=lambda t: (known["durations"].get(t, 0.0), t))
                    expected = sum(known["durations"].get(t, 0.0) for t in tests)
                    timeout = args.timeout_floor + args.timeout_factor * expected
                    verdict, first = run(mutant, recent + rest, scratch, timeout)
                    if verdict == "timeout":  # a loaded machine must not fake a kill: once more, twice the time
                        verdict, first = run(mutant, recent + rest, scratch, 2 * timeout)
                        verdict = "killed" if verdict == "timeout" else verdict
                        first = first or "(timed out twice)"
                    if verdict == "killed" and first and first in tests:
                        killers[mutant.module] = [first] + [t for t in killers[mutant.module] if t != first]
                line = (f"{verdict:<11} {position} {mutant} | {len(tests)} tests, {time.monotonic() - started:.0f}s"
                        f"{' | ' + first if first else ''}")
                print(line, flush=True)
                out.write(line + "\n")
                out.flush()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _scratch() -> Path:
    scratch = Path(tempfile.mkdtemp(prefix="mutation-"))
    shutil.copytree(ROOT, scratch, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns(".git", "__pycache__", ".hypothesis", "*.egg-info",
                                                  "mutation-*.txt", "mutation-*.json"))
    return scratch


def _read_results(results: Path, every: list[Mutant]) -> dict[int, str]:
    """position -> verdict, for the lines of this mutant set (a line for another set is refused)."""
    verdicts = {}
    if not results.exists():
        return verdicts
    for line in results.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        verdict, position, rest = line.split(maxsplit=2)
        described = rest.split(" | ")[0]
        if int(position) >= len(every) or str(every[int(position)]) != described:
            raise SystemExit(f"{results} holds results for other sources ({described!r} at {position}); "
                             "use another --results file")
        verdicts[int(position)] = verdict
    return verdicts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", help="mutate only this module (ops.py, plan.py, ...)")
    parser.add_argument("--jobs", type=int, default=1, help="scratch copies run in parallel")
    parser.add_argument("--timeout-floor", type=float, default=60.0, help="seconds every mutant's run may take")
    parser.add_argument("--timeout-factor", type=float, default=5.0,
                        help="plus this many times the selected tests' unmutated duration")
    parser.add_argument("--list", action="store_true", help="list the mutants and stop")
    parser.add_argument("--sample", type=int, default=0,
                        help="run only this many mutants, drawn at random (with --seed) from all of them")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--results", default="mutation-results.txt",
                        help="one line per mutant; mutants already in it are not run again")
    parser.add_argument("--coverage-map", default="mutation-coverage.json",
                        help="which tests execute which lines (measured once, reused while the sources are unchanged)")
    args = parser.parse_args()
    modules = args.only or list(TARGETS)
    every = [m for module in modules for m in mutants(module)]
    if args.sample:
        chosen = sorted(random.Random(args.seed).sample(range(len(every)), min(args.sample, len(every))))
        every = [every[i] for i in chosen]
    if args.list:
        for mutant in every:
            print(mutant)
        print(f"{len(every)} mutants")
        return 0
    results = Path(args.results)
    done = set(_read_results(results, every))
    scratch = _scratch()
    try:
        known = collect(scratch, Path(args.coverage_map))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    children = []
    for job in range(args.jobs):
        child = os.fork()
        if child == 0:  # pragma: no cover - a job
            code = 1
            try:
                shard(every, done, known, job, args.jobs, args, results)
                code = 0
            finally:
                os._exit(code)
        children.append(child)
    for child in children:
        os.waitpid(child, 0)
    verdicts = _read_results(results, every)
    counts = defaultdict(int)
    for verdict in verdicts.values():
        counts[verdict] += 1
    total = len(every)
    print(f"\n{counts['killed']} of {total} mutants killed ({100 * counts['killed'] / total:.1f} %); "
          f"survived {counts['survived']}, not covered by any test {counts['not-covered']}, "
          f"not yet run {total - len(verdicts)}")
    for position in sorted(verdicts, key=lambda i: (every[i].module, every[i].line)):
        if verdicts[position] != "killed":
            print(f"  {verdicts[position]}: {position} {every[position]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
