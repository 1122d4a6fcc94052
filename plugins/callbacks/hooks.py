"""The built-in callback providers. Importing this module imports no Keras.

Each factory is called as ``factory(params, run)`` and imports the module that
holds the Keras classes only then.
"""

from __future__ import annotations

import importlib.util
import shutil
from typing import Any, Literal, Self

from pydantic import Field, PositiveInt, model_validator

from framework import NoParams, Params, Provider, RunContext, UserError, hookimpl
from framework.api import CHECKPOINTS_DIR, METRICS_FILE, write_history

BACKUP_DIR = "backup"

PROGRESS_KEY = "rich-progress"
"""Key of ``run.extras`` under which the factory keeps the progress callback (closed on errors)."""

Mode = Literal["auto", "min", "max"]


class RichProgressParams(Params):
    refresh_per_second: float = Field(
        4.0, gt=0, le=30, description="How often the bars are redrawn and batch metrics read (terminal only)."
    )
    batch_bar: bool = Field(True, description="Show a batch bar (training, then validation) under the epoch bar.")
    precision: int = Field(4, ge=1, le=10, description="Digits after the decimal point of metric values.")


class CheckpointParams(Params):
    monitor: str = Field("val_loss", min_length=1, description="Metric that decides which epoch is best.")
    mode: Mode = Field(
        "auto", description="'min' or 'max': whether lower or higher is better; 'auto' infers it from the metric."
    )
    save_best: bool = Field(True, description="Keep checkpoints/best.keras, the model of the best epoch.")
    save_last: bool = Field(True, description="Keep checkpoints/last.keras, the model of the latest epoch.")

    @model_validator(mode="after")
    def _saves_something(self) -> Self:
        if not (self.save_best or self.save_last):
            raise ValueError("save_best and save_last are both false: the checkpoint would save nothing")
        return self


class BackupAndRestoreParams(Params):
    delete_checkpoint: bool = Field(
        False,
        description="Delete the backup folder once the run has finished (model saved and evaluated). Kept by "
        "default: it is what hoh-run --extend continues from (one weights file: the model and its optimizer).",
    )


class EarlyStoppingParams(Params):
    monitor: str = Field("val_loss", min_length=1, description="Metric watched for improvement.")
    min_delta: float = Field(0.0, ge=0, description="Smallest change of the metric that counts as an improvement.")
    patience: int = Field(3, ge=0, description="Epochs without improvement before training stops.")
    mode: Mode = Field(
        "auto", description="'min' or 'max': whether lower or higher is better; 'auto' infers it from the metric."
    )
    restore_best_weights: bool = Field(
        False, description="When training stops, restore the weights of the best epoch seen in this fit."
    )
    start_from_epoch: int = Field(0, ge=0, description="Epochs to wait before watching the metric (warm-up).")


class TensorBoardParams(Params):
    histogram_freq: int = Field(0, ge=0, description="Epochs between weight histograms; 0 writes none.")
    update_freq: Literal["epoch", "batch"] | PositiveInt = Field(
        "epoch", description="Write metrics after every 'epoch', every 'batch', or every N batches."
    )
    write_graph: bool = Field(False, description="Also write the model graph (makes the log files larger).")


def build_rich_progress(params: RichProgressParams, run: RunContext) -> Any:
    from plugins.callbacks.progress import RichProgress

    callback = RichProgress(
        run.console,
        refresh_per_second=params.refresh_per_second,
        batch_bar=params.batch_bar,
        precision=params.precision,
        validation_steps=run.flows.validation_steps if run.flows else None,
    )
    run.extras[PROGRESS_KEY] = callback
    return callback


def _check_monitored(monitor: str, run: RunContext, provider: str, instead: str = "") -> None:
    """Refuse a ``val_`` metric in a run without a validation set, before training.

    Keras would only warn at every epoch and never act on it: no best checkpoint, no early stop.
    A run resumed or extended keeps its recorded settings, so it is only told.
    """
    if not monitor.startswith("val_") or run.flows is None or run.flows.validation is not None:
        return
    problem = (
        f"the {provider} callback monitors {monitor!r}, but this run has no validation set (its dataset settings "
        "give no validation split or folder)"
    )
    if run.resumed:  # an extension too
        run.console.print(f"[yellow]warning:[/] {problem}: it will not act on it.", highlight=False)
        return
    raise UserError(
        f"{problem}. Set the callback's monitor = {monitor.removeprefix('val_')!r} to watch the training "
        f"figure{instead}, or give the dataset a validation set."
    )


def build_checkpoint(params: CheckpointParams, run: RunContext) -> Any:
    from plugins.callbacks.checkpoint import BestAndLastCheckpoint

    if params.save_best:
        _check_monitored(params.monitor, run, "checkpoint", ", save_best = false to keep only checkpoints/last.keras")

    return BestAndLastCheckpoint(
        run.run_dir / CHECKPOINTS_DIR,
        monitor=params.monitor,
        mode=params.mode,
        save_best=params.save_best,
        save_last=params.save_last,
        history=list(run.history) if run.resumed else None,
    )


def build_backup_and_restore(params: BackupAndRestoreParams, run: RunContext) -> Any:
    """The epoch commit of :mod:`plugins.callbacks.backup`; on resume, cuts ``run.history`` back to the commit.

    A run stopped before its first commit (in epoch 1, or between epoch 1's metrics row and
    its commit) has nothing to continue from: it starts again from epoch 1, which is exact.
    """
    from plugins.callbacks.backup import STATE_FILE, EpochBackup, read_backup

    directory = run.run_dir / BACKUP_DIR
    state = read_backup(directory) if run.resumed else None
    if run.resumed:
        if state is None and run.extends is not None:
            raise UserError(
                f"run {run.extends} kept no training state when it finished ({directory.name}/{STATE_FILE} is "
                "missing: its backup-and-restore table had delete_checkpoint = true, or the run was made by an older "
                "hoh), so it cannot be extended exactly. Start a new run from its weights instead: "
                f"hoh-run EXPERIMENT --init-from {run.extends}"
            )
        if state is None and len(run.history) > 1:
            raise UserError(
                f"run {run.run_dir} recorded {len(run.history)} epochs in {METRICS_FILE}, but {directory} holds no "
                f"committed training state ({STATE_FILE} is missing: deleted, or the run was started by an older "
                "hoh), so it cannot continue exactly where it stopped; start a new run."
            )
        if state is None and run.history:
            run.console.print(
                "No epoch was committed before the run stopped (it stopped in epoch 1's commit window): "
                "training starts again from epoch 1, as the uninterrupted run did."
            )
        if state is not None:
            _check_history_agrees(run, state["history"])
        run.history[:] = state["history"] if state else []  # the commit is the truth; later rows are redone
        write_history(run.run_dir, run.history)
    return EpochBackup(directory, run, restore=state)


def _check_history_agrees(run: RunContext, committed: list[dict[str, Any]]) -> None:
    """Refuse when ``metrics.jsonl`` disagrees with the commit on an epoch both hold (an edit or damage)."""
    recorded = {row.get("epoch"): row for row in run.history}
    for row in committed:
        other = recorded.get(row["epoch"])
        if other is None:
            continue  # rows cut from metrics.jsonl are restored from the commit
        keys = sorted(key for key in {*row, *other} if row.get(key) != other.get(key))
        if keys:
            key = keys[0]
            raise UserError(
                f"{run.run_dir / METRICS_FILE} disagrees with the run's committed training state at epoch "
                f"{row['epoch']}: {key} is {other.get(key)!r} there and {row.get(key)!r} in the commit "
                f"({BACKUP_DIR}/state.json, checked by its digest). The file was edited or damaged, so the run is "
                f"not resumed. To continue from the commit, move {METRICS_FILE} away: it is then written again "
                "from the commit."
            )


@hookimpl
def hoh_after_run(run: RunContext, history: list[dict[str, float]]) -> None:
    """The run is finished (model saved and evaluated): its training state is no longer needed.

    Read from the experiment rather than from the callback, which a resumed run that only had
    its evaluation left never builds.
    """
    for choice in run.experiment.callbacks:
        if choice.provider == "backup-and-restore" and choice.params.delete_checkpoint:
            shutil.rmtree(run.run_dir / BACKUP_DIR, ignore_errors=True)


def build_early_stopping(params: EarlyStoppingParams, run: RunContext) -> Any:
    from plugins.callbacks.keras_builtins import ReportingEarlyStopping

    _check_monitored(params.monitor, run, "early-stopping")

    return ReportingEarlyStopping(run.console, **params.model_dump())


def build_tensorboard(params: TensorBoardParams, run: RunContext) -> Any:
    # TensorFlow no longer depends on TensorBoard: without it, tf.summary fails only at fit time.
    if importlib.util.find_spec("tensorboard") is None:
        raise UserError(
            "the tensorboard callback needs the tensorboard package, which is not installed: "
            "run `pip install tensorboard`, or remove the tensorboard [[callbacks]] table from the experiment."
        )
    import keras

    return keras.callbacks.TensorBoard(log_dir=str(run.run_dir / "tensorboard"), **params.model_dump())


def build_ema_validation(params: NoParams, run: RunContext) -> Any:
    import keras

    return keras.callbacks.SwapEMAWeights(swap_on_epoch=False)


@hookimpl
def hoh_callback_providers() -> list[Provider]:
    return [
        Provider(
            "rich-progress",
            RichProgressParams,
            build_rich_progress,
            "Epoch and batch bars with metrics and ETA; one line per epoch when not on a terminal.",
            progress=True,
        ),
        Provider(
            "checkpoint",
            CheckpointParams,
            build_checkpoint,
            "Keep checkpoints/best.keras (by a monitored metric) and checkpoints/last.keras, written atomically.",
        ),
        Provider(
            "backup-and-restore",
            BackupAndRestoreParams,
            build_backup_and_restore,
            "Commit the training state to backup/ after every epoch, atomically: hoh-run --resume continues exactly.",
            resumable=True,
        ),
        Provider(
            "early-stopping",
            EarlyStoppingParams,
            build_early_stopping,
            "Stop training when a monitored metric stops improving.",
        ),
        Provider(
            "tensorboard",
            TensorBoardParams,
            build_tensorboard,
            "Write TensorBoard logs to the run's tensorboard/ folder.",
        ),
        Provider(
            "ema-validation",
            NoParams,
            build_ema_validation,
            "Validate each epoch with the optimizer's moving average of the weights (optimizer ema_momentum), "
            "the weights the run ends with.",
        ),
    ]


@hookimpl
def hoh_on_run_error(run: RunContext, error: BaseException) -> None:
    """Stop the live progress display of a failed or interrupted run (Keras calls no on_train_end then)."""
    callback = run.extras.get(PROGRESS_KEY)
    if callback is not None:
        callback.close()
