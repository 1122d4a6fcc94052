"""Training progress on a rich console: epoch and batch bars, or one plain line per epoch.

Imports Keras; imported only when a run builds its callbacks.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from typing import Any

import keras
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


def format_metrics(logs: Mapping[str, Any] | None, precision: int = 4, *, sep: str = "  ") -> str:
    """``"loss 0.4123  accuracy 0.8120  val_loss ..."``: the numeric entries of ``logs``.

    Training metrics come before validation ones, loss first in each group.
    """
    items = list((logs or {}).items())
    items.sort(key=lambda item: (item[0].startswith("val_"), item[0].removeprefix("val_") != "loss"))
    parts = []
    for key, value in items:
        try:
            number = float(value)
        except (TypeError, ValueError):
            continue
        parts.append(f"{key} {number:.{precision}f}" if math.isfinite(number) else f"{key} {number}")
    return sep.join(parts)


class RichProgress(keras.callbacks.Callback):
    """Show training progress on a rich console.

    On a terminal, an epoch bar and a batch bar (training, then validation) with
    the latest loss and metrics, elapsed time and ETA, plus one summary line per
    finished epoch printed above the bars. Elsewhere (``console.is_terminal`` is
    false: CI logs, files, pytest capture) only the summary lines are printed::

        epoch 3/15  loss 0.4123  accuracy 0.8120  val_loss 0.5100  val_accuracy 0.7700  41.2s

    Keras' own progress bar should be off (``verbose=0``). A fit that starts at a
    later epoch (``initial_epoch``, or a restore by ``BackupAndRestore``) starts
    the epoch bar there. When the number of batches is unknown, the batch bar
    pulses during the first epoch and uses the count seen from then on.

    The batch bar costs little: a batch only updates it when at least
    ``1 / refresh_per_second`` seconds passed since the last update, and the
    callback is marked ``async_safe``, so Keras may call it off the training thread.

    Args:
        console: Where to draw; a new ``rich.console.Console()`` by default.
        refresh_per_second: How often the bars are redrawn and batch metrics read.
        batch_bar: Show the batch bar under the epoch bar (terminal only).
        precision: Digits after the decimal point of metric values.
        validation_steps: Validation batches per epoch, when known beforehand.

    Example:

    ```python
    from rich.console import Console

    progress = RichProgress(Console(), refresh_per_second=4)
    model.fit(x, y, epochs=15, validation_split=0.2, verbose=0, callbacks=[progress])
    ```
    """

    async_safe = True

    def __init__(
        self,
        console: Console | None = None,
        *,
        refresh_per_second: float = 4.0,
        batch_bar: bool = True,
        precision: int = 4,
        validation_steps: int | None = None,
    ) -> None:
        super().__init__()
        if refresh_per_second <= 0:
            raise ValueError(f"refresh_per_second must be positive, got {refresh_per_second}")
        self.console = console if console is not None else Console()
        self.refresh_per_second = refresh_per_second
        self.batch_bar = batch_bar
        self.precision = precision
        self.validation_steps = validation_steps
        self._interval = 1.0 / refresh_per_second
        self._progress: Progress | None = None
        self._epoch_task: TaskID | None = None
        self._batch_task: TaskID | None = None
        self._epochs = 0
        self._train_steps: int | None = None
        self._epoch_started = 0.0
        self._last_update = 0.0
        self._seen_batches = 0
        self._seen_test_batches = 0
        self._in_fit = False

    # -- fit -----------------------------------------------------------------
    def on_train_begin(self, logs: dict | None = None) -> None:
        self.close()
        self._in_fit = True
        self._epochs = int(self.params.get("epochs") or 0)
        self._train_steps = self.params.get("steps")
        if self.console.is_terminal:
            self._progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("eta"),
                TimeRemainingColumn(),
                TextColumn("{task.fields[metrics]}"),
                console=self.console,
                refresh_per_second=self.refresh_per_second,
            )
            self._progress.start()

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._epoch_started = time.perf_counter()
        self._last_update = 0.0
        self._seen_batches = 0
        progress = self._progress
        if progress is None:
            return
        if self._epoch_task is None:
            # Created at the first epoch, not at train begin: a resumed fit starts here
            # (BackupAndRestore sets the initial epoch in its own on_train_begin).
            self._epoch_task = progress.add_task("epochs", total=self._epochs or None, completed=epoch, metrics="")
        progress.update(self._epoch_task, description=f"epoch {epoch + 1}/{self._epochs}")
        if self.batch_bar:
            self._reset_batch_task("train", self._train_steps)

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        done = batch + 1
        self._seen_batches = max(self._seen_batches, done)
        if self._progress is None or self._batch_task is None:
            return
        now = time.perf_counter()
        if now - self._last_update < self._interval and done != self._train_steps:
            return
        self._last_update = now
        self._progress.update(
            self._batch_task, completed=self._seen_batches, metrics=format_metrics(logs, self.precision)
        )

    def on_test_begin(self, logs: dict | None = None) -> None:
        self._last_update = 0.0
        self._seen_test_batches = 0
        if self._progress is not None and self.batch_bar:
            self._reset_batch_task("validate" if self._in_fit else "evaluate", self.validation_steps)

    def on_test_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self._seen_test_batches = max(self._seen_test_batches, batch + 1)
        if self._progress is None or self._batch_task is None:
            return
        now = time.perf_counter()
        if now - self._last_update < self._interval:
            return
        self._last_update = now
        prefix = "val_" if self._in_fit else ""
        metrics = format_metrics({f"{prefix}{k}": v for k, v in (logs or {}).items()}, self.precision)
        self._progress.update(self._batch_task, completed=self._seen_test_batches, metrics=metrics)

    def on_test_end(self, logs: dict | None = None) -> None:
        if self._progress is not None and self._batch_task is not None:
            self._progress.update(self._batch_task, completed=self._seen_test_batches)
        if self.validation_steps is None and self._in_fit and self._seen_test_batches:
            self.validation_steps = self._seen_test_batches  # known after the first validation

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        seconds = time.perf_counter() - self._epoch_started
        if self._train_steps is None and self._seen_batches:
            self._train_steps = self._seen_batches  # an unknown count is known after one epoch
        line = f"epoch {epoch + 1}/{self._epochs}  {format_metrics(logs, self.precision)}  {seconds:.1f}s"
        if self._progress is not None and self._epoch_task is not None:
            self._progress.update(self._epoch_task, completed=epoch + 1, metrics=format_metrics(logs, self.precision))
        self.console.print(line, markup=False, highlight=False, soft_wrap=True)

    def on_train_end(self, logs: dict | None = None) -> None:
        self._in_fit = False
        self.close()

    # -- helpers -------------------------------------------------------------
    def _reset_batch_task(self, description: str, total: int | None) -> None:
        assert self._progress is not None
        if self._batch_task is None:
            self._batch_task = self._progress.add_task(description, total=total, metrics="")
        else:
            self._progress.reset(self._batch_task, total=total, description=description, metrics="")

    def close(self) -> None:
        """Stop the live display, if any; safe to call more than once (e.g. after an error)."""
        if self._progress is not None:
            self._progress.stop()
        self._progress = None
        self._epoch_task = None
        self._batch_task = None
