"""Mutation testing of the semantic core: how many plausible single bugs the test suite notices.

Not part of CI. Usage, from the repository root (or any copy of it: the script mutates the tree
it lives in):

    python3 bench/mutation.py [--jobs 1] [--only ops.py] [--sample N --seed S] [--list]
                              [--results mutation-results.txt] [--pick 3,17,...]

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
   `def`, a decorator or a module constant, selects every test: a test that only reads what the
   module defined executes none of its lines). A mutant on lines no test executes is not run at
   all and counts as a survivor, reported as `not-covered`.
3. Kill-first ordering, with `-x`: the tests that killed earlier mutants of the same module
   first (the most recent first), then the rest, fastest first.
4. Fork after collection: a mutant inside a function body runs in a forked child of one test
   session that has collected the tests once; the child puts the mutated code into the loaded
   function (and into the closures already made from its nested functions) and runs the
   selected tests. A survivor there is confirmed by a fresh run (a value computed before the
   patch could hide the mutant). A mutant elsewhere (a module constant, a decorator, a default:
   what runs at import) runs in a forked child of the driver, which has imported pytest and the
   libraries but not `policydsl`, with a fresh pytest run over the mutated scratch copy.
5. Hypothesis tests run the `mutation` profile (the `ci` examples, pinned, without shrinking).

Timeouts are generous so that a loaded machine does not fake kills: `--timeout-floor` seconds
plus `--timeout-factor` times the selected tests' measured duration (and, in a running session,
each test by the same rule from its own duration, so that an endless loop is caught in the first
test that enters it); a mutant that times out
is run once more with twice the time, and only a second timeout kills it. A run appends one
line per mutant to `--results` and skips the mutants already there, so an interrupted run
resumes.
"""

from __future__ import annotations

import argparse
import ast
import copy
import gc
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
import types
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

# the semantic core: operators, history walks (every executor's, the single decision's too) and
# groups, cross-kind members, the plan, the evaluator, combination and document status, the
# explainer (its traces and their readings)
TARGETS = ("ops.py", "semantics.py", "members.py", "plan.py", "evaluate.py", "combine.py", "status.py",
           "explain.py", "readings.py")
# the tests whose coverage selects the tests of each mutant (the fast ones that exercise the core)
TESTS = ("tests/test_operators.py", "tests/test_semantics.py", "tests/test_units.py", "tests/test_language.py",
         "tests/test_members.py", "tests/test_member_properties.py", "tests/test_time.py", "tests/test_goals.py",
         "tests/test_explain.py", "tests/test_explain_details.py", "tests/test_scenarios.py",
         "tests/test_differential.py", "tests/test_properties.py", "tests/test_api.py", "tests/test_explain_languages.py",
         "tests/test_explain_status.py", "tests/test_payload_fields.py", "tests/test_differential_regressions.py",
         "tests/test_readings.py", "tests/test_previous_records.py", "tests/test_reported.py",
         "tests/test_single.py", "tests/test_single_properties.py", "tests/test_explain_fast.py")
# Functions that are not run-time semantics: the checker's unit table lives in ops.py.
SKIP_FUNCTIONS = {"ops.py": {"arith_type", "_join_numbers", "join_type"}}

SWAPS = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult,
         ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq,
         ast.NotEq: ast.Eq, ast.Is: ast.IsNot, ast.IsNot: ast.Is, ast.In: ast.NotIn, ast.NotIn: ast.In,
         ast.And: ast.Or, ast.Or: ast.And}
IMPORT_TIME = ""  # coverage's context for lines executed outside any test (imports, collection)


class Mutant:
    def __init__(self, module: str, line: int, end_line: int, description: str, tree: ast.Module,
                 in_body: bool):
        self.module, self.line, self.end_line, self.description, self.tree = (module, line, end_line, description,
                                                                               tree)
        self.in_body = in_body  # inside a function's body: patched into a running session

    @property
    def module_name(self) -> str:
        return ".".join([*ENGINE.parts, self.module.removesuffix(".py")])

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


def _bodies(tree: ast.Module) -> list[tuple[int, int]]:
    """Line ranges of the bodies of the module's functions and methods (not their `def` lines,
    decorators or defaults, which run at import)."""
    ranges = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            ranges.append((node.body[0].lineno, node.end_lineno))
    return ranges


def mutants(module: str) -> list[Mutant]:
    source = (ROOT / ENGINE / module).read_text(encoding="utf-8")
    tree = ast.parse(source)
    skipped = _skipped(tree, module)
    original_nodes = list(ast.walk(tree))
    bodies = _bodies(tree)
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
        end = node.end_lineno or node.lineno
        in_body = any(first <= node.lineno and end <= last for first, last in bodies)
        found.append(Mutant(module, node.lineno, end, description, mutated, in_body))
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
    """The tests that execute the mutant's lines; a line run at import (a decorator, a field's
    options, a default, a constant) selects every test: a test that only reads what the module
    defined (`attrs.fields(Plan)`, a record compared or printed) executes none of its lines."""
    lines = known["lines"][mutant.module]
    tests: set[str] = set()
    for line in range(mutant.line, mutant.end_line + 1):
        tests.update(lines.get(str(line), ()))
    if IMPORT_TIME in tests:
        tests = set(known["durations"])
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


class _Killers:
    """Kill-first order: per module, the tests that killed its mutants, the most recent first;
    then the other selected tests, fastest first."""

    def __init__(self, known: dict):
        self.known = known
        self.recent: dict[str, list[str]] = defaultdict(list)

    def order(self, mutant: Mutant, tests: list[str]) -> list[str]:
        recent = [t for t in self.recent[mutant.module] if t in tests]
        rest = sorted(set(tests) - set(recent), key=lambda t: (self.known["durations"].get(t, 0.0), t))
        return recent + rest

    def killed_by(self, mutant: Mutant, test: str) -> None:
        self.recent[mutant.module] = [test] + [t for t in self.recent[mutant.module] if t != test]


_TIMED_OUT = 98  # a forked session's exit code when one test ran past its own limit


def _allowance(tests: list[str], known: dict, args) -> float:
    """The seconds a run of `tests` may take: the floor plus the factor times their measured
    duration (unmutated)."""
    return args.timeout_floor + args.timeout_factor * sum(known["durations"].get(t, 0.0) for t in tests)


def judge(mutant: Mutant, tests: list[str], known: dict, killers: _Killers, args, run_tests) -> tuple[str, str | None]:
    """Run the mutant's tests (`run_tests(ordered, timeout)`) with the timeout rules: a timeout is
    re-checked once with twice the time, and only a second timeout kills."""
    ordered = killers.order(mutant, tests)
    timeout = _allowance(tests, known, args)
    verdict, first = run_tests(ordered, timeout)
    if verdict == "timeout":  # a loaded machine must not fake a kill: once more, twice the time
        verdict, first = run_tests(ordered, 2 * timeout)
        if verdict == "timeout":
            verdict, first = "killed", "(timed out twice)"
    if verdict == "killed" and first in tests:
        killers.killed_by(mutant, first)
    return verdict, first


def _record(out, position: int, mutant: Mutant, verdict: str, tests: list[str], seconds: float,
            first: str | None) -> None:
    line = f"{verdict:<11} {position} {mutant} | {len(tests)} tests, {seconds:.0f}s{' | ' + first if first else ''}"
    print(line, flush=True)
    out.write(line + "\n")
    out.flush()


# ---- function-body mutants: patched into one running test session -------------------------

def _unwrap(found: object):
    for attribute in ("__func__", "fget", "func", "__wrapped__"):
        inner = getattr(found, attribute, None)
        if inner is not None:
            return _unwrap(inner)
    return found


def _outer_function(tree: ast.Module, line: int) -> tuple[str, ...] | None:
    """The path (function, or class and method) of the top-level definition whose body holds `line`."""
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.body[0].lineno <= line <= node.end_lineno:
            return (node.name,)
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and (
                        item.body[0].lineno <= line <= item.end_lineno):
                    return node.name, item.name
    return None


def patch(mutant: Mutant) -> None:
    """Give the running function the mutant's code: the module is executed afresh from the mutated
    tree in a separate namespace, and the code object of the function that holds the mutant is
    put into the function already loaded, so that every reference to it (imports, closures,
    compiled plans) runs the mutant. Raises when the function cannot be found."""
    module = sys.modules.get(mutant.module_name) or importlib.import_module(mutant.module_name)
    path = _outer_function(mutant.tree, mutant.line)
    if path is None:
        raise LookupError(f"no function holds line {mutant.line}")
    fresh = {"__name__": module.__name__, "__file__": module.__file__, "__package__": module.__package__}
    exec(compile(ast.fix_missing_locations(mutant.tree), module.__file__, "exec"), fresh)  # noqa: S102 - our own tree
    old, new = vars(module)[path[0]], fresh[path[0]]
    if len(path) == 2:
        old, new = vars(old)[path[1]], vars(new)[path[1]]
    old, new = _unwrap(old), _unwrap(new)
    # functions made earlier from the old code's nested functions (closures a compiled plan or a
    # module constant holds) get the new nested code too
    for before, after in _nested_pairs(old.__code__, new.__code__):
        for holder in gc.get_referrers(before):
            if isinstance(holder, types.FunctionType) and holder.__code__ is before:
                holder.__code__ = after
    old.__code__ = new.__code__


def _nested_pairs(old: types.CodeType, new: types.CodeType):
    """(old, new) code objects of the functions nested in a function, matched by name and line."""
    def nested(code: types.CodeType) -> dict:
        return {(c.co_name, c.co_firstlineno): c for c in code.co_consts if isinstance(c, types.CodeType)}
    before, after = nested(old), nested(new)
    for key, code in before.items():
        if key in after:
            yield code, after[key]
            yield from _nested_pairs(code, after[key])


class _Session:
    """pytest plugin: collects the tests once, then runs each function-body mutant in a forked
    child that patches the mutant in and runs the mutant's tests with the collected items."""

    def __init__(self, todo: list[tuple[int, Mutant, list[str]]], known: dict, args, results: Path,
                 unpatched: Path):
        self.todo, self.known, self.args, self.results, self.unpatched = todo, known, args, results, unpatched

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session):
        from _pytest.runner import runtestprotocol

        items = {item.nodeid: item for item in session.items}
        killers = _Killers(self.known)
        killer = Path(tempfile.mkdtemp(prefix="mutation-killer-")) / "first"
        with self.results.open("a", encoding="utf-8") as out:
            for position, mutant, tests in self.todo:
                started = time.monotonic()

                def run_tests(ordered: list[str], timeout: float) -> tuple[str, str | None]:
                    chosen = [items[t] for t in ordered if t in items]
                    killer.unlink(missing_ok=True)
                    # each test also has its own limit, by the same rule from its own duration
                    # (twice it on the re-check): a mutant that loops for ever in the first test
                    # is caught in a minute or two, not after the whole selection's allowance
                    scale = timeout / _allowance(tests, self.known, self.args)
                    limits = [scale * _allowance([item.nodeid], self.known, self.args) for item in chosen]

                    def work() -> int:
                        try:
                            patch(mutant)
                        except Exception:  # noqa: BLE001 - run it the slow way
                            return 97
                        signal.signal(signal.SIGALRM, lambda *_: os._exit(_TIMED_OUT))
                        for i, item in enumerate(chosen):
                            following = chosen[i + 1] if i + 1 < len(chosen) else None
                            signal.setitimer(signal.ITIMER_REAL, limits[i])
                            reports = runtestprotocol(item, nextitem=following, log=False)
                            signal.setitimer(signal.ITIMER_REAL, 0)
                            if any(r.failed for r in reports):
                                killer.write_text(item.nodeid, encoding="utf-8")
                                return 1
                        return 0
                    state, code = _in_child(work, timeout)
                    if state == "timeout" or code == _TIMED_OUT:
                        return "timeout", None
                    if code == 97:
                        return "unpatched", None
                    first = killer.read_text(encoding="utf-8") if killer.exists() else None
                    return ("survived" if code == 0 else "killed"), first

                verdict, first = judge(mutant, tests, self.known, killers, self.args, run_tests)
                # a survivor is confirmed by a fresh run: a value computed before the patch (a plan
                # compiled while the tests were collected, a cache) may hide the mutant here
                if verdict in ("unpatched", "survived"):
                    with self.unpatched.open("a", encoding="utf-8") as later:
                        later.write(f"{position}\n")
                    continue
                _record(out, position, mutant, verdict, tests, time.monotonic() - started, first)
        return True


def shard(every: list[Mutant], done: set[int], known: dict, job: int, jobs: int, args, results: Path) -> None:
    """One job's share of the mutants not yet in `results`, in its own scratch copy of the
    repository; one result line per mutant, appended as it finishes. Mutants inside function
    bodies run in one test session (`_Session`); the others (module constants, decorators,
    defaults: what runs at import) each in a fresh pytest run that imports the mutated module."""
    pending = [i for i in range(len(every)) if i not in done][job::jobs]
    scratch = _scratch()
    unpatched = scratch / ".unpatched"
    try:
        with results.open("a", encoding="utf-8") as out:
            for position in pending:
                if not selected(every[position], known):
                    _record(out, position, every[position], "not-covered", [], 0.0, None)
        fast = [(p, every[p], selected(every[p], known)) for p in pending
                if every[p].in_body and selected(every[p], known)]
        if fast:
            tests = sorted({t.split("::")[0] for _, _, selection in fast for t in selection})

            def session() -> int:
                os.chdir(scratch)
                sys.path.insert(0, str(scratch))
                return pytest.main(["-q", "-p", "no:cacheprovider", "-p", "no:warnings",
                                    "--hypothesis-profile=mutation", *tests],
                                   plugins=[_Session(fast, known, args, results, unpatched)])
            _in_child(session)
        later = {int(n) for n in unpatched.read_text().split()} if unpatched.exists() else set()
        slow = [p for p in pending if (not every[p].in_body or p in later) and selected(every[p], known)]
        killers = _Killers(known)
        with results.open("a", encoding="utf-8") as out:
            for position in slow:
                mutant, started = every[position], time.monotonic()
                tests = selected(mutant, known)
                verdict, first = judge(mutant, tests, known, killers, args,
                                       lambda ordered, timeout: run(mutant, ordered, scratch, timeout))
                _record(out, position, mutant, verdict, tests, time.monotonic() - started, first)
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
    parser.add_argument("--pick", type=lambda text: {int(n) for n in text.split(",")}, default=None,
                        help="judge only these mutants (positions in the list, comma-separated): those a "
                             "stopped run left unjudged")
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
    if args.pick is not None:  # everything else counts as done for this run (the summary still reads all)
        done |= set(range(len(every))) - args.pick
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
