"""Real sweeps of tiny trials: worker processes sharing Optuna's journal file, kill -9, continuing."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from sweep_helpers import subprocess_env, tiny_sweep, trial_records, wait_for_running_trial

pytestmark = pytest.mark.slow

HOH = str(Path(sys.executable).parent / "hoh")


def _study(folder: Path, name: str):
    import optuna
    from optuna.storages.journal import JournalFileBackend, JournalFileOpenLock

    path = str(folder / "optuna.journal")
    storage = optuna.storages.JournalStorage(JournalFileBackend(path, lock_obj=JournalFileOpenLock(path)))
    return optuna.load_study(study_name=name, storage=storage)


def _sweep(cwd: Path, *args: str, timeout: float = 420) -> subprocess.CompletedProcess:
    return subprocess.run(
        [HOH, "sweep", *args],
        cwd=cwd,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_two_workers_share_the_journal_without_running_a_trial_twice(tmp_path: Path) -> None:
    path = tiny_sweep(tmp_path, trials=6)
    done = _sweep(tmp_path, str(path), "--workers", "2")
    assert done.returncode == 0, done.stdout + done.stderr
    folder = tmp_path / "runs" / "sweeps" / "tiny"
    trials = _study(folder, "tiny").get_trials()
    assert sum(t.state.name in ("COMPLETE", "PRUNED") for t in trials) == 6
    assert len(trials) == 6 and [t.number for t in trials] == list(range(6))
    records = trial_records(folder)
    assert [r["number"] for r in records] == list(range(6))  # one run folder per trial, no other
    assert {r["worker"]["pid"] for r in records}.__len__() == 2  # both workers trained trials
    params = [tuple(sorted(r["params"].items())) for r in records]
    assert len(set(params)) == 6  # seeded by trial number: no two workers draw the same values
    by_number = {t.number: t for t in trials}
    for record in records:
        trial = by_number[record["number"]]
        assert record["state"] == trial.state.name and record["params"] == trial.params
        status = json.loads((folder / f"trial-{trial.number:04d}" / "status.json").read_text())
        assert status["status"] == {"COMPLETE": "finished", "PRUNED": "pruned"}[trial.state.name]
        if trial.state.name == "COMPLETE":
            history = [json.loads(line) for line in (folder / f"trial-{trial.number:04d}" / "metrics.jsonl").open()]
            assert record["objective"]["value"] == pytest.approx(min(row["val_loss"] for row in history))
            assert trial.value == pytest.approx(record["objective"]["value"])
    for picture in ("history.png", "slices.png", "curves.png"):
        with Image.open(folder / picture) as image:
            assert image.size[0] > 400
    complete = sum(t.state.name == "COMPLETE" for t in trials)
    assert (folder / "importances.png").exists() == (complete >= 5)  # fANOVA over fewer says little
    assert "6 of 6 trials finished" in done.stdout
    logs = sorted((folder / "workers").iterdir())
    status = _sweep(tmp_path, str(path), "--status")  # the study's view: every trial, with its machine
    assert status.returncode == 0, status.stdout + status.stderr
    assert "storage runs/sweeps/tiny/optuna.journal: 6 trials (" in " ".join(status.stdout.split())
    assert status.stdout.count(socket.gethostname()) == 6
    assert sorted((folder / "workers").iterdir()) == logs  # no worker was started


def test_a_killed_worker_does_not_stall_the_sweep_and_running_again_continues_it(tmp_path: Path) -> None:
    path = tiny_sweep(tmp_path, name="killed", trials=4, epochs=6, pruner="none")
    folder = tmp_path / "runs" / "sweeps" / "killed"
    coordinator = subprocess.Popen(
        [HOH, "sweep", str(path), "--workers", "2"],
        cwd=tmp_path,
        env=subprocess_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    victim = wait_for_running_trial(folder)  # mid-trial: an epoch is done, more are to come
    os.kill(victim["worker"]["pid"], signal.SIGKILL)
    output, _ = coordinator.communicate(timeout=420)
    assert coordinator.returncode == 0, output
    trials = {t.number: t for t in _study(folder, "killed").get_trials()}
    assert trials[victim["number"]].state.name == "FAIL"
    assert sum(t.state.name == "COMPLETE" for t in trials.values()) == 4
    status = json.loads((folder / f"trial-{victim['number']:04d}" / "status.json").read_text())
    assert status["status"] == "running"  # as the killed process left it; hoh runs reads it as killed
    from framework.run_status import read_status

    assert read_status(folder / f"trial-{victim['number']:04d}")["status"] == "killed"
    record = json.loads((folder / f"trial-{victim['number']:04d}" / "trial.json").read_text())
    assert record["state"] == "FAIL" and "its worker process died" in record["reason"]  # was left RUNNING
    assert "1 worker(s) ended with an error (exit -9)" in output
    # The same command again, with more trials: the sweep continues where it is.
    path.write_text(path.read_text().replace("trials = 4", "trials = 5"))
    again = _sweep(tmp_path, str(path))
    assert again.returncode == 0, again.stdout + again.stderr
    trials = _study(folder, "killed").get_trials()
    assert sum(t.state.name == "COMPLETE" for t in trials) == 5 and len(trials) == 6


def test_a_changed_search_space_is_refused_rather_than_mixed_in(tmp_path: Path) -> None:
    path = tiny_sweep(tmp_path, name="changed", trials=1, epochs=1)
    assert _sweep(tmp_path, str(path)).returncode == 0
    path.write_text(path.read_text().replace("[4, 8, 16]", "[4, 8, 32]"))
    refused = _sweep(tmp_path, str(path))
    assert refused.returncode == 2
    assert "exists in its storage with another search space" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_a_worker_stops_after_three_failed_trials_in_a_row(tmp_path: Path) -> None:
    path = tiny_sweep(tmp_path, name="broken", trials=6, epochs=1)
    # Valid to the checks before training, broken when a trial trains: the images are gone.
    for image in (tmp_path / "data" / "validation").rglob("*.png"):
        image.write_bytes(b"not a png")
    done = _sweep(tmp_path, str(path))
    assert done.returncode == 1, done.stdout
    folder = tmp_path / "runs" / "sweeps" / "broken"
    records = trial_records(folder)
    assert [r["state"] for r in records] == ["FAIL"] * 3
    log = "".join(p.read_text() for p in (folder / "workers").glob("*.log"))
    assert "3 trials in a row failed in this worker" in log
    assert "short of its trial count" in done.stdout


@pytest.mark.parametrize("background", [False, True], ids=["foreground", "background-of-a-script"])
def test_sigterm_stops_the_sweep_and_fails_the_running_trial(tmp_path: Path, background: bool) -> None:
    path = tiny_sweep(tmp_path, name="stopped", trials=3, epochs=40, pruner="none")  # still running when signalled
    folder = tmp_path / "runs" / "sweeps" / "stopped"
    # In the background of a script (`hoh sweep ... &`) a process starts with SIGINT ignored:
    # an ignored signal stays ignored across exec.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN if background else signal.default_int_handler)
    try:
        coordinator = subprocess.Popen(
            [HOH, "sweep", str(path)],
            cwd=tmp_path,
            env=subprocess_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
    finally:
        signal.signal(signal.SIGINT, previous)
    wait_for_running_trial(folder)  # an epoch done, more to come
    coordinator.send_signal(signal.SIGTERM)
    output, _ = coordinator.communicate(timeout=120)
    assert coordinator.returncode == 130, output
    assert "run the same command again to continue the sweep" in output
    (record,) = trial_records(folder)
    logs = "".join(p.read_text()[-3000:] for p in (folder / "workers").glob("*.log"))  # why, when it fails
    assert record["state"] == "FAIL" and record["reason"] == "interrupted", output + logs
    assert json.loads((folder / "trial-0000" / "status.json").read_text())["status"] == "interrupted"
    assert _study(folder, "stopped").get_trials()[0].state.name == "FAIL"
