"""``hoh predict`` needs only the run folder: not the run's plugins, unless its model has custom layers."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from inference_helpers import hoh

pytestmark = pytest.mark.slow


def _predict(run: Path, folder: Path, *extra: str) -> list[dict]:
    done = hoh("hoh", "predict", str(run), str(folder), "--json", *extra, cwd=run.parent)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return json.loads(done.stdout)


def test_the_run_records_what_inference_needs(binary_run: Path) -> None:
    record = json.loads((binary_run / "inference.json").read_text())
    assert record["preprocessing"] == {
        "image_size": [96, 96],
        "rescale": 1 / 255,
        "resize": "nearest",
        "color_mode": "rgb",
        "orientation": "exif",
    }
    assert record["model"] == {"provider": "five-conv-sigmoid", "plugin": "models", "module": "plugins.models"}
    assert Path(record["validation_dir"]) == binary_run.parent / "data" / "validation"


def test_predict_works_when_a_plugin_of_the_run_is_gone(binary_run: Path) -> None:
    assert "extra_callback.py" in (binary_run / "experiment.toml").read_text()
    assert not (binary_run.parent / "extra_callback.py").exists()
    validation = binary_run.parent / "data" / "validation"
    results = _predict(binary_run, validation)
    assert len(results) == 16
    right = sum(Path(r["file"]).parent.name.rstrip("s") == r["label"].rstrip("s") for r in results)
    assert right >= 15, results  # colour classes: the model has learnt them
    for result in results:  # binary: p(second class), and the label follows it
        assert (result["probability"] > 0.5) == (result["label"] == "dogs")


def test_predict_a_checkpoint(binary_run: Path) -> None:
    results = _predict(binary_run, binary_run.parent / "data" / "validation" / "dogs", "--checkpoint", "best")
    assert {r["label"] for r in results} == {"dogs"}
    image = str(next((binary_run.parent / "data" / "validation" / "dogs").iterdir()))
    done = hoh("hoh", "predict", str(binary_run), image, "--checkpoint", "nope", cwd=binary_run.parent)
    assert done.returncode == 2
    assert "has no checkpoint 'nope' (it has best, last)" in done.stderr


def test_images_that_are_not_there_are_refused_before_the_model_is_loaded(binary_run: Path, tmp_path: Path) -> None:
    image = str(next((binary_run.parent / "data" / "validation" / "dogs").iterdir()))
    done = hoh("hoh", "predict", str(binary_run), image, "my-photos", "gone.png", cwd=tmp_path)
    assert done.returncode == 2, done.stderr  # the user's input, not the machine's
    assert "my-photos, gone.png: no such file or folder" in " ".join(done.stderr.split())
    assert "Traceback" not in done.stderr and not done.stdout  # nothing predicted for the others either
    nowhere = hoh("hoh", "predict", str(tmp_path / "no-run"), "gone.png", cwd=tmp_path)
    assert nowhere.returncode == 2 and "gone.png: no such file or folder" in nowhere.stderr  # checked first


def test_softmax_predictions_with_a_custom_layer_plugin(custom_run: tuple[Path, Path]) -> None:
    run, _ = custom_run
    results = _predict(run, run.parent / "data" / "validation")
    assert len(results) == 24
    for result in results:
        probabilities = result["probabilities"]
        assert list(probabilities) == ["cats", "dogs", "owls"]
        assert sum(probabilities.values()) == pytest.approx(1, abs=1e-5)
        assert result["label"] == max(probabilities, key=probabilities.get)
        assert result["probability"] == probabilities[result["label"]]
    right = sum(Path(r["file"]).parent.name == r["label"] for r in results)
    assert right >= 22, results


def test_a_missing_custom_layer_plugin_is_named(custom_run: tuple[Path, Path], tmp_path: Path) -> None:
    run, plugin = custom_run
    moved = tmp_path / "elsewhere" / plugin.name
    moved.parent.mkdir()
    shutil.copy(plugin, moved)
    plugin.unlink()
    try:
        image = next((run.parent / "data" / "validation" / "owls").iterdir())
        done = hoh("hoh", "predict", str(run), str(image), cwd=tmp_path)
        assert done.returncode == 2, done.stdout + done.stderr
        assert "Traceback" not in done.stderr
        assert "uses a custom class that is not registered here" in done.stderr
        assert "provider 'channel-means'" in done.stderr and "custom_model" in done.stderr
        done = hoh("hoh", "predict", str(run), str(image), "--plugin", str(moved), "--json", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)[0]["label"] == "owls"
    finally:
        shutil.copy(moved, plugin)


def test_damaged_run_files_get_a_message(binary_run: Path, tmp_path: Path) -> None:
    copy = tmp_path / "run"
    shutil.copytree(binary_run, copy)
    image = str(next((binary_run.parent / "data" / "validation" / "cats").iterdir()))
    (copy / "classes.json").write_text("")
    done = hoh("hoh", "predict", str(copy), image, cwd=tmp_path)
    assert done.returncode == 2 and "classes.json cannot be read" in done.stderr, done.stderr
    (copy / "classes.json").write_text('{"class_names": []}')
    done = hoh("hoh", "predict", str(copy), image, cwd=tmp_path)
    assert done.returncode == 2 and "classes.json is damaged" in done.stderr, done.stderr
    shutil.copy(binary_run / "classes.json", copy / "classes.json")
    data = (copy / "model.keras").read_bytes()
    (copy / "model.keras").write_bytes(data[: len(data) // 2])
    done = hoh("hoh", "predict", str(copy), image, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "model.keras cannot be read as a Keras model" in done.stderr and "Traceback" not in done.stderr


def test_predictions_see_images_as_the_training_pipeline_did(binary_run: Path) -> None:
    """The recorded preprocessing, applied without the pipeline, gives the pixels training gave the model."""
    import numpy as np

    from framework.inference import TrainedRun
    from plugins.pipelines.tf_data import TfDataParams, TfDataPipeline

    files = sorted((binary_run.parent / "data" / "validation").rglob("*.png"))
    pipeline = TfDataPipeline(TfDataParams(image_size=(96, 96)))  # the run's pipeline settings
    np.testing.assert_array_equal(TrainedRun.open(binary_run).load_images(files), pipeline.load_images(files))


def test_a_model_refused_by_safe_mode_gets_a_message(binary_run: Path, tmp_path: Path) -> None:
    import keras

    copy = tmp_path / "run"
    shutil.copytree(binary_run, copy)
    lambda_model = keras.Sequential([keras.Input((96, 96, 3)), keras.layers.Lambda(lambda x: x[:, :1, 0, 0])])
    lambda_model.save(copy / "model.keras")
    image = str(next((binary_run.parent / "data" / "validation" / "cats").iterdir()))
    done = hoh("hoh", "predict", str(copy), image, cwd=tmp_path)
    assert done.returncode == 2 and "refuses to load in safe mode" in done.stderr, done.stderr
