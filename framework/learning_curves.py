"""Learning curves, drawn one way for every picture of them.

One panel per metric (``loss`` first), epochs on the x axis, training solid and validation
(``val_``) dashed. One run: training and validation in two colours, a legend in each panel
(``plots/curves.png``, drawn by the built-in ``curves`` plugin, shown again on the evaluation
report). Several runs: one colour per run, one legend beside the panels (``hoh compare``).
matplotlib is imported only when drawing.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from framework.atomic import write_with
from framework.rundir import NOT_METRICS

History = Sequence[Mapping[str, Any]]


def metric_names(histories: Sequence[History]) -> list[str]:
    """Training metric names in first-seen order, ``loss`` first; ``val_x`` alone counts as ``x``."""
    names: list[str] = []
    for history in histories:
        for row in history:
            for key in row:
                base = key.removeprefix("val_")
                if key not in NOT_METRICS and base not in names:
                    names.append(base)
    if "loss" in names:
        names.insert(0, names.pop(names.index("loss")))
    return names


def series(history: History, key: str) -> tuple[list[float], list[float]]:
    """The epochs and finite values of ``key`` (``epoch`` is 1-based; the row's position when missing)."""
    xs, ys = [], []
    for index, row in enumerate(history):
        try:
            number = float(row.get(key))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            continue
        if math.isfinite(number):
            xs.append(float(row.get("epoch", index + 1)))
            ys.append(number)
    return xs, ys


def stage_starts(history: History) -> list[tuple[float, int]]:
    """``(epoch, stage)`` of each epoch that starts a stage after the first (staged fine-tuning's ``stage`` key)."""
    starts, previous = [], None
    for row in history:
        stage = row.get("stage")
        if isinstance(stage, int) and previous is not None and stage != previous:
            starts.append((float(row.get("epoch", 0)), stage))
        previous = stage if isinstance(stage, int) else previous
    return starts


def _mark(ax: Any, epoch: float, text: str) -> None:
    """A dotted line before ``epoch``, labelled ``text`` at the top of the panel."""
    ax.axvline(epoch - 0.5, color="grey", linestyle=":", linewidth=1)
    ax.annotate(
        text,
        (epoch - 0.5, 1),
        xycoords=("data", "axes fraction"),
        xytext=(3, -12),
        textcoords="offset points",
        fontsize="small",
        color="grey",
    )


def draw_learning_curves(
    runs: Sequence[tuple[str, History]],
    path: Path,
    *,
    title: str = "",
    metadata: Mapping[str, str] | None = None,
    marks: Sequence[tuple[float, str]] = (),
) -> Path:
    """Draw the curves of ``runs`` (``(label, history)`` pairs) into the PNG ``path``, atomically.

    Args:
        runs: One pair per run; a history is one dict per epoch, e.g. ``{"epoch": 1, "loss": 0.6,
            "val_loss": 0.7}``. With one run the label is not shown.
        path: The PNG to write; its folder is created when missing.
        title: The figure's title.
        metadata: PNG text chunks (e.g. :func:`framework.output_files.png_metadata`).
        marks: With one run, ``(epoch, text)`` pairs marked by a dotted line before that epoch
            (e.g. ``(16, "extended")``), besides the start of each training stage.

    Returns:
        ``path``.

    Raises:
        ValueError: when no history holds a metric.
    """
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    histories = [history for _, history in runs]
    names = metric_names(histories)
    if not names:
        raise ValueError("no metrics to plot: the history is empty")
    several = len(runs) > 1
    width = 5.5 * len(names)
    # several runs: one legend entry per run (its colour), wrapped to the figure's width, below the panels
    wrapped = [textwrap.fill(label, width=int(width * 12)) for label, _ in runs] if several else []
    legend_lines = sum(label.count("\n") + 1 for label in wrapped)
    size = (width, 4.2 + 0.2 * legend_lines)
    figure = Figure(figsize=size, dpi=100, layout="constrained")
    axes = figure.subplots(1, len(names), squeeze=False)[0]
    longest = max(len(history) for history in histories)
    marker = "o" if longest <= 30 else None
    for ax, name in zip(axes, names, strict=True):
        epochs: list[float] = []
        labelled: set[int] = set()
        for number, (_, history) in enumerate(runs):
            for split, key, style in (("training", name, "-"), ("validation", f"val_{name}", "--")):
                xs, ys = series(history, key)
                if not xs:
                    continue
                colour = f"C{number % 10}" if several else ("C0" if split == "training" else "C1")
                shown = split
                if several:  # the run's first line in this panel carries its label
                    shown = "_nolegend_" if number in labelled else wrapped[number]
                    labelled.add(number)
                ax.plot(xs, ys, style, color=colour, marker=marker, markersize=3 if several else 4, label=shown)
                epochs.extend(xs)
        if epochs and max(epochs) - min(epochs) < 4:  # few epochs: one tick each, not 0.975, 0.990, ...
            first, last = int(min(epochs)), int(max(epochs))
            ax.set_xticks(range(first, last + 1))
            ax.set_xlim(first - 0.5, last + 0.5)
        else:
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if not several:
            for epoch, text in [*((epoch, f"stage {stage}") for epoch, stage in stage_starts(histories[0])), *marks]:
                _mark(ax, epoch, text)
        ax.set_title(name.replace("_", " "))
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.grid(True, alpha=0.3)
        if not several:
            ax.legend()
    if several:
        handles, texts = axes[0].get_legend_handles_labels()
        figure.legend(handles, texts, loc="outside lower center", fontsize="small", ncols=1, frameon=False)
    if title:
        figure.suptitle(title)
    path = Path(path)
    return write_with(path, lambda target: figure.savefig(target, format="png", metadata=dict(metadata or {})))
