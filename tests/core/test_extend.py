"""``hoh-run --extend RUN training.epochs=N``: a finished run trained on, in a new folder, to a longer run's numbers.

The finished run is never changed; what cannot be extended is refused before anything is
trained, and leaves no folder behind.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from core_helpers import BUILTINS, SECTIONS, run_script, stub_experiment

pytestmark = pytest.mark.slow


def _experiment(tmp_path: Path, epochs: int, backup: str = "") -> Path:
    sections = (
        SECTIONS.replace("epochs = 2", f"epochs = {epochs}")
        .replace('provider = "stub-model"', 'provider = "stub-model"\ndropout = 0.5')  # masks continue exactly too
        .replace('provider = "stub-pipeline"', 'provider = "stub-pipeline"\nsamples = 24\nshuffle = true')
    )
    text = stub_experiment(sections + f'\n[[callbacks]]\nprovider = "backup-and-restore"\n{backup}')
    others = [name for name in BUILTINS if name != "callbacks"]  # the stub plugin and the built-in callbacks
    path = tmp_path / "experiment.toml"
    path.write_text(
        text.replace(f"disable_plugins = {json.dumps(BUILTINS)}", f"disable_plugins = {json.dumps(others)}")
    )
    return path


def _rows(run_dir: Path) -> list[dict]:
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    for row in rows:
        row.pop("seconds")
    return rows


def _weights(run_dir: Path) -> list[np.ndarray]:
    import keras

    return keras.saving.load_model(run_dir / "model.keras").get_weights()


def _digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*") if p.is_file()
    }


def test_an_extended_run_ends_as_a_run_trained_that_long_from_the_start(tmp_path: Path) -> None:
    path = _experiment(tmp_path, 2)
    assert run_script("hoh-run", str(path), "--run-dir", "short", cwd=tmp_path).returncode == 0
    whole = run_script("hoh-run", str(path), "training.epochs=4", "--run-dir", "whole", cwd=tmp_path)
    assert whole.returncode == 0, whole.stderr[-3000:]
    before = _digests(tmp_path / "short")

    extended = run_script("hoh-run", "--extend", "short", "training.epochs=4", "--run-dir", "long", cwd=tmp_path)

    assert extended.returncode == 0, extended.stdout[-2000:] + extended.stderr[-3000:]
    assert "Extending run short (2 epochs) to 4 epochs in long" in extended.stdout
    long, short = tmp_path / "long", tmp_path / "short"
    assert _rows(long) == _rows(tmp_path / "whole")  # epochs 1-2 copied, 3-4 trained: as the 4-epoch run's
    rows = (long / "metrics.jsonl").read_text().splitlines()
    assert rows[:2] == (short / "metrics.jsonl").read_text().splitlines()  # not trained again: same seconds too
    assert all(np.array_equal(a, b) for a, b in zip(_weights(long), _weights(tmp_path / "whole"), strict=True))
    assert json.loads((long / "evaluation.json").read_text()) == json.loads(
        (tmp_path / "whole/evaluation.json").read_text()
    )
    assert _digests(short) == before  # the finished run is not changed
    record = json.loads((long / "extends.json").read_text())
    assert record["source"] == str(short.resolve()) and record["source_epochs"] == 2
    assert record["overrides"] == ["training.epochs=4"]
    assert "epochs = 4" in (long / "experiment.toml").read_text()
    assert json.loads((long / "status.json").read_text())["status"] == "finished"


def test_what_cannot_be_extended_is_refused_before_training_and_leaves_nothing(tmp_path: Path) -> None:
    path = _experiment(tmp_path, 1, backup="delete_checkpoint = true\n")
    assert run_script("hoh-run", str(path), "--run-dir", "done", cwd=tmp_path).returncode == 0
    before = _digests(tmp_path / "done")

    cases = {
        ("training.epochs=3",): "kept no training state when it finished (backup/state.json is missing",
        ("model.dropout=0.1",): "an extension cannot change model.dropout",
        ("training.epochs=1",): "trained 1 epochs and the extension would train 1 in all",
        ("experiment.toml", "training.epochs=3"): "--extend RUN takes overrides only",
    }
    for extra, said in cases.items():
        refused = run_script("hoh-run", "--extend", "done", *extra, cwd=tmp_path)
        assert refused.returncode == 2, (extra, refused.stdout[-2000:], refused.stderr[-2000:])
        assert said in refused.stderr.replace("\n", " ") and "Traceback" not in refused.stderr, (extra, refused.stderr)
        assert [p.parent.name for p in tmp_path.rglob("experiment.toml") if p.parent != tmp_path] == ["done"]
        assert _digests(tmp_path / "done") == before  # nor the finished run changed


def test_an_unfinished_run_is_pointed_to_resume(tmp_path: Path) -> None:
    run = tmp_path / "stopped"
    run.mkdir()
    (run / "experiment.toml").write_text(_experiment(tmp_path, 2).read_text())
    (run / "status.json").write_text(json.dumps({"status": "interrupted"}))
    refused = run_script("hoh-run", "--extend", str(run), "training.epochs=4", cwd=tmp_path)
    assert refused.returncode == 2
    assert f"Continue an interrupted run with hoh-run --resume {run}" in refused.stderr.replace("\n", " ")


def test_a_pruned_run_is_extended_not_resumed(tmp_path: Path) -> None:
    """A sweep's pruned trial ended on purpose: --resume would change the sweep's record, --extend trains on."""
    path = _experiment(tmp_path, 2)
    assert run_script("hoh-run", str(path), "--run-dir", "trial", cwd=tmp_path).returncode == 0
    status = tmp_path / "trial" / "status.json"
    status.write_text(json.dumps({**json.loads(status.read_text()), "status": "pruned", "reason": "epoch 2"}))
    before = _digests(tmp_path / "trial")

    refused = run_script("hoh-run", "--resume", "trial", cwd=tmp_path)
    assert refused.returncode == 2
    said = " ".join(refused.stderr.split())
    assert "run trial was pruned by its sweep" in said and "hoh-run --extend trial training.epochs=N" in said
    assert _digests(tmp_path / "trial") == before

    extended = run_script("hoh-run", "--extend", "trial", "training.epochs=3", "--run-dir", "more", cwd=tmp_path)
    assert extended.returncode == 0, extended.stderr[-3000:]
    assert len(_rows(tmp_path / "more")) == 3
    assert _digests(tmp_path / "trial") == before
    status.unlink()  # an older run, from before status.json: finished, as it has its model
    refused = run_script("hoh-run", "--resume", "trial", cwd=tmp_path)
    assert refused.returncode == 2 and "--extend trial" in " ".join(refused.stderr.split())
    again = run_script("hoh-run", "--extend", "trial", "training.epochs=3", "--run-dir", "again", cwd=tmp_path)
    assert again.returncode == 0, again.stderr[-3000:]  # not sent back to --resume
