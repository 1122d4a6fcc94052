"""``status.json`` tells finished, failed, interrupted and killed runs apart; NaN never reaches a JSON file."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from core_helpers import SECTIONS, run_script, stub_experiment

from framework.run_status import read_status

pytestmark = pytest.mark.slow

SIGNALLER = '''
"""Sends this process the signal named by HOH_TEST_SIGNAL after the first epoch."""

import os
import signal

from framework import hookimpl


@hookimpl
def hoh_after_epoch(run, epoch, logs, history):
    if epoch == 0:
        os.kill(os.getpid(), getattr(signal, os.environ["HOH_TEST_SIGNAL"]))
'''


def _strict(path: Path) -> object:
    def refuse(constant: str) -> None:
        raise AssertionError(f"{path.name} holds {constant}")

    text = path.read_text()
    if path.suffix == ".jsonl":
        return [json.loads(line, parse_constant=refuse) for line in text.splitlines()]
    return json.loads(text, parse_constant=refuse)


def _run(tmp_path: Path, sections: str = SECTIONS, plugins: tuple = (), **env: str):
    (tmp_path / "experiment.toml").write_text(stub_experiment(sections, plugins=plugins))
    return run_script("hoh-run", "experiment.toml", "--run-dir", "run", cwd=tmp_path, **env)


def test_a_finished_run_says_so(tmp_path: Path) -> None:
    done = _run(tmp_path)
    assert done.returncode == 0, done.stderr
    status = read_status(tmp_path / "run")
    assert status["status"] == "finished" and status["reason"] is None
    assert status["started"] <= status["ended"] and status["attempts"] == 1


def test_a_diverging_loss_fails_the_run_with_a_message(tmp_path: Path) -> None:
    sections = SECTIONS.replace("learning_rate = 0.01", "learning_rate = 1e30")
    done = _run(tmp_path, sections)
    assert done.returncode == 1, done.stdout + done.stderr
    assert re.search(r"training loss became nan in epoch 1, batch \d", done.stderr), done.stderr
    assert "Lower the learning rate" in done.stderr and "Traceback" not in done.stderr
    run = tmp_path / "run"
    status = _strict(run / "status.json")
    assert status["status"] == "failed" and "TrainingFailed" in status["reason"]
    assert not (run / "model.keras").exists() and not (run / "evaluation.json").exists()
    assert not (run / "metrics.jsonl").exists()  # the broken epoch is never recorded


@pytest.mark.parametrize(("signal_name", "said"), [("SIGTERM", "Terminated (SIGTERM)"), ("SIGINT", "Interrupted")])
def test_sigterm_stops_a_run_like_ctrl_c(tmp_path: Path, signal_name: str, said: str) -> None:
    plugin = tmp_path / "signaller.py"
    plugin.write_text(SIGNALLER)
    done = _run(tmp_path, plugins=(plugin,), HOH_TEST_SIGNAL=signal_name)
    assert done.returncode == 130, done.stdout + done.stderr
    assert said in done.stdout and "Traceback" not in done.stderr
    status = read_status(tmp_path / "run")
    assert status["status"] == "interrupted"
    assert status["reason"] == ("terminated (SIGTERM)" if signal_name == "SIGTERM" else "interrupted (Ctrl-C)")
    assert [row["epoch"] for row in _strict(tmp_path / "run" / "metrics.jsonl")] == [1]


def test_a_killed_run_reads_killed(tmp_path: Path) -> None:
    plugin = tmp_path / "signaller.py"
    plugin.write_text(SIGNALLER)
    done = _run(tmp_path, plugins=(plugin,), HOH_TEST_SIGNAL="SIGKILL")
    assert done.returncode == -9
    assert json.loads((tmp_path / "run" / "status.json").read_text())["status"] == "running"
    assert read_status(tmp_path / "run")["status"] == "killed"
