"""The sweep's pictures, drawn with Optuna's matplotlib visualizations into the sweep's folder.

- ``history.png``: the objective of each trial and the best so far (``plot_optimization_history``),
  pruned trials marked at the objective they had when stopped;
- ``curves.png``: each trial's objective metric per epoch, pruned ones cut short
  (``plot_intermediate_values``);
- ``slices.png``: objective against each parameter (``plot_slice``);
- ``pareto.png``: with several objectives, the trials' trade-off and its front (``plot_pareto_front``);
- ``importances.png``: which parameters mattered (``plot_param_importances``; from 5 complete
  trials and 2 parameters on, its title says over how many).

They are redrawn as trials finish. Each is written to a temporary name and renamed, so a
viewer never opens half a file.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from framework.api import reraise_if_interrupted, write_with

PICTURES = ("history.png", "curves.png", "slices.png", "importances.png", "pareto.png")
IMPORTANCE_TRIALS = 5
"""Complete trials before importances are drawn: fANOVA's forest on fewer says little."""


def _save(axes: Any, path: Path, title: str, xlabel: str | None = None, ylabel: str | None = None) -> None:
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    first = axes.flat[0] if hasattr(axes, "flat") else axes
    figure = first.get_figure()
    figure.suptitle(title)
    for ax in figure.axes:
        if ax.get_xscale() == "log":
            # a range shorter than a decade (a learning rate in [1e-4, 3e-3]) had no labelled tick at all:
            # label 1, 2 and 5 of each decade, and no minor labels (they ran into each other)
            ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
            ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
            ax.xaxis.set_minor_formatter(NullFormatter())
            ax.tick_params(axis="x", labelrotation=45)
        if xlabel is not None and ax is first:
            ax.set_xlabel(xlabel)
        if ylabel is not None and ax is first:
            ax.set_ylabel(ylabel)
    # Optuna places colorbars itself: no tight_layout, which would move them over the plots.
    write_with(path, lambda target: figure.savefig(target, dpi=110, format="png", bbox_inches="tight"))
    plt.close(figure)


def _with_pruned(axes: Any, study: Any) -> Any:
    """Optuna's history shows complete trials only: add the pruned ones, at the objective they had when stopped."""
    from optuna.trial import TrialState

    pruned = [
        (trial.number, trial.user_attrs["hoh_objective"])
        for trial in study.get_trials(deepcopy=False, states=(TrialState.PRUNED,))
        if "hoh_objective" in trial.user_attrs
    ]
    if pruned:
        numbers, values = zip(*pruned, strict=True)
        axes.scatter(numbers, values, marker="x", color="grey", label="pruned (objective when stopped)", zorder=3)
        axes.legend()
    return axes


def draw(study: Any, folder: Path, metrics: list[str]) -> list[Path]:
    """Draw what the trials so far allow; returns the pictures written.

    ``metrics`` names the objectives; with several, the pictures of one objective show the first
    (``target``), and ``pareto.png`` shows the trade-off between the first two.
    """
    import matplotlib

    matplotlib.use("Agg")
    import optuna
    from optuna.trial import TrialState
    from optuna.visualization import matplotlib as plots

    finished = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    drawn: list[Path] = []
    jobs: list[tuple[str, Callable[[], Any], str, str | None, str | None]] = []
    name = study.study_name
    metric = metrics[0]
    several = len(metrics) > 1
    target = {"target": (lambda trial: trial.values[0])} if several else {}
    if finished and 2 <= len(metrics) <= 3:  # Optuna draws the front of two or three objectives
        jobs.append(
            (
                "pareto.png",
                lambda: plots.plot_pareto_front(study, target_names=metrics),
                f"{name}: the trade-off (the front: trials no other beats on every objective)",
                None,
                None,
            )
        )
    if finished:
        jobs.append(
            (
                "history.png",
                lambda: _with_pruned(plots.plot_optimization_history(study, target_name=metric, **target), study),
                f"{name}: {metric} per trial",
                None,
                None,
            )
        )
        jobs.append(
            (
                "slices.png",
                lambda: plots.plot_slice(study, target_name=metric, **target),
                f"{name}: {metric} against each parameter",
                None,
                None,
            )
        )
    if any(t.intermediate_values for t in study.get_trials(deepcopy=False)):
        jobs.append(
            (
                "curves.png",
                lambda: plots.plot_intermediate_values(study),
                f"{name}: {metric} per epoch (pruned trials stop early)",
                "epoch",
                metric,
            )
        )
    if len(finished) >= IMPORTANCE_TRIALS and len(finished[0].params) >= 2:
        jobs.append(
            (
                "importances.png",
                lambda: plots.plot_param_importances(study, target_name=metric, **target),
                f"{name}: parameter importances (fANOVA over {len(finished)} complete trials: a rough guide)",
                None,
                None,
            )
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        warnings.simplefilter("ignore", UserWarning)  # matplotlib's layout notes on Optuna's figures
        for file, plot, title, xlabel, ylabel in jobs:
            try:
                _save(plot(), folder / file, title, xlabel, ylabel)
            except Exception as error:  # too few distinct values yet, or values Optuna cannot plot: never stops a sweep
                reraise_if_interrupted(error)  # an interrupt arriving as an error (in an import) does
                continue
            drawn.append(folder / file)
    return drawn
