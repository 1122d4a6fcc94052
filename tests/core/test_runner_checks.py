"""Checks the runner makes before training: the loss fits the labels' form."""

from __future__ import annotations

import numpy as np
import pytest

from framework import Flows, UserError
from framework.run_checks import check_loss_fits_labels


def _flows(labels: np.ndarray) -> Flows:
    import tensorflow as tf

    images = np.zeros((len(labels), 4, 4, 3), dtype=np.float32)
    return Flows(train=tf.data.Dataset.from_tensor_slices((images, labels)).batch(2), steps_per_epoch=1)


def test_binary_crossentropy_on_one_hot_labels_is_refused() -> None:
    one_hot = _flows(np.eye(3, dtype=np.float32))
    with pytest.raises(UserError, match=r'one-hot labels of 3 classes .* use loss = "categorical_crossentropy"'):
        check_loss_fits_labels("binary_crossentropy", one_hot)
    check_loss_fits_labels("categorical_crossentropy", one_hot)


def test_categorical_crossentropy_on_one_label_per_image_is_refused() -> None:
    binary = _flows(np.array([0, 1, 1], dtype=np.float32))
    with pytest.raises(UserError, match=r'one label per image .* use loss = "binary_crossentropy"'):
        check_loss_fits_labels("categorical_crossentropy", binary)
    check_loss_fits_labels("binary_crossentropy", binary)
    check_loss_fits_labels("mse", binary)  # other losses are not judged


def _loaded(*overrides: str):
    from pathlib import Path

    from framework.loading import load_experiment

    quick = Path(__file__).resolve().parents[2] / "experiments" / "quick.toml"
    return load_experiment(quick, list(overrides))


def test_a_batch_larger_than_memory_is_refused_before_any_work() -> None:
    from framework.providers import Kind
    from framework.registry import build
    from framework.run_checks import check_batch_memory

    loaded = _loaded("pipeline.image_size=[1000, 1000]", "pipeline.batch_size=64")
    pipeline = build(loaded.registry, Kind.PIPELINE, loaded.experiment.pipeline)
    needed = 64 * 1000 * 1000 * 3 * 4
    check_batch_memory(loaded, pipeline, available=needed)  # fits exactly
    with pytest.raises(UserError, match=r"image_size = \[1000, 1000\] with batches of 64 images needs 768\.0 MB"):
        check_batch_memory(loaded, pipeline, available=needed - 1)


@pytest.mark.parametrize(
    ("override", "said"),
    [
        ("pipeline.image_size=[1000000,1000000]", "needs 1.5 PB for the pixels of one batch"),
        ("pipeline.image_size=[32,32]", "need images of at least 94x94"),
    ],
)
def test_validate_and_run_refuse_alike_before_a_run_folder_is_made(tmp_path, override: str, said: str) -> None:
    from pathlib import Path

    from core_helpers import run_script

    quick = Path(__file__).resolve().parents[2] / "experiments" / "quick.toml"
    for command in (["hoh", "validate"], ["hoh", "validate", "--format", "json"], ["hoh-run"]):
        args = [*command[1:], str(quick), override]
        if command[0] == "hoh-run":
            args += ["--run-dir", str(tmp_path / "run")]
        done = run_script(command[0], *args, cwd=tmp_path)
        assert done.returncode == 2, (command, done.stdout[-1000:], done.stderr[-1000:])
        assert said in (done.stdout + done.stderr).replace("\n", " "), command
    assert not (tmp_path / "run").exists()  # refused before a run folder was made


def _model(units: int):
    import keras

    return keras.Sequential([keras.Input((4, 4, 3)), keras.layers.Flatten(), keras.layers.Dense(units)])


def test_a_model_whose_output_does_not_fit_the_labels_is_refused() -> None:
    from framework.run_checks import check_model_fits_labels

    binary = _flows(np.array([0, 1, 1], dtype=np.float32))
    with pytest.raises(UserError, match=r"model 'two-units' outputs 2 values .* end in 1 unit with a sigmoid"):
        check_model_fits_labels(_model(2), binary, "two-units")
    check_model_fits_labels(_model(1), binary, "one-unit")
    one_hot = _flows(np.eye(3, dtype=np.float32))
    with pytest.raises(UserError, match=r"one-hot labels of 3 classes; make the model end in 3 units"):
        check_model_fits_labels(_model(1), one_hot, "one-unit")
    check_model_fits_labels(_model(3), one_hot, "three-units")


TWO_UNITS = """
from framework import ModelSpec, NoParams, Provider, hookimpl


def build(params, spec: ModelSpec):
    import keras

    return keras.Sequential(
        [keras.Input(spec.input_shape), keras.layers.Flatten(), keras.layers.Dense(2, activation="softmax")]
    )


@hookimpl
def hoh_model_providers():
    return [Provider("two-softmax", NoParams, build, "Two softmax units.")]
"""


def test_hoh_run_refuses_a_two_unit_softmax_on_binary_labels_before_training(tmp_path) -> None:
    import json

    from core_helpers import make_images, run_script, tiny_five_conv

    make_images(tmp_path / "data" / "train")
    make_images(tmp_path / "data" / "validation", count=4)
    (tmp_path / "two_units.py").write_text(TWO_UNITS)
    text = tiny_five_conv(name="two", output="runs", data=str(tmp_path / "data"))
    text = text.replace("[experiment]\n", '[experiment]\nplugins = ["two_units.py"]\n', 1)
    text = text.replace(
        'provider = "five-conv-sigmoid"\nfilters = [4, 4, 4, 4, 4]\ndense_units = 8', 'provider = "two-softmax"'
    )
    (tmp_path / "two.toml").write_text(text)
    done = run_script("hoh-run", "two.toml", "--run-dir", "run", cwd=tmp_path)
    assert done.returncode == 2, done.stdout[-2000:] + done.stderr[-2000:]
    assert "outputs 2 values per image" in done.stderr and "Traceback" not in done.stderr
    assert json.loads((tmp_path / "run" / "status.json").read_text())["status"] == "failed"
    assert not (tmp_path / "run" / "metrics.jsonl").exists() or not (tmp_path / "run" / "metrics.jsonl").read_text()
