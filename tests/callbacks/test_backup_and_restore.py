"""backup-and-restore: one atomic commit per epoch (weights, optimizer, metrics); resume restores it or refuses."""

from __future__ import annotations

import json

import numpy as np
import pytest

from framework import UserError
from plugins.callbacks.backup import STATE_FILE, read_backup
from plugins.callbacks.hooks import BackupAndRestoreParams, build_backup_and_restore


class Interrupted(Exception):
    pass


def _recorder(keras, run, stop_at=None, saved=None):
    """Stands in for the runner's EpochRecorder (which goes before the backup): one history row per epoch."""

    class Recorder(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.epochs: list[int] = []
            self.weights_at_start = None

        def on_epoch_begin(self, epoch, logs=None):
            if self.weights_at_start is None:
                self.weights_at_start = [w.copy() for w in self.model.get_weights()]
            if epoch == stop_at:
                raise Interrupted
            self.epochs.append(epoch)

        def on_epoch_end(self, epoch, logs=None):
            run.history.append({"epoch": epoch + 1, "loss": float(logs["loss"])})
            if saved is not None:
                saved[epoch] = [w.copy() for w in self.model.get_weights()]

    return Recorder()


def test_an_interrupted_fit_resumes_from_the_last_commit(make_run, make_model, data, keras):
    run = make_run()
    x, y = data
    saved: dict = {}
    first = _recorder(keras, run, stop_at=2, saved=saved)
    with pytest.raises(Interrupted):
        make_model().fit(
            x,
            y,
            batch_size=8,
            epochs=4,
            verbose=0,
            callbacks=[first, build_backup_and_restore(BackupAndRestoreParams(), run)],
        )
    assert first.epochs == [0, 1]
    backup = run.run_dir / "backup"
    state = json.loads((backup / STATE_FILE).read_text())
    assert state["epoch"] == 2 and state["weights"] == "epoch-0002.weights.h5"
    assert [row["epoch"] for row in state["history"]] == [1, 2]
    assert sorted(p.name for p in backup.iterdir()) == ["epoch-0002.weights.h5", STATE_FILE]  # older commit gone

    # A resumed run: a fresh model with other initial weights, and a history one row ahead of the commit
    resumed = make_run(resumed=True, history=[*state["history"], {"epoch": 3, "loss": 9.0}])
    callback = build_backup_and_restore(BackupAndRestoreParams(), resumed)
    assert [row["epoch"] for row in resumed.history] == [1, 2]  # cut back to the commit
    assert [json.loads(line)["epoch"] for line in (run.run_dir / "metrics.jsonl").read_text().splitlines()] == [1, 2]
    second = _recorder(keras, resumed)
    make_model(seed=1).fit(x, y, batch_size=8, epochs=4, initial_epoch=2, verbose=0, callbacks=[second, callback])
    assert second.epochs == [2, 3]
    assert all(np.array_equal(a, b) for a, b in zip(second.weights_at_start, saved[1], strict=True))


@pytest.mark.parametrize(
    ("damage", "said"),
    [
        (lambda b: (b / "epoch-0001.weights.h5").write_bytes(b"\0" * 10), "does not match the checksum"),
        (lambda b: (b / "epoch-0001.weights.h5").unlink(), "epoch-0001.weights.h5 is missing"),
        (lambda b: (b / STATE_FILE).write_text('{"epoch": 1'), "state.json cannot be read"),
        (lambda b: (b / STATE_FILE).write_text(""), "state.json cannot be read"),
    ],
)
def test_a_damaged_commit_is_refused_with_a_message(make_run, make_model, data, keras, damage, said):
    run = make_run()
    x, y = data
    make_model().fit(
        x,
        y,
        epochs=1,
        verbose=0,
        callbacks=[
            _recorder(keras, run),
            build_backup_and_restore(BackupAndRestoreParams(delete_checkpoint=False), run),
        ],
    )
    damage(run.run_dir / "backup")
    with pytest.raises(UserError, match=said) as info:
        build_backup_and_restore(BackupAndRestoreParams(), make_run(resumed=True, history=list(run.history)))
    assert "cannot continue exactly where it stopped; start a new run" in str(info.value)


def test_recorded_epochs_without_a_commit_are_refused(make_run):
    run = make_run(resumed=True, history=[{"epoch": 1, "loss": 0.5}, {"epoch": 2, "loss": 0.4}])
    with pytest.raises(UserError, match=r"recorded 2 epochs in metrics.jsonl, but .* holds no committed training"):
        build_backup_and_restore(BackupAndRestoreParams(), run)
    assert read_backup(run.run_dir / "backup") is None


def test_epoch_one_recorded_but_not_committed_starts_again_from_epoch_one(make_run):
    """The first epoch's window: its metrics row is written, the run stops before the first commit."""
    run = make_run(resumed=True, history=[{"epoch": 1, "loss": 0.5}])
    callback = build_backup_and_restore(BackupAndRestoreParams(), run)
    assert run.history == [] and callback.restore is None
    assert (run.run_dir / "metrics.jsonl").read_text() == ""


def _one_commit(make_run, make_model, data, keras, epochs=2):
    run = make_run()
    x, y = data
    make_model().fit(
        x,
        y,
        epochs=epochs,
        verbose=0,
        callbacks=[_recorder(keras, run), build_backup_and_restore(BackupAndRestoreParams(), run)],
    )
    return run


def _edit_state(backup, edit):
    state = json.loads((backup / STATE_FILE).read_text())
    edit(state)
    (backup / STATE_FILE).write_text(json.dumps(state))


@pytest.mark.parametrize(
    ("edit", "said"),
    [
        (lambda s: s["history"][0].update(loss=0.001), "changed after it was written"),
        (lambda s: s.update(history=s["history"][:1]), "changed after it was written"),
        (lambda s: s.pop("digest"), "changed after it was written"),
        (lambda s: s.update(format=1), "another hoh version"),
    ],
)
def test_an_edited_history_in_the_commit_is_refused(make_run, make_model, data, keras, edit, said):
    run = _one_commit(make_run, make_model, data, keras)
    _edit_state(run.run_dir / "backup", edit)
    with pytest.raises(UserError, match=said):
        build_backup_and_restore(BackupAndRestoreParams(), make_run(resumed=True, history=list(run.history)))


def test_a_history_of_the_wrong_length_is_refused_even_with_a_matching_digest(make_run, make_model, data, keras):
    from plugins.callbacks.backup import state_digest

    run = _one_commit(make_run, make_model, data, keras)

    def cut(state):
        state["history"] = state["history"][:1]
        state["digest"] = state_digest(state)

    _edit_state(run.run_dir / "backup", cut)
    with pytest.raises(UserError, match="one row for each of the 2 committed epochs"):
        build_backup_and_restore(BackupAndRestoreParams(), make_run(resumed=True, history=list(run.history)))


def test_metrics_file_that_disagrees_with_the_commit_is_refused(make_run, make_model, data, keras):
    run = _one_commit(make_run, make_model, data, keras)
    forged = [dict(row) for row in run.history]
    forged[1]["loss"] = 0.001
    with pytest.raises(UserError, match=r"disagrees .* at epoch 2: loss is 0.001 there"):
        build_backup_and_restore(BackupAndRestoreParams(), make_run(resumed=True, history=forged))
    cut = make_run(resumed=True, history=run.history[:1])  # rows missing: restored from the commit
    build_backup_and_restore(BackupAndRestoreParams(), cut)
    assert cut.history == run.history
