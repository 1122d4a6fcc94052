"""The training state ``hoh-run --resume`` continues from, committed atomically at the end of every epoch.

Keras' own ``BackupAndRestore`` writes the weights, then a metadata file, in place: a kill
between the two (or during either) leaves a state that resumes to different numbers or not
at all. Here one epoch's commit is:

1. the weights (model and optimizer) to ``backup/epoch-000K.weights.h5``, written under a
   temporary name, flushed to disk and renamed;
2. ``backup/state.json`` (the epoch, the weights file, its SHA-256, the metrics of every
   finished epoch, the model's random-number generator states, and a SHA-256 ``digest`` of
   all of these), written the same way. Its rename is the commit.

A kill at any instant leaves the previous commit or the new one, never a mix. On resume the
commit is checked whole (the digest covers the history, so an edited or cut-short history is
refused like altered weights) and is the truth: the run's ``metrics.jsonl`` must agree with it
for the epochs it holds, is cut back to it, training starts at the epoch after it, and the
runner skips the batches of the epochs it holds. Imports Keras: imported only
during a run.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import keras
import numpy as np

from framework import RunContext, UserError
from framework.api import sha256_file, strict_json_value, write_json, write_with

STATE_FILE = "state.json"
FORMAT = 3  # 2: the state carries a digest of itself, history included; 3: and the RNG states (dropout)
READABLE = (2, 3)  # a format-2 state resumes too, its dropout masks then drawn anew


def rng_variables(model: Any) -> list[Any]:
    """The model's random-number generator states (each ``SeedGenerator``'s: dropout's, for one).

    Keras' weights files leave them out, so a resumed run would draw other dropout masks than
    an uninterrupted one; the state file keeps them.
    """
    return [v for v in model.variables if v.path.endswith("seed_generator_state")]


def state_digest(state: dict[str, Any]) -> str:
    """SHA-256 of the state without its ``digest`` field, as canonical JSON (sorted keys, no spaces)."""
    body = {key: value for key, value in state.items() if key != "digest"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _history_problem(state: dict[str, Any]) -> str | None:
    history, epoch = state.get("history"), state.get("epoch")
    if not isinstance(epoch, int) or not isinstance(history, list) or not all(isinstance(r, dict) for r in history):
        return "its epoch or history is not of the recorded form"
    if [row.get("epoch") for row in history] != list(range(1, epoch + 1)):
        return f"its history does not hold one row for each of the {epoch} committed epochs"
    return None


def read_backup(directory: Path) -> dict[str, Any] | None:
    """The last commit in ``directory``, checked; ``None`` when nothing was committed.

    Raises:
        UserError: when the commit is damaged (unreadable state, missing or altered weights).
    """
    state_path = directory / STATE_FILE
    if not state_path.exists():
        return None
    problem = None
    try:
        state = json.loads(state_path.read_text(encoding="utf-8"))
        weights = directory / state["weights"]
        if state.get("format") not in READABLE:
            problem = f"it was written by another hoh version (format {state.get('format')!r})"
        elif state.get("digest") != state_digest(state):
            problem = f"{STATE_FILE} was changed after it was written (its digest does not match its content)"
        elif history_problem := _history_problem(state):
            problem = history_problem
        elif not weights.is_file():
            problem = f"its weights file {weights.name} is missing"
        elif sha256_file(weights) != state["sha256"]:
            problem = f"its weights file {weights.name} does not match the checksum recorded with it"
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        problem = f"{STATE_FILE} cannot be read ({type(error).__name__}: {error})"
    if problem:
        raise UserError(
            f"the training state in {directory} is damaged: {problem}. The run cannot continue exactly "
            "where it stopped; start a new run (its finished epochs are in metrics.jsonl and checkpoints/)."
        )
    return state


class EpochBackup(keras.callbacks.Callback):
    """Commits the training state after every epoch, atomically, and restores it when training starts.

    Goes after the runner's metrics recorder in the callback list, so that each commit holds
    the finished epoch's metrics row (``run.history``).

    Example::

        backup = EpochBackup(run.run_dir / "backup", run, restore=read_backup(run.run_dir / "backup"))
        model.fit(data, epochs=15, initial_epoch=len(run.history), callbacks=[recorder, backup])
    """

    def __init__(self, directory: Path, run: RunContext, restore: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.directory = Path(directory)
        self.run = run
        self.restore = restore

    def on_train_begin(self, logs: dict | None = None) -> None:
        if self.restore is None:
            return
        if self.model.optimizer is not None and not self.model.optimizer.built:
            self.model.optimizer.build(self.model.trainable_variables)  # its variables must exist to be loaded
        self.model.load_weights(self.directory / self.restore["weights"])
        states = self.restore.get("rng")
        variables = rng_variables(self.model)
        if states is not None and len(states) == len(variables):
            for variable, value in zip(variables, states, strict=True):
                variable.assign(np.asarray(value, dtype=variable.dtype))

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"epoch-{epoch + 1:04d}.weights.h5"
        write_with(self.directory / name, self.model.save_weights)
        state = {
            "format": FORMAT,
            "epoch": epoch + 1,
            "weights": name,
            "sha256": sha256_file(self.directory / name),
            "history": strict_json_value([row for row in self.run.history if row["epoch"] <= epoch + 1]),
            "rng": [np.asarray(v).tolist() for v in rng_variables(self.model)],
        }
        state["digest"] = state_digest(state)
        write_json(self.directory / STATE_FILE, state)  # the commit
        for old in self.directory.glob("epoch-*.weights.h5"):
            if old.name != name:
                old.unlink(missing_ok=True)
        _fsync_folder(self.directory)


def _fsync_folder(folder: Path) -> None:
    """Make the renames in ``folder`` durable (POSIX; a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
