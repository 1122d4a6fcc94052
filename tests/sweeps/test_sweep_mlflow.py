"""A sweep in MLflow: one parent run, its trials nested under it, tagged, a pruned one said to be pruned."""

from __future__ import annotations

import json

import pytest
from rich.console import Console
from sweep_helpers import tiny_sweep

from framework.api import Session
from plugins.sweeps.spec import load_sweep
from plugins.sweeps.trials import ask_trial, run_trial

pytest.importorskip("mlflow", reason='the mlflow extra is not installed: pip install -e ".[mlflow]"')
pytestmark = pytest.mark.slow


def test_trials_are_nested_under_the_sweeps_parent_run_and_a_pruned_one_says_so(tmp_path, monkeypatch) -> None:
    import optuna
    from mlflow.tracking import MlflowClient

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.chdir(tmp_path)
    sweep = load_sweep(tiny_sweep(tmp_path, epochs=3, pruner="none"))
    log = Console(file=open(tmp_path / "log.txt", "w"), highlight=False)  # noqa: SIM115
    session = Session(autoload=False)
    pruning = optuna.create_study(direction="minimize", pruner=optuna.pruners.ThresholdPruner(upper=-1.0))
    keeping = optuna.create_study(direction="minimize")
    assert run_trial(sweep, pruning, pruning._storage, ask_trial(pruning, sweep), "", session, log) == "PRUNED"
    trial = ask_trial(keeping, sweep)  # number 0 of another study: its own folder is needed
    trial_dir = sweep.folder() / "trial-0000"
    trial_dir.rename(tmp_path / "pruned-trial")
    assert run_trial(sweep, keeping, keeping._storage, trial, "", session, log) == "COMPLETE"
    status = json.loads(((tmp_path / "pruned-trial") / "status.json").read_text())
    assert status["status"] == "pruned" and "after epoch 1" in status["reason"]  # recorded by the runner itself

    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("tiny")
    runs = client.search_runs([experiment.experiment_id])
    [parent] = [r for r in runs if r.data.tags.get("hoh.sweep_parent") == "tiny"]
    children = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id]
    assert sorted(r.data.tags["hoh.status"] for r in children) == ["finished", "pruned"]
    assert {r.data.tags["sweep"] for r in children} == {"tiny"}
    assert {r.info.run_name for r in children} == {"trial-0"}
