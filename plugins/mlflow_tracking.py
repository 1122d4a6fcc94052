"""Log runs to MLflow: settings, per-epoch metrics, the evaluation, the run folder, its status.

Logging starts when a tracking store is named: ``MLFLOW_TRACKING_URI`` in the environment
(MLflow's own convention), or the experiment's table::

    [plugins.mlflow]
    tracking_uri = "sqlite:///mlflow.db"   # or http://mlflow.example:5000, or file:./mlruns
    experiment = "horse-or-human"          # default: the hoh experiment's name

With neither, the plugin does nothing and MLflow is not imported. ``enabled = false`` in
that table switches it off even when the environment names a store. Needs the ``mlflow``
extra (``pip install -e ".[mlflow]"``: ``mlflow-skinny``, the client without the server UI).

Each hoh run is one MLflow run, tagged ``hoh.run_dir`` with its folder; a resumed hoh run
continues the same MLflow run. The experiment's ``[experiment] tags`` become MLflow tags; a
sweep's trials (tagged ``sweep`` and ``trial``) are nested under one parent run per sweep, named
``trial-N``, with ``hoh.status`` saying ``pruned`` for a pruned one (MLflow's own status is
FINISHED: it has no pruned). Logged: every setting of the resolved experiment as a param
(dotted keys, as overrides use them), each epoch's metrics at step = epoch (1-based), the
final evaluation as ``evaluation.<metric>``, the run folder's files as artifacts (``artifacts
= false`` to skip), and the end status (FINISHED, FAILED, KILLED for an interrupt). MLflow's
client is used directly (``MlflowClient``), not its fluent API's process-wide active run, so
sweeps' trials in one process never log into each other. Only the chief logs.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import Field

from framework import Params, RunContext, hookimpl
from framework.api import EVALUATION_FILE, EnvironmentProblem

NAME = "mlflow"
RUN_DIR_TAG = "hoh.run_dir"
SWEEP_PARENT_TAG = "hoh.sweep_parent"
_RUN = "mlflow.run"  # key in RunContext.extras: (client, run id)
SKIPPED_FILES = {"run.lock", "status.json"}  # the lock; the status, which says "running" until after this hook


class MlflowSettings(Params):
    """``[plugins.mlflow]``."""

    tracking_uri: str | None = Field(None, description="MLflow tracking store; default: $MLFLOW_TRACKING_URI.")
    experiment: str | None = Field(None, description="MLflow experiment name; default: the hoh experiment's name.")
    artifacts: bool = Field(True, description="Log the run folder's files as the MLflow run's artifacts.")


@hookimpl
def hoh_settings() -> type[Params]:
    return MlflowSettings


def _tracking_uri(settings: MlflowSettings) -> str | None:
    return settings.tracking_uri or os.environ.get("MLFLOW_TRACKING_URI") or None


def _client(uri: str) -> Any:
    try:
        from mlflow.tracking import MlflowClient
    except ModuleNotFoundError:
        raise EnvironmentProblem(
            f"MLflow tracking is on (tracking URI {uri!r}) but MLflow is not installed: "
            'pip install -e ".[mlflow]", or unset MLFLOW_TRACKING_URI, or set [plugins.mlflow] enabled = false.'
        ) from None
    return MlflowClient(tracking_uri=uri)


@contextlib.contextmanager
def _store_setup_lock(uri: str) -> Iterator[None]:
    """For a ``sqlite:///`` store: a file lock beside the database while it is set up and the experiment found.

    MLflow creates and migrates a SQLite store on first use; two processes doing it at once (a
    sweep's workers) failed with "Online migration expected to match one row". A server or file
    store needs no lock.
    """
    if not uri.startswith("sqlite:///"):
        yield
        return
    from filelock import FileLock

    database = Path(uri.removeprefix("sqlite:///"))
    with FileLock(str(database) + ".hoh-setup.lock", timeout=300):
        yield


def _sweep_parent(client: Any, experiment_id: str, sweep: str) -> str:
    """The parent run of a sweep's trials: found by its tag, or made (under the store's set-up lock)."""
    query = f"tags.`{SWEEP_PARENT_TAG}` = '{sweep}'"
    with _store_setup_lock(client.tracking_uri):  # two workers' first trials must not make two parents
        found = client.search_runs([experiment_id], filter_string=query, max_results=1)
        if found:
            return found[0].info.run_id
        tags = {SWEEP_PARENT_TAG: sweep, "mlflow.source.name": "hoh sweep", "sweep": sweep}
        return client.create_run(experiment_id, run_name=f"sweep {sweep}", tags=tags).info.run_id


def _params(run: RunContext) -> list[Any]:
    from mlflow.entities import Param

    from framework.api import flatten

    params = []
    for key, value in sorted(flatten(run.experiment.to_dict()).items()):
        text = value if isinstance(value, str) else json.dumps(value)
        params.append(Param(key, text[:6000]))  # MLflow's limit on a param value
    return params


@hookimpl
def hoh_configure_run(run: RunContext) -> None:
    settings = run.settings(NAME)
    uri = _tracking_uri(settings)
    if uri is None or not run.is_chief:
        return
    try:
        name = settings.experiment or run.experiment.experiment.name
        with _store_setup_lock(uri):  # the client creates (and migrates) a new store: one process at a time
            client = _client(uri)
            found = client.get_experiment_by_name(name)
            experiment_id = found.experiment_id if found is not None else client.create_experiment(name)
        folder = str(run.run_dir.resolve())
        previous = client.search_runs([experiment_id], filter_string=f"tags.`{RUN_DIR_TAG}` = '{folder}'")
        if run.resumed and previous:
            run_id = previous[0].info.run_id
            client.update_run(run_id, status="RUNNING")
        else:
            labels = dict(run.experiment.experiment.tags)
            tags = {RUN_DIR_TAG: folder, "mlflow.source.name": "hoh", "hoh.experiment": name, **labels}
            if "sweep" in labels:  # a sweep's trial: nested under one parent run a sweep
                tags["mlflow.parentRunId"] = _sweep_parent(client, experiment_id, labels["sweep"])
            run_name = f"trial-{labels['trial']}" if "trial" in labels else run.run_dir.name
            run_id = client.create_run(experiment_id, run_name=run_name, tags=tags).info.run_id
            params = _params(run)
            for start in range(0, len(params), 100):  # MLflow takes at most 100 params a batch
                client.log_batch(run_id, params=params[start : start + 100])
    except EnvironmentProblem:
        raise
    except Exception as error:
        raise EnvironmentProblem(
            f"MLflow tracking store {uri!r} refused the run: {type(error).__name__}: {str(error)[:300]}. "
            "Check the URI and the server, or set [plugins.mlflow] enabled = false."
        ) from None
    run.extras[_RUN] = (client, run_id)
    run.console.print(f"MLflow: run {run_id} in experiment {name!r} at {uri}")


@hookimpl
def hoh_after_epoch(run: RunContext, epoch: int, logs: dict[str, float], history: list[dict[str, float]]) -> None:
    found = run.extras.get(_RUN)
    if found is None:
        return
    from mlflow.entities import Metric

    client, run_id = found
    stamp = int(time.time() * 1000)
    metrics = [Metric(k, float(v), stamp, epoch + 1) for k, v in logs.items() if isinstance(v, int | float)]
    client.log_batch(run_id, metrics=metrics)


@hookimpl
def hoh_after_run(run: RunContext, history: list[dict[str, float]]) -> None:
    found = run.extras.pop(_RUN, None)
    if found is None:
        return
    from mlflow.entities import Metric

    client, run_id = found
    try:
        evaluation = json.loads((run.run_dir / EVALUATION_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        evaluation = {}
    stamp = int(time.time() * 1000)
    metrics = [Metric(f"evaluation.{k}", float(v), stamp, len(history)) for k, v in evaluation.items()]
    if metrics:
        client.log_batch(run_id, metrics=metrics)
    if run.settings(NAME).artifacts:
        for path in sorted(run.run_dir.iterdir()):
            if path.name in SKIPPED_FILES:
                continue
            if path.is_dir():
                client.log_artifacts(run_id, str(path), artifact_path=path.name)
            else:
                client.log_artifact(run_id, str(path))
    client.set_tag(run_id, "hoh.status", run.outcome or "finished")  # MLflow has no "pruned" of its own
    client.set_terminated(run_id, status="FINISHED")


@hookimpl
def hoh_on_run_error(run: RunContext, error: BaseException) -> None:
    found = run.extras.pop(_RUN, None)
    if found is None:
        return
    client, run_id = found
    client.set_tag(run_id, "hoh.error", f"{type(error).__name__}: {error}"[:5000])
    client.set_terminated(run_id, status="KILLED" if isinstance(error, KeyboardInterrupt) else "FAILED")
