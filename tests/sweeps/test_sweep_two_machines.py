"""Two machines (two hostnames, two run folders) on one real PostgreSQL: trials killed 5 s and 20 s in.

A killed trial on another machine is found only through Optuna's heartbeat (the process check
works on its own host alone): the sweep must still end with exactly its trials, none left
RUNNING, no trial number given twice.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sweep_helpers import subprocess_env, tiny_sweep

pytestmark = pytest.mark.slow

HOH = str(Path(sys.executable).parent / "hoh")


def _machine(name: str, folder: Path, url: str) -> subprocess.Popen:
    """``hoh sweep`` as if on machine ``name``: its own hostname (a UTS namespace) and its own folder."""
    return subprocess.Popen(
        [
            "unshare",
            "-u",
            "sh",
            "-c",
            f'hostname {name} && exec "$@"',
            "sh",
            HOH,
            "sweep",
            "sweep.toml",
            "--storage",
            url,
        ],
        cwd=folder,
        env=subprocess_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _running_trial(folder: Path, skip: set[int], timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in sorted((folder / "runs" / "sweeps" / "hosts").glob("trial-*/trial.json")):
            try:
                record = json.loads(path.read_text())
            except ValueError:
                continue
            if record["state"] == "RUNNING" and record["number"] not in skip:
                return record
        time.sleep(0.05)
    raise AssertionError(f"no new running trial in {folder}")


def _kill_at(record: dict, seconds: float) -> None:
    started = dt.datetime.fromisoformat(record["started"]).timestamp()
    time.sleep(max(0.0, started + seconds - time.time()))
    os.kill(record["worker"]["pid"], signal.SIGKILL)


def test_trials_killed_on_one_machine_are_failed_by_the_other_and_the_sweep_completes(tmp_path, postgres_url):
    if shutil.which("unshare") is None or subprocess.run(["unshare", "-u", "true"], check=False).returncode != 0:
        pytest.skip("needs unshare -u (root) to give a process a hostname of its own")
    import optuna

    a, b = tmp_path / "a", tmp_path / "b"
    # Machine a's trials never end on their own, so each is alive when it is killed on any machine (150 epochs
    # took ~35 s on one machine and under 20 s on a faster one); machine b's end (the base experiment is each
    # machine's file: the study records its name, not its epochs).
    for folder, epochs in ((a, 100_000), (b, 150)):
        folder.mkdir()
        tiny_sweep(folder, name="hosts", trials=3, epochs=epochs, pruner="none")
    machine_b = _machine("machine-b", b, postgres_url)
    try:
        killed = []
        for seconds in (5, 20):  # before and after the heartbeat thread's first beat (10 s)
            machine_a = _machine("machine-a", a, postgres_url)
            victim = _running_trial(a, {k["number"] for k in killed})
            _kill_at(victim, seconds)
            killed.append(victim)
            out, _ = machine_a.communicate(timeout=120)
            assert machine_a.returncode == 1 and "worker(s) ended with an error (exit -9)" in out, out
        out, _ = machine_b.communicate(timeout=600)
    finally:
        machine_b.kill()
    assert machine_b.returncode == 0, out
    trials = optuna.load_study(study_name="hosts", storage=postgres_url).get_trials()
    states = {t.number: t.state.name for t in trials}
    assert sorted(states.values()).count("COMPLETE") == 3
    assert "RUNNING" not in states.values()
    assert len(states) == len(trials)  # no number twice
    for victim in killed:
        assert states[victim["number"]] == "FAIL"
        assert trials[victim["number"]].system_attrs["hoh_worker"]["host"] == "machine-a"
    hosts = {t.system_attrs["hoh_worker"]["host"] for t in trials if t.state.name == "COMPLETE"}
    assert "machine-b" in hosts
