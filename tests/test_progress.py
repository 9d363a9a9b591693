"""Progress: loading reports one step per entity kind read, the row executor one per rule, the
columnar executor one per frame and one for the rules it leaves to the row executor — every
stage ends with its steps all done — and the terminal bar (rich) is drawn only once a run has
taken its delay, and never off a terminal."""

from __future__ import annotations

import io
import time

import pytest
from conftest import ROOT, SAMPLE_DATA, SAMPLE_POLICIES
from rich.console import Console

import policydsl
from policydsl.cli import main
from policydsl.render.progress import TerminalProgress, on_terminal


class Recorded:
    """A `Progress` that keeps what it hears: [stage, total, unit, steps done]."""

    def __init__(self):
        self.stages: list[list] = []

    def start(self, stage: str, total: int | None, unit: str = "") -> None:
        self.stages.append([stage, total, unit, 0])

    def advance(self, steps: int = 1) -> None:
        self.stages[-1][3] += steps


@pytest.fixture(scope="module")
def sample():
    return policydsl.load(*SAMPLE_POLICIES)


@pytest.mark.parametrize("executor", ["row", "columnar"])
def test_loading_reports_one_step_per_kind_read_and_ends_complete(sample, executor):
    heard = Recorded()
    dataset = sample.load_data(SAMPLE_DATA, executor=executor, progress=heard)
    kinds = sorted(path.stem for path in SAMPLE_DATA.iterdir() if path.stem in sample.program.entities)
    assert heard.stages == [["reading data", len(kinds), "kinds", len(kinds)]]
    assert dataset.kinds  # and the data is read as without a report


def test_the_row_executor_reports_one_step_per_rule(sample):
    heard = Recorded()
    result = sample.evaluate(sample.load_data(SAMPLE_DATA), executor="row", progress=heard)
    rules = len(sample.plan.rules)
    assert heard.stages == [["evaluating rules", rules, "rules", rules]]
    assert result.decisions == sample.evaluate(sample.load_data(SAMPLE_DATA), executor="row").decisions


def test_the_columnar_executor_reports_each_frame_then_the_row_executed_rules(sample):
    heard = Recorded()
    dataset = sample.load_data(SAMPLE_DATA, executor="columnar")
    result = sample.evaluate(dataset, executor="columnar", progress=heard)
    [[stage, total, unit, done]] = heard.stages
    assert (stage, unit) == ("evaluating columns", "frames")
    frames = {(c.rule.entity, c.rule.evaluated_per) for c in sample.plan.rules}
    assert 2 <= total <= len(frames) + 1 and done == total
    assert result.decisions == sample.evaluate(dataset, executor="row").decisions


def _terminal() -> tuple[Console, io.StringIO]:
    written = io.StringIO()
    return Console(file=written, force_terminal=True, width=100, color_system=None), written


def test_the_terminal_bar_shows_stage_steps_and_unit_once_its_delay_has_passed():
    console, written = _terminal()
    with TerminalProgress(console=console, delay=0.05) as shown:
        shown.start("reading data", 13, "kinds")
        shown.advance(4)
        time.sleep(0.5)  # past the delay: the timer's thread draws the bar
        drawn = written.getvalue()
    assert "reading data" in drawn and "4/13" in drawn and "kinds" in drawn


def test_a_run_shorter_than_the_delay_draws_nothing():
    console, written = _terminal()
    with TerminalProgress(console=console, delay=30) as shown:
        shown.start("evaluating rules", 3, "rules")
        shown.advance(3)
    assert written.getvalue() == ""


def test_a_bar_is_erased_when_the_run_ends():
    console, written = _terminal()
    with TerminalProgress(console=console, delay=0) as shown:
        shown.start("evaluating rules", 2, "rules")
        shown.advance()
    # rich's transient display ends by moving the cursor back over the bar and erasing it
    assert "\x1b[2K" in written.getvalue()[written.getvalue().rindex("evaluating rules"):]


def test_off_a_terminal_nothing_is_drawn(monkeypatch, capsys):
    monkeypatch.setattr("sys.stderr.isatty", lambda: False, raising=False)
    with on_terminal(delay=0) as shown:
        shown.start("reading data", 1, "kinds")
        shown.advance()
    assert capsys.readouterr().err == ""


def test_eval_off_a_terminal_writes_no_progress_to_stderr(capsys):
    code = main(["eval", *map(str, SAMPLE_POLICIES), "--data", str(SAMPLE_DATA), "--format", "json"])
    captured = capsys.readouterr()
    assert code == 0 and captured.out.startswith("{")
    assert all(line.startswith("warning: ") for line in captured.err.splitlines())  # the data's own warnings only


def test_the_batches_report_every_row_evaluated():
    import polars as pl

    from policydsl.engine.columnar.batches import evaluate_batches

    heard = Recorded()
    w1 = policydsl.load(ROOT / "bench" / "peers" / "w1.pol")
    frame = pl.DataFrame({"id": [str(i) for i in range(10) for _ in range(3)],
                          "period": [str(y) for _ in range(10) for y in (2018, 2019, 2020)],
                          "rating": ["D"] * 30})
    found = list(evaluate_batches(w1.plan, {"enterprise": frame}, kind="enterprise", batch_rows=9, progress=heard))
    assert len(found) == 4 and heard.stages == [["evaluating", 30, "rows", 30]]
