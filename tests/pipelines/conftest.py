"""Fixtures: a tiny ImageFolders tree of RGBA PNGs (2 classes, train + validation)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from framework import ImageFolders

CLASSES = ("horses", "humans")


def write_split(root: Path, counts: dict[str, int], size: tuple[int, int], seed: int) -> None:
    """Write random RGBA PNGs (with varying alpha) to ``root/<class>/<i>.png``."""
    rng = np.random.default_rng(seed)
    for name, count in counts.items():
        (root / name).mkdir(parents=True)
        for i in range(count):
            pixels = rng.integers(0, 256, (size[0], size[1], 4), dtype=np.uint8)
            Image.fromarray(pixels, "RGBA").save(root / name / f"{name}-{i:02d}.png")


@pytest.fixture(name="write_split")
def write_split_fixture() -> Callable[[Path, dict[str, int], tuple[int, int], int], None]:
    """The :func:`write_split` helper, for test modules."""
    return write_split


@pytest.fixture(scope="session")
def tiny_folders(tmp_path_factory: pytest.TempPathFactory) -> ImageFolders:
    """9 training images (5 horses, 4 humans) and 5 validation images, 32x32 RGBA."""
    root = tmp_path_factory.mktemp("tiny")
    write_split(root / "train", {"horses": 5, "humans": 4}, (32, 32), seed=1)
    write_split(root / "validation", {"horses": 3, "humans": 2}, (32, 32), seed=2)
    return ImageFolders(root / "train", root / "validation", CLASSES)


@pytest.fixture(scope="session")
def odd_size_folders(tmp_path_factory: pytest.TempPathFactory) -> ImageFolders:
    """6 training images of 40x52 (resized by the pipelines), no validation."""
    root = tmp_path_factory.mktemp("odd")
    write_split(root / "train", {"horses": 3, "humans": 3}, (40, 52), seed=3)
    return ImageFolders(root / "train", None, CLASSES)


@pytest.fixture
def not_an_image(tmp_path: Path) -> Path:
    path = tmp_path / "broken.png"
    path.write_bytes(b"this is not a png")
    return path


def counting_fit(flows: Any, input_shape: tuple[int, int, int], epochs: int) -> tuple[list[int], list[int]]:
    """Fit a tiny model on ``flows``; return train and validation batches per epoch."""
    import keras

    class Count(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.train: list[int] = []
            self.val: list[int] = []

        def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
            self.train.append(0)
            self.val.append(0)

        def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
            self.train[-1] += 1

        def on_test_batch_end(self, batch: int, logs: Any = None) -> None:
            self.val[-1] += 1

    model = keras.Sequential(
        [keras.Input(input_shape), keras.layers.Flatten(), keras.layers.Dense(1, activation="sigmoid")]
    )
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    count = Count()
    model.fit(
        flows.train,
        epochs=epochs,
        steps_per_epoch=flows.steps_per_epoch,
        validation_data=flows.validation,
        validation_steps=None,  # as the runner does: flows.validation has exactly validation_steps batches
        callbacks=[count],
        shuffle=False,  # the flows shuffle themselves
        verbose=0,
    )
    return count.train, count.val


@pytest.fixture
def fit_counts() -> Callable[..., tuple[list[int], list[int]]]:
    """``fit_counts(flows, input_shape, epochs)``: batches trained/validated per epoch."""
    return counting_fit
