"""Mutation testing of the semantic core: how many plausible single bugs the test suite notices.

Not part of CI (it runs the chosen tests once per mutant). Usage, from the repository root:

    python3 bench/mutation.py [--jobs 1] [--only ops.py] [--sample N --seed S] [--list]
                              [--results mutation-results.txt]

Each mutant is one small change to one module of `policydsl/engine/` (an arithmetic or
comparison operator swapped, `and`/`or` swapped, a `not` dropped, `is`/`in` negated, a
boolean flipped, an integer moved by one). The module is re-written with `ast.unparse` in a
scratch copy of the repository and the fast, relevant tests run there with `-x`; a mutant is
killed when they fail (or time out). Survivors are printed with their line, for review. The
standard library's `ast` does the parsing and printing: no source is edited by hand.
"""

from __future__ import annotations

import argparse
import ast
import copy
import os
import shutil
import subprocess
import sys
import tempfile
import time
import random
import signal
from pathlib import Path

import pytest  # imported once here, so each forked test run starts without the import cost
import hypothesis  # noqa: F401
import lark  # noqa: F401
import networkx  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent

# module -> the tests that guard it, fastest first (pytest stops at the first failure)
TARGETS = {
    "ops.py": ["tests/test_operators.py", "tests/test_units.py", "tests/test_language.py",
               "tests/test_differential.py"],
    "semantics.py": ["tests/test_semantics.py", "tests/test_language.py", "tests/test_differential.py"],
    "plan.py": ["tests/test_semantics.py", "tests/test_language.py", "tests/test_differential.py"],
    "evaluate.py": ["tests/test_semantics.py", "tests/test_language.py", "tests/test_members.py",
                    "tests/test_differential.py"],
    "combine.py": ["tests/test_language.py", "tests/test_scenarios.py", "tests/test_differential.py"],
    "explain.py": ["tests/test_semantics.py", "tests/test_explain.py", "tests/test_differential.py"],
}
# Functions that are not run-time semantics: the checker's unit table lives in ops.py.
SKIP_FUNCTIONS = {"ops.py": {"arith_type", "_join_numbers", "join_type"}}

SWAPS = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult,
         ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq,
         ast.NotEq: ast.Eq, ast.Is: ast.IsNot, ast.IsNot: ast.Is, ast.In: ast.NotIn, ast.NotIn: ast.In,
         ast.And: ast.Or, ast.Or: ast.And}


class Mutant:
    def __init__(self, module: str, index: int, line: int, description: str, tree: ast.Module):
        self.module, self.index, self.line, self.description, self.tree = module, index, line, description, tree

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
    source = (ROOT / "policydsl" / "engine" / module).read_text(encoding="utf-8")
    tree = ast.parse(source)
    skipped = _skipped(tree, module)
    found = []
    for index, (node, field, replacement, description) in enumerate(list(_points(tree))):
        if node.lineno in skipped:
            continue
        mutated = copy.deepcopy(tree)
        # find the same node in the copy by walk order
        original_nodes = list(ast.walk(tree))
        twin = list(ast.walk(mutated))[original_nodes.index(node)]
        if field is None:
            mutated = _Replace(twin, copy.deepcopy(replacement)).visit(mutated)
        else:
            setattr(twin, field, replacement)
        found.append(Mutant(module, index, node.lineno, description, mutated))
    return found


def run(mutant: Mutant, scratch: Path, timeout: float) -> tuple[bool, float]:
    """Whether the tests kill the mutant, and how long they took. The tests run in a forked
    child of a process that has already imported pytest, hypothesis and the libraries (never
    policydsl, which the child imports afresh from the mutated scratch copy)."""
    path = scratch / "policydsl" / "engine" / mutant.module
    original = path.read_text(encoding="utf-8")
    path.write_text(ast.unparse(ast.fix_missing_locations(mutant.tree)), encoding="utf-8")
    started = time.monotonic()
    try:
        child = os.fork()
        if child == 0:  # pragma: no cover - the child
            code = 3
            try:
                os.chdir(scratch)
                sys.path.insert(0, str(scratch))
                quiet = os.open(os.devnull, os.O_WRONLY)
                os.dup2(quiet, 1)
                os.dup2(quiet, 2)
                code = pytest.main(["-x", "-q", "-p", "no:cacheprovider", "-p", "no:warnings",
                                    "--hypothesis-profile=mutation", *TARGETS[mutant.module]])
            finally:
                os._exit(int(code))
        while True:
            done, status = os.waitpid(child, os.WNOHANG)
            if done:
                killed = os.waitstatus_to_exitcode(status) != 0
                break
            if time.monotonic() - started > timeout:
                os.kill(child, signal.SIGKILL)
                os.waitpid(child, 0)
                killed = True
                break
            time.sleep(0.05)
    finally:
        path.write_text(original, encoding="utf-8")
    return killed, time.monotonic() - started


def shard(every: list[Mutant], done: dict[int, bool], job: int, jobs: int, timeout: float,
          results: Path) -> None:
    """One job's share of the mutants not yet in `results`, in its own scratch copy of the
    repository; one result line per mutant, appended as it finishes (a run can be resumed)."""
    pending = [i for i in range(len(every)) if i not in done]
    scratch = Path(tempfile.mkdtemp(prefix="mutation-"))
    shutil.copytree(ROOT, scratch, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns(".git", "__pycache__", ".hypothesis", "*.egg-info"))
    try:
        with results.open("a", encoding="utf-8") as out:
            for position in pending[job::jobs]:
                mutant = every[position]
                dead, seconds = run(mutant, scratch, timeout)
                line = f"{'killed ' if dead else 'SURVIVED'} {position} {mutant} ({seconds:.0f}s)"
                print(line, flush=True)
                out.write(line + "\n")
                out.flush()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", help="mutate only this module (ops.py, plan.py, ...)")
    parser.add_argument("--jobs", type=int, default=1, help="scratch copies run in parallel")
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--list", action="store_true", help="list the mutants and stop")
    parser.add_argument("--sample", type=int, default=0,
                        help="run only this many mutants, drawn at random (with --seed) from all of them")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--results", default="mutation-results.txt",
                        help="one line per mutant; mutants already in it are not run again")
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
    done = {int(line.split()[1]): line.startswith("killed") for line in results.read_text().splitlines()
            if line.strip()} if results.exists() else {}
    children = []
    for job in range(args.jobs):
        child = os.fork()
        if child == 0:  # pragma: no cover - a job
            code = 1
            try:
                shard(every, done, job, args.jobs, args.timeout, results)
                code = 0
            finally:
                os._exit(code)
        children.append(child)
    for child in children:
        os.waitpid(child, 0)
    outcome = {int(line.split()[1]): line.startswith("killed") for line in results.read_text().splitlines()
               if line.strip()}
    killed = sum(1 for i in range(len(every)) if outcome.get(i))
    survivors = [every[i] for i in range(len(every)) if i in outcome and not outcome[i]]
    total = len(every)
    print(f"\n{killed} of {total} mutants killed ({100 * killed / total:.1f} %)")
    for mutant in sorted(survivors, key=lambda m: (m.module, m.line)):
        print(f"  survived: {mutant}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
