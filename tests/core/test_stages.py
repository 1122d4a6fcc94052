"""Staged fine-tuning ([[training.stages]]): what trains in each stage, its learning rate, its records, exact resume.

The model here is a test plugin's: a nested model named ``backbone`` (convolutions and a
batch normalization built frozen, as a pretrained one's) and a head with dropout; its
optimizer is RMSprop with momentum, so each stage's optimizer has state of its own to restore.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from core_helpers import BUILTINS, KILLER, SECTIONS, run_script, stub_experiment

pytestmark = pytest.mark.slow

PLUGIN = '''
"""A model with a backbone, an optimizer with state, and a spy that records each epoch's learning rate."""

import json
import os

from framework import ModelSpec, NoParams, Provider, hookimpl


def build(params, spec: ModelSpec):
    import keras

    layers = keras.layers
    backbone = keras.Sequential(
        [keras.Input(spec.input_shape), layers.Conv2D(4, 3, name="conv"), layers.BatchNormalization(name="bn")]
        + [layers.Conv2D(4, 3, name="conv_top")],
        name="backbone",
    )
    backbone.get_layer("bn").trainable = False  # built frozen, as a pretrained backbone's: it stays so
    inputs = keras.Input(spec.input_shape)
    x = backbone(inputs)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dropout(0.3)(x)
    return keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid", dtype="float32")(x))


def build_rmsprop(params):
    import keras

    return keras.optimizers.RMSprop(learning_rate=0.01, momentum=0.9)


@hookimpl
def hoh_model_providers():
    return [Provider("tiny-backbone", NoParams, build, "Conv + BN backbone, dense head.", backbone=True)]


@hookimpl
def hoh_optimizer_providers():
    return [Provider("momentum", NoParams, build_rmsprop, "RMSprop with momentum.")]


@hookimpl
def hoh_after_epoch(run, epoch, logs, history):
    backbone = run.model.get_layer("backbone")
    row = {
        "epoch": epoch + 1,
        "learning_rate": float(run.model.optimizer.learning_rate),
        "bn_mean": [float(v) for v in backbone.get_layer("bn").moving_mean.numpy()],
        "conv": float(abs(backbone.get_layer("conv").kernel.numpy()).sum()),
        "conv_top": float(abs(backbone.get_layer("conv_top").kernel.numpy()).sum()),
    }
    with open(os.path.join(run.run_dir, "spy.jsonl"), "a") as file:
        file.write(json.dumps(row) + "\\n")
'''

STAGES = """
[[training.stages]]
epochs = 2
train = "head"

[[training.stages]]
epochs = 1
train = 1
learning_rate_factor = 0.5

[[training.stages]]
epochs = 2
train = "all"
learning_rate_factor = 0.1
"""

BACKUP = '[[callbacks]]\nprovider = "backup-and-restore"\n'
KILLER_TABLE = '[[callbacks]]\nprovider = "killer"\n'


def _experiment(tmp_path: Path, stages: str = STAGES, model: str = "tiny-backbone", killer: bool = False) -> Path:
    (tmp_path / "staged.py").write_text(PLUGIN)
    (tmp_path / "killer.py").write_text(KILLER)
    sections = (
        SECTIONS.replace("epochs = 2\n", "")
        .replace('provider = "stub-model"', f'provider = "{model}"')
        .replace('provider = "stub-sgd"\nlearning_rate = 0.01', 'provider = "momentum"')
        .replace('provider = "stub-pipeline"', 'provider = "stub-pipeline"\nsamples = 24\nimage_size = [10, 10]')
    )
    callbacks = BACKUP + ("\n" + KILLER_TABLE if killer else "")
    text = stub_experiment(
        sections + stages + "\n" + callbacks, plugins=(tmp_path / "staged.py", tmp_path / "killer.py")
    )
    others = [name for name in BUILTINS if name not in ("callbacks", "strategies")]
    path = tmp_path / "experiment.toml"
    path.write_text(
        text.replace(f"disable_plugins = {json.dumps(BUILTINS)}", f"disable_plugins = {json.dumps(others)}")
    )
    return path


def _rows(run_dir: Path, name: str = "metrics.jsonl") -> list[dict]:
    rows = [json.loads(line) for line in (run_dir / name).read_text().splitlines()]
    for row in rows:
        row.pop("seconds", None)
    return rows


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("staged")
    done = run_script("hoh-run", str(_experiment(tmp)), "--run-dir", "run", cwd=tmp)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return tmp / "run"


def test_each_stage_trains_what_it_says_with_its_learning_rate(uninterrupted: Path) -> None:
    spy = _rows(uninterrupted, "spy.jsonl")
    assert [row["stage"] for row in _rows(uninterrupted)] == [1, 1, 2, 3, 3]
    assert [row["learning_rate"] for row in spy] == pytest.approx([0.01, 0.01, 0.005, 0.001, 0.001])
    conv = [row["conv"] for row in spy]
    top = [row["conv_top"] for row in spy]
    assert conv[0] == conv[1] == conv[2] and top[0] == top[1]  # stage 1: backbone frozen; stage 2: only its top layer
    assert top[2] != top[1] and conv[3] != conv[2]  # stage 2 trains the top layer; stage 3 everything
    # Batch normalization built frozen stays so, in inference mode: its statistics never move, even in "all".
    assert all(row["bn_mean"] == spy[0]["bn_mean"] for row in spy)


def test_the_run_records_trainable_parameters_per_stage(uninterrupted: Path) -> None:
    stages = json.loads((uninterrupted / "stages.json").read_text())
    # conv 3*3*3*4+4 = 112, bn 4 gamma + 4 beta + 8 statistics (built frozen), conv_top 3*3*4*4+4 = 148, dense 5
    assert [row["trainable_parameters"] for row in stages] == [5, 148 + 5, 112 + 148 + 5]
    assert [row["epochs"] for row in stages] == [[1, 2], [3, 3], [4, 5]]
    summary = (uninterrupted / "summary.txt").read_text()
    assert (
        "stage 2: epochs 3-3, top 1 backbone layers + head, learning rate x0.5: 153 of 281 parameters train" in summary
    )


@pytest.mark.parametrize(
    ("kill", "epoch"),
    [
        ("epoch-end-last", "1"),  # the end of stage 1, committed: the next stage starts from a new optimizer
        ("epoch-end-first", "2"),  # stage 2's only epoch recorded, not committed: stage 2 is trained again
        ("inside-batch", "4"),  # in the middle of stage 3's second epoch: its optimizer state is restored
    ],
)
def test_a_run_killed_around_a_stage_boundary_resumes_to_the_same_numbers(
    tmp_path: Path, uninterrupted: Path, kill: str, epoch: str
) -> None:
    import keras

    path = _experiment(tmp_path, killer=True)
    place = {"epoch-end-first": "first"}.get(kill, "last")
    if place == "first":  # the killer before the backup: the epoch's row is written, its commit is not
        path.write_text(path.read_text().replace(BACKUP + "\n" + KILLER_TABLE, KILLER_TABLE + "\n" + BACKUP))
    env = {"HOH_TEST_KILL": kill, "HOH_TEST_KILL_EPOCH": epoch, "HOH_TEST_KILLER_PLACE": place}
    killed = run_script("hoh-run", str(path), "--run-dir", "run", cwd=tmp_path, **env)
    assert killed.returncode == -9, killed.stdout[-2000:] + killed.stderr[-2000:]
    resumed = run_script("hoh-run", "--resume", "run", cwd=tmp_path, HOH_TEST_RESUMING="1")
    assert resumed.returncode == 0, resumed.stdout[-2000:] + resumed.stderr[-3000:]
    run_dir = tmp_path / "run"
    assert _rows(run_dir) == _rows(uninterrupted)
    weights = keras.saving.load_model(run_dir / "model.keras").get_weights()
    expected = keras.saving.load_model(uninterrupted / "model.keras").get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(weights, expected, strict=True))


def test_stages_that_freeze_a_model_without_a_backbone_are_refused_by_validate(tmp_path: Path) -> None:
    path = _experiment(tmp_path, model="stub-model")
    checked = run_script("hoh", "validate", str(path), cwd=tmp_path)
    assert checked.returncode == 2, checked.stdout + checked.stderr
    assert "stage 1 trains head only (backbone frozen), but model 'stub-model' has no backbone" in checked.stderr
    assert "Traceback" not in checked.stderr


def test_epochs_that_disagree_with_the_stages_are_refused(tmp_path: Path) -> None:
    path = _experiment(tmp_path)
    path.write_text(path.read_text().replace('progress = "none"', 'progress = "none"\nepochs = 4'))
    checked = run_script("hoh", "validate", str(path), cwd=tmp_path)
    assert checked.returncode == 2, checked.stdout + checked.stderr
    assert "epochs = 4 but the stages add up to 5 epochs" in checked.stderr


def test_the_learning_curves_mark_where_each_stage_starts(uninterrupted: Path) -> None:
    from framework.learning_curves import stage_starts

    assert stage_starts(_rows(uninterrupted)) == [(3.0, 2), (4.0, 3)]
    assert stage_starts([{"epoch": 1, "loss": 0.5}, {"epoch": 2, "loss": 0.4}]) == []  # a run without stages


def test_validate_lists_the_stages(tmp_path: Path) -> None:
    checked = run_script("hoh", "validate", str(_experiment(tmp_path)), cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert "stage 2   epochs 3-3: top 1 backbone layers + head, learning rate x0.5" in checked.stdout


def test_a_learning_rate_factor_with_a_schedule_is_refused() -> None:
    import keras

    from framework import UserError
    from framework.stages import Stage, scale_learning_rate

    constant = keras.optimizers.RMSprop(learning_rate=0.001)
    scale_learning_rate(constant, 0.1, Stage(2, 1, 2, "all", 0.1))
    assert float(constant.learning_rate) == pytest.approx(0.0001)
    cosine = keras.optimizers.RMSprop(learning_rate=keras.optimizers.schedules.CosineDecay(0.001, 100))
    with pytest.raises(UserError, match="learning rate is a schedule"):
        scale_learning_rate(cosine, 0.1, Stage(2, 1, 2, "all", 0.1))


@pytest.mark.parametrize("value", ['"heads"', "0", "-3", "true", "2.5"])
def test_a_wrong_train_value_gets_one_message_saying_what_is_valid(tmp_path: Path, value: str) -> None:
    checked = run_script(
        "hoh", "validate", str(_experiment(tmp_path)), f"training.stages.0.train={value}", cwd=tmp_path
    )
    assert checked.returncode == 2, checked.stdout + checked.stderr
    assert "(1 problem)" in checked.stderr, checked.stderr
    assert 'training.stages[0].train: give "head", "all" or a number of layers of at least 1' in checked.stderr
