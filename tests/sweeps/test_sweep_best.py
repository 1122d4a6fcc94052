"""A sweep scores a trial by the weights the trial keeps, and writes the best trial's experiment."""

from __future__ import annotations

import json
import tomllib

import pytest
from rich.console import Console
from sweep_helpers import tiny_sweep

from framework.api import Session
from framework.cli.main import main
from plugins.sweeps.records import best_experiment
from plugins.sweeps.spec import load_sweep
from plugins.sweeps.trials import ask_trial, run_trial

pytestmark = pytest.mark.slow


def test_the_objectives_best_epoch_is_what_the_trial_keeps_and_best_toml_runs_it(tmp_path, monkeypatch, capsys):
    import optuna

    monkeypatch.chdir(tmp_path)
    sweep = load_sweep(tiny_sweep(tmp_path, epochs=4, pruner="none"))  # val_loss, minimize, at = "best"
    study = optuna.create_study(direction="minimize")
    trial = ask_trial(study, sweep)
    log = Console(file=open(tmp_path / "log.txt", "w"), highlight=False)  # noqa: SIM115
    assert run_trial(sweep, study, study._storage, trial, "", Session(autoload=False), log) == "COMPLETE"

    folder = sweep.folder() / "trial-0000"
    rows = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]
    best = min(row["val_loss"] for row in rows)
    evaluation = json.loads((folder / "evaluation.json").read_text())
    assert study.trials[0].value == pytest.approx(best)
    assert evaluation["loss"] == pytest.approx(best, abs=1e-5)  # model.keras holds the scored epoch
    recorded = tomllib.loads((folder / "experiment.toml").read_text())["training"]
    assert (recorded["keep"], recorded["monitor"]) == ("best", "val_loss")

    written = best_experiment(sweep, 0)
    assert written == sweep.folder() / "best.toml"
    again = tomllib.loads(written.read_text())
    assert again["optimizer"]["learning_rate"] == pytest.approx(trial.params["optimizer.learning_rate"])
    assert "progress" not in again["training"]  # shown again when the user runs it
    assert main(["validate", str(written)]) == 0, capsys.readouterr().err


def test_keep_and_monitor_in_the_space_are_refused_when_the_sweep_sets_them(tmp_path) -> None:
    from framework.errors import ExperimentError

    path = tiny_sweep(tmp_path)
    path.write_text(path.read_text() + '"training.keep" = "last"\n')
    with pytest.raises(ExperimentError) as caught:
        load_sweep(path)
    assert any("keeps each trial's best epoch by the objective" in p for p in caught.value.problems)
