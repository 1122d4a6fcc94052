"""Replicates: a configuration trained with several seeds is scored by their mean, its spread recorded."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import pytest
from rich.console import Console
from sweep_helpers import tiny_sweep

from framework.api import Session
from framework.errors import ExperimentError
from plugins.sweeps.spec import load_sweep
from plugins.sweeps.trials import ask_trial, run_trial

pytestmark = pytest.mark.slow


def test_a_configuration_trains_once_a_seed_and_is_scored_by_the_mean(tmp_path, monkeypatch) -> None:
    import optuna

    monkeypatch.chdir(tmp_path)
    sweep = load_sweep(tiny_sweep(tmp_path, epochs=2, pruner="none", extra="repeats = 3"))
    study = optuna.create_study(direction="minimize")
    trial = ask_trial(study, sweep)
    log = Console(file=open(tmp_path / "log.txt", "w"), highlight=False)  # noqa: SIM115
    assert run_trial(sweep, study, study._storage, trial, "", Session(autoload=False), log) == "COMPLETE"

    folder = sweep.folder() / "trial-0000"
    record = json.loads((folder / "trial.json").read_text())
    assert [r["seed"] for r in record["replicates"]] == [1, 2, 3]  # the base experiment's seed, then the next
    values = []
    for replicate in record["replicates"]:
        rows = [json.loads(line) for line in (folder / replicate["run"] / "metrics.jsonl").read_text().splitlines()]
        assert replicate["value"] == pytest.approx(min(row["val_loss"] for row in rows))
        values.append(replicate["value"])
    assert len(set(values)) == 3  # three seeds, three trainings
    assert record["objective"]["value"] == pytest.approx(statistics.fmean(values))
    assert record["objective"]["spread"] == pytest.approx(statistics.stdev(values))
    assert study.trials[0].value == pytest.approx(statistics.fmean(values))


def test_repeats_with_a_pruner_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ExperimentError) as caught:
        load_sweep(tiny_sweep(tmp_path, extra="repeats = 3"))  # pruner = "median"
    assert any("a pruner judges one training run" in p and 'pruner = "none"' in p for p in caught.value.problems)
