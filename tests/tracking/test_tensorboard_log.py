"""Every run writes TensorBoard scalars and HParams by default; [plugins.tensorboard_log] enabled = false stops it."""

from __future__ import annotations

from pathlib import Path

import pytest
from tracking_helpers import history, tiny_run

pytestmark = pytest.mark.slow


def _events(folder: Path) -> tuple[dict[str, list[tuple[int, float]]], dict[str, object]]:
    """Scalars by tag as (step, value), and the HParams of the session start, read from the event files."""
    import tensorflow as tf
    from tensorboard.plugins.hparams import metadata, plugin_data_pb2

    scalars: dict[str, list[tuple[int, float]]] = {}
    hparams: dict[str, object] = {}
    for path in sorted(folder.glob("events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            for value in event.summary.value:
                plugin = value.metadata.plugin_data.plugin_name
                if plugin == metadata.PLUGIN_NAME:
                    data = plugin_data_pb2.HParamsPluginData.FromString(value.metadata.plugin_data.content)
                    if data.HasField("session_start_info"):
                        for key, v in data.session_start_info.hparams.items():
                            hparams[key] = getattr(v, v.WhichOneof("kind"))
                else:
                    scalars.setdefault(value.tag, []).append((event.step, float(tf.make_ndarray(value.tensor))))
    return scalars, hparams


def test_a_run_writes_its_hparams_and_one_scalar_per_metric_and_epoch(tmp_path: Path) -> None:
    run_dir = tiny_run(tmp_path, rate="0.002")
    scalars, hparams = _events(run_dir / "tensorboard")
    assert hparams["optimizer.learning_rate"] == pytest.approx(0.002)
    assert hparams["model.filters"] == "[4, 4, 4, 4, 4]" and hparams["pipeline.provider"] == "tf-data"
    assert "experiment.output" not in hparams  # where, not what
    rows = history(run_dir)
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        assert scalars[key] == [(row["epoch"], pytest.approx(row[key])) for row in rows]
    evaluation = (run_dir / "evaluation.json").read_text()
    import json

    assert scalars["evaluation/accuracy"] == [(2, pytest.approx(json.loads(evaluation)["accuracy"]))]


def test_switched_off_it_writes_nothing(tmp_path: Path) -> None:
    run_dir = tiny_run(tmp_path, extra="\n[plugins.tensorboard_log]\nenabled = false\n")
    assert not (run_dir / "tensorboard").exists()
