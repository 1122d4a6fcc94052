"""``hoh runs --where/--sort`` with a key no run has: refused with the closest keys, not "no runs match"."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from core_helpers import hand_written_run

BIN = Path(sys.executable).parent


def _runs(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "hoh"), "runs", "runs", *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def test_unknown_keys_are_refused_with_did_you_mean(tmp_path: Path) -> None:
    hand_written_run(tmp_path / "runs", "20261125T101010Z", 0.001)
    hand_written_run(tmp_path / "runs", "20261125T111111Z", 0.01)
    typo = _runs("--where", "optimizer.learnin_rate<0.005", cwd=tmp_path)
    assert typo.returncode == 2 and "Did you mean 'optimizer.learning_rate'" in typo.stderr, typo.stderr
    metric = _runs("--sort=-best.val_acc", cwd=tmp_path)
    assert metric.returncode == 2 and "'best.val_accuracy'" in metric.stderr, metric.stderr
    good = _runs("--where", "optimizer.learning_rate<0.005", "--sort=-best.val_accuracy", cwd=tmp_path)
    assert good.returncode == 0 and "20261125T101010Z" in good.stdout and "20261125T111111Z" not in good.stdout


def test_latest_names_the_newest_run_of_an_experiment(tmp_path: Path, monkeypatch) -> None:
    import json

    from framework.rundir import resolve_run_dir

    older = hand_written_run(tmp_path / "runs", "20261125T101010Z", 0.001)
    newer = hand_written_run(tmp_path / "runs", "20261125T111111Z", 0.01)
    monkeypatch.chdir(tmp_path)
    assert resolve_run_dir(Path("runs/quick/latest")) == Path("runs/quick/20261125T111111Z")
    assert resolve_run_dir(Path("runs/quick")) == Path("runs/quick/20261125T111111Z")
    assert resolve_run_dir(Path("quick")) == Path("runs/quick/20261125T111111Z")
    assert resolve_run_dir(older) == older and resolve_run_dir(newer / "model.keras") == newer / "model.keras"
    assert resolve_run_dir(Path("nothing")) == Path("nothing")
    done = subprocess.run(
        [str(BIN / "hoh-run"), "--resume", "runs/quick/latest"], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 2 and "runs/quick/20261125T111111Z is finished already" in done.stderr, done.stderr
    compared = subprocess.run(
        [str(BIN / "hoh"), "compare", str(older), "runs/quick/latest", "--no-picture", "--format", "json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert compared.returncode == 0, compared.stderr
    assert [r["path"] for r in json.loads(compared.stdout)["runs"]] == [str(older), "runs/quick/20261125T111111Z"]


def test_runs_that_failed_before_training_are_hidden_unless_all(tmp_path: Path) -> None:
    import json
    import os

    hand_written_run(tmp_path / "runs", "20261125T101010Z", 0.001)
    quick = Path(__file__).resolve().parents[2] / "experiments" / "quick.toml"
    env = {**os.environ, "HOH_DATA_DIR": str(tmp_path / "empty-cache"), "HOH_DATASET_MIRROR": ""}
    offline = subprocess.run(
        [str(BIN / "hoh-run"), str(quick), "--offline", "experiment.output=runs"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert offline.returncode == 2 and "offline" in offline.stderr, offline.stderr[-2000:]
    [failed] = [p.parent for p in (tmp_path / "runs" / "quick").glob("*/status.json") if "101010" not in str(p)]
    assert json.loads((failed / "status.json").read_text())["phase"] == "build"
    listed = _runs(cwd=tmp_path)
    assert listed.returncode == 0 and failed.name not in listed.stdout and "20261125T101010Z" in listed.stdout
    assert "1 run that failed before its first epoch" in listed.stdout and "--all shows it" in " ".join(
        listed.stdout.split()
    )
    everything = _runs("--all", cwd=tmp_path)
    assert failed.name in everything.stdout


def test_the_table_fits_80_columns_and_columns_can_be_chosen(tmp_path: Path) -> None:
    import os

    hand_written_run(tmp_path / "runs", "20261125T101010Z", 0.001)
    hand_written_run(tmp_path / "runs", "20261125T111111Z", 0.01)
    env = {**os.environ, "COLUMNS": "80"}
    done = subprocess.run([str(BIN / "hoh"), "runs"], cwd=tmp_path, env=env, capture_output=True, text=True)
    lines = done.stdout.splitlines()
    assert done.returncode == 0 and max(len(line) for line in lines) <= 80, done.stdout
    assert "learning_rate" in done.stdout and "0.001" in done.stdout and "val_accuracy" in done.stdout  # what tells
    assert "finished" in done.stdout and "not shown for width" in done.stdout
    chosen = subprocess.run(
        [str(BIN / "hoh"), "runs", "--columns", "optimizer.learning_rate,best.val_loss"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert chosen.returncode == 0 and "best." in chosen.stdout and "finished" not in chosen.stdout, chosen.stdout
    typo = subprocess.run(
        [str(BIN / "hoh"), "runs", "--columns", "optimizer.lr"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert typo.returncode == 2 and "optimizer.learning_rate" in typo.stderr
