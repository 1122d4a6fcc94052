"""The runner's own Keras callbacks: metrics and lifecycle hooks, divergence, best weights, stages.

Imported only during a run (it imports Keras).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keras

from framework.atomic import write_with
from framework.errors import TrainingFailed, UserError
from framework.run_context import RunContext
from framework.rundir import write_history
from framework.stages import Stage, count_parameters, stage_of


class EpochRecorder(keras.callbacks.Callback):
    """Appends each epoch's metrics to ``metrics.jsonl`` and calls ``hoh_after_epoch``.

    Epochs are numbered from 1 in the records. On a resumed run, records of epochs
    at or after the resumed epoch are replaced, so the history stays one line per epoch.
    With staged fine-tuning :class:`StageSwitch` sets :attr:`stage` before each epoch, and
    each row records it.

    Example::

        recorder = EpochRecorder(run, loaded.hook)
        model.fit(data, epochs=3, callbacks=[recorder])
        run.history  # [{"epoch": 1, "loss": ...}, ...]
    """

    def __init__(self, run: RunContext, hook: Any) -> None:
        super().__init__()
        self.run = run
        self.hook = hook  # pm.hook, or a session's HookRelay (the experiment's active plugins)
        self._started = 0.0
        self.stage: int | None = None  # the 1-based stage being trained, when the run has stages

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._started = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        row: dict[str, float] = {"epoch": epoch + 1}
        row.update({key: float(value) for key, value in (logs or {}).items()})
        row["seconds"] = round(time.perf_counter() - self._started, 3)
        if self.stage is not None:
            row["stage"] = self.stage
        self.run.history[:] = [r for r in self.run.history if r["epoch"] < epoch + 1] + [row]
        write_history(self.run.run_dir, self.run.history)
        self.hook.hoh_after_epoch(run=self.run, epoch=epoch, logs=dict(row), history=list(self.run.history))


class DivergenceGuard(keras.callbacks.Callback):
    """Stops training with :class:`TrainingFailed` at the first batch whose loss is NaN or infinite.

    Keras' ``TerminateOnNaN`` ends ``fit`` as if training had finished, and the run would then
    save and evaluate a model of NaN weights; this one fails the run instead. It goes first in
    the callback list, so no other callback records the broken epoch.

    Example::

        model.fit(data, epochs=3, callbacks=[DivergenceGuard(), *others])
    """

    def __init__(self) -> None:
        super().__init__()
        self._epoch = 0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._epoch = epoch

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            raise TrainingFailed(
                f"the training loss became {float(loss)} in epoch {self._epoch + 1}, batch {batch + 1}: training "
                "diverged, and the run was stopped (its status is failed). Lower the learning rate "
                "(optimizer.learning_rate), or check the data and the loss."
            )


class BestWeights(keras.callbacks.Callback):
    """Keeps the weights of the best epoch so far (by ``monitor``) in one file, written atomically.

    Whether lower or higher is better is Keras' own choice for ``mode="auto"`` (from the metric's
    direction), as the ``checkpoint`` and ``early-stopping`` callbacks make it. On a resumed run
    the best value so far comes from the history, so the choice is the one an uninterrupted run
    makes. The runner loads the file into the model after ``fit`` when ``[training] keep = "best"``.

    Example::

        best = BestWeights(run_dir / "best-so-far.weights.h5", "val_loss", history=[])
        model.fit(data, epochs=5, validation_data=val, callbacks=[best])
        model.load_weights(best.path)
    """

    def __init__(self, path: Path, monitor: str, history: list[dict[str, float]]) -> None:
        super().__init__()
        self.path = path
        self.monitor = monitor
        self.history = list(history)
        self.sign: float | None = None  # +1 when lower is better, -1 when higher is; known after the first epoch
        self.best = math.inf

    def _direction(self) -> float:
        """+1 or -1, from Keras' mode="auto" rule (needs the compiled metrics, built by the first epoch)."""
        probe = keras.callbacks.EarlyStopping(monitor=self.monitor, mode="auto")
        probe.set_model(self.model)
        try:
            probe._set_monitor_op()  # private, as in plugins/callbacks/checkpoint.py: Keras' own min/max choice
        except ValueError:
            raise UserError(
                f"training.monitor = {self.monitor!r}: Keras cannot tell whether higher or lower is better for "
                "this metric; monitor the loss, or a metric with a direction (accuracy, auc, precision, ...)."
            ) from None
        return 1.0 if probe.monitor_op is keras.ops.less else -1.0

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        if self.monitor not in logs:
            raise UserError(
                f"training.monitor = {self.monitor!r} is not a metric of this run; it has "
                f"{', '.join(sorted(logs))}. Pick one of them."
            )
        if self.sign is None:
            self.sign = self._direction()
            seen = [self.sign * row[self.monitor] for row in self.history if isinstance(row.get(self.monitor), float)]
            self.best = min(seen, default=math.inf)
        value = self.sign * float(logs[self.monitor])
        if value < self.best or not self.path.exists():
            self.best = value
            write_with(self.path, self.model.save_weights)


class StageSwitch(keras.callbacks.Callback):
    """Staged fine-tuning within one ``fit``: before an epoch that starts a stage, recompile for it.

    ``compile_for(stage)`` sets what trains and compiles with a new optimizer; this callback then
    builds that optimizer and retraces the training step, so the change holds from the stage's
    first batch. One ``fit`` spans every stage, so the training stream goes on as one iteration
    of the pipeline (a new ``tf.data`` iteration would shuffle anew), and a resumed run skips
    the finished epochs' batches exactly as a single-stage run does. It also tells the metrics
    recorder the stage of each epoch, and says on the console what trains.

    Example::

        switch = StageSwitch(stages, phases.compile_for, recorder, console)
        model.fit(data, epochs=stages[-1].end, callbacks=[switch, recorder])
    """

    def __init__(
        self, stages: list[Stage], compile_for: Callable[[Stage], None], recorder: EpochRecorder, console: Any
    ):
        super().__init__()
        self.stages = stages
        self.compile_for = compile_for
        self.recorder = recorder
        self.console = console
        self.current: Stage | None = None

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.current = None  # the model is compiled for the stage before the first epoch (or the first stage)

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        stage = stage_of(self.stages, epoch)
        self.recorder.stage = stage.number
        if stage == self.current:
            return
        if epoch == stage.first and epoch > 0:  # a stage starts: what trains and the optimizer change
            self.compile_for(stage)
            self.model.optimizer.build(self.model.trainable_variables)
            self.model.make_train_function(force=True)
        self.current = stage
        trained = count_parameters(self.model.trainable_weights)
        what = f"epochs {epoch + 1}-{stage.end}: {stage.describe()}, {trained:,} parameters train"
        self.console.print(f"stage {stage.number}/{len(self.stages)}, {what}", markup=False)
