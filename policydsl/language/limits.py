"""The documented limits of the language, and the stack the pipeline runs on.

Every stage walks expressions and chains of derived values recursively (the checker, the graph,
the compiled plan, the evaluator, the explainer). Rather than let Python's default recursion
limit decide what a policy may say (82 nested parentheses used to be a traceback), two things
hold together:

- the front end refuses, with a located error, what is beyond the documented limits
  (`MAX_NESTING` levels of nesting in one expression, literal arguments within their bounds);
- the pipeline runs on a thread with a stack deep enough for anything within those limits and
  for long chains of derived values (`MAX_VALUE_CHAIN`) and running totals over many periods
  (`run_deep`), so a policy that passes `check` never meets a RecursionError.

README ("Limits") lists the same numbers.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import TypeVar

# Levels of nesting in one expression: parentheses, `if`, `not`, a minus sign, function calls,
# indexes; each operator of a chain `a + b - c` is a level too (it is evaluated left to right).
MAX_NESTING = 20_000
# Derived values that read one another in a chain (v1 reads v2 reads v3 ...).
MAX_VALUE_CHAIN = 20_000
# Periods a running total (`previous` of itself) may walk back through.
MAX_RUNNING_PERIODS = 100_000
# Literal arguments.
MAX_ROUND_PLACES = 30          # round(x, n): n in 0..30
MAX_PERIOD_COUNT = 1000        # previous(x, n), change(x, n), count_periods(c, n): n in 1..1000
MAX_GROUP_N = 1_000_000        # top(x, n), bottom(x, n)
MAX_INTEGER_DIGITS = 30        # a number written in a policy: at most 30 digits before the point
MAX_FRACTION_DIGITS = 30       # ... and 30 after it
FIRST_YEAR, LAST_YEAR = 1000, 3000  # dates written in a policy
MAX_DURATION_YEARS = 1000      # durations written in a policy (12,000 months, 366,000 days)

_STACK_BYTES = 1024 * 1024 * 1024  # reserved address space, touched only as deep as a walk goes
_RECURSION_LIMIT = 1_000_000

T = TypeVar("T")


def run_here(function: Callable[..., T], *args, **kwargs) -> T:
    """`function(*args, **kwargs)` on the caller's own stack (a plan known shallow: `run_deep`'s
    stand-in)."""
    return function(*args, **kwargs)


def run_deep(function: Callable[..., T], *args, **kwargs) -> T:
    """`function(*args, **kwargs)` on a thread whose stack holds the deepest walk the limits allow.

    Re-entrant: a call made from such a thread runs in place. Exceptions are raised in the caller.
    """
    if getattr(_local, "deep", False):
        return function(*args, **kwargs)
    outcome: dict[str, object] = {}

    def body() -> None:
        _local.deep = True
        try:
            outcome["value"] = function(*args, **kwargs)
        except BaseException as err:  # handed to the caller, which raises it  # noqa: BLE001
            outcome["error"] = err

    _deep_threads.enter()
    try:
        with _deep_threads.lock:
            previous = threading.stack_size(_STACK_BYTES)
            try:
                worker = threading.Thread(target=body, name="policydsl-deep", daemon=True)
                worker.start()
            finally:
                threading.stack_size(previous)
        worker.join()
    finally:
        _deep_threads.leave()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


class _DeepThreads:
    """The interpreter's recursion limit is one for the whole process: it is raised while any deep
    thread runs and put back as the last one ends, so an embedding program keeps its own limit."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._running = 0
        self._saved_limit = 0

    def enter(self) -> None:
        with self.lock:
            if self._running == 0:
                self._saved_limit = sys.getrecursionlimit()
                sys.setrecursionlimit(max(self._saved_limit, _RECURSION_LIMIT))
            self._running += 1

    def leave(self) -> None:
        with self.lock:
            self._running -= 1
            if self._running == 0:
                sys.setrecursionlimit(self._saved_limit)


_local = threading.local()
_deep_threads = _DeepThreads()
