"""optuna-dashboard reads a sweep's journal file: how docs/how-to/sweeps.md looks at a sweep in a browser."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from sweep_helpers import free_port, subprocess_env, tiny_sweep

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent


def test_optuna_dashboard_serves_the_sweeps_study_on_a_loopback_port(tmp_path: Path) -> None:
    path = tiny_sweep(tmp_path, name="looked-at", trials=2, epochs=1)
    done = subprocess.run(
        [str(BIN / "hoh"), "sweep", str(path)],
        cwd=tmp_path,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    journal = tmp_path / "runs" / "sweeps" / "looked-at" / "optuna.journal"
    port = free_port()
    server = subprocess.Popen(
        [str(BIN / "optuna-dashboard"), str(journal), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=subprocess_env(),
    )
    try:
        studies = None
        deadline = time.monotonic() + 60
        while studies is None and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/studies", timeout=5) as response:
                    studies = json.loads(response.read())
            except OSError:
                time.sleep(0.3)
        assert studies is not None, server.stderr.read1().decode() if server.poll() is not None else "no answer"
        (study,) = studies["study_summaries"]
        assert study["study_name"] == "looked-at"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/studies/{study['study_id']}", timeout=10) as r:
            detail = json.loads(r.read())
        assert [t["state"] for t in detail["trials"]] == ["Complete", "Complete"]
        assert {p["name"] for p in detail["trials"][0]["params"]} == {"optimizer.learning_rate", "model.dense_units"}
    finally:
        server.terminate()
        server.wait(timeout=30)
