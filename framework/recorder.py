"""The runner's own Keras callback: records metrics and calls the lifecycle hooks.

Imported only during a run (it imports Keras).
"""

from __future__ import annotations

import math
import time

import keras
import pluggy

from framework.errors import TrainingFailed
from framework.providers import RunContext
from framework.rundir import write_history


class EpochRecorder(keras.callbacks.Callback):
    """Appends each epoch's metrics to ``metrics.jsonl`` and calls ``hoh_after_epoch``.

    Epochs are numbered from 1 in the records. On a resumed run, records of epochs
    at or after the resumed epoch are replaced, so the history stays one line per epoch.

    Example::

        recorder = EpochRecorder(run, pm)
        model.fit(data, epochs=3, callbacks=[recorder])
        run.history  # [{"epoch": 1, "loss": ...}, ...]
    """

    def __init__(self, run: RunContext, pm: pluggy.PluginManager) -> None:
        super().__init__()
        self.run = run
        self.pm = pm
        self._started = 0.0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._started = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        row: dict[str, float] = {"epoch": epoch + 1}
        row.update({key: float(value) for key, value in (logs or {}).items()})
        row["seconds"] = round(time.perf_counter() - self._started, 3)
        self.run.history[:] = [r for r in self.run.history if r["epoch"] < epoch + 1] + [row]
        write_history(self.run.run_dir, self.run.history)
        self.pm.hook.hoh_after_epoch(run=self.run, epoch=epoch, logs=dict(row), history=list(self.run.history))


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
