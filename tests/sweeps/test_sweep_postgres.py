"""The same sweep through a real PostgreSQL server: what many machines share."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sweep_helpers import subprocess_env, tiny_sweep, trial_records, wait_for_running_trial

pytestmark = pytest.mark.slow

HOH = str(Path(sys.executable).parent / "hoh")


def _study(url: str, name: str):
    import optuna

    return optuna.load_study(study_name=name, storage=url)


def test_two_workers_over_postgresql_and_a_killed_one(tmp_path: Path, postgres_url: str) -> None:
    path = tiny_sweep(tmp_path, name="pg", trials=5, epochs=4, pruner="none")
    folder = tmp_path / "runs" / "sweeps" / "pg"
    env = subprocess_env(HOH_SWEEP_STORAGE=postgres_url)  # the environment variable, as on a second machine
    coordinator = subprocess.Popen(
        [HOH, "sweep", str(path), "--workers", "2"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    victim = wait_for_running_trial(folder)
    os.kill(victim["worker"]["pid"], signal.SIGKILL)
    output, _ = coordinator.communicate(timeout=420)
    assert coordinator.returncode == 0, output
    assert "storage postgresql://postgres@127.0.0.1" in output
    assert not (folder / "optuna.journal").exists()
    trials = _study(postgres_url, "pg").get_trials()
    assert trials[victim["number"]].state.name == "FAIL"
    assert sum(t.state.name == "COMPLETE" for t in trials) == 5
    assert len({t.number for t in trials}) == len(trials) == 6
    records = trial_records(folder)
    assert len({r["worker"]["pid"] for r in records}) == 2
    assert all(r["storage"] == postgres_url for r in records)


def test_an_unreachable_database_is_an_environment_error(tmp_path: Path, postgres_url: str) -> None:
    path = tiny_sweep(tmp_path, name="nodb", trials=1, epochs=1)
    wrong = postgres_url.rsplit(":", 1)[0] + ":1/postgres"  # nothing listens on port 1
    done = subprocess.run(
        [HOH, "sweep", str(path), "--storage", wrong],
        cwd=tmp_path,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "cannot open the sweep storage postgresql://postgres@127.0.0.1:1/postgres" in done.stderr
    assert "Traceback" not in done.stderr
