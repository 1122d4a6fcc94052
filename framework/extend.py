"""Extending a finished run: ``hoh-run --extend RUN training.epochs=N`` trains epochs E+1..N.

A finished run is never changed. The extension is a new run folder that starts as a copy of
the finished one's records (its metrics, splits, the training state its callbacks committed,
checkpoints and logs) under the experiment with the overrides applied, and is then resumed as
an interrupted run is: the training state committed after epoch E is restored (weights,
optimizer, random-number generators), the batches of epochs 1..E are skipped, and training
goes on at epoch E+1 (Keras' ``initial_epoch``; Lightning's ``fit(ckpt_path=...)``). With a
training state saved by ``backup-and-restore`` the first N epochs are then those of a run
started with ``training.epochs = N``, as long as nothing else depends on the epoch count (a
learning-rate schedule's ``decay_steps`` is the user's to change, and is recorded).

Only settings that leave the trained state meaningful may change: nothing under
``[experiment]``, ``[dataset]``, ``[pipeline]`` or ``[model]``. ``extends.json`` in the new
folder records the source run, its epochs and the overrides.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from rich.console import Console

from framework.atomic import write_json
from framework.errors import UserError
from framework.loading import Loaded, load_experiment
from framework.run_status import ENDED, STATUS_FILE, read_status
from framework.rundir import (
    EVALUATION_FILE,
    EXPERIMENT_FILE,
    EXTENDS_FILE,
    MODEL_FILE,
    SUMMARY_FILE,
    read_history,
)
from framework.runner import LOCK_FILE, RunResult, can_resume, new_run_dir_for, resume_loaded, resume_offer
from framework.session import Session

FIXED_SECTIONS = ("experiment", "dataset", "pipeline", "model")
"""What an extension may not change: the data, the model and the seed the trained state belongs to."""
NOT_COPIED = {EXPERIMENT_FILE, LOCK_FILE, STATUS_FILE, MODEL_FILE, EVALUATION_FILE, SUMMARY_FILE, EXTENDS_FILE}
"""The source's own experiment, lock and status, and what the extension's finish writes anew."""


def check_extendable(source: Path, overrides: list[str]) -> int:
    """Refuse, before anything is loaded, what cannot be extended; return the source's finished epochs.

    Raises:
        UserError: naming the run folder or the override, and what to give instead.
    """
    if not (source / EXPERIMENT_FILE).is_file():
        raise UserError(
            f"{source} is not a run folder: it has no {EXPERIMENT_FILE}. Give the folder of a finished run."
        )
    status = read_status(source).get("status")
    if status == "running":
        raise UserError(f"run {source} is being trained right now: extend it once it has finished.")
    ended = status in ENDED or status is None  # no status.json: an older run, finished when it has its model
    if not ended or not (source / MODEL_FILE).exists():
        said = f"its status is {status}" if status else "it has no status"
        raise UserError(
            f"run {source} is not finished ({said}): --extend continues finished runs. "
            f"Continue an interrupted run with hoh-run --resume {source}."
        )
    for item in overrides:
        key = item.split("=", 1)[0].strip()
        if key.split(".", 1)[0] in FIXED_SECTIONS or key == "training.init_from":
            raise UserError(
                f"override {item!r}: an extension cannot change {key}, which the trained state depends on "
                f"(nothing under [{'], ['.join(FIXED_SECTIONS)}], nor training.init_from). Give e.g. "
                "training.epochs=30, or start a new run with --init-from to change it."
            )
    return len(read_history(source))


def load_extension(
    source: Path, overrides: list[str], *, session: Session | None = None, autoload: bool = True
) -> Loaded:
    """The source's experiment with ``overrides`` applied, checked to train more epochs than the source did.

    Raises:
        UserError: when the new epoch count is not above the source's, or no callback saved a training state.
    """
    done = check_extendable(source, overrides)
    loaded = load_experiment(source / EXPERIMENT_FILE, overrides, session=session, autoload=autoload, recorded=True)
    epochs = loaded.experiment.training.epochs
    if epochs <= done:
        raise UserError(
            f"run {source} trained {done} epochs and the extension would train {epochs} in all: give more, "
            f"e.g. hoh-run --extend {source} training.epochs={done + 10}"
            + (" (a staged run: raise its last stage's epochs)." if loaded.experiment.training.stages else ".")
        )
    if not can_resume(loaded):
        raise UserError(
            f"run {source} cannot be extended: its experiment saved no training state ([[callbacks]] provider = "
            f"{resume_offer(loaded)}). Start a new run from its weights instead: "
            f"hoh-run EXPERIMENT --init-from {source}"
        )
    return loaded


def prepare_extension(
    source: Path, loaded: Loaded, overrides: list[str], run_dir: Path | None = None, console: Console | None = None
) -> Path:
    """Make the extension's run folder: the source's records copied, the new experiment, ``extends.json``.

    Args:
        source: A finished run folder (checked by :func:`check_extendable`).
        loaded: From :func:`load_extension`.
        overrides: As given, recorded in ``extends.json``.
        run_dir: ``--run-dir``: the new folder, which must not exist yet.
        console: Where to say what is extended.
    """
    new = new_run_dir_for(loaded, run_dir)
    done = len(read_history(source))
    copied = _copy_records(source, new)
    write_json(
        new / EXTENDS_FILE,
        {"source": str(source.resolve()), "source_epochs": done, "overrides": overrides, "copied": copied},
    )
    (console or Console()).print(
        f"Extending run {source} ({done} epochs) to {loaded.experiment.training.epochs} epochs in {new}",
        soft_wrap=True,
        markup=False,
    )
    return new


def extend_run(
    new: Path, source: Path, loaded: Loaded, *, console: Console | None = None, offline: bool = False
) -> RunResult:
    """Train the extension made by :func:`prepare_extension` on to ``loaded``'s epoch count.

    Raises:
        UserError: when the source's training state cannot be restored; the new folder,
            which then holds copies only, is removed (the source is untouched either way).
    """
    done = len(read_history(source))
    try:
        return resume_loaded(loaded, new, console=console, offline=offline)  # extends.json names the source
    except UserError:
        if len(read_history(new)) <= done:  # nothing was trained: the folder holds copies only
            shutil.rmtree(new, ignore_errors=True)
        raise


def _copy_records(source: Path, new: Path) -> list[str]:
    """Copy the source run's files and folders, but for :data:`NOT_COPIED`; the names copied."""
    copied = []
    for path in sorted(source.iterdir()):
        if path.name in NOT_COPIED or path.name.startswith("."):
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.copytree(path, new / path.name, symlinks=True)
        else:
            shutil.copy2(path, new / path.name, follow_symlinks=False)
        copied.append(path.name)
    return copied
