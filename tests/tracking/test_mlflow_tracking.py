"""The MLflow plugin against a real local MLflow store (SQLite, MLflow's default kind), not a mock."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tracking_helpers import history, tiny_run

pytest.importorskip("mlflow", reason='the mlflow extra is not installed: pip install -e ".[mlflow]"')
pytestmark = pytest.mark.slow


def _client(uri: str):
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=uri)


def test_a_run_is_logged_with_settings_metrics_evaluation_artifacts_and_its_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.chdir(tmp_path)  # MLflow puts a SQLite store's artifacts in ./mlruns
    run_dir = tiny_run(tmp_path, rate="0.003")
    client = _client(uri)
    experiment = client.get_experiment_by_name("tracked")
    (found,) = client.search_runs([experiment.experiment_id])
    assert found.info.status == "FINISHED"
    assert found.data.tags["hoh.run_dir"] == str(run_dir.resolve())
    assert found.data.params["optimizer.learning_rate"] == "0.003"
    assert found.data.params["model.filters"] == "[4, 4, 4, 4, 4]"
    rows = history(run_dir)
    for key in ("loss", "val_accuracy"):
        logged = client.get_metric_history(found.info.run_id, key)
        assert [(m.step, m.value) for m in sorted(logged, key=lambda m: m.step)] == [
            (row["epoch"], pytest.approx(row[key])) for row in rows
        ]
    evaluation = json.loads((run_dir / "evaluation.json").read_text())
    assert found.data.metrics["evaluation.accuracy"] == pytest.approx(evaluation["accuracy"])
    artifacts = {a.path for a in client.list_artifacts(found.info.run_id)}
    assert {"metrics.jsonl", "model.keras", "experiment.toml", "evaluation.json"} <= artifacts
    assert "run.lock" not in artifacts


def test_a_failed_run_is_marked_failed_and_the_settings_table_names_the_store(tmp_path: Path, monkeypatch) -> None:
    from framework.errors import UserError

    monkeypatch.chdir(tmp_path)
    uri = f"sqlite:///{tmp_path / 'other.db'}"
    extra = f'\n[plugins.mlflow]\ntracking_uri = "{uri}"\nexperiment = "diverging"\nartifacts = false\n'
    with pytest.raises(UserError, match=r"not a png|cannot be read|unreadable"):
        tiny_run(tmp_path, extra=extra, broken=True)
    client = _client(uri)
    (found,) = client.search_runs([client.get_experiment_by_name("diverging").experiment_id])
    assert found.info.status == "FAILED"
    assert found.data.tags["hoh.error"].startswith("UserError")
    assert client.list_artifacts(found.info.run_id) == []
    assert not (tmp_path / "mlruns").exists() or not any((tmp_path / "mlruns").rglob("experiment.toml"))


def test_without_a_store_nothing_is_logged_and_mlflow_is_not_needed(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.chdir(tmp_path)
    tiny_run(tmp_path)
    assert not (tmp_path / "mlflow.db").exists() and not (tmp_path / "mlruns").exists()


CONFIGURE = """
import io, sys
from pathlib import Path
from rich.console import Console
from framework import RunContext
from framework.api import load_experiment
from plugins.mlflow_tracking import hoh_configure_run

loaded = load_experiment(Path(sys.argv[1]))
run = RunContext(loaded.experiment, loaded.registry, Path(sys.argv[2]), Console(file=io.StringIO()))
hoh_configure_run(run=run)
"""


def test_processes_starting_at_once_on_a_new_sqlite_store_all_log(tmp_path: Path) -> None:
    """A sweep's workers: MLflow created and migrated a new SQLite store in each at once, and one failed."""
    import subprocess
    import sys

    from core_helpers import subprocess_env, tiny_five_conv

    uri = f"sqlite:///{tmp_path / 'shared.db'}"
    path = tmp_path / "experiment.toml"
    extra = f'\n[plugins.mlflow]\ntracking_uri = "{uri}"\nexperiment = "at-once"\n'
    path.write_text(tiny_five_conv(name="at-once", output=str(tmp_path), data=str(tmp_path / "data"), extra=extra))
    starts = [
        subprocess.Popen(
            [sys.executable, "-c", CONFIGURE, str(path), str(tmp_path / f"run{n}")],
            cwd=tmp_path,
            env=subprocess_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for n in range(3)
    ]
    outputs = [start.communicate(timeout=300)[0] for start in starts]
    assert [start.returncode for start in starts] == [0, 0, 0], "\n".join(o[-1500:] for o in outputs)
    client = _client(uri)
    assert len(client.search_runs([client.get_experiment_by_name("at-once").experiment_id])) == 3
