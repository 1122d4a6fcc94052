"""The public API for plugins, beyond :mod:`framework` itself: the one door built-in and third-party plugins use.

``framework`` holds what every plugin needs (the :data:`~framework.hookimpl` marker,
:class:`~framework.Provider`, :class:`~framework.Params`, the value types and errors). This
module adds the tools a plugin that writes files, reads runs or drives runs needs. Every
other ``framework.*`` module is private: it may change in any release, and the import
contracts in ``pyproject.toml`` (checked in CI with import-linter) keep ``plugins/`` off it.

Example::

    from framework.api import METRICS_FILE, write_json

    @hookimpl
    def hoh_after_run(run, history):
        write_json(run.run_dir / "my-summary.json", {"epochs": len(history)})

Names that would slow down ``hoh validate`` (the runner, experiment loading, image decoding)
are imported when first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from framework.atomic import sha256_file, strict_json_value, write_json, write_text, write_with
from framework.commands import Command
from framework.errors import EnvironmentProblem, ExperimentError, PluginError, TrainingFailed, UserError
from framework.images import IMAGE_FORMATS, IMAGE_SUFFIXES, labelled_images, list_images, other_images, scan_images
from framework.memory import GB, available_memory
from framework.preprocessing import Preprocessing
from framework.run_status import mark_ended, process_alive
from framework.rundir import (
    CHECKPOINTS_DIR,
    CLASSES_FILE,
    EVALUATION_FILE,
    EXPERIMENT_FILE,
    INFERENCE_FILE,
    METRICS_FILE,
    MODEL_FILE,
    read_history,
    write_history,
)

if TYPE_CHECKING:
    pass

_LAZY = {
    "interrupt_on_sigterm": "framework.terminal.signals",
    "reraise_if_interrupted": "framework.terminal.signals",
    "Choice": "framework.config.loader",
    "Experiment": "framework.config.loader",
    "read_toml": "framework.config.loader",
    "load_images": "framework.inference.preprocessing",
    "load_pixels": "framework.inference.preprocessing",
    "unreadable": "framework.inference.preprocessing",
    "Loaded": "framework.loading",
    "load_experiment": "framework.loading",
    "new_run_dir_for": "framework.runner",
    "run_experiment": "framework.runner",
    "flatten": "framework.runs.listing",
    "Session": "framework.session",
    "TrainedRun": "framework.inference",
    "evaluate_run": "framework.evaluation.command",
    "draw_learning_curves": "framework.learning_curves",
    "check_before_work": "framework.run_checks",
    "weights_misfit": "framework.warm_start",
}

__all__ = [
    "CHECKPOINTS_DIR",
    "CLASSES_FILE",
    "EVALUATION_FILE",
    "EXPERIMENT_FILE",
    "IMAGE_FORMATS",
    "IMAGE_SUFFIXES",
    "INFERENCE_FILE",
    "METRICS_FILE",
    "MODEL_FILE",
    "Preprocessing",
    "Command",
    "EnvironmentProblem",
    "ExperimentError",
    "PluginError",
    "TrainingFailed",
    "UserError",
    "GB",
    "available_memory",
    "labelled_images",
    "list_images",
    "other_images",
    "scan_images",
    "mark_ended",
    "process_alive",
    "read_history",
    "sha256_file",
    "strict_json_value",
    "write_history",
    "write_json",
    "write_text",
    "write_with",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    """The names of :data:`_LAZY`, imported on first use."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'framework.api' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
