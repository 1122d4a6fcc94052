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

from framework.atomic import write_with

PICTURES = ("history.png", "curves.png", "slices.png", "importances.png")


def _save(axes: Any, path: Path, title: str) -> None:
    import matplotlib.pyplot as plt

    figure = (axes.flat[0] if hasattr(axes, "flat") else axes).get_figure()
    figure.suptitle(title)
    figure.set_size_inches(max(8.0, figure.get_size_inches()[0]), 5.0)
    figure.tight_layout()
    write_with(path, lambda target: figure.savefig(target, dpi=110, format="png"))
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
    jobs: list[tuple[str, Callable[[], Any], str]] = []
    name = study.study_name
    if finished:
        jobs.append(
            (
                "history.png",
                lambda: plots.plot_optimization_history(study, target_name=metric),
                f"{name}: {metric} per trial",
            )
        )
        jobs.append(
            (
                "slices.png",
                lambda: plots.plot_slice(study, target_name=metric),
                f"{name}: {metric} against each parameter",
            )
        )
    if any(t.intermediate_values for t in study.get_trials(deepcopy=False)):
        jobs.append(
            (
                "curves.png",
                lambda: plots.plot_intermediate_values(study),
                f"{name}: {metric} per epoch (pruned trials stop early)",
            )
        )
    if len(finished) >= 3 and len(finished[0].params) >= 2:
        jobs.append(
            (
                "importances.png",
                lambda: plots.plot_param_importances(study, target_name=metric),
                f"{name}: parameter importances (fANOVA)",
            )
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        warnings.simplefilter("ignore", UserWarning)  # matplotlib's layout notes on Optuna's figures
        for file, plot, title in jobs:
            try:
                _save(plot(), folder / file, title)
            except (ValueError, RuntimeError, ZeroDivisionError):  # too few distinct values for this plot yet
                continue
            drawn.append(folder / file)
    return drawn
