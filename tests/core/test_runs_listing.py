"""hoh runs: real run folders (stub runs), listed, filtered, sorted, in three formats."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from core_helpers import SECTIONS, stub_experiment
from rich.console import Console

from framework.cli.main import main
from framework.errors import TrainingFailed
from framework.loading import load_experiment
from framework.runner import run_experiment

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three runs of one experiment with learning rates 0.01, 0.1 and 1e30 (that one fails)."""
    root = tmp_path_factory.mktemp("listing")
    path = root / "experiment.toml"
    path.write_text(stub_experiment(SECTIONS, extra=f'output = "{root / "runs"}"\n'))
    for name, rate in (("small", "0.01"), ("large", "0.1"), ("diverged", "1e30")):
        loaded = load_experiment(path, [f"optimizer.learning_rate={rate}"])
        try:
            run_experiment(loaded, run_dir=root / "runs" / "stub" / name, console=Console(file=io.StringIO()))
        except TrainingFailed:
            assert name == "diverged"
    return root / "runs"


def _json(capsys, *args: str) -> list[dict]:
    assert main(["runs", *args, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_lists_every_run_with_status_and_the_setting_that_differs(runs: Path, capsys) -> None:
    records = {Path(r["run"]).name: r for r in _json(capsys, str(runs))}
    assert set(records) == {"small", "large", "diverged"}
    assert records["diverged"]["status"] == "failed" and records["small"]["status"] == "finished"
    assert records["small"]["optimizer.learning_rate"] == 0.01 and records["large"]["optimizer.learning_rate"] == 0.1
    assert "training.epochs" not in records["small"]  # the same in every run: not a column
    history = [json.loads(line) for line in (runs / "stub" / "small" / "metrics.jsonl").read_text().splitlines()]
    assert records["small"]["final.val_loss"] == history[-1]["val_loss"]
    assert records["small"]["best.val_loss"] == min(row["val_loss"] for row in history)
    assert records["small"]["epochs"] == 2 and records["small"]["seconds"] >= 0


def test_where_and_sort(runs: Path, capsys) -> None:
    kept = _json(capsys, str(runs), "--where", "optimizer.learning_rate<1", "--where", "status=finished")
    assert sorted(Path(r["run"]).name for r in kept) == ["large", "small"]
    ordered = _json(capsys, str(runs), "--where", "status=finished", "--sort=-optimizer.learning_rate")
    assert [Path(r["run"]).name for r in ordered] == ["large", "small"]
    assert main(["runs", str(runs), "--where", "learning_rate is small"]) == 2
    assert "write KEY OP VALUE" in capsys.readouterr().err


def test_table_and_csv(runs: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "220")
    assert main(["runs", str(runs)]) == 0
    table = capsys.readouterr().out
    assert "3 runs under" in table and "learning_rate" in table and "failed" in table
    assert main(["runs", str(runs), "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert {Path(r["run"]).name for r in rows} == {"small", "large", "diverged"}
    assert main(["runs", str(runs / "nowhere")]) == 2
    assert "is not a folder" in capsys.readouterr().err
