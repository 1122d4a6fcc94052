"""The sweep's pictures, drawn with Optuna's matplotlib visualizations into the sweep's folder.

- ``history.png``: the objective of each trial and the best so far (``plot_optimization_history``);
- ``curves.png``: each trial's objective metric per epoch, pruned ones cut short
  (``plot_intermediate_values``);
- ``slices.png``: objective against each parameter (``plot_slice``);
- ``importances.png``: which parameters mattered (``plot_param_importances``; from 3 finished
  trials and 2 parameters on).

They are redrawn as trials finish. Each is written to a temporary name and renamed, so a
viewer never opens half a file.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from framework.api import write_with

PICTURES = ("history.png", "curves.png", "slices.png", "importances.png")


def _save(axes: Any, path: Path, title: str, xlabel: str | None = None) -> None:
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter

    first = axes.flat[0] if hasattr(axes, "flat") else axes
    figure = first.get_figure()
    figure.suptitle(title)
    for ax in figure.axes:
        if ax.get_xscale() == "log":  # minor tick labels of a short log range run into each other
            ax.xaxis.set_minor_formatter(NullFormatter())
        if xlabel is not None and ax is first:
            ax.set_xlabel(xlabel)
    # Optuna places colorbars itself: no tight_layout, which would move them over the plots.
    write_with(path, lambda target: figure.savefig(target, dpi=110, format="png", bbox_inches="tight"))
    plt.close(figure)


def draw(study: Any, folder: Path, metric: str) -> list[Path]:
    """Draw what the trials so far allow; returns the pictures written."""
    import matplotlib

    matplotlib.use("Agg")
    import optuna
    from optuna.trial import TrialState
    from optuna.visualization import matplotlib as plots

    finished = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    drawn: list[Path] = []
    jobs: list[tuple[str, Callable[[], Any], str, str | None]] = []
    name = study.study_name
    if finished:
        jobs.append(
            (
                "history.png",
                lambda: plots.plot_optimization_history(study, target_name=metric),
                f"{name}: {metric} per trial",
                None,
            )
        )
        jobs.append(
            (
                "slices.png",
                lambda: plots.plot_slice(study, target_name=metric),
                f"{name}: {metric} against each parameter",
                None,
            )
        )
    if any(t.intermediate_values for t in study.get_trials(deepcopy=False)):
        jobs.append(
            (
                "curves.png",
                lambda: plots.plot_intermediate_values(study),
                f"{name}: {metric} per epoch (pruned trials stop early)",
                "epoch (0 = the first)",
            )
        )
    if len(finished) >= 3 and len(finished[0].params) >= 2:
        jobs.append(
            (
                "importances.png",
                lambda: plots.plot_param_importances(study, target_name=metric),
                f"{name}: parameter importances (fANOVA)",
                None,
            )
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        warnings.simplefilter("ignore", UserWarning)  # matplotlib's layout notes on Optuna's figures
        for file, plot, title, xlabel in jobs:
            try:
                _save(plot(), folder / file, title, xlabel)
            except Exception:  # too few distinct values yet, or values Optuna cannot plot: never stops a sweep
                continue
            drawn.append(folder / file)
    return drawn
