"""A model whose training cannot fit in memory is refused before its first step, not killed by the kernel."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from core_helpers import make_images
from fault_makers import memory_cgroup
from rich.console import Console

from framework import UserError
from framework.memory import training_memory_floor
from framework.run_checks import check_training_memory
from framework.stages import Stage

BATCH = 5


def _tiny(keras, nested: bool = False):
    """8x8x3 -> Conv2D(4, 3x3) 6x6x4 -> BatchNormalization -> MaxPool 3x3x4 -> Flatten 36 -> Dense(2)."""
    body = [keras.layers.Conv2D(4, 3), keras.layers.BatchNormalization(), keras.layers.MaxPooling2D(2)]
    inputs = keras.Input((8, 8, 3))
    if nested:
        backbone = keras.Sequential([keras.Input((8, 8, 3)), *body], name="backbone")
        x = backbone(inputs)
    else:
        x = inputs
        for layer in body:
            x = layer(x)
    outputs = keras.layers.Dense(2)(keras.layers.Flatten()(x))
    return keras.Model(inputs, outputs)


@pytest.mark.parametrize("nested", [False, True], ids=["plain", "backbone inside"])
def test_the_floor_counts_the_input_and_the_outputs_of_layers_with_weights_and_the_weights_twice(nested: bool) -> None:
    import keras

    floor = training_memory_floor(_tiny(keras, nested), BATCH)
    outputs = [8 * 8 * 3, 6 * 6 * 4, 2]  # input, conv, dense, per image (not normalization, pooling, flatten)
    assert floor.activations == (sum(outputs) + max(outputs)) * 4 * BATCH
    weights = (3 * 3 * 3 * 4 + 4) + 4 * 4 + (36 * 2 + 2)  # conv, normalization (4 values of 4 channels), dense
    trainable = weights - 2 * 4  # the moving mean and variance have no gradients
    assert floor.weights == (weights + trainable) * 4


def test_frozen_layers_keep_nothing_for_the_backward_pass() -> None:
    import keras

    model = _tiny(keras)
    model.layers[1].trainable = False  # the convolution
    floor = training_memory_floor(model, BATCH)
    outputs = [8 * 8 * 3, 2]  # input, dense
    assert floor.activations == (sum(outputs) + max(outputs)) * 4 * BATCH
    weights = (3 * 3 * 3 * 4 + 4) + 4 * 4 + (36 * 2 + 2)
    assert floor.weights == (weights + (weights - 2 * 4 - (3 * 3 * 3 * 4 + 4))) * 4


def test_bfloat16_layers_count_two_bytes_a_value() -> None:
    import keras

    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        floor = training_memory_floor(_tiny(keras), BATCH)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert floor.activations == (8 * 8 * 3 * 4 + (6 * 6 * 4 + 2) * 2 + 8 * 8 * 3 * 4) * BATCH


def test_training_that_cannot_fit_is_refused_and_training_that_likely_will_not_is_warned() -> None:
    import keras

    model = _tiny(keras)
    floor = training_memory_floor(model, BATCH).total
    console = Console(record=True, width=300)
    with pytest.raises(UserError, match=rf"batches of {BATCH} needs at least .* Lower pipeline.batch_size"):
        check_training_memory(model, BATCH, console, available=floor - 1)
    check_training_memory(model, BATCH, console, available=floor)
    assert "warning: training this model on batches of 5" in console.export_text()
    quiet = Console(record=True)
    check_training_memory(model, BATCH, quiet, available=2 * floor)
    assert quiet.export_text() == ""


def test_every_stage_is_checked_and_the_one_that_cannot_fit_is_named() -> None:
    """Stage 1 trains the head on a frozen backbone and fits; stage 2 unfreezes the backbone and would not."""
    import keras

    model = _tiny(keras, nested=True)
    backbone = model.get_layer("backbone")

    def apply(stage: Stage) -> None:
        backbone.trainable = stage.train == "all"

    stages = [Stage(number=1, first=0, end=2, train="head"), Stage(number=2, first=2, end=5, train="all")]
    apply(stages[0])
    head = training_memory_floor(model, BATCH).total
    apply(stages[1])
    everything = training_memory_floor(model, BATCH).total
    assert head < everything
    apply(stages[0])  # as the model is built for stage 1
    console = Console(record=True, width=300)
    check_training_memory(model, BATCH, console, available=2 * everything)  # unstaged: the model as it is
    with pytest.raises(UserError, match=r"stage 2 \(everything, from epoch 3\) of training this model"):
        check_training_memory(model, BATCH, console, available=everything - 1, stages=stages, apply=apply)
    check_training_memory(model, BATCH, console, available=everything, stages=stages, apply=apply)
    assert "warning: stage 2 (everything, from epoch 3)" in console.export_text()


def test_files_a_run_has_read_leave_its_room_as_it_was(tmp_path: Path) -> None:
    """A cgroup's usage counts the page cache of the files read in it; the kernel reclaims that before it kills."""
    data = tmp_path / "images.bin"
    data.write_bytes(os.urandom(400 * 10**6))
    read = (
        "import os; from framework.memory import available_memory; "
        f"fd = os.open({str(data)!r}, os.O_RDONLY); os.fsync(fd); os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED); "
        "before = available_memory()[0]; "
        "exec('while os.read(fd, 1 << 24): pass'); "
        "print(before, available_memory()[0])"
    )
    with memory_cgroup(10**9) as move_in:
        done = subprocess.run([sys.executable, "-c", move_in + read], capture_output=True, text=True, timeout=120)
    before, after = map(int, done.stdout.split())
    assert after > before - 100 * 10**6, (before, after)  # 400 MB read: the room it left is still room


EXPERIMENT = """\
[experiment]
name = "too-big"

[dataset]
provider = "image-folder"
train_dir = "photos"
validation_split = 0.25

[pipeline]
provider = "tf-data"
image_size = [1000, 1000]
batch_size = 16

[model]
provider = "five-conv-sigmoid"

[optimizer]
provider = "rmsprop"

[training]
epochs = 1
steps_per_epoch = 1
report = false
"""


def test_hoh_run_in_a_small_container_says_so_before_training_instead_of_being_killed(tmp_path: Path) -> None:
    """3 GB: the five-conv model at 1000x1000, batches of 16, needs at least 3.1 GB (the kernel would kill it)."""
    make_images(tmp_path / "photos", count=8)
    (tmp_path / "too-big.toml").write_text(EXPERIMENT)
    with memory_cgroup(3 * 10**9) as move_in:
        code = move_in + (
            "import sys; from framework.cli.main import run_main; "
            "sys.argv = ['hoh-run', 'too-big.toml', '--offline']; sys.exit(run_main())"
        )
        done = subprocess.run(
            [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300, env=os.environ
        )
    said = " ".join((done.stdout + done.stderr).split())
    assert done.returncode == 2, said[-2000:]
    assert "batches of 16 needs at least" in said and "left under this process's cgroup memory limit" in said
    assert "Traceback" not in said
