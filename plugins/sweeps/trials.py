"""One sweep worker: take a trial, train it as an ordinary hoh run, tell Optuna, repeat.

Trials run one after another in this process: TensorFlow is imported once, and the Keras
session is cleared between trials. Each trial is a run folder ``trial-NNNN/`` under the
sweep's folder with a ``trial.json`` (sweep, number, params, state, objective). A pruned
trial stops after the epoch the pruner judged; its run folder is complete up to there and
its ``status.json`` says ``pruned``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import statistics
import threading
import time
import warnings
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from rich.console import Console

from framework.api import Session
from plugins.sweeps.pruning import TrialPruning, pruner_for
from plugins.sweeps.records import TRIAL_FILE, check_records_match_study, mark_dead, trial_folder, write_record
from plugins.sweeps.samplers import make_sampler, method_of
from plugins.sweeps.space import ordered
from plugins.sweeps.spec import SECONDS, Sweep
from plugins.sweeps.storage import (
    HEARTBEAT_SECONDS,
    WORKER_ATTR,
    fail_dead_trials,
    is_database,
    this_worker,
    trial_slot,
)

FINISHED_STATES = ("COMPLETE", "PRUNED")
OBJECTIVE_ATTR = "hoh_objective"
"""Trial user attribute: a pruned trial's objective as trial.json has it."""
ERROR_ATTR = "hoh_error"
"""Trial user attribute of a trial that failed by its own error (not retried)."""
EPOCHS_ATTR = "hoh_epochs"
"""Trial user attribute: the epochs it trained (all its seeds' together)."""
SPREAD_ATTR = "hoh_spread"
"""Trial user attribute: the standard deviation of a replicated configuration's objectives over its seeds."""
RETRY_ATTR = "hoh_retry_of"
"""Trial user attribute: the number of the interrupted or killed trial whose parameters it runs again."""
MAX_FAILURES_IN_A_ROW = 3


def ask_trial(study: Any, sweep: Sweep) -> Any:
    """A new trial with its parameters sampled now, define-by-run: a conditional key only where its ``when``
    holds (an enqueued trial's parameters, a grid point or a retry, are taken as they are)."""
    trial = study.ask()
    values: dict[str, Any] = dict(sweep.fixed)
    for parameter in ordered(sweep.parameters):
        if parameter.active(values):
            values[parameter.key] = _suggest(trial, parameter)
    return trial


def _suggest(trial: Any, p: Any) -> Any:
    if p.kind == "choice":
        return trial.suggest_categorical(p.key, list(p.values))
    low, high = p.values
    if p.kind in ("int", "log_int"):
        return trial.suggest_int(p.key, low, high, step=p.step or 1, log=p.kind == "log_int")
    return trial.suggest_float(p.key, low, high, step=p.step, log=p.kind == "log_uniform")


def open_study(sweep: Sweep, storage: Any, *, create: bool) -> Any:
    """The sweep's study; ``create`` makes it (the coordinator does, before any worker starts)."""
    import optuna

    from framework.api import UserError

    directions = [objective.direction for objective in sweep.objectives]
    kwargs = {"study_name": sweep.name, "storage": storage, "sampler": make_sampler(sweep), "pruner": pruner_for(sweep)}
    if not create:
        return optuna.load_study(**kwargs)
    study = optuna.create_study(directions=directions, load_if_exists=True, **kwargs)
    recorded = study.user_attrs.get("hoh_sweep")
    if recorded is None:
        study.set_user_attr("hoh_sweep", sweep.fingerprint())
        with warnings.catch_warnings():  # experimental in Optuna: names the objective in optuna-dashboard
            warnings.simplefilter("ignore")
            study.set_metric_names([objective.metric for objective in sweep.objectives])
    elif not _same_search(recorded, _jsonable(sweep.fingerprint()), sweep):
        raise UserError(
            f"sweep {sweep.name!r} exists in its storage with another search space, objective, method or base "
            f"experiment than {sweep.source} now has. Continuing it would mix two searches: give the sweep a new "
            "[sweep] name, or restore the file as it was."
        )
    recorded_directions = [d.name.lower() for d in study.directions]
    if recorded_directions != directions:
        raise UserError(
            f"sweep {sweep.name!r} exists with direction(s) {', '.join(recorded_directions)}; "
            f"{sweep.source} says {', '.join(directions)}. Give the sweep a new name."
        )
    return study


def _same_search(recorded: dict[str, Any], current: dict[str, Any], sweep: Sweep) -> bool:
    """Whether a stored fingerprint is this sweep's (older hoh recorded the base experiment's absolute path)."""
    if isinstance(recorded, dict) and recorded.get("experiment") == str(sweep.base.resolve()):
        recorded = {**recorded, "experiment": current["experiment"]}
    return recorded == current


def _jsonable(value: Any) -> Any:
    import json

    return json.loads(json.dumps(value))


def _next_trial(study: Any, storage: Any, sweep: Sweep, url: str) -> Any | None:
    """A new trial, or ``None`` when the sweep has (or is running) all its trials."""
    from optuna.trial import TrialState

    while True:
        with trial_slot(storage, url, sweep.name):
            for number in fail_dead_trials(study, storage):
                mark_dead(sweep.folder(), number, "its worker process died (killed, or its machine stopped)")
            trials = study.get_trials(deepcopy=False)
            finished = sum(t.state.name in FINISHED_STATES for t in trials)
            running = sum(t.state == TrialState.RUNNING for t in trials)
            if finished + running < sweep.settings.trials:
                study.sampler = make_sampler(sweep, len(trials))  # len(trials): the number ask() gives
                method = method_of(sweep.settings.method)
                retried = _to_retry(trials)
                if retried is not None:  # an interrupted or killed trial's parameters, once more
                    study.enqueue_trial(retried.params, user_attrs={RETRY_ATTR: retried.number})
                elif method is not None and method.next_params is not None:  # a grid: hoh picks the point
                    point = method.next_params(sweep, trials)
                    if point is None:  # cannot happen while trials <= points (checked with the file)
                        return None
                    study.enqueue_trial(point)
                trial = ask_trial(study, sweep)
                storage.set_trial_system_attr(trial._trial_id, WORKER_ATTR, this_worker())
                if is_database(url):  # at once: Optuna's stale-trial check skips a trial with no heartbeat at all
                    storage.record_heartbeat(trial._trial_id)
                return trial
        if running == 0 or finished >= sweep.settings.trials:
            return None
        time.sleep(2)  # others' trials are running: one may fail and leave a slot


def _to_retry(trials: list[Any]) -> Any | None:
    """The first trial that failed without an error of its own (interrupted, or its worker died) and is not
    being run again yet: a sweep stopped and started again trains those parameters again."""
    retried = {t.user_attrs.get(RETRY_ATTR) for t in trials}
    for trial in trials:
        if trial.state.name == "FAIL" and ERROR_ATTR not in trial.user_attrs and trial.number not in retried:
            return trial
    return None


def _replicates(
    sweep: Sweep, overrides: list[str], seed: int, folder: Path, session: Session, log: Console
) -> list[dict[str, Any]]:
    """Train the configuration once a seed (``seed``, ``seed + 1``, ...) in ``folder/seed-N/``; each one's objective."""
    import keras

    from framework.api import load_experiment, new_run_dir_for, run_experiment

    done: list[dict[str, Any]] = []
    for offset in range(sweep.settings.repeats):
        loaded = load_experiment(sweep.base, [*overrides, f"experiment.seed={seed + offset}"], session=session)
        run_dir = folder / f"seed-{seed + offset}"
        new_run_dir_for(loaded, run_dir)
        log.print(f"  seed {seed + offset} ({offset + 1} of {sweep.settings.repeats})")
        result = run_experiment(loaded, run_dir=run_dir, console=log)
        scores = _scores(sweep, result.history, result.evaluation)
        done.append(
            {
                "seed": seed + offset,
                "run": run_dir.name,
                "value": scores[0],
                "values": scores,
                "epochs": len(result.history),
            }
        )
        keras.backend.clear_session()
    return done


def _scores(sweep: Sweep, history: list[dict[str, float]], evaluation: dict[str, float]) -> list[float | None]:
    """Each objective's value for one run (``None``: not recorded, or not finite)."""
    return [_score(objective, history, evaluation) for objective in sweep.objectives]


def _score(objective: Any, history: list[dict[str, float]], evaluation: dict[str, float]) -> float | None:
    if objective.metric == SECONDS:  # time: the mean epoch
        values = [row["seconds"] for row in history if "seconds" in row]
        value = statistics.fmean(values) if values else None
    elif objective.at == "final":
        value = evaluation.get(objective.metric.removeprefix("val_"))
    else:
        values = [row[objective.metric] for row in history if objective.metric in row]
        if not values:
            return None
        if objective.at == "last":
            value = values[-1]
        else:
            value = max(values) if objective.direction == "maximize" else min(values)
    return float(value) if value is not None and math.isfinite(float(value)) else None


def _heartbeat(storage: Any, trial_id: int, stop: threading.Event) -> None:
    while not stop.wait(HEARTBEAT_SECONDS):
        try:
            storage.record_heartbeat(trial_id)
        except Exception:  # a database hiccup: the next beat tries again
            continue


def run_trial(sweep: Sweep, study: Any, storage: Any, trial: Any, url: str, session: Session, log: Console) -> str:
    """Train one trial; returns its final state name (COMPLETE, PRUNED or FAIL)."""
    import keras
    from optuna.trial import TrialState

    from framework.api import load_experiment, new_run_dir_for, run_experiment

    folder = trial_folder(sweep.folder(), trial.number)
    started = time.monotonic()
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    stop = threading.Event()
    if is_database(url):
        threading.Thread(target=_heartbeat, args=(storage, trial._trial_id, stop), daemon=True).start()
    pruning = TrialPruning(trial, sweep.objective.metric)
    state, scores, reason, created, replicates = "FAIL", [None] * len(sweep.objectives), None, False, []
    try:
        tags = [f'experiment.tags.sweep="{sweep.name}"', f'experiment.tags.trial="{trial.number}"']
        overrides = [*sweep.overrides(trial.params), "training.progress=none", *tags]
        loaded = load_experiment(sweep.base, overrides, session=session)
        if sweep.settings.repeats == 1:
            new_run_dir_for(loaded, folder)  # the run folder and its experiment.toml, then trial.json in it
        else:
            folder.mkdir(parents=True)  # a folder of runs, one a seed; FileExistsError: another trial's
        created = True  # from here on the folder is this trial's: its records may be written
        write_record(folder, sweep, url, trial, state="RUNNING", started=stamp, worker=this_worker())
        if sweep.settings.repeats == 1:
            reporting = session.plugin(pruning, f"sweep-trial-{trial.number}") if len(scores) == 1 else nullcontext()
            with reporting:  # Optuna takes intermediate values of a single objective only
                result = run_experiment(loaded, run_dir=folder, console=log)
            scores = _scores(sweep, result.history, result.evaluation)
            trial.set_user_attr(EPOCHS_ATTR, len(result.history))
        else:
            replicates = _replicates(sweep, overrides, loaded.experiment.experiment.seed, folder, session, log)
            trial.set_user_attr(EPOCHS_ATTR, sum(r["epochs"] for r in replicates))
            by_objective = list(zip(*(r["values"] for r in replicates), strict=True))
            scores = [None if None in values else statistics.fmean(values) for values in by_objective]
            if scores[0] is not None:
                trial.set_user_attr(SPREAD_ATTR, statistics.stdev(by_objective[0]))
        value = scores[0]
        if pruning.pruned_at is not None:
            state = "PRUNED"
            reason = f"pruned after epoch {pruning.pruned_at + 1} by the {sweep.settings.pruner} pruner"
            if value is not None:  # Optuna keeps the last reported value for a pruned trial: show the objective
                trial.set_user_attr(OBJECTIVE_ATTR, value)
            study.tell(trial, state=TrialState.PRUNED)
        elif None in scores:
            missing = [o.metric for o, score in zip(sweep.objectives, scores, strict=True) if score is None]
            reason = f"the run recorded no finite {', '.join(missing)}"
            trial.set_user_attr(ERROR_ATTR, reason)
            study.tell(trial, state=TrialState.FAIL)
        else:
            state = "COMPLETE"
            study.tell(trial, scores if len(scores) > 1 else scores[0])
    except KeyboardInterrupt:
        reason = "interrupted"
        study.tell(trial, state=TrialState.FAIL, skip_if_finished=True)
        raise
    except Exception as error:
        reason = f"{type(error).__name__}: {error}"[:2000]
        with contextlib.suppress(Exception):  # its own failure: not retried (an interrupted or killed one is)
            trial.set_user_attr(ERROR_ATTR, reason[:500])
        study.tell(trial, state=TrialState.FAIL, skip_if_finished=True)
        log.print(f"[red]trial {trial.number} failed[/]: {reason}")
    finally:
        stop.set()
        objective = {**sweep.objective.model_dump(), "value": scores[0]}
        if len(scores) > 1:
            objective["all"] = [{**o.model_dump(), "value": v} for o, v in zip(sweep.objectives, scores, strict=True)]
        if replicates:
            values = [r["value"] for r in replicates if r["value"] is not None]
            objective["spread"] = statistics.stdev(values) if len(values) > 1 else None  # sample standard deviation
        if created:  # never a folder this trial did not make: another trial's records stay as they are
            write_record(
                folder,
                sweep,
                url,
                trial,
                state=state,
                objective=objective,
                reason=reason,
                started=stamp,
                ended=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                seconds=round(time.monotonic() - started, 3),
                worker=this_worker(),
                **({"replicates": replicates} if replicates else {}),
            )
        keras.backend.clear_session()  # the next trial starts from a fresh graph and name scope
    return state


def work(sweep: Sweep, url: str, log: Console) -> int:
    """Run trials until the sweep has its count; returns how many this worker ran.

    Raises:
        TrainingFailed: after ``MAX_FAILURES_IN_A_ROW`` failed trials in a row (a broken base
            experiment or machine would otherwise fail trial after trial, forever).
    """
    from framework.api import TrainingFailed
    from plugins.sweeps.storage import open_storage

    storage = open_storage(url)
    study = open_study(sweep, storage, create=False)
    check_records_match_study(study, sweep, url)
    session = Session()
    done, failures = 0, 0
    while (trial := _next_trial(study, storage, sweep, url)) is not None:
        log.print(f"trial {trial.number}: {trial.params}")
        state = run_trial(sweep, study, storage, trial, url, session, log)
        log.print(f"trial {trial.number}: {state}")
        done += 1
        failures = failures + 1 if state == "FAIL" else 0
        if failures >= MAX_FAILURES_IN_A_ROW:
            raise TrainingFailed(
                f"{failures} trials in a row failed in this worker (the last: trial {trial.number}, see "
                f"{trial_folder(sweep.folder(), trial.number) / TRIAL_FILE}); stopping rather than failing every "
                "trial of the sweep. Fix the cause, then run the same command again to continue."
            )
    return done
