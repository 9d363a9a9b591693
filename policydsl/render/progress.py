"""Progress shown on a terminal: the engine's `Progress` reports (engine/progress.py) in, a rich
bar on standard error out.

A run that ends within `delay` seconds shows nothing at all; a longer one shows its stage, a
bar of its steps and the time spent, refreshed by rich's own thread (so the time moves on while
one long step runs), and the bar is erased when the run ends, so that what the command prints
afterwards (a table, JSON) is all that stays. Lines written to standard error meanwhile (data
warnings) are printed above the bar.
"""

from __future__ import annotations

import sys
import threading

from policydsl.engine.progress import NO_PROGRESS


class TerminalProgress:
    """A `Progress` drawn by rich once `delay` seconds have passed; a context manager (the bar
    lives while the run does)."""

    def __init__(self, console=None, delay: float = 2.0):
        # rich is imported here: a command off a terminal never needs it
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                             TextColumn("{task.fields[unit]}"), TimeElapsedColumn(),
                             console=console if console is not None else Console(stderr=True),
                             transient=True, redirect_stdout=False, redirect_stderr=True)
        self._delay = delay
        self._task = None  # rich's id of the current stage's task
        self._lock = threading.Lock()  # the timer's thread starts the bar; the run's ends it
        self._shown = self._ended = False
        self._timer: threading.Timer | None = None

    def __enter__(self) -> TerminalProgress:
        if self._delay <= 0:
            self._show()
        else:
            self._timer = threading.Timer(self._delay, self._show)
            self._timer.daemon = True  # never keeps the process alive
            self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._timer is not None:
            self._timer.cancel()
        with self._lock:
            self._ended = True
            if self._shown:
                self._bar.stop()

    def _show(self) -> None:
        with self._lock:
            if not self._ended and not self._shown:
                self._shown = True
                self._bar.start()

    def start(self, stage: str, total: int | None, unit: str = "") -> None:
        if self._task is not None:
            self._bar.remove_task(self._task)
        self._task = self._bar.add_task(stage, total=total, unit=unit)

    def advance(self, steps: int = 1) -> None:
        if self._task is not None:
            self._bar.advance(self._task, steps)


class _Nothing:
    """`NO_PROGRESS` as a context manager: what a run off a terminal shows."""

    def __enter__(self):
        return NO_PROGRESS

    def __exit__(self, *exc) -> None:
        return None


def on_terminal(delay: float = 2.0):
    """A `TerminalProgress` when standard error is a terminal; else one that shows nothing."""
    return TerminalProgress(delay=delay) if sys.stderr.isatty() else _Nothing()
