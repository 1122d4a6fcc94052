"""A sweep's workers: no storage URL on their command lines, and no training on after their coordinator dies."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sweep_helpers import subprocess_env, tiny_sweep, wait_for_running_trial

pytestmark = pytest.mark.slow

HOH = str(Path(sys.executable).parent / "hoh")


def _running(pid: int) -> bool:
    """Alive and not a zombie (a container's PID 1 may never reap an orphan)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def test_workers_stop_when_their_coordinator_is_killed_and_keep_the_storage_off_ps(tmp_path: Path) -> None:
    path = tiny_sweep(tmp_path, name="orphan", trials=3, epochs=40, pruner="none")  # still training when killed
    storage = str(tmp_path / "private" / "secret-storage.journal")  # as a postgresql:// URL with a password
    coordinator = subprocess.Popen(
        [HOH, "sweep", str(path), "--workers", "1", "--storage", storage],
        cwd=tmp_path,
        env=subprocess_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        folder = tmp_path / "runs" / "sweeps" / "orphan"
        victim = wait_for_running_trial(folder)
        worker = victim["worker"]["pid"]
        assert b"secret-storage" not in Path(f"/proc/{worker}/cmdline").read_bytes()
        assert Path(storage).is_file()  # the worker did use it

        coordinator.kill()  # kill -9: no chance to stop its workers itself
        coordinator.wait()
        deadline = time.monotonic() + 60
        while _running(worker) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _running(worker), "the worker trains on without its coordinator"
        record = json.loads((folder / f"trial-{victim['number']:04d}" / "trial.json").read_text())
        assert record["state"] == "FAIL" and record["reason"] == "interrupted"
    finally:  # a failed assertion must not leave a sweep training in the background
        coordinator.kill()
        for pid in _workers_of(tmp_path):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _workers_of(tmp_path: Path) -> list[int]:
    pids = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):
            if str(tmp_path).encode() in cmdline.read_bytes() and b"--worker" in cmdline.read_bytes():
                pids.append(int(cmdline.parent.name))
    return pids
