"""The runner's own Keras callback: records metrics and calls the lifecycle hooks.

Imported only during a run (it imports Keras).
"""

from __future__ import annotations

import time

import keras
import pluggy

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
