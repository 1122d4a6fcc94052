"""Tiny data, model and run context for the callback tests."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from framework import RunContext
from framework.loading import load_experiment
from framework.session import Session

QUICK = Path(__file__).resolve().parents[2] / "experiments" / "quick.toml"


@pytest.fixture(scope="session")
def keras():
    import keras

    return keras


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    x = rng.random((32, 8, 8, 3), dtype=np.float32)
    y = (x.mean(axis=(1, 2, 3)) > 0.5).astype("float32")
    return x, y


@pytest.fixture
def make_model(keras):
    def make(seed: int = 0):
        keras.utils.set_random_seed(seed)
        model = keras.Sequential(
            [keras.Input((8, 8, 3)), keras.layers.Flatten(), keras.layers.Dense(1, activation="sigmoid")]
        )
        model.compile(optimizer=keras.optimizers.SGD(0.1), loss="binary_crossentropy", metrics=["accuracy"])
        return model

    return make


@pytest.fixture(scope="session")
def session():
    return Session(autoload=False)


@pytest.fixture
def make_run(tmp_path: Path, session):
    """A run context of the quick experiment (a real, validated one) with ``epochs`` epochs."""

    def make(*, terminal: bool = False, epochs: int = 3, **kwargs) -> RunContext:
        console = Console(file=io.StringIO(), force_terminal=terminal, width=160)
        overrides = [f"training.epochs={epochs}", "experiment.seed=0", f"experiment.output={tmp_path}"]
        loaded = load_experiment(QUICK, overrides, session=session)
        experiment = loaded.experiment
        run_dir = tmp_path / "run"
        run_dir.mkdir(exist_ok=True)
        return RunContext(experiment=experiment, run_dir=run_dir, console=console, providers=loaded.registry, **kwargs)

    return make
