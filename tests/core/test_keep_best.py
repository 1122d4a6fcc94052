"""``[training] keep``: model.keras and evaluation.json hold the last epoch's weights, or the best epoch's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from core_helpers import SECTIONS, run_script, stub_experiment

pytestmark = pytest.mark.slow

# A learning rate high enough for the validation loss to go up and down between epochs
NOISY = SECTIONS.replace("epochs = 2", "epochs = 6").replace("learning_rate = 0.01", "learning_rate = 3.0")


def _run(tmp_path: Path, keep: str) -> tuple[list[dict], dict]:
    (tmp_path / "experiment.toml").write_text(stub_experiment(NOISY))
    done = run_script(
        "hoh-run", "experiment.toml", "--run-dir", keep, f'training.keep="{keep}"', "pipeline.samples=32", cwd=tmp_path
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    rows = [json.loads(line) for line in (tmp_path / keep / "metrics.jsonl").read_text().splitlines()]
    assert not (tmp_path / keep / "best-so-far.weights.h5").exists()
    return rows, json.loads((tmp_path / keep / "evaluation.json").read_text())


def test_keep_best_and_keep_last(tmp_path: Path) -> None:
    rows, evaluation = _run(tmp_path, "best")
    losses = [row["val_loss"] for row in rows]
    assert losses.index(min(losses)) != len(losses) - 1, losses  # the setting makes a difference here
    assert evaluation["loss"] == pytest.approx(min(losses), rel=1e-5)
    rows, evaluation = _run(tmp_path, "last")
    assert evaluation["loss"] == pytest.approx(rows[-1]["val_loss"], rel=1e-5)
