"""Real tiny runs trained once per session through ``hoh-run``, for the inference commands' tests.

The images are coloured by class (learnable in a few steps), so the models' predictions
mean something: a broken preprocessing or class order shows as wrong answers.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from inference_helpers import FIXTURES, train


@pytest.fixture(scope="session")
def binary_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Five-conv, two colour classes, trained with a callback plugin that is then deleted."""
    tmp = tmp_path_factory.mktemp("binary")
    plugin = tmp / "extra_callback.py"
    shutil.copy(FIXTURES / "extra_callback.py", plugin)
    run = train(
        tmp,
        "binary",
        classes=("cats", "dogs"),
        model='provider = "five-conv-sigmoid"\nfilters = [4, 4, 4, 4, 4]\ndense_units = 8',
        plugins=[plugin],
        callbacks='[[callbacks]]\nprovider = "epoch-counter"\n\n[[callbacks]]\nprovider = "checkpoint"\n',
        size=96,
        epochs=6,
    )
    plugin.unlink()  # the run's plugin is gone, as on a machine it was never installed on
    return run


@pytest.fixture(scope="session")
def custom_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Three colour classes (softmax) with a custom-layer model plugin; returns (run, plugin file)."""
    tmp = tmp_path_factory.mktemp("custom")
    plugin = tmp / "custom_model.py"
    shutil.copy(FIXTURES / "custom_model.py", plugin)
    run = train(
        tmp,
        "custom",
        classes=("cats", "dogs", "owls"),
        model='provider = "channel-means"',
        plugins=[plugin],
        callbacks="",
        size=32,
        epochs=15,
    )
    return run, plugin


@pytest.fixture(scope="session")
def unsure_run(binary_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``binary_run`` with a freshly initialised model of the same architecture.

    The trained model answers 0 or 1 on these easy images, so a wrongly scaled input gives
    the same answers; an untrained one answers near 0.5 in ways that move with every pixel.
    """
    import keras

    run = tmp_path_factory.mktemp("unsure") / "run"
    shutil.copytree(binary_run, run)
    keras.utils.set_random_seed(7)
    trained = keras.saving.load_model(binary_run / "model.keras")
    fresh = keras.models.clone_model(trained)
    fresh.save(run / "model.keras")
    return run
