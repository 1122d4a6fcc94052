"""Best and last model checkpoints, written atomically. Imports Keras; imported only during a run."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

import keras

from framework.api import write_json


class BestAndLastCheckpoint(keras.callbacks.Callback):
    """Keep ``best.keras`` and ``last.keras`` in a folder, each always a complete file.

    Two ``keras.callbacks.ModelCheckpoint`` do the work: one with
    ``save_best_only=True`` on ``monitor``, one saving every epoch. Keras writes
    the ``.keras`` zip in place, so an interruption in the middle of a save would
    leave a broken file; here each saves to a hidden temporary name in the same
    folder (``.best.tmp.keras``) that is then renamed over the real one with
    ``os.replace``, which is atomic. ``best.json`` beside them records the epoch
    (1-based) and monitored value of ``best.keras``.

    On a resumed fit, pass the earlier epochs' metrics as ``history``: the best
    monitored value among them is the one a new epoch must beat, so
    ``best.keras`` is not replaced by a worse model.

    Args:
        directory: Folder of the checkpoints (created when missing).
        monitor: Metric that decides the best epoch, e.g. ``"val_loss"``.
        mode: ``"min"``, ``"max"`` or ``"auto"`` (Keras infers it from the metric).
        save_best: Keep ``best.keras``.
        save_last: Keep ``last.keras``.
        history: Metrics of epochs finished before this fit, one dict per epoch
            with a 1-based ``"epoch"``.

    Example:

    ```python
    checkpoint = BestAndLastCheckpoint("runs/x/checkpoints", monitor="val_accuracy", mode="max")
    model.fit(x, y, epochs=10, validation_split=0.2, callbacks=[checkpoint])
    best = keras.saving.load_model("runs/x/checkpoints/best.keras")
    ```
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        monitor: str = "val_loss",
        mode: str = "auto",
        save_best: bool = True,
        save_last: bool = True,
        history: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__()
        self.directory = Path(directory)
        self.monitor = monitor
        self.best_path = self.directory / "best.keras"
        self.last_path = self.directory / "last.keras"
        self.info_path = self.directory / "best.json"
        self.history = list(history or [])
        self.best_epoch: int | None = None
        self._best = (
            keras.callbacks.ModelCheckpoint(_temp(self.best_path), monitor=monitor, mode=mode, save_best_only=True)
            if save_best
            else None
        )
        self._last = keras.callbacks.ModelCheckpoint(_temp(self.last_path)) if save_last else None
        self._seeded = False

    def _inner(self) -> list[Any]:
        return [cb for cb in (self._best, self._last) if cb is not None]

    def set_model(self, model: Any) -> None:
        super().set_model(model)
        for cb in self._inner():
            cb.set_model(model)

    def set_params(self, params: dict) -> None:
        super().set_params(params)
        for cb in self._inner():
            cb.set_params(params)

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        for path in (self.best_path, self.last_path):  # left by a save that was interrupted
            with contextlib.suppress(FileNotFoundError):
                os.remove(_temp(path))
        for cb in self._inner():
            cb.on_train_begin(logs)

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        if not self._seeded:
            self._seeded = True
            self._seed_best(epoch)
        for cb in self._inner():
            cb.on_epoch_begin(epoch, logs)

    def _seed_best(self, epoch: int) -> None:
        """Make the best of the epochs before ``epoch`` (0-based) the value to beat."""
        cb = self._best
        earlier = [row for row in self.history if int(row.get("epoch", 0)) <= epoch and self.monitor in row]
        if cb is None or not earlier:
            return
        if cb.monitor_op is None:
            cb._set_monitor_op()  # Keras' own min/max choice for mode="auto"
        for row in earlier:
            value = float(row[self.monitor])
            if cb._is_improvement(value, cb.best):
                cb.best = value
                self.best_epoch = int(row["epoch"])

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        for cb, path in ((self._best, self.best_path), (self._last, self.last_path)):
            if cb is None:
                continue
            cb.on_epoch_end(epoch, logs)
            temp = _temp(path)
            if os.path.exists(temp):
                os.replace(temp, path)
                if cb is self._best:
                    self.best_epoch = epoch + 1
                    value = (logs or {}).get(self.monitor)
                    write_json(
                        self.info_path,
                        {
                            "epoch": epoch + 1,
                            "monitor": self.monitor,
                            "value": None if value is None else float(value),
                        },
                    )

    def on_train_end(self, logs: dict | None = None) -> None:
        for cb in self._inner():
            cb.on_train_end(logs)


def _temp(path: Path) -> str:
    return str(path.with_name(f".{path.stem}.tmp{path.suffix}"))


def read_best(directory: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The ``best.json`` record of a checkpoint folder, or ``None`` when there is none."""
    try:
        return json.loads((Path(directory) / "best.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
