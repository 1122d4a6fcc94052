"""Run an experiment: a new run folder (or a resumed one), locked, then the phases of :mod:`framework.phases`."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from framework.atomic import write_text
from framework.errors import UserError
from framework.loading import Loaded, load_experiment
from framework.phases import Phases
from framework.precision import precision_policy
from framework.providers import Flows, Kind
from framework.run_context import RunContext
from framework.run_status import ENDED, mark_ended, mark_started, read_status
from framework.rundir import EXPERIMENT_FILE, EXTENDS_FILE, MODEL_FILE, new_run_dir, read_history
from framework.session import Session

LOCK_FILE = "run.lock"
"""Locked (filelock) while a process trains the run; the file itself stays (removing it would race)."""


@dataclass
class RunResult:
    """What a finished run produced."""

    run_dir: Path
    history: list[dict[str, float]]
    evaluation: dict[str, float]
    kept: str = "last"
    """Which epoch's weights ``model.keras`` holds: ``"last"`` or ``"best"`` (``[training] keep``)."""
    evaluated_on: str = "the validation set"
    """What ``evaluation`` scored: the validation set once, or the ``validation_steps`` batches taken of it."""


def evaluated_on(flows: Flows | None) -> str:
    """What an evaluation over ``flows.validation`` scores, in words: the whole set once, or which batches.

    The report scores every validation image once; where the flow's ``validation_steps``
    batches do not (a part of the set, or the set more than once), the figures differ.
    """
    if flows is None or flows.validation_steps is None or not flows.validation_batch_size:
        return "the validation set"
    steps, size, count = flows.validation_steps, flows.validation_batch_size, flows.validation_count
    once = -(-count // size)  # batches in one pass, the last one partial
    setting = f"training.validation_steps = {steps}"
    if steps == once:
        return "the validation set"
    if steps < once:
        batches = f"{steps} batch{'es' if steps > 1 else ''} of {size}"
        return f"{batches}: {steps * size:,} of the {count:,} validation images ({setting})"
    if steps % once == 0:  # whole passes: every image weighs the same, the figures are the set's
        return f"the validation set, {steps // once} times over ({setting})"
    return f"{steps} batches of up to {size}: the {count:,} validation images, some more than once ({setting})"


def _absolute_plugins(loaded: Loaded) -> dict[str, Any]:
    """The resolved experiment, with .py plugin paths made absolute so the run can be resumed anywhere."""
    data = loaded.experiment.to_dict()
    source = loaded.experiment.source
    if source is not None:
        data["experiment"]["plugins"] = [
            str((source.parent / p).resolve()) if p.endswith(".py") else p for p in data["experiment"]["plugins"]
        ]
    return data


def resume_providers(loaded: Loaded) -> list[str]:
    """Callback providers that save the training state ``--resume`` needs (``Provider.resumable``)."""
    return [o.provider.name for o in loaded.registry.offered(Kind.CALLBACK) if o.provider.resumable]


def resume_offer(loaded: Loaded) -> str:
    """``'backup-and-restore'``: the providers that save a training state, for a message naming them."""
    return " or ".join(repr(name) for name in resume_providers(loaded)) or "(none is installed)"


def can_resume(loaded: Loaded) -> bool:
    """Whether runs of the experiment save the training state that ``--resume`` needs."""
    names = set(resume_providers(loaded))
    return any(c.provider in names for c in loaded.experiment.callbacks)


def new_run_dir_for(loaded: Loaded, explicit: Path | None = None) -> Path:
    """Create the run folder of ``loaded`` and write its resolved ``experiment.toml``.

    Args:
        loaded: The validated experiment.
        explicit: ``--run-dir``: must not exist yet. By default
            ``<output>/<name>/<UTC timestamp>/``.
    """
    import tomli_w

    settings = loaded.experiment.experiment
    run_dir = new_run_dir(Path(settings.output), settings.name, explicit)
    write_text(run_dir / EXPERIMENT_FILE, tomli_w.dumps(_absolute_plugins(loaded)))
    return run_dir


def run_experiment(
    loaded: Loaded,
    *,
    run_dir: Path | None = None,
    console: Console | None = None,
    offline: bool = False,
) -> RunResult:
    """Train and evaluate ``loaded.experiment`` in a new run folder.

    Args:
        loaded: The validated experiment and its plugins.
        run_dir: A folder made by :func:`new_run_dir_for`; by default a new one is made.
        console: Where progress goes.
        offline: Tell dataset providers not to touch the network.
    """
    experiment = loaded.experiment
    if run_dir is None or not (run_dir / EXPERIMENT_FILE).exists():
        run_dir = new_run_dir_for(loaded, run_dir)
    run = RunContext(experiment, loaded.registry, run_dir, console or Console())
    return _train(loaded, run, offline=offline)


def check_resumable(run_dir: Path) -> None:
    """Refuse, before anything is imported or loaded, a folder that is no run or a run that is finished.

    Raises:
        UserError: naming the folder and what to give instead.
    """
    if not (run_dir / EXPERIMENT_FILE).is_file():
        raise UserError(f"{run_dir} is not a run folder: it has no {EXPERIMENT_FILE}. Give the folder of a run.")
    status = read_status(run_dir).get("status")
    if status in ENDED or (status is None and (run_dir / MODEL_FILE).exists()):
        how = "was pruned by its sweep" if status == "pruned" else "is finished already"
        raise UserError(
            f"run {run_dir} {how}: it ended on purpose, and --resume continues interrupted runs. Train it for "
            f"more epochs in a new folder with hoh-run --extend {run_dir} training.epochs=N, or start a new run."
        )


def resume_experiment(
    run_dir: Path,
    *,
    console: Console | None = None,
    autoload: bool = True,
    offline: bool = False,
    session: Session | None = None,
    allow_inexact: bool = False,
) -> RunResult:
    """Continue an interrupted run from its last finished epoch.

    Raises:
        UserError: when ``run_dir`` is not a run folder, is finished, or saved no training state.
    """
    check_resumable(run_dir)
    loaded = load_experiment(run_dir / EXPERIMENT_FILE, session=session, autoload=autoload, recorded=True)
    return resume_loaded(loaded, run_dir, console=console, offline=offline, allow_inexact=allow_inexact)


def resume_loaded(
    loaded: Loaded,
    run_dir: Path,
    *,
    console: Console | None = None,
    offline: bool = False,
    allow_inexact: bool = False,
) -> RunResult:
    """Continue the run in ``run_dir``, whose ``experiment.toml`` ``loaded`` was loaded from (or written from).

    An extension's folder (:mod:`framework.extend`) holds ``extends.json``: the run's ``extends``
    and ``extends_epochs`` come from it, whether the extension starts or a killed one goes on.

    Raises:
        UserError: when the experiment saves no training state.
    """
    if not can_resume(loaded):
        raise UserError(
            f"run {run_dir} cannot be resumed: its experiment has no [[callbacks]] table that saves the training "
            f"state (provider = {resume_offer(loaded)}). Add one to the experiment file for future runs."
        )
    source, source_epochs = _extension_record(run_dir)
    run = RunContext(
        loaded.experiment,
        loaded.registry,
        run_dir,
        console or Console(),
        resumed=True,
        history=read_history(run_dir),
        extends=source,
        extends_epochs=source_epochs,
    )
    return _train(loaded, run, offline=offline, allow_inexact=allow_inexact)


def _extension_record(run_dir: Path) -> tuple[Path | None, int | None]:
    """The source run and its epochs, from an extension's ``extends.json`` (``None`` for other runs, or unread)."""
    try:
        record = json.loads((run_dir / EXTENDS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None, None
    if not isinstance(record, dict) or not isinstance(record.get("source"), str):
        return None, None
    epochs = record.get("source_epochs")
    return Path(record["source"]), epochs if isinstance(epochs, int) else None


def _train(loaded: Loaded, run: RunContext, *, offline: bool, allow_inexact: bool = False) -> RunResult:
    """Train under the run folder's lock: two processes never write one run."""
    from filelock import FileLock, Timeout

    lock = FileLock(run.run_dir / LOCK_FILE, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise UserError(
            f"run {run.run_dir} is being trained by another process right now ({LOCK_FILE} is locked); "
            "wait for it to end, or stop it first."
        ) from None
    try:
        return _train_locked(loaded, run, offline=offline, allow_inexact=allow_inexact)
    finally:
        lock.release()


def _train_locked(loaded: Loaded, run: RunContext, *, offline: bool, allow_inexact: bool) -> RunResult:
    """The run's phases, in order: configure, build, fit, finish (see :mod:`framework.hooks.lifecycle`)."""
    mark_started(run.run_dir)
    phases = Phases(loaded, run)
    try:
        with precision_policy(run.experiment.training.precision):
            phases.configure(allow_inexact=allow_inexact)
            phases.build_data(offline=offline)
            if run.resumed and (run.run_dir / MODEL_FILE).exists():  # stopped after saving: only evaluation is left
                phases.load_saved_model()
            else:
                phases.build_model()
                phases.fit()
            evaluation = phases.finish()
    except BaseException as error:
        interrupted = isinstance(error, KeyboardInterrupt)
        reason = (str(error) or "interrupted (Ctrl-C)") if interrupted else f"{type(error).__name__}: {error}"
        with contextlib.suppress(Exception):
            mark_ended(run.run_dir, "interrupted" if interrupted else "failed", reason[:2000], phase=run.phase)
        with contextlib.suppress(Exception):
            loaded.hook.hoh_on_run_error(run=run, error=error)
        raise
    mark_ended(run.run_dir, run.outcome or "finished", run.outcome_reason)  # "pruned", say: a plugin's decision
    kept = run.experiment.training.keep
    return RunResult(run.run_dir, list(run.history), evaluation, kept, evaluated_on(run.flows))
