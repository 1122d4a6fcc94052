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


def _fresh_database(postgres_url: str, name: str) -> str:
    from sqlalchemy import create_engine, text

    engine = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return postgres_url.rsplit("/", 1)[0] + "/" + name


def test_first_starts_at_once_on_a_fresh_database_all_open_it(postgres_url: str) -> None:
    """Two machines starting a sweep at the same moment on an empty database (failed 3 of 3 before)."""
    from concurrent.futures import ThreadPoolExecutor

    from plugins.sweeps.storage import open_storage

    for attempt in range(3):
        url = _fresh_database(postgres_url, f"fresh{attempt}")
        with ThreadPoolExecutor(4) as pool:
            storages = list(pool.map(open_storage, [url] * 4))
        assert all(storage.get_all_studies() == [] for storage in storages)


def test_a_trial_whose_worker_dies_at_once_is_failed_after_the_grace_period(tmp_path: Path, postgres_url: str) -> None:
    """Killed before its heartbeat thread's first beat: failed by another machine's check, not RUNNING forever."""
    import time

    import optuna

    from plugins.sweeps.spec import load_sweep
    from plugins.sweeps.storage import open_storage
    from plugins.sweeps.trials import _next_trial, open_study

    sweep = load_sweep(tiny_sweep(tmp_path, name="early-death"), storage=postgres_url)
    storage = open_storage(postgres_url)
    study = open_study(sweep, storage, create=True)
    trial = _next_trial(study, storage, sweep, postgres_url)  # ...and the worker dies right here
    elsewhere = optuna.storages.RDBStorage(postgres_url, heartbeat_interval=1, grace_period=1)
    time.sleep(2.5)
    optuna.storages.fail_stale_trials(optuna.load_study(study_name="early-death", storage=elsewhere))
    assert study.trials[trial.number].state.name == "FAIL"


def test_a_database_that_stops_mid_trial_gets_a_message_and_the_rerun_continues(tmp_path: Path) -> None:
    from postgres_server import postgres_bin, postgres_cluster

    bin_dir = postgres_bin()
    if bin_dir is None:
        pytest.skip("no PostgreSQL binaries")
    path = tiny_sweep(tmp_path, name="db-gone", trials=1, epochs=30, pruner="none")
    folder = tmp_path / "runs" / "sweeps" / "db-gone"
    with postgres_cluster(bin_dir) as cluster:
        coordinator = subprocess.Popen(
            [HOH, "sweep", str(path), "--storage", cluster.url],
            cwd=tmp_path,
            env=subprocess_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            victim = wait_for_running_trial(folder)
            cluster.stop()
            output, _ = coordinator.communicate(timeout=180)
        finally:
            coordinator.kill()
        assert coordinator.returncode == 1, output
        assert "stopped answering" in output and "Run the same command again once it is back" in output
        assert not [line for line in output.splitlines() if "┘" in line and "error" in line]  # on a line of its own
        logs = "".join(p.read_text() for p in (folder / "workers").glob("*.log"))
        assert "Traceback" not in output + logs, output + logs[-3000:]

        cluster.start()
        again = subprocess.run(
            [HOH, "sweep", str(path), "--storage", cluster.url],
            cwd=tmp_path,
            env=subprocess_env(),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert again.returncode == 0, again.stdout + again.stderr
        trials = _study(cluster.url, "db-gone").get_trials()
        assert [t.state.name for t in trials] == ["FAIL", "COMPLETE"]
        assert trials[1].params == trials[0].params == victim["params"]  # the interrupted one, trained again
