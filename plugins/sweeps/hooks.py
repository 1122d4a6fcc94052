"""The sweeps plugin's hooks: the ``hoh sweep`` command and sweep files in ``hoh validate``.

Pruning is a plugin instance per trial (:class:`plugins.sweeps.pruning.TrialPruning`).

Importing this module imports neither Optuna nor TensorFlow: ``hoh --help`` stays fast,
and hoh works without the ``[sweep]`` extra until a sweep is run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from framework import hookimpl
from framework.api import Command


@hookimpl
def hoh_commands() -> list[Command]:
    from plugins.sweeps import command

    return [
        Command(
            "sweep",
            "search hyperparameters with Optuna: trials of a base experiment, on one or many machines",
            command.arguments,
            command.run,
        )
    ]


@hookimpl
def hoh_validate_file(path: Path, data: dict[str, Any]) -> list[str] | None:
    from plugins.sweeps.spec import load_sweep
    from plugins.sweeps.storage import shown_url, storage_url

    if not isinstance(data.get("sweep"), dict):
        return None
    sweep = load_sweep(path)
    settings = sweep.settings
    goals = ", ".join(f"{o.direction} {o.metric} ({o.at})" for o in sweep.objectives)
    lines = [
        f"sweep {sweep.name}: {settings.trials} trials of {sweep.base}",
        f"method {settings.method}, pruner {settings.pruner}, "
        + (f"{settings.repeats} seeds a configuration, " if settings.repeats > 1 else "")
        + f"objective{'s' if len(sweep.objectives) > 1 else ''} {goals}",
        *(f"search  {p.key} {p.describe()}" for p in sweep.parameters),
        *(f"fixed   {key} = {value!r}" for key, value in sweep.fixed.items()),
        f"folder  {sweep.folder()}",
        f"storage {shown_url(storage_url(settings.storage, sweep.folder()))}",
    ]
    return lines
