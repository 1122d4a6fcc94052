"""Thin wrappers of Keras' own callbacks. Imports Keras; imported only during a run."""

from __future__ import annotations

from typing import Any

import keras
from rich.console import Console


class ReportingEarlyStopping(keras.callbacks.EarlyStopping):
    """``keras.callbacks.EarlyStopping`` that says on a rich console when it stopped training.

    Keras' own message goes to stdout only with ``verbose=1``; this one prints
    ``early stopping after epoch 7: val_loss did not improve for 3 epochs``.

    Example:

    ```python
    stop = ReportingEarlyStopping(Console(), monitor="val_loss", patience=3)
    model.fit(x, y, epochs=100, validation_split=0.2, callbacks=[stop])
    ```
    """

    def __init__(self, console: Console, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.console = console

    def on_train_end(self, logs: dict | None = None) -> None:
        super().on_train_end(logs)
        if self.stopped_epoch > 0:
            restored = f"; weights of epoch {self.best_epoch + 1} restored" if self.restore_best_weights else ""
            self.console.print(
                f"early stopping after epoch {self.stopped_epoch + 1}: {self.monitor} did not improve "
                f"for {self.patience} epochs{restored}",
                markup=False,
                highlight=False,
            )
