"""The lifecycle hooks fire when their docstrings say, with what they promise."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from core_helpers import SECTIONS, run_script, stub_experiment

pytestmark = pytest.mark.slow

RECORDER = '''
"""Appends one JSON line per lifecycle hook call to the file HOH_TEST_HOOK_LOG names."""

import json
import os

from framework import hookimpl


def _log(**row):
    with open(os.environ["HOH_TEST_HOOK_LOG"], "a") as out:
        out.write(json.dumps(row) + "\\n")


@hookimpl
def hoh_configure_run(run):
    _log(hook="configure_run", phase=run.phase, strategy=run.strategy is not None, flows=run.flows, model=run.model)


@hookimpl(wrapper=True)
def hoh_build_model(run, spec):
    model = yield
    _log(hook="build_model", phase=run.phase, flows=run.flows is not None, built=model.name, compiled=model.compiled)
    return model


@hookimpl
def hoh_before_run(run, model):
    _log(hook="before_run", compiled=model.compiled, history=len(run.history))


@hookimpl
def hoh_after_epoch(run, epoch, logs, history):
    _log(hook="after_epoch", epoch=epoch, recorded=len(history))


@hookimpl
def hoh_after_run(run, history):
    _log(hook="after_run", epochs=len(history), evaluated=(run.run_dir / "evaluation.json").exists())


@hookimpl
def hoh_on_run_error(run, error):
    _log(hook="on_run_error", error=type(error).__name__)
'''


def _calls(tmp_path: Path, sections: str) -> tuple[int, list[dict]]:
    plugin = tmp_path / "recorder.py"
    plugin.write_text(RECORDER)
    (tmp_path / "experiment.toml").write_text(stub_experiment(sections, plugins=(plugin,)))
    log = tmp_path / "hooks.jsonl"
    done = run_script("hoh-run", "experiment.toml", "--run-dir", "run", cwd=tmp_path, HOH_TEST_HOOK_LOG=str(log))
    return done.returncode, [json.loads(line) for line in log.read_text().splitlines()]


def test_a_successful_run_calls_before_after_epoch_and_after(tmp_path: Path) -> None:
    code, calls = _calls(tmp_path, SECTIONS)
    assert code == 0
    assert calls == [
        {"hook": "configure_run", "phase": "configure", "strategy": True, "flows": None, "model": None},
        {"hook": "build_model", "phase": "build", "flows": True, "built": "stub_model", "compiled": False},
        {"hook": "before_run", "compiled": True, "history": 0},
        {"hook": "after_epoch", "epoch": 0, "recorded": 1},
        {"hook": "after_epoch", "epoch": 1, "recorded": 2},
        {"hook": "after_run", "epochs": 2, "evaluated": True},
    ]


def test_a_failing_run_calls_on_run_error(tmp_path: Path) -> None:
    code, calls = _calls(tmp_path, SECTIONS.replace("learning_rate = 0.01", "learning_rate = 1e30"))
    assert code == 1
    assert [call["hook"] for call in calls[:3]] == ["configure_run", "build_model", "before_run"]
    assert calls[-1] == {"hook": "on_run_error", "error": "TrainingFailed"}
    assert all(call["hook"] != "after_run" for call in calls)
