"""``hoh evaluate``: the report's numbers agree with Keras' own evaluation, and bad input gets a message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from inference_helpers import hoh
from PIL import Image

pytestmark = pytest.mark.slow


def _strict_json(path: Path) -> dict:
    def refuse(constant: str) -> None:
        raise AssertionError(f"{path} holds {constant}, which strict JSON parsers reject")

    return json.loads(path.read_text(), parse_constant=refuse)


def _evaluate(run: Path, *extra: str) -> str:
    done = hoh("hoh", "evaluate", str(run), *extra, cwd=run.parent)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return done.stdout


def test_binary_report_agrees_with_keras_evaluation(binary_run: Path) -> None:
    out = _evaluate(binary_run)
    folder = binary_run / "evaluation"
    assert "Report:" in out and str(folder / "report.html") in out.replace("\n", "")
    metrics = _strict_json(folder / "metrics.json")
    keras_scores = json.loads((binary_run / "evaluation.json").read_text())  # model.evaluate on the same 16 images
    summary = metrics["summary"]
    assert summary["images"] == 16
    assert summary["accuracy"] == pytest.approx(keras_scores["accuracy"], abs=1e-6)
    assert summary["log_loss"] == pytest.approx(keras_scores["loss"], abs=1e-3)
    assert summary["positive_class"] == "dogs"
    matrix = metrics["confusion_matrix"]
    assert [sum(row) for row in matrix] == [8, 8]  # rows are the true classes
    assert (matrix[0][0] + matrix[1][1]) / 16 == summary["accuracy"]
    assert [c["support"] for c in metrics["per_class"]] == [8, 8]
    assert 0.5 <= summary["roc_auc"] <= 1
    assert set(metrics["curves"]) == {"dogs"}
    thresholds = metrics["thresholds"]
    assert thresholds["in_use"] == 0.5
    assert thresholds["best_accuracy"]["accuracy"] >= summary["accuracy"]
    wrong = 16 - matrix[0][0] - matrix[1][1]
    assert len(metrics["mistakes"]) == wrong
    for name in ("confusion_matrix", "roc_pr", "calibration", "mistakes"):
        with Image.open(folder / f"{name}.png") as picture:
            assert picture.width > 300 and len(picture.getcolors(1 << 24)) > 50, name  # drawn, not blank
    html = (folder / "report.html").read_text()
    assert (binary_run / "plots" / "curves.png").is_file()  # drawn by the curves plugin: shown on the page too
    assert html.count("data:image/png;base64,") == 5 and "<td class=num>8</td>" in html
    assert "<title>Evaluation of binary (run run)</title>" in html and "<h2>Settings</h2>" in html
    assert "<td>optimizer.learning_rate</td><td>0.01</td>" in html
    assert f"the {min(wrong, 16)} most confident of {wrong} mistakes" in html


def test_softmax_report_has_one_vs_rest_curves(custom_run: tuple[Path, Path]) -> None:
    run, _ = custom_run
    _evaluate(run)
    metrics = _strict_json(run / "evaluation" / "metrics.json")
    assert set(metrics["curves"]) == {"cats", "dogs", "owls"}
    assert metrics["summary"]["roc_auc"] is not None
    assert "thresholds" not in metrics  # no single threshold with more than two classes
    assert metrics["calibration"]["kind"] == "top class"
    assert [sum(row) for row in metrics["confusion_matrix"]] == [8, 8, 8]


def test_evaluate_another_folder_and_a_checkpoint(binary_run: Path, tmp_path: Path) -> None:
    only_dogs = tmp_path / "only-dogs"
    (only_dogs / "dogs").mkdir(parents=True)
    for image in sorted((binary_run.parent / "data" / "validation" / "dogs").iterdir())[:5]:
        (only_dogs / "dogs" / image.name).write_bytes(image.read_bytes())
    (only_dogs / "dogs" / "broken.png").write_bytes(b"not a png")
    out = _evaluate(binary_run, str(only_dogs), "--checkpoint", "last")
    assert "skipped:" in out and "broken.png" in out
    metrics = _strict_json(binary_run / "evaluation-last-only-dogs" / "metrics.json")
    assert metrics["summary"]["images"] == 5
    assert metrics["summary"]["roc_auc"] is None  # one class only: undefined, and null rather than NaN
    assert metrics["model"].endswith("checkpoints/last.keras")
    assert metrics["unreadable"][0]["file"].endswith("broken.png")


def test_evaluate_refuses_bad_input(binary_run: Path, tmp_path: Path) -> None:
    (tmp_path / "zebras").mkdir()
    done = hoh("hoh", "evaluate", str(binary_run), str(tmp_path), cwd=tmp_path)
    assert done.returncode == 2 and "no class of the run: zebras" in done.stderr, done.stderr
    done = hoh("hoh", "evaluate", str(tmp_path), cwd=tmp_path)
    assert done.returncode == 2 and "is not a run folder" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
