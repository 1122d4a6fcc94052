"""What a sweep shows: the table of its trials (live, or once with ``--status``) and its summary."""

from __future__ import annotations

import subprocess
from typing import Any

from rich.console import Console
from rich.table import Table

from plugins.sweeps.storage import WORKER_ATTR

STATE_STYLE = {"COMPLETE": "green", "PRUNED": "yellow", "FAIL": "red", "RUNNING": "cyan", "WAITING": "dim"}


def trial_table(study: Any, sweep: Any, *, last: int | None = 30) -> Table:
    """One row per trial (the ``last`` newest; ``None``: all), the best one marked, with the machine that ran it."""
    trials = study.get_trials(deepcopy=False)
    best = best_numbers(study)
    table = Table(
        title=f"{sweep.name}: {sum(t.state.name in ('COMPLETE', 'PRUNED') for t in trials)}"
        f"/{sweep.settings.trials} trials finished",
        title_justify="left",
    )
    table.add_column("trial", justify="right")
    table.add_column("state")
    for p in sweep.parameters:
        table.add_column(p.key.split(".")[-1], justify="right")
    for objective in sweep.objectives:
        at = "per epoch" if objective.metric == "seconds" else objective.at
        table.add_column(f"{objective.metric} ({at})", justify="right")
    table.add_column("epochs", justify="right")
    table.add_column("seconds", justify="right")
    table.add_column("machine")
    for trial in trials[-last:] if last else trials:
        state = trial.state.name
        values = [_short(trial.params.get(p.key)) for p in sweep.parameters]
        if len(sweep.objectives) > 1:
            scores = [f"{v:.4f}" for v in trial.values] if trial.values else [""] * len(sweep.objectives)
        else:
            shown = trial.user_attrs.get("hoh_objective", trial.value)  # a pruned trial's: its objective
            scores = ["" if shown is None else f"{shown:.4f}"]
        if trial.values and trial.user_attrs.get("hoh_spread") is not None:  # the mean over seeds
            scores[0] += f" ± {trial.user_attrs['hoh_spread']:.4f}"
        seconds = ""
        if trial.datetime_start is not None:
            end = trial.datetime_complete or trial.datetime_start.now()
            seconds = f"{(end - trial.datetime_start).total_seconds():.0f}"
        mark = " *" if trial.number in best else ""
        table.add_row(
            f"{trial.number}{mark}",
            f"[{STATE_STYLE.get(state, '')}]{state.lower()}[/]",
            *values,
            *scores,
            str(trial.user_attrs.get("hoh_epochs", len(trial.intermediate_values))),
            seconds,
            str((trial.system_attrs.get(WORKER_ATTR) or {}).get("host", "")),
        )
    return table


def best_numbers(study: Any) -> set[int]:
    """The best trial's number, or a multi-objective study's Pareto front (none before a trial completes)."""
    try:
        if len(study.directions) > 1:
            return {trial.number for trial in study.best_trials}
        return {study.best_trial.number}
    except ValueError:
        return set()


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    return "" if value is None else str(value)


def summary(study: Any, sweep: Any, workers: list[subprocess.Popen], console: Console) -> int:
    from plugins.sweeps.pictures import draw
    from plugins.sweeps.records import best_experiment, trial_folder

    pictures = draw(study, sweep.folder(), [objective.metric for objective in sweep.objectives])
    failed_workers = [w for w in workers if w.returncode not in (0, None)]
    trials = study.get_trials(deepcopy=False)
    counted = sum(t.state.name in ("COMPLETE", "PRUNED") for t in trials)
    console.print(
        f"{counted} of {sweep.settings.trials} trials finished "
        f"({sum(t.state.name == 'PRUNED' for t in trials)} pruned, "
        f"{sum(t.state.name == 'FAIL' for t in trials)} failed)"
    )
    if len(sweep.objectives) > 1:
        _pareto_front(study, sweep, console)
    elif best_numbers(study):
        best = study.best_trial
        spread = best.user_attrs.get("hoh_spread")
        over = f" ± {spread:.4f} (mean ± sd over {sweep.settings.repeats} seeds)" if spread is not None else ""
        console.print(
            f"best: trial {best.number}, {sweep.objective.metric} = {best.value:.4f}{over}, "
            + ", ".join(f"{k} = {_short(v)}" for k, v in best.params.items())
        )
        console.print(f"  run folder {trial_folder(sweep.folder(), best.number)}")
        if sweep.settings.repeats > 1:
            console.print(f"  {_against_noise(trials, best)}")
        written = best_experiment(sweep, best.number)
        if written is not None:
            console.print(f"  experiment {written} (hoh-run it to train that configuration again)")
    if pictures:
        console.print("pictures: " + ", ".join(str(p) for p in pictures))
    if failed_workers:  # a killed worker's trial was failed and retried: the count may still be reached
        codes = ", ".join(str(w.returncode) for w in failed_workers)
        console.print(
            f"[red]{len(failed_workers)} worker(s) ended with an error[/] (exit {codes}); their logs are in "
            f"{sweep.folder() / 'workers'}"
        )
    if counted < sweep.settings.trials:
        console.print("[red]the sweep is short of its trial count[/]: run the same command again to continue it.")
        return 1
    return 0


def _pareto_front(study: Any, sweep: Any, console: Console) -> None:
    """A multi-objective sweep's answer: the trials no other beats on every objective at once."""
    front = sorted(study.best_trials, key=lambda trial: trial.number)
    if not front:
        return
    console.print(f"Pareto front: {len(front)} trial(s), none beaten on every objective by another")
    for trial in front:
        scores = ", ".join(f"{o.metric} = {v:.4f}" for o, v in zip(sweep.objectives, trial.values, strict=True))
        params = ", ".join(f"{k} = {_short(v)}" for k, v in trial.params.items())
        console.print(f"  trial {trial.number}: {scores}; {params}")


def _against_noise(trials: list[Any], best: Any) -> str:
    """Whether the best configuration beats the median one by more than the seeds' typical spread."""
    import statistics

    complete = [t for t in trials if t.state.name == "COMPLETE" and t.user_attrs.get("hoh_spread") is not None]
    if len(complete) < 2:
        return "too few complete configurations to compare the best with the rest"
    middle = statistics.median(t.value for t in complete)
    spread = statistics.median(t.user_attrs["hoh_spread"] for t in complete)
    gap = abs(best.value - middle)
    verdict = "more" if gap > spread else "no more"
    return (
        f"the best is {gap:.4f} from the median configuration ({middle:.4f}); seeds spread a configuration by "
        f"{spread:.4f} (median sd): {verdict} than the noise between seeds"
    )
