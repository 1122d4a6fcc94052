"""The runner's best-weights keeper decides "better" as Keras does, from the metric's direction."""

from __future__ import annotations

import pytest

from framework.recorder import BestWeights


@pytest.mark.parametrize(
    ("monitor", "lower_is_better"),
    [("loss", True), ("val_loss", True), ("accuracy", False), ("val_auc", False)],
)
def test_direction_is_keras_own(tmp_path, make_model, data, keras, monitor, lower_is_better) -> None:
    x, y = data
    model = make_model()
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy", "false_negatives", "auc"])
    best = BestWeights(tmp_path / "best.weights.h5", monitor, history=[])
    model.fit(x, y, validation_data=(x, y), epochs=1, verbose=0, callbacks=[best])
    assert best.sign == (1.0 if lower_is_better else -1.0)
    assert best.path.is_file()


def test_a_metric_without_a_direction_is_refused(tmp_path, make_model, data, keras) -> None:
    from framework import UserError

    x, y = data
    model = make_model()
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["false_negatives"])
    best = BestWeights(tmp_path / "best.weights.h5", "false_negatives", history=[])
    with pytest.raises(UserError, match="cannot tell whether higher or lower is better"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[best])


def test_a_resumed_run_must_beat_the_best_recorded_epoch(tmp_path, make_model, data, keras) -> None:
    x, y = data
    best = BestWeights(tmp_path / "best.weights.h5", "loss", history=[{"epoch": 1, "loss": -1.0}])
    best.path.write_bytes(b"the earlier best epoch's weights")
    make_model().fit(x, y, epochs=1, verbose=0, callbacks=[best])
    assert best.best == -1.0 and best.path.read_bytes() == b"the earlier best epoch's weights"
