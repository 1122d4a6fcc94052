"""hoh compare: real (stub) runs side by side, labelled by what differs, with one picture of their curves."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from core_helpers import SECTIONS, stub_experiment
from PIL import Image
from rich.console import Console

from framework.cli.main import main
from framework.loading import load_experiment
from framework.runner import run_experiment

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three runs: learning rates 0.01 and 0.1 for 2 epochs, and 0.01 for 3 epochs."""
    root = tmp_path_factory.mktemp("compare")
    path = root / "experiment.toml"
    path.write_text(stub_experiment(SECTIONS, extra=f'output = "{root / "runs"}"\n'))
    for name, overrides in (
        ("a", ["optimizer.learning_rate=0.01"]),
        ("b", ["optimizer.learning_rate=0.1"]),
        ("c", ["optimizer.learning_rate=0.01", "training.epochs=3"]),
    ):
        loaded = load_experiment(path, overrides)
        run_experiment(loaded, run_dir=root / "runs" / "stub" / name, console=Console(file=io.StringIO()))
    return root / "runs" / "stub"


def _compare(capsys, *args: str) -> dict:
    assert main(["compare", *args, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_settings_that_differ_and_metrics_side_by_side(runs: Path, capsys) -> None:
    report = _compare(capsys, str(runs / "a"), str(runs / "b"), str(runs / "c"))
    assert report["settings"] == {"optimizer.learning_rate": [0.01, 0.1, 0.01], "training.epochs": [2, 2, 3]}
    assert [r["label"] for r in report["runs"]] == [
        "learning_rate=0.01, epochs=2",
        "learning_rate=0.1, epochs=2",
        "learning_rate=0.01, epochs=3",
    ]
    history = [json.loads(line) for line in (runs / "b" / "metrics.jsonl").read_text().splitlines()]
    evaluation = json.loads((runs / "c" / "evaluation.json").read_text())
    assert report["metrics"]["val_loss (last epoch)"][1] == history[-1]["val_loss"]
    assert report["metrics"]["val_loss (best epoch)"][1] == min(row["val_loss"] for row in history)
    assert report["metrics"]["evaluation loss"][2] == evaluation["loss"]
    assert report["metrics"]["epochs"] == [2, 2, 3]


def test_the_picture_overlays_every_run_and_a_folder_means_its_runs(runs: Path, capsys, tmp_path: Path) -> None:
    picture = tmp_path / "curves.png"
    report = _compare(capsys, str(runs), "--output", str(picture))
    assert len(report["runs"]) == 3 and report["picture"] == str(picture)
    with Image.open(picture) as image:
        assert image.size[0] > 1000  # one panel per metric and a legend of six lines
    assert main(["compare", str(runs / "a"), str(runs / "b")]) == 0
    shown = capsys.readouterr().out
    assert "settings that differ" in shown and "learning_rate=0.1" in shown
    assert (runs / "comparison.png").is_file()  # by default in the runs' common folder


def test_fewer_than_two_runs_or_a_wrong_folder_is_refused(runs: Path, capsys, tmp_path: Path) -> None:
    assert main(["compare", str(runs / "a")]) == 2
    assert "needs two runs or more" in capsys.readouterr().err
    assert main(["compare", str(runs / "a"), str(tmp_path / "nowhere")]) == 2
    assert "is not a run folder" in capsys.readouterr().err


def test_a_label_leaves_out_the_parameters_its_run_does_not_have() -> None:
    """Runs of two models: each label names its own model's parameters, not the other's as "-"."""
    from framework.runs.compare import labels
    from framework.runs.listing import RunRow

    def row(name: str, settings: dict) -> RunRow:
        return RunRow(Path(name), settings, "finished", None, None, 2)

    cnn = row("a", {"model.provider": "five-conv-sigmoid", "model.dense_units": 512})
    backbone = row("b", {"model.provider": "backbone", "model.architecture": "MobileNetV3Small"})
    bare = row("c", {"model.provider": "five-conv-sigmoid"})  # none of the differing keys but the provider
    assert labels([cnn, bare])[1] == "c"  # its folder, not an empty label the legend would leave out
    assert labels([cnn, backbone]) == [
        "dense_units=512, provider=five-conv-sigmoid",
        "architecture=MobileNetV3Small, provider=backbone",
    ]
