"""How far a run has got: the interface the stages report to (`Progress`), and the report that
shows nothing (`NO_PROGRESS`, the default).

Loading data reports one step per entity kind read; the row executor one step per rule; the
columnar executor one step per frame it runs and one for the rules it leaves to the row
executor; `batches` one step per row evaluated. Whoever asks for a run decides how to show it:
the CLI passes a rich bar that appears on a terminal once a run has taken a few seconds
(`render/progress.py`).
"""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def start(self, stage: str, total: int | None, unit: str = "") -> None:
        """A stage of `total` steps (None: not known) begins; the one before it is over."""

    def advance(self, steps: int = 1) -> None:
        """`steps` more steps of the current stage are done."""


class _Silent:
    """The report that shows nothing."""

    def start(self, stage: str, total: int | None, unit: str = "") -> None:
        return None

    def advance(self, steps: int = 1) -> None:
        return None


NO_PROGRESS: Progress = _Silent()
