"""A trial's pruning is a plugin instance of that trial: it stops the run, and no other run sees it."""

from __future__ import annotations

import json

import pytest
from rich.console import Console
from sweep_helpers import tiny_sweep

from framework.api import Session, load_experiment, run_experiment
from plugins.sweeps.spec import load_sweep
from plugins.sweeps.trials import ask_trial, run_trial

pytestmark = pytest.mark.slow


def test_a_pruned_trial_stops_after_the_judged_epoch_and_the_next_run_is_not_pruned(tmp_path, monkeypatch) -> None:
    import optuna

    monkeypatch.chdir(tmp_path)
    sweep = load_sweep(tiny_sweep(tmp_path, epochs=3, pruner="none"))
    # prunes as soon as val_loss is reported above -1: after the first epoch
    study = optuna.create_study(direction="minimize", pruner=optuna.pruners.ThresholdPruner(upper=-1.0))
    session = Session(autoload=False)
    log = Console(file=open(tmp_path / "log.txt", "w"), highlight=False)  # noqa: SIM115
    trial = ask_trial(study, sweep)
    state = run_trial(sweep, study, study._storage, trial, "", session, log)

    assert state == "PRUNED"
    folder = sweep.folder() / "trial-0000"
    assert len((folder / "metrics.jsonl").read_text().splitlines()) == 1  # 1 of 3 epochs
    assert json.loads((folder / "status.json").read_text())["status"] == "pruned"
    assert study.trials[0].intermediate_values.keys() == {1}  # epochs counted from 1
    assert not session.pm.has_plugin("sweep-trial-0")

    # the same session trains an ordinary run afterwards: all its epochs, nothing reported to the trial
    loaded = load_experiment(sweep.base, ["training.progress=none"], session=session)
    result = run_experiment(loaded, run_dir=tmp_path / "plain", console=log)
    assert len(result.history) == 3
    assert study.trials[0].intermediate_values.keys() == {1}  # epochs counted from 1
