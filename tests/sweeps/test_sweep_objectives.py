"""Several objectives ([[sweep.objective]] tables): a multi-objective search and its Pareto front."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import pytest
from sweep_helpers import run_script, tiny_sweep

from framework.errors import ExperimentError
from plugins.sweeps.spec import load_sweep

pytestmark = pytest.mark.slow

TWO = """
[[sweep.objective]]
metric = "val_loss"
direction = "minimize"

[[sweep.objective]]
metric = "seconds"
direction = "minimize"
"""


def _two_objectives(tmp_path: Path, pruner: str = "none") -> Path:
    path = tiny_sweep(tmp_path, trials=3, epochs=2, pruner=pruner)
    text = path.read_text().replace('[sweep.objective]\nmetric = "val_loss"\ndirection = "minimize"\n', TWO)
    path.write_text(text)
    return path


def test_a_sweep_with_two_objectives_reports_its_pareto_front(tmp_path: Path) -> None:
    import optuna

    path = _two_objectives(tmp_path)
    done = run_script("hoh", "sweep", str(path), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Pareto front:" in done.stdout and "3 of 3 trials finished" in done.stdout
    folder = tmp_path / "runs" / "sweeps" / "tiny"
    assert (folder / "pareto.png").is_file()
    study = optuna.load_study(
        study_name="tiny",
        storage=optuna.storages.JournalStorage(
            optuna.storages.journal.JournalFileBackend(str(folder / "optuna.journal"))
        ),
    )
    assert [d.name for d in study.directions] == ["MINIMIZE", "MINIMIZE"]
    for trial in study.trials:
        record = json.loads((folder / f"trial-{trial.number:04d}" / "trial.json").read_text())
        rows = [json.loads(line) for line in (folder / f"trial-{trial.number:04d}" / "metrics.jsonl").open()]
        assert trial.values[0] == pytest.approx(min(row["val_loss"] for row in rows))
        assert trial.values[1] == pytest.approx(statistics.fmean(row["seconds"] for row in rows))  # the mean epoch
        assert [o["value"] for o in record["objective"]["all"]] == pytest.approx(trial.values)


def test_several_objectives_with_a_pruner_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ExperimentError) as caught:
        load_sweep(_two_objectives(tmp_path, pruner="median"))
    assert any("a pruner judges one objective" in p for p in caught.value.problems)
