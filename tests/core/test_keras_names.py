"""The loss and metric names hoh accepts without TensorFlow are the ones the installed Keras accepts."""

from __future__ import annotations

import pytest

from framework.config.keras_names import COMPILE_METRIC_ALIASES, LOSSES, METRICS

pytestmark = pytest.mark.slow  # imports Keras


def _accepted(getter, names: list[str]) -> set[str]:
    accepted = set()
    for name in names:
        try:
            getter(name)
        except (ValueError, TypeError):
            continue
        accepted.add(name)
    return accepted


def test_losses_are_exactly_what_keras_accepts() -> None:
    import keras
    from keras.src.losses import ALL_OBJECTS_DICT

    lowercase = [name for name in ALL_OBJECTS_DICT if name[0].islower()]
    assert _accepted(keras.losses.get, lowercase) == LOSSES


def test_metrics_are_what_keras_builds_from_a_name() -> None:
    import keras
    from keras.src.metrics import ALL_OBJECTS_DICT

    lowercase = [name for name in ALL_OBJECTS_DICT if name[0].islower()]
    not_for_compile = {"metric", "mean", "sum"}  # base and aggregating classes: no (y_true, y_pred) metric
    assert _accepted(keras.metrics.get, lowercase) - not_for_compile == METRICS - COMPILE_METRIC_ALIASES


def test_compile_aliases_compile() -> None:
    import keras

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(loss="binary_crossentropy", metrics=sorted(COMPILE_METRIC_ALIASES))
    model.evaluate(keras.ops.ones((2, 2)), keras.ops.ones((2, 1)), verbose=0)
