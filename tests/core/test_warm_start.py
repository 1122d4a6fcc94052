"""Warm starts: hoh-run --init-from RUN (training.init_from) starts the model from a finished run's weights."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from core_helpers import run_script, stub_experiment

pytestmark = pytest.mark.slow

SPY = '''
"""Saves the model's weights as training starts (after compile, before the first epoch)."""

import numpy as np

from framework import hookimpl


@hookimpl
def hoh_before_run(run, model):
    np.savez(run.run_dir / "start.npz", *model.get_weights())
'''


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished stub run, runs/stub/<time>."""
    tmp = tmp_path_factory.mktemp("source")
    (tmp / "experiment.toml").write_text(stub_experiment())
    done = run_script("hoh-run", "experiment.toml", cwd=tmp)
    assert done.returncode == 0, done.stderr[-3000:]
    return tmp


def _start_weights(run_dir: Path) -> list[np.ndarray]:
    with np.load(run_dir / "start.npz") as saved:
        return [saved[f"arr_{i}"] for i in range(len(saved.files))]


def test_a_warm_start_begins_with_the_finished_runs_weights_and_records_them(source: Path) -> None:
    import keras

    (source / "spy.py").write_text(SPY)
    (source / "warm.toml").write_text(stub_experiment(name="warm", plugins=(source / "spy.py",)))
    warm = run_script("hoh-run", "warm.toml", "--init-from", "runs/stub/latest", "--run-dir", "warm", cwd=source)
    assert warm.returncode == 0, warm.stdout[-2000:] + warm.stderr[-3000:]
    [finished] = sorted((source / "runs" / "stub").glob("2*"))
    expected = keras.saving.load_model(finished / "model.keras").get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(_start_weights(source / "warm"), expected, strict=True))
    record = json.loads((source / "warm" / "init.json").read_text())
    assert record["init_from"] == str((finished / "model.keras").resolve()) and len(record["sha256"]) == 64
    # The experiment records the run that "latest" named then, not "latest".
    assert f'init_from = "{finished.resolve()}"' in (source / "warm" / "experiment.toml").read_text()


def test_a_model_that_does_not_fit_is_refused_before_training(source: Path) -> None:
    (source / "wider.toml").write_text(
        stub_experiment(name="wider").replace('provider = "stub-model"', 'provider = "stub-model"\nunits = 8')
    )
    refused = run_script("hoh-run", "wider.toml", "--init-from", "runs/stub/latest", "--run-dir", "wider", cwd=source)
    assert refused.returncode == 2, refused.stdout[-2000:] + refused.stderr[-2000:]
    assert "do not fit this experiment's model" in refused.stderr and "Traceback" not in refused.stderr
    assert not (source / "wider" / "metrics.jsonl").exists()


def test_a_folder_that_is_not_a_finished_run_is_refused_by_validate(source: Path) -> None:
    (source / "empty").mkdir()
    (source / "plain.toml").write_text(stub_experiment(name="plain"))
    checked = run_script("hoh", "validate", "plain.toml", "training.init_from=empty", cwd=source)
    assert checked.returncode == 2 and "a folder without model.keras: not a finished run" in checked.stderr
