"""``hoh export``: each format is written, verified against Keras, and runs on raw pixels as documented."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from inference_helpers import hoh
from PIL import Image

pytestmark = pytest.mark.slow


def _pixels(files: list[Path], size: int) -> np.ndarray:
    """What signature.json asks for: RGB 0-255 float32 of the training size (nearest resize)."""
    images = []
    for file in files:
        with Image.open(file) as image:
            images.append(np.asarray(image.convert("RGB").resize((size, size), Image.Resampling.NEAREST)))
    return np.stack(images).astype(np.float32)


def _run_artifact(fmt: str, folder: Path, batch: np.ndarray) -> np.ndarray:
    if fmt == "saved_model":
        import tensorflow as tf

        serve = tf.saved_model.load(str(folder / "saved_model")).signatures["serving_default"]
        return next(iter(serve(tf.constant(batch)).values())).numpy()
    if fmt == "onnx":
        import onnxruntime

        session = onnxruntime.InferenceSession(str(folder / "model.onnx"))
        return session.run(None, {session.get_inputs()[0].name: batch})[0]
    import tensorflow as tf

    interpreter = tf.lite.Interpreter(model_path=str(folder / "model.tflite"))
    index = interpreter.get_input_details()[0]["index"]
    interpreter.resize_tensor_input(index, batch.shape)
    interpreter.allocate_tensors()
    interpreter.set_tensor(index, batch)
    interpreter.invoke()
    return interpreter.get_tensor(interpreter.get_output_details()[0]["index"])


@pytest.mark.parametrize("fmt", ["saved_model", "onnx", "tflite"])
def test_export_matches_predict_on_raw_pixels(unsure_run: Path, fmt: str) -> None:
    binary_run = unsure_run  # its outputs are not all 0 or 1, so a scaling error shows
    done = hoh("hoh", "export", str(binary_run), "--format", fmt, cwd=binary_run.parent)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    folder = binary_run / "export" / fmt
    signature = json.loads((folder / "signature.json").read_text())
    assert signature["input"]["shape"] == [None, 96, 96, 3] and signature["input"]["range"] == [0, 255]
    assert signature["classes"] == ["cats", "dogs"] and signature["output"]["shape"] == [None, 1]
    checks = signature["verification"]
    assert (
        checks["images"] == 16
        and checks["probes"] == 16
        and checks["max_abs_difference"] <= checks["tolerance"] == 1e-4
    )
    validation = Path(json.loads((binary_run / "inference.json").read_text())["validation_dir"])
    files = sorted(validation.rglob("*.png"))[::3]
    predicted = hoh("hoh", "predict", str(binary_run), *map(str, files), "--json", cwd=binary_run.parent)
    expected = np.array([row["probability"] for row in json.loads(predicted.stdout)])
    got = _run_artifact(fmt, folder, _pixels(files, 96))[:, 0]
    assert np.ptp(expected) > 1e-3 and expected.min() > 0.01 and expected.max() < 0.99  # the check can see errors
    np.testing.assert_allclose(got, expected, atol=1e-4)


def test_export_keeps_what_exists_unless_forced(binary_run: Path, tmp_path: Path) -> None:
    target = tmp_path / "out"
    first = hoh("hoh", "export", str(binary_run), "-f", "tflite", "-o", str(target), cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    stamp = (target / "model.tflite").stat().st_mtime_ns
    again = hoh("hoh", "export", str(binary_run), "-f", "tflite", "-o", str(target), cwd=tmp_path)
    assert again.returncode == 2 and "exists already" in again.stderr
    assert (target / "model.tflite").stat().st_mtime_ns == stamp
    forced = hoh("hoh", "export", str(binary_run), "-f", "tflite", "-o", str(target), "--force", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging or old folder left behind


def test_a_mismatch_fails_loudly_and_keeps_nothing(
    binary_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dataclasses

    from framework.errors import EnvironmentProblem
    from framework.export import command, formats
    from framework.inference import TrainedRun

    honest = formats.FORMATS["tflite"]
    off_by_a_little = dataclasses.replace(honest, run=lambda path, batch: honest.run(path, batch) + 1e-3)
    monkeypatch.setitem(command.FORMATS, "tflite", off_by_a_little)
    run = TrainedRun.open(binary_run)
    with pytest.raises(EnvironmentProblem, match="does not match the Keras model"):
        command.export_run(run, "tflite", output=tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_verification_images_that_cannot_be_read_are_named(binary_run: Path, tmp_path: Path) -> None:
    images = tmp_path / "images"
    images.mkdir()
    (images / "notes.txt").write_text("not an image, and not counted as one")
    (images / "broken.png").write_bytes(b"x")
    done = hoh(
        "hoh",
        "export",
        str(binary_run),
        "-f",
        "tflite",
        "-o",
        str(tmp_path / "out"),
        "--images",
        str(images),
        cwd=tmp_path,
    )
    assert done.returncode == 2 and "broken.png is not a readable image" in done.stderr, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["images"]  # no export, no staging folder


def test_the_documented_onnx_server_answers_as_predict(unsure_run: Path, tmp_path: Path) -> None:
    """docs/examples/serve_onnx.py (shown in the export how-to) runs an exported model with onnxruntime alone."""
    run = unsure_run
    folder = tmp_path / "served"
    done = hoh("hoh", "export", str(run), "--format", "onnx", "-o", str(folder), cwd=run.parent)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    validation = Path(json.loads((run / "inference.json").read_text())["validation_dir"])
    files = [str(f) for f in sorted(validation.rglob("*.png"))[::4]]
    example = Path(__file__).resolve().parents[2] / "docs" / "examples" / "serve_onnx.py"
    served = subprocess.run([sys.executable, str(example), str(folder), *files], capture_output=True, text=True)
    assert served.returncode == 0, served.stderr[-3000:]
    got = [json.loads(line) for line in served.stdout.splitlines()]
    predicted = hoh("hoh", "predict", str(run), *files, "--json", cwd=run.parent)
    expected = json.loads(predicted.stdout)
    assert [row["label"] for row in got] == [row["label"] for row in expected]
    np.testing.assert_allclose([r["probability"] for r in got], [r["probability"] for r in expected], atol=1e-4)
