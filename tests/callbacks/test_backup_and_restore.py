"""Keras 3 BackupAndRestore: an interrupted fit, re-run with the same backup folder, resumes."""

from __future__ import annotations

import numpy as np
import pytest

from plugins.callbacks.hooks import BackupAndRestoreParams, build_backup_and_restore


class Interrupted(Exception):
    pass


def test_interrupted_fit_resumes_from_last_finished_epoch(make_run, make_model, data, keras):
    run = make_run()
    x, y = data
    saved: dict = {}

    class Recorder(keras.callbacks.Callback):
        def __init__(self, stop_at: int | None = None):
            super().__init__()
            self.stop_at = stop_at
            self.epochs: list[int] = []
            self.weights_at_start = None

        def on_epoch_begin(self, epoch, logs=None):
            if self.weights_at_start is None:
                self.weights_at_start = [w.copy() for w in self.model.get_weights()]
            if epoch == self.stop_at:
                raise Interrupted
            self.epochs.append(epoch)

        def on_epoch_end(self, epoch, logs=None):
            saved[epoch] = [w.copy() for w in self.model.get_weights()]

    first = Recorder(stop_at=2)
    with pytest.raises(Interrupted):
        make_model().fit(
            x,
            y,
            batch_size=8,
            epochs=4,
            verbose=0,
            callbacks=[build_backup_and_restore(BackupAndRestoreParams(), run), first],
        )
    assert first.epochs == [0, 1]
    backup = run.run_dir / "backup"
    assert (backup / "latest.weights.h5").is_file() and (backup / "training_metadata.json").is_file()

    # A fresh model (as hoh-run --resume builds), different initial weights, same backup folder.
    second = Recorder()
    model = make_model(seed=1)
    model.fit(
        x,
        y,
        batch_size=8,
        epochs=4,
        verbose=0,
        callbacks=[build_backup_and_restore(BackupAndRestoreParams(), run), second],
    )
    assert second.epochs == [2, 3]  # resumed at epoch index 2, ran the remaining two epochs
    # The weights at the start of the resumed fit are those at the end of epoch index 1.
    assert all(np.array_equal(a, b) for a, b in zip(second.weights_at_start, saved[1], strict=True))
    assert not backup.exists()  # delete_checkpoint=True removes it after a finished fit


def test_params():
    assert BackupAndRestoreParams().save_freq == "epoch"
    assert BackupAndRestoreParams(save_freq=10).save_freq == 10
    with pytest.raises(ValueError):
        BackupAndRestoreParams(save_freq=0)
    with pytest.raises(ValueError):
        BackupAndRestoreParams(save_freq="batch")
