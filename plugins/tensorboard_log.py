"""Every run writes TensorBoard scalars and HParams, so ``tensorboard --logdir runs`` compares runs.

On by default (a built-in plugin); switch it off for an experiment with::

    [plugins.tensorboard_log]
    enabled = false

What it writes, into ``<run>/tensorboard/`` (TensorBoard names the run by that path):

- the HParams of the run: every scalar setting of the resolved experiment, by the dotted key
  overrides use (``optimizer.learning_rate``), when training starts; TensorBoard's HParams
  dashboard then tables runs and sweeps' trials by their settings;
- per epoch, each metric of the history (``loss``, ``val_accuracy`` ...) at step = epoch (1-based);
- at the end, the final evaluation as ``evaluation/<metric>``.

The summaries are written by ``tf.summary`` (TensorFlow is imported by then) with the
``tensorboard`` package's HParams API; only the chief writes in multi-worker training.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import Field

from framework import Params, RunContext, hookimpl
from framework.api import EVALUATION_FILE

NAME = "tensorboard_log"
_WRITER = "tensorboard_log.writer"  # key in RunContext.extras
NOT_HPARAMS = ("experiment.output", "experiment.description", "experiment.plugins", "experiment.disable_plugins")


class TensorBoardLogSettings(Params):
    """``[plugins.tensorboard_log]``."""

    folder: str = Field("tensorboard", description="Folder of the summaries, relative to the run folder.")


@hookimpl
def hoh_settings() -> type[Params]:
    return TensorBoardLogSettings


def hparams_of(settings: dict[str, Any]) -> dict[str, bool | int | float | str]:
    """The experiment's settings as HParams values: scalars as they are, lists as JSON text."""
    from framework.api import flatten

    found: dict[str, bool | int | float | str] = {}
    for key, value in flatten(settings).items():
        if key.startswith(NOT_HPARAMS) or value is None:
            continue
        found[key] = value if isinstance(value, bool | int | float | str) else json.dumps(value)
    return found


def _writer(run: RunContext) -> Any:
    return run.extras.get(_WRITER)


@hookimpl
def hoh_before_run(run: RunContext, model: Any) -> None:
    if not run.is_chief:
        return
    import tensorflow as tf
    from tensorboard.plugins.hparams import api as hp

    settings = run.settings(NAME)
    writer = tf.summary.create_file_writer(str(run.run_dir / settings.folder))
    run.extras[_WRITER] = writer
    with writer.as_default():
        hp.hparams(hparams_of(run.experiment.to_dict()), trial_id=run.run_dir.name)
    writer.flush()


@hookimpl
def hoh_after_epoch(run: RunContext, epoch: int, logs: dict[str, float], history: list[dict[str, float]]) -> None:
    writer = _writer(run)
    if writer is None:
        return
    import tensorflow as tf

    with writer.as_default():
        for key, value in logs.items():
            if isinstance(value, int | float):
                tf.summary.scalar(key, float(value), step=epoch + 1)
    writer.flush()


@hookimpl
def hoh_after_run(run: RunContext, history: list[dict[str, float]]) -> None:
    writer = run.extras.pop(_WRITER, None)
    if writer is None:
        return
    import tensorflow as tf

    try:
        evaluation = json.loads((run.run_dir / EVALUATION_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        evaluation = {}
    with writer.as_default():
        for key, value in evaluation.items():
            if isinstance(value, int | float):
                tf.summary.scalar(f"evaluation/{key}", float(value), step=len(history))
    writer.close()


@hookimpl
def hoh_on_run_error(run: RunContext, error: BaseException) -> None:
    writer = run.extras.pop(_WRITER, None)
    if writer is not None:
        writer.close()
