"""Real tiny runs: run-folder contents, a brand-new model plugin through hoh-run, resume.

These train for real (a few seconds each), so they are few.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import replace
from pathlib import Path

import pytest
from core_helpers import make_images, run_script, stub_experiment

pytestmark = pytest.mark.slow

TINY_PLUGIN = '''
"""A brand-new model plugin: one small conv layer."""

from pydantic import Field

from framework import Params, Provider, hookimpl


class TinyParams(Params):
    filters: int = Field(4, gt=0, description="Filters of the only conv layer.")


def build_tiny(params, spec):
    import keras

    return keras.Sequential(
        [
            keras.Input(spec.input_shape),
            keras.layers.Conv2D(params.filters, 3, activation="relu", name="tiny_conv"),
            keras.layers.GlobalAveragePooling2D(name="tiny_pool"),
            keras.layers.Dense(1, activation="sigmoid", name="tiny_head"),
        ],
        name="tiny_cnn",
    )


@hookimpl
def hoh_model_providers():
    return [Provider("tiny-cnn", TinyParams, build_tiny, "One small conv layer.")]
'''

INTERRUPTER = '''
"""Interrupts a (not resumed) run after the epoch named by HOH_TEST_INTERRUPT_AT."""

import os

from framework import hookimpl


@hookimpl
def hoh_after_epoch(run, epoch, logs, history):
    stop_at = os.environ.get("HOH_TEST_INTERRUPT_AT")
    if stop_at and not run.resumed and epoch + 1 == int(stop_at):
        raise KeyboardInterrupt
'''

TINY_EXPERIMENT = """\
[experiment]
name = "tiny"
seed = 7
plugins = [{plugins}]

[dataset]
provider = "image-folder"
train_dir = "{data}/train"
validation_dir = "{data}/validation"

[pipeline]
provider = "tf-data"
image_size = [32, 32]
batch_size = 8
validation_batch_size = 8

[model]
provider = "tiny-cnn"

[optimizer]
provider = "adam"
learning_rate = 0.01

[training]
epochs = {epochs}
progress = "none"
{callbacks}"""


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("images")
    make_images(root / "train")
    make_images(root / "validation", count=4)
    return root


def tiny_experiment(folder: Path, images: Path, *, epochs: int, plugins: list[str], callbacks: str = "") -> Path:
    (folder / "tiny_plugin.py").write_text(TINY_PLUGIN)
    (folder / "interrupter.py").write_text(INTERRUPTER)
    text = TINY_EXPERIMENT.format(
        plugins=", ".join(json.dumps(p) for p in plugins), data=images, epochs=epochs, callbacks=callbacks
    )
    path = folder / "tiny.toml"
    path.write_text(text)
    return path


def test_stub_run_in_process_writes_the_run_folder(write_file, tmp_path, monkeypatch, capsys) -> None:
    from framework.cli.main import run_main

    monkeypatch.chdir(tmp_path)
    path = write_file(stub_experiment(), "exp/experiment.toml")
    assert run_main([str(path), "training.epochs=2", "pipeline.batch_size=2"]) == 0, capsys.readouterr().err
    [run_dir] = (tmp_path / "runs" / "stub").iterdir()
    names = {p.name for p in run_dir.iterdir()}
    expected = {
        "experiment.toml",
        "environment.json",
        "metrics.jsonl",
        "summary.txt",
        "model.keras",
        "classes.json",
        "inference.json",
        "evaluation.json",
        "status.json",
    }
    assert expected <= names
    assert not [n for n in names if n.startswith(".")], names  # no temp files left
    resolved = tomllib.loads((run_dir / "experiment.toml").read_text())
    assert resolved["pipeline"] == {
        "provider": "stub-pipeline",
        "image_size": [8, 8],
        "batch_size": 2,
        "samples": 8,
        "shuffle": True,
    }
    assert resolved["training"]["epochs"] == 2
    metrics = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert [m["epoch"] for m in metrics] == [1, 2]
    out = " ".join(capsys.readouterr().out.split())
    assert "Finished 2 epochs" in out and f"runs/stub/{run_dir.name}" in out
    # the last line of numbers is evaluation.json's, said to be so (it can differ from the last epoch's)
    evaluation = json.loads((run_dir / "evaluation.json").read_text())
    said = ", ".join(f"{k} {v:.4f}" for k, v in evaluation.items())
    assert f"Evaluation of model.keras (the last epoch's weights) on the validation set: {said}" in out


def test_tiny_model_plugin_trains_through_hoh_run(images: Path, tmp_path: Path) -> None:
    """Needs the built-in plugins (image-folder, tf-data, adam)."""
    import keras

    path = tiny_experiment(tmp_path, images, epochs=3, plugins=["tiny_plugin.py"])
    run_dir = tmp_path / "out" / "run1"
    result = run_script("hoh-run", str(path), "training.epochs=1", "--run-dir", str(run_dir), cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    assert "Traceback" not in result.stderr

    resolved = tomllib.loads((run_dir / "experiment.toml").read_text())
    assert resolved["training"]["epochs"] == 1  # the override
    assert resolved["training"]["loss"] == "binary_crossentropy"  # a default filled in
    assert resolved["model"] == {"provider": "tiny-cnn", "filters": 4}
    assert resolved["pipeline"]["image_size"] == [32, 32]
    assert "rescale" in resolved["pipeline"]
    assert resolved["optimizer"]["provider"] == "adam" and "beta_1" in resolved["optimizer"]
    assert resolved["experiment"]["plugins"] == [str(tmp_path / "tiny_plugin.py")]
    assert resolved["experiment"]["seed"] == 7

    environment = json.loads((run_dir / "environment.json").read_text())
    assert environment["tensorflow"].startswith("2.")
    assert environment["keras"] == keras.__version__
    assert environment["python"].split()[0].count(".") == 2
    assert environment["seed"] == 7
    plugins = {p["name"]: p for p in environment["plugins"]}
    assert {"tiny_plugin", "models", "datasets", "pipelines"} <= set(plugins)
    assert plugins["tiny_plugin"]["file"] == str(tmp_path / "tiny_plugin.py")

    metrics = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert len(metrics) == 1
    assert metrics[0]["epoch"] == 1
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(metrics[0])
    assert json.loads((run_dir / "classes.json").read_text()) == {
        "class_names": ["cats", "dogs"],
        "labels": ["cats", "dogs"],
    }
    assert "tiny_conv" in (run_dir / "summary.txt").read_text()
    assert (run_dir / "plots" / "curves.png").stat().st_size > 0  # the built-in curves plugin drew them
    evaluation = json.loads((run_dir / "evaluation.json").read_text())
    assert evaluation["loss"] == pytest.approx(metrics[-1]["val_loss"], rel=1e-5)  # the final model, evaluated
    assert json.loads((run_dir / "status.json").read_text())["status"] == "finished"

    model = keras.saving.load_model(run_dir / "model.keras")
    assert [layer.name for layer in model.layers] == ["tiny_conv", "tiny_pool", "tiny_head"]
    assert model.get_layer("tiny_conv").filters == 4
    assert model.input_shape == (None, 32, 32, 3)
    assert model.output_shape == (None, 1)


def test_interrupted_run_resumes_to_the_last_epoch(images: Path, tmp_path: Path) -> None:
    """Needs the built-in plugins (backup-and-restore)."""
    path = tiny_experiment(
        tmp_path,
        images,
        epochs=3,
        plugins=["tiny_plugin.py", "interrupter.py"],
        callbacks='\n[[callbacks]]\nprovider = "backup-and-restore"\n',
    )
    run_dir = tmp_path / "run"
    first = run_script("hoh-run", str(path), "--run-dir", str(run_dir), cwd=tmp_path, HOH_TEST_INTERRUPT_AT="2")
    assert first.returncode == 130, first.stdout[-2000:] + first.stderr[-3000:]
    assert f"hoh-run --resume {run_dir}" in first.stdout
    assert not (run_dir / "model.keras").exists()
    before = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert [row["epoch"] for row in before] == [1, 2]

    second = run_script("hoh-run", "--resume", str(run_dir), cwd=tmp_path)
    assert second.returncode == 0, second.stdout[-2000:] + second.stderr[-3000:]
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert [row["epoch"] for row in rows] == [1, 2, 3]
    # The interrupt came after epoch 2's metrics row, before its training state was committed:
    # epoch 1 is kept as it was, epoch 2 is trained again, to the same numbers.
    assert rows[0] == before[0]
    assert {k: v for k, v in rows[1].items() if k != "seconds"} == {
        k: v for k, v in before[1].items() if k != "seconds"
    }
    assert all("val_loss" in row for row in rows)
    assert (run_dir / "model.keras").exists()
    assert (run_dir / "environment.json").exists() and (run_dir / "environment.resume-1.json").exists()

    again = run_script("hoh-run", "--resume", str(run_dir), cwd=tmp_path)
    assert again.returncode == 2
    assert "is finished already" in again.stderr

    # The resumed epoch saw the same weights, optimizer state and batches as an uninterrupted run.
    whole_dir = tmp_path / "whole"
    whole = run_script("hoh-run", str(path), "--run-dir", str(whole_dir), cwd=tmp_path)
    assert whole.returncode == 0, whole.stderr[-3000:]
    uninterrupted = [json.loads(line) for line in (whole_dir / "metrics.jsonl").read_text().splitlines()]
    for key in ("loss", "accuracy", "val_loss"):
        assert rows[2][key] == pytest.approx(uninterrupted[2][key], rel=1e-4, abs=1e-6), key


@pytest.mark.parametrize(
    ("steps", "said"),
    [
        (4, "the validation set"),  # 3 batches of 3 and one of 1: each image once
        (2, "2 batches of 3: 6 of the 10 validation images (training.validation_steps = 2)"),
        (1, "1 batch of 3: 3 of the 10 validation images (training.validation_steps = 1)"),
        (6, "6 batches of up to 3: the 10 validation images, some more than once (training.validation_steps = 6)"),
        (8, "the validation set, 2 times over (training.validation_steps = 8)"),  # each image twice: the same figures
    ],
)
def test_the_final_evaluation_says_which_validation_images_it_scored(steps: int, said: str) -> None:
    """The report scores every validation image once: hoh-run's last figures must say when they do not."""
    from framework import Flows
    from framework.runner import evaluated_on

    flows = Flows(train=None, steps_per_epoch=1, validation=(), validation_steps=steps, validation_count=10)
    assert evaluated_on(flows) == "the validation set"  # batch size unknown (a pipeline that does not say)
    assert evaluated_on(replace(flows, validation_batch_size=3)) == said
