"""Warm starts: hoh-run --init-from RUN (training.init_from) starts the model from a finished run's weights."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from core_helpers import BUILTINS, KILLER, SECTIONS, run_script, stub_experiment

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


def test_a_warm_started_run_is_resumed_and_extended_after_its_source_is_deleted(tmp_path: Path) -> None:
    """The run's saved training state replaces the warm start's weights: the source is needed only until then."""
    (tmp_path / "experiment.toml").write_text(stub_experiment())
    assert run_script("hoh-run", "experiment.toml", "--run-dir", "source", cwd=tmp_path).returncode == 0
    (tmp_path / "killer.py").write_text(KILLER)
    callbacks = '[[callbacks]]\nprovider = "backup-and-restore"\n\n[[callbacks]]\nprovider = "killer"\n'
    sections = SECTIONS.replace("epochs = 2", "epochs = 3") + "\n" + callbacks
    warm = stub_experiment(sections, name="warm", plugins=(tmp_path / "killer.py",))
    others = [name for name in BUILTINS if name not in ("callbacks", "strategies")]  # the built-in backup's plugins
    (tmp_path / "warm.toml").write_text(warm.replace(json.dumps(BUILTINS), json.dumps(others)))
    for run, epoch in (("early", "0"), ("warm", "1")):  # killed inside its first epoch; inside its second
        killed = run_script(
            "hoh-run", "warm.toml", "--init-from", "source", "--run-dir", run, cwd=tmp_path,
            HOH_TEST_KILL="inside-batch", HOH_TEST_KILL_EPOCH=epoch,
        )  # fmt: skip
        assert killed.returncode == -9, killed.stdout[-2000:] + killed.stderr[-2000:]
    shutil.rmtree(tmp_path / "source")

    resumed = run_script("hoh-run", "--resume", "warm", cwd=tmp_path, HOH_TEST_RESUMING="1")
    assert resumed.returncode == 0, resumed.stdout[-2000:] + resumed.stderr[-3000:]
    assert "is gone; not needed, the run's saved training state replaces its weights" in resumed.stdout
    rows = (tmp_path / "warm" / "metrics.jsonl").read_text().splitlines()
    assert len(rows) == 3

    extended = run_script("hoh-run", "--extend", "warm", "training.epochs=4", "--run-dir", "longer", cwd=tmp_path)
    assert extended.returncode == 0, extended.stdout[-2000:] + extended.stderr[-3000:]
    assert (tmp_path / "longer" / "metrics.jsonl").read_text().splitlines()[:3] == rows

    # Stopped before its first epoch ended, a run has only the warm start to begin from: refused, never begun anew.
    early = run_script("hoh-run", "--resume", "early", cwd=tmp_path, HOH_TEST_RESUMING="1")
    assert early.returncode == 2, early.stdout[-2000:] + early.stderr[-3000:]
    assert "training.init_from" in early.stderr and "does not exist" in early.stderr
    assert "Traceback" not in early.stderr
