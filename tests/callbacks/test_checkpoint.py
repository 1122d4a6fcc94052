from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from plugins.callbacks.checkpoint import read_best
from plugins.callbacks.hooks import CheckpointParams, build_checkpoint


def _weights_recorder(keras, store: dict):
    return keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: store.__setitem__(epoch + 1, [w.copy() for w in store["model"].get_weights()])
    )


def _same(a, b) -> bool:
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


@pytest.mark.parametrize(
    ("monitor", "mode", "pick"),
    [
        ("val_loss", "auto", np.argmin),
        ("loss", "max", np.argmax),  # the worst epoch (usually the first): best.keras is surely not last.keras
    ],
)
def test_best_and_last(make_run, make_model, data, keras, monitor, mode, pick):
    run = make_run()
    x, y = data
    model = make_model()
    weights: dict = {"model": model}
    callback = build_checkpoint(CheckpointParams(monitor=monitor, mode=mode), run)
    fit = model.fit(
        x,
        y,
        batch_size=8,
        epochs=5,
        validation_split=0.25,
        verbose=0,
        callbacks=[callback, _weights_recorder(keras, weights)],
    )
    folder = run.run_dir / "checkpoints"
    values = fit.history[monitor]
    best_epoch = int(pick(values)) + 1
    assert read_best(folder) == {
        "epoch": best_epoch,
        "monitor": monitor,
        "value": pytest.approx(values[best_epoch - 1]),
    }
    assert callback.best_epoch == best_epoch
    best = keras.saving.load_model(folder / "best.keras")
    last = keras.saving.load_model(folder / "last.keras")
    assert _same(best.get_weights(), weights[best_epoch])
    assert _same(last.get_weights(), weights[5])
    assert sorted(p.name for p in folder.iterdir()) == ["best.json", "best.keras", "last.keras"]  # no temp files


def test_max_mode_and_resumed_history_is_the_value_to_beat(make_run, make_model, data, keras):
    # An earlier part of the run reached val_accuracy 2.0 (unbeatable): no epoch of this fit is better.
    history = [{"epoch": 1, "val_accuracy": 0.1}, {"epoch": 2, "val_accuracy": 2.0}]
    run = make_run(resumed=True, history=history)
    x, y = data
    params = CheckpointParams(monitor="val_accuracy", mode="max", save_last=False)
    callback = build_checkpoint(params, run)
    make_model().fit(
        x, y, batch_size=8, epochs=4, initial_epoch=2, validation_split=0.25, verbose=0, callbacks=[callback]
    )
    folder = run.run_dir / "checkpoints"
    assert not (folder / "best.keras").exists() and not (folder / "last.keras").exists()
    assert callback.best_epoch == 2


def test_params_validation():
    with pytest.raises(ValidationError):
        CheckpointParams(mode="largest")
    with pytest.raises(ValidationError):
        CheckpointParams(save_best=False, save_last=False)
    with pytest.raises(ValidationError):
        CheckpointParams(filepath="x.keras")


def test_a_val_monitor_without_validation_is_refused_and_only_warned_on_a_resumed_run(make_run) -> None:
    from framework import Flows, UserError

    flows = Flows(train=None, steps_per_epoch=1, validation=None)
    with pytest.raises(UserError, match=r"monitors 'val_loss', but this run has no validation set.*save_best = false"):
        build_checkpoint(CheckpointParams(), make_run(flows=flows))
    resumed = make_run(flows=flows, resumed=True)  # its recorded settings cannot be changed: told, and it goes on
    assert build_checkpoint(CheckpointParams(), resumed) is not None
    assert "will not act on it" in " ".join(resumed.console.file.getvalue().split())
    assert build_checkpoint(CheckpointParams(monitor="loss"), make_run(flows=flows)) is not None
