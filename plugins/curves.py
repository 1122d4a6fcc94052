"""Learning curves: ``plots/curves.png`` in the run folder, kept up to date during a run.

:func:`plot_curves` draws one panel per metric (``loss`` first), each with its
training and, when present, validation (``val_``) values per epoch, as the core draws
learning curves everywhere (:func:`framework.api.draw_learning_curves`). Lifecycle
hooks draw it after the first epoch, then after an epoch only when the last drawing
is at least ``REDRAW_SECONDS`` old (drawing costs ~0.15 s of CPU, 2-3% of a short
epoch on a 2-core machine), and always when the run ends or fails. A failure to draw
is reported on the run's console and does not stop training.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from framework import ReportSection, RunContext, hookimpl
from framework.api import draw_learning_curves, reraise_if_interrupted

CURVES_FILE = Path("plots") / "curves.png"
"""Where the curves go, relative to the run folder."""

REDRAW_SECONDS = 60.0
"""Least time between two drawings during training."""

_DRAWN_AT = "curves.drawn_at"  # key in RunContext.extras


def plot_curves(
    history: Sequence[Mapping[str, Any]], path: Path, title: str = "", marks: Sequence[tuple[float, str]] = ()
) -> Path:
    """Draw training and validation curves of ``history`` into the PNG ``path``, atomically.

    The drawing is the core's (:func:`framework.api.draw_learning_curves`), shared with ``hoh
    compare``; the evaluation report shows this picture. ``marks``: ``(epoch, text)`` lines.

    Raises:
        ValueError: when ``history`` holds no metric.
    """
    return draw_learning_curves([("", history)], path, title=title, marks=marks)


def _marks(run: RunContext) -> list[tuple[float, str]]:
    """An extension (``hoh-run --extend``) marks where it went on from the finished run."""
    done = run.extends_epochs  # recorded in the extension's folder: the source may be gone since
    return [(done + 1, "extended")] if done else []


def _title(run: RunContext) -> str:
    try:
        return str(run.experiment.experiment.name)
    except AttributeError:
        return run.run_dir.name


def _draw(run: RunContext, history: list[dict[str, float]]) -> None:
    if not history:
        return
    try:
        plot_curves(history, run.run_dir / CURVES_FILE, _title(run), _marks(run))
    except Exception as error:  # a plot must never cost a training run...
        reraise_if_interrupted(error)  # ...but Ctrl-C or SIGTERM arriving as an error (in an import) stops it
        run.console.print(f"[yellow]warning:[/] could not draw {CURVES_FILE}: {error}")


@hookimpl
def hoh_after_epoch(run: RunContext, epoch: int, logs: dict[str, float], history: list[dict[str, float]]) -> None:
    last = run.extras.get(_DRAWN_AT)
    if last is None or time.monotonic() - last >= REDRAW_SECONDS:
        _draw(run, history)
        run.extras[_DRAWN_AT] = time.monotonic()


@hookimpl
def hoh_after_run(run: RunContext, history: list[dict[str, float]]) -> None:
    _draw(run, history)


@hookimpl
def hoh_on_run_error(run: RunContext, error: BaseException) -> None:
    _draw(run, run.history)  # an interrupted run keeps up-to-date curves


@hookimpl
def hoh_report_sections(run_dir: Path) -> list[ReportSection]:
    """The report's "Training" section: this run's curves picture, when it was drawn."""
    try:
        picture = (run_dir / CURVES_FILE).read_bytes()
    except OSError:  # not drawn (the plugin was off, or the run failed before its first epoch)
        return []
    return [ReportSection("Training", (), {"curves": picture}, "Loss and metrics per epoch, training and validation")]
