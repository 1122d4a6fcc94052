"""Learning curves: ``plots/curves.png`` in the run folder, kept up to date during a run.

:func:`plot_curves` draws one panel per metric (``loss`` first), each with its
training and, when present, validation (``val_``) values per epoch. Lifecycle
hooks draw it after the first epoch, then after an epoch only when the last drawing
is at least ``REDRAW_SECONDS`` old (drawing costs ~0.15 s of CPU, 2-3% of a short
epoch on a 2-core machine), and always when the run ends or fails. A failure to draw
is reported on the run's console and does not stop training.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from framework import RunContext, hookimpl
from framework.api import write_with

CURVES_FILE = Path("plots") / "curves.png"
"""Where the curves go, relative to the run folder."""

REDRAW_SECONDS = 60.0
"""Least time between two drawings during training."""

_DRAWN_AT = "curves.drawn_at"  # key in RunContext.extras

NOT_METRICS = frozenset({"epoch", "seconds"})


def _metric_names(history: Sequence[Mapping[str, Any]]) -> list[str]:
    """Training metric names in first-seen order, ``loss`` first; ``val_x`` alone counts as ``x``."""
    names: list[str] = []
    for row in history:
        for key in row:
            if key in NOT_METRICS:
                continue
            base = key.removeprefix("val_")
            if base not in names:
                names.append(base)
    if "loss" in names:
        names.remove("loss")
        names.insert(0, "loss")
    return names


def _series(history: Sequence[Mapping[str, Any]], key: str) -> tuple[list[float], list[float]]:
    xs, ys = [], []
    for index, row in enumerate(history):
        value = row.get(key)
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            continue
        if math.isfinite(number):
            xs.append(float(row.get("epoch", index + 1)))
            ys.append(number)
    return xs, ys


def plot_curves(history: Sequence[Mapping[str, Any]], path: Path, title: str = "") -> Path:
    """Draw training and validation curves of ``history`` into the PNG ``path``, atomically.

    Args:
        history: One dict per epoch, e.g. ``{"epoch": 1, "loss": 0.6, "val_loss": 0.7, ...}``.
            ``epoch`` (1-based) is the x axis (the position in the list when missing);
            ``seconds`` is ignored; every other key is a metric.
        path: The PNG to write; its folder is created when missing.
        title: Figure title, e.g. the experiment's name.

    Returns:
        ``path``.

    Raises:
        ValueError: when ``history`` holds no metric.
    """
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    names = _metric_names(history)
    if not names:
        raise ValueError("no metrics to plot: the history is empty")
    figure = Figure(figsize=(5.5 * len(names), 4.2), dpi=100, layout="constrained")
    axes = figure.subplots(1, len(names), squeeze=False)[0]
    marker = "o" if len(history) <= 30 else None
    for ax, name in zip(axes, names, strict=True):
        epochs: list[float] = []
        for key, label, style in ((name, "training", "-"), (f"val_{name}", "validation", "--")):
            xs, ys = _series(history, key)
            if xs:
                ax.plot(xs, ys, style, marker=marker, markersize=4, label=label)
                epochs.extend(xs)
        if epochs and max(epochs) - min(epochs) < 4:  # few epochs: one tick each, not 0.975, 0.990, ...
            first, last = int(min(epochs)), int(max(epochs))
            ax.set_xticks(range(first, last + 1))
            ax.set_xlim(first - 0.5, last + 0.5)
        else:
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(name.replace("_", " "))
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.grid(True, alpha=0.3)
        ax.legend()
    if title:
        figure.suptitle(title)
    path = Path(path)
    write_with(path, lambda tmp: figure.savefig(tmp, format="png"))
    return path


def _title(run: RunContext) -> str:
    try:
        return str(run.experiment.experiment.name)
    except AttributeError:
        return run.run_dir.name


def _draw(run: RunContext, history: list[dict[str, float]]) -> None:
    if not history:
        return
    try:
        plot_curves(history, run.run_dir / CURVES_FILE, _title(run))
    except Exception as error:  # a plot must never cost a training run
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
