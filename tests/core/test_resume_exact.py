"""A run killed at any stage of an epoch either resumes to the uninterrupted run's numbers and model, or refuses.

Each case kills a real (small) run with SIGKILL at one stage boundary, resumes it with
``hoh-run --resume``, and compares its metrics and final weights with a run that was never
stopped.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from core_helpers import BUILTINS, KILLER, SECTIONS, run_script, stub_experiment

pytestmark = pytest.mark.slow

BACKUP = '[[callbacks]]\nprovider = "backup-and-restore"\n'
KILLER_TABLE = '[[callbacks]]\nprovider = "killer"\n'


MIRRORED = '[strategy]\nprovider = "mirrored"\ncpu_devices = 2\n'


def _experiment(tmp_path: Path, killer_first: bool, strategy: str = "", shuffle: bool = True) -> Path:
    plugin = tmp_path / "killer.py"
    plugin.write_text(KILLER)
    sections = (
        SECTIONS.replace("epochs = 2", "epochs = 4")
        .replace(
            'provider = "stub-model"',
            'provider = "stub-model"\ndropout = 0.5',  # its masks must resume too
        )
        .replace(
            'provider = "stub-pipeline"', f'provider = "stub-pipeline"\nsamples = 24\nshuffle = {str(shuffle).lower()}'
        )
    )
    callbacks = KILLER_TABLE + "\n" + BACKUP if killer_first else BACKUP + "\n" + KILLER_TABLE
    path = tmp_path / "experiment.toml"
    text = stub_experiment(sections + "\n" + callbacks + "\n" + strategy, plugins=(plugin,))
    # the stub plugin, the built-in callbacks and strategies
    others = [name for name in BUILTINS if name not in ("callbacks", "strategies")]
    path.write_text(
        text.replace(f"disable_plugins = {json.dumps(BUILTINS)}", f"disable_plugins = {json.dumps(others)}")
    )
    return path


def _outcome(run_dir: Path) -> tuple[list[dict], list[np.ndarray], dict]:
    import keras

    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    for row in rows:
        row.pop("seconds")
    weights = keras.saving.load_model(run_dir / "model.keras").get_weights()
    return rows, weights, json.loads((run_dir / "evaluation.json").read_text())


def _resume_killed(killed, run_dir: Path, uninterrupted) -> None:
    """``killed`` was SIGKILLed: ``hoh-run --resume`` ends with the uninterrupted run's rows, weights, evaluation."""
    assert killed.returncode == -9, killed.stdout[-2000:] + killed.stderr[-2000:]
    assert json.loads((run_dir / "status.json").read_text())["status"] == "running"  # what a kill leaves
    resumed = run_script("hoh-run", "--resume", run_dir.name, cwd=run_dir.parent, HOH_TEST_RESUMING="1")
    assert resumed.returncode == 0, resumed.stdout[-2000:] + resumed.stderr[-3000:]
    rows, weights, evaluation = _outcome(run_dir)
    expected_rows, expected_weights, expected_evaluation = uninterrupted
    assert rows == expected_rows
    assert all(np.array_equal(a, b) for a, b in zip(weights, expected_weights, strict=True))
    assert evaluation == expected_evaluation


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("whole")
    done = run_script("hoh-run", str(_experiment(tmp, True)), "--run-dir", "run", cwd=tmp)
    assert done.returncode == 0, done.stderr[-3000:]
    return _outcome(tmp / "run")


@pytest.mark.parametrize(
    ("stage", "killer_first"),
    [
        ("inside-batch", True),  # in the middle of epoch 2
        ("epoch-end-first", True),  # epoch 2's metrics row written, its training state not committed
        ("epoch-end-last", False),  # epoch 2 committed, later callbacks not run
        ("after-fit", True),  # training done, model.keras not written
        ("after-evaluation", True),  # model.keras and evaluation.json written, run not marked finished
    ],
)
def test_a_killed_run_resumes_to_the_same_numbers(tmp_path: Path, uninterrupted, stage: str, killer_first: bool):
    path = _experiment(tmp_path, killer_first)
    place = "first" if killer_first else "last"
    killed = run_script(
        "hoh-run", str(path), "--run-dir", "run", cwd=tmp_path, HOH_TEST_KILL=stage, HOH_TEST_KILLER_PLACE=place
    )
    run_dir = tmp_path / "run"
    _resume_killed(killed, run_dir, uninterrupted)
    assert json.loads((run_dir / "status.json").read_text())["status"] == "finished"
    assert json.loads((run_dir / "backup" / "state.json").read_text())["epoch"] == 4  # kept for --extend


def test_a_killed_extension_resumes_to_the_same_numbers(tmp_path: Path, uninterrupted) -> None:
    """hoh-run --extend killed in its first own epoch; --resume of the new folder ends as the uninterrupted run."""
    path = _experiment(tmp_path, True)
    short = run_script("hoh-run", str(path), "training.epochs=2", "--run-dir", "short", cwd=tmp_path)
    assert short.returncode == 0, short.stderr[-3000:]
    source = sorted((p.name, p.read_bytes()) for p in (tmp_path / "short").rglob("*") if p.is_file())
    killed = run_script(
        "hoh-run", "--extend", "short", "training.epochs=4", "--run-dir", "long", cwd=tmp_path,
        HOH_TEST_KILL="inside-batch", HOH_TEST_KILL_EPOCH="2",  # 0-based: epoch 3, the extension's first
    )  # fmt: skip
    long = tmp_path / "long"
    _resume_killed(killed, long, uninterrupted)
    assert json.loads((long / "extends.json").read_text())["source_epochs"] == 2
    assert sorted((p.name, p.read_bytes()) for p in (tmp_path / "short").rglob("*") if p.is_file()) == source


@pytest.mark.parametrize(("signal_name", "code"), [("SIGKILL", -9), ("SIGTERM", 130), ("SIGINT", 130)])
def test_a_run_stopped_before_its_first_commit_starts_again_exactly(
    tmp_path: Path, uninterrupted, signal_name: str, code: int
) -> None:
    """Epoch 1's metrics row written, its commit not: nothing to continue from, so epoch 1 is trained again."""
    path = _experiment(tmp_path, True)
    killed = run_script(
        "hoh-run",
        str(path),
        "--run-dir",
        "run",
        cwd=tmp_path,
        HOH_TEST_KILL="epoch-end-first",
        HOH_TEST_KILLER_PLACE="first",
        HOH_TEST_KILL_EPOCH="0",
        HOH_TEST_SIGNAL=signal_name,
    )
    assert killed.returncode == code, killed.stdout[-2000:] + killed.stderr[-2000:]
    run_dir = tmp_path / "run"
    assert (
        len((run_dir / "metrics.jsonl").read_text().splitlines()) == 1 and not (run_dir / "backup/state.json").exists()
    )
    if code == 130:
        assert "continue with: hoh-run --resume run" in killed.stdout
    resumed = run_script("hoh-run", "--resume", "run", cwd=tmp_path, HOH_TEST_RESUMING="1")
    assert resumed.returncode == 0, resumed.stdout[-2000:] + resumed.stderr[-3000:]
    assert "training starts again from epoch 1" in resumed.stdout
    rows, weights, evaluation = _outcome(run_dir)
    expected_rows, expected_weights, expected_evaluation = uninterrupted
    assert rows == expected_rows and evaluation == expected_evaluation
    assert all(np.array_equal(a, b) for a, b in zip(weights, expected_weights, strict=True))


def test_a_forged_history_is_refused_not_resumed(tmp_path: Path) -> None:
    path = _experiment(tmp_path, True)
    killed = run_script("hoh-run", str(path), "--run-dir", "run", cwd=tmp_path, HOH_TEST_KILL="inside-batch")
    assert killed.returncode == -9
    state_path = tmp_path / "run" / "backup" / "state.json"
    state = json.loads(state_path.read_text())
    state["history"][0]["loss"] = 0.0001  # a better number than the run had
    state_path.write_text(json.dumps(state))
    before = (tmp_path / "run" / "metrics.jsonl").read_text()
    resumed = run_script("hoh-run", "--resume", "run", cwd=tmp_path, HOH_TEST_RESUMING="1")
    assert resumed.returncode == 2, resumed.stderr
    assert "changed after it was written" in resumed.stderr and "Traceback" not in resumed.stderr
    assert (tmp_path / "run" / "metrics.jsonl").read_text() == before  # nothing of the forgery reached it


def test_a_damaged_training_state_is_refused(tmp_path: Path) -> None:
    path = _experiment(tmp_path, True)
    killed = run_script("hoh-run", str(path), "--run-dir", "run", cwd=tmp_path, HOH_TEST_KILL="inside-batch")
    assert killed.returncode == -9
    [weights] = (tmp_path / "run" / "backup").glob("*.weights.h5")
    weights.write_bytes(weights.read_bytes()[:100])  # cut short, as by a full disk
    resumed = run_script("hoh-run", "--resume", "run", cwd=tmp_path, HOH_TEST_RESUMING="1")
    assert resumed.returncode == 2, resumed.stderr
    assert "is damaged" in resumed.stderr and "does not match the checksum" in resumed.stderr
    assert "Traceback" not in resumed.stderr


def test_a_run_being_trained_is_not_resumed_twice(tmp_path: Path) -> None:
    from filelock import FileLock

    path = _experiment(tmp_path, True)
    killed = run_script("hoh-run", str(path), "--run-dir", "run", cwd=tmp_path, HOH_TEST_KILL="inside-batch")
    assert killed.returncode == -9
    with FileLock(tmp_path / "run" / "run.lock"):  # as a first --resume holds it
        second = run_script("hoh-run", "--resume", "run", cwd=tmp_path, HOH_TEST_RESUMING="1")
    assert second.returncode == 2, second.stderr
    assert "is being trained by another process right now" in second.stderr and "Traceback" not in second.stderr
    third = run_script("hoh-run", "--resume", "run", cwd=tmp_path, HOH_TEST_RESUMING="1")
    assert third.returncode == 0, third.stderr[-2000:]


def test_a_run_without_saved_training_state_cannot_resume(tmp_path: Path) -> None:
    path = _experiment(tmp_path, True)
    path.write_text(path.read_text().replace(BACKUP, ""))
    killed = run_script("hoh-run", str(path), "--run-dir", "run", cwd=tmp_path, HOH_TEST_KILL="inside-batch")
    assert killed.returncode == -9
    resumed = run_script("hoh-run", "--resume", "run", cwd=tmp_path, HOH_TEST_RESUMING="1")
    assert resumed.returncode == 2
    assert "saves the training state (provider = 'backup-and-restore')" in resumed.stderr  # found by capability


@pytest.mark.parametrize("shuffle", [False, True])
def test_a_killed_mirrored_run_is_refused_or_resumed_when_allowed(tmp_path: Path, shuffle: bool) -> None:
    """Two replicas (logical CPU devices): resuming is refused unless --allow-inexact.

    Allowed, and with a pipeline that does not reshuffle, it still ends exactly as an
    uninterrupted run: the training state and skipped batches work under a strategy. With
    reshuffling, the distributed stream's order differs, which is why it is refused.
    """
    whole = tmp_path / "whole"
    if not shuffle:  # the uninterrupted run it must equal; a reshuffling run need not equal one
        whole.mkdir()
        done = run_script("hoh-run", str(_experiment(whole, True, MIRRORED, shuffle)), "--run-dir", "run", cwd=whole)
        assert done.returncode == 0, done.stderr[-3000:]
    path = _experiment(tmp_path, True, MIRRORED, shuffle)
    killed = run_script("hoh-run", str(path), "--run-dir", "run", cwd=tmp_path, HOH_TEST_KILL="inside-batch")
    assert killed.returncode == -9, killed.stderr[-2000:]
    refused = run_script("hoh-run", "--resume", "run", cwd=tmp_path, HOH_TEST_RESUMING="1")
    assert refused.returncode == 2, refused.stdout[-2000:] + refused.stderr[-3000:]
    assert "trains on 2 devices" in refused.stderr and "--allow-inexact" in refused.stderr
    resumed = run_script("hoh-run", "--resume", "run", "--allow-inexact", cwd=tmp_path, HOH_TEST_RESUMING="1")
    assert resumed.returncode == 0, resumed.stdout[-2000:] + resumed.stderr[-3000:]
    rows, weights, evaluation = _outcome(tmp_path / "run")
    assert [r["epoch"] for r in rows] == [1, 2, 3, 4]
    if not shuffle:
        expected_rows, expected_weights, expected_evaluation = _outcome(whole / "run")
        assert rows == expected_rows
        assert all(np.array_equal(a, b) for a, b in zip(weights, expected_weights, strict=True))
        assert evaluation == expected_evaluation
