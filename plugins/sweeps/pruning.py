"""Pruning a sweep's trials: the pruner a sweep file names, and the per-trial plugin that reports to it."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from framework import RunContext, hookimpl
from plugins.sweeps.spec import Sweep


@dataclass
class TrialPruning:
    """A plugin instance for one trial: reports each epoch's objective metric to Optuna and stops
    training when the pruner says so. Registered in the worker's session while the trial trains
    (:meth:`framework.api.Session.plugin`), so no other run ever sees it.
    """

    trial: Any
    metric: str
    pruned_at: int | None = None
    reported: list[float] = field(default_factory=list)

    @hookimpl
    def hoh_after_epoch(self, run: RunContext, epoch: int, logs: dict[str, float], history: list) -> None:
        value = logs.get(self.metric)
        if value is None or not math.isfinite(float(value)):
            return
        # Steps are epochs counted from 1, as everywhere in hoh: warmup_epochs = 3 lets a trial be
        # pruned from its 3rd epoch's end on (Optuna prunes at no step below n_warmup_steps).
        self.trial.report(float(value), epoch + 1)
        self.reported.append(float(value))
        if epoch + 1 >= run.experiment.training.epochs:
            return  # the last epoch: the trial is complete, and pruning it would lose a whole result
        if self.trial.should_prune():
            self.pruned_at = epoch
            run.model.stop_training = True
            run.outcome = "pruned"  # status.json says so, and hoh_after_run hooks (MLflow's) see it
            run.outcome_reason = f"pruned after epoch {epoch + 1} by the sweep's pruner ({self.metric})"
            run.console.print(f"[yellow]pruned[/] after epoch {epoch + 1}: {self.metric} = {float(value):.4f}")


def pruner_for(sweep: Sweep) -> Any:
    import optuna

    settings = sweep.settings
    if settings.pruner == "median":
        return optuna.pruners.MedianPruner(
            n_startup_trials=settings.startup_trials, n_warmup_steps=settings.warmup_epochs
        )
    if settings.pruner == "hyperband":
        epochs = sweep.base_loaded.experiment.training.epochs
        return optuna.pruners.HyperbandPruner(min_resource=max(1, settings.warmup_epochs), max_resource=epochs)
    return optuna.pruners.NopPruner()
