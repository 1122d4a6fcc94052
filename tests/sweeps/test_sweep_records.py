"""A sweep whose study was lost never writes over its finished trials' records."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from sweep_helpers import tiny_sweep

from framework.api import Session
from framework.cli.main import main
from plugins.sweeps.spec import load_sweep
from plugins.sweeps.storage import JOURNAL_FILE, open_storage
from plugins.sweeps.trials import ask_trial, open_study, run_trial


def _finished_trial(sweep_folder: Path, number: int, params: dict) -> Path:
    folder = sweep_folder / f"trial-{number:04d}"
    folder.mkdir(parents=True)
    record = {"sweep": "tiny", "number": number, "params": params, "state": "COMPLETE", "objective": {"value": 0.9}}
    (folder / "trial.json").write_text(json.dumps(record))
    (folder / "model.keras").write_bytes(b"weights of a finished trial")
    return folder


def test_a_sweep_whose_journal_is_gone_is_refused_and_its_trials_are_left_alone(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    path = tiny_sweep(tmp_path)
    folder = load_sweep(path).folder()
    done = [_finished_trial(folder, n, {"optimizer.learning_rate": 0.001, "model.dense_units": 8}) for n in (0, 1)]
    before = {p: (p / "trial.json").read_bytes() for p in done}
    (folder / JOURNAL_FILE).write_bytes(b"")  # emptied (deleting it is the same)

    assert main(["sweep", str(path)]) == 2
    error = " ".join(capsys.readouterr().err.split())
    assert "holds 0 trial(s)" in error and "trial-0000 (complete), trial-0001 (complete)" in error
    assert "Nothing was changed" in error and "Traceback" not in error
    assert {p: (p / "trial.json").read_bytes() for p in done} == before
    assert not (folder / "workers").exists()  # no worker was started


def test_a_trial_that_meets_another_trials_folder_fails_without_touching_it(tmp_path, monkeypatch):
    import optuna

    monkeypatch.chdir(tmp_path)
    sweep = load_sweep(tiny_sweep(tmp_path))
    old = _finished_trial(sweep.folder(), 0, {"optimizer.learning_rate": 0.001, "model.dense_units": 8})
    before = (old / "trial.json").read_bytes()
    study = optuna.create_study(direction="minimize")  # a study that never gave out trial 0
    trial = ask_trial(study, sweep)
    log = Console(file=open(tmp_path / "log.txt", "w"), highlight=False)  # noqa: SIM115
    state = run_trial(sweep, study, study._storage, trial, "", Session(autoload=False), log)
    assert state == "FAIL"
    assert (old / "trial.json").read_bytes() == before
    assert (old / "model.keras").read_bytes() == b"weights of a finished trial"


def test_a_study_that_knows_the_folders_trials_goes_on(tmp_path, monkeypatch):
    """The check refuses a lost study only: the trials a study gave out are its own."""
    from plugins.sweeps.records import check_records_match_study

    monkeypatch.chdir(tmp_path)
    sweep = load_sweep(tiny_sweep(tmp_path))
    url = str(sweep.folder() / JOURNAL_FILE)
    study = open_study(sweep, open_storage(url), create=True)
    trial = ask_trial(study, sweep)
    _finished_trial(sweep.folder(), trial.number, trial.params)
    check_records_match_study(study, sweep, url)  # no error
