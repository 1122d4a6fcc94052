"""What a run records about itself besides its metrics: ``inference.json``, the environment file's name, the summary.

Used by :mod:`framework.phases` in the build and configure phases.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from framework.loading import Loaded
from framework.plugin_manager import LOCAL_MODULE_PREFIX
from framework.providers import ImageFolders, InputPipeline, Kind
from framework.run_context import RunContext
from framework.rundir import ENVIRONMENT_FILE


def inference_record(loaded: Loaded, pipeline: InputPipeline, images: ImageFolders) -> dict[str, Any]:
    """``inference.json``: what predict, evaluate and export need besides the model and class names."""
    model_choice = loaded.experiment.model.provider
    offered = loaded.registry.find(Kind.MODEL, model_choice)
    plugin = loaded.pm.get_plugin(offered.plugin) if offered else None
    module = getattr(plugin, "__name__", None)
    if module and module.startswith(LOCAL_MODULE_PREFIX):  # a .py file: importable only by its path
        module = getattr(plugin, "__file__", None)
    preprocessing = pipeline.preprocessing()
    return {
        "preprocessing": preprocessing.to_dict() if preprocessing else None,
        "model": {"provider": model_choice, "plugin": offered.plugin if offered else None, "module": module},
        "train_dir": str(Path(images.train_dir).resolve()),
        "validation_dir": str(Path(images.validation_dir).resolve()) if images.validation_dir else None,
        "test_dir": str(Path(images.test_dir).resolve()) if images.test_dir else None,
    }


def environment_path(run: RunContext) -> Path:
    """``environment.json``; a resumed part of the run gets ``environment.resume-N.json``, keeping the first."""
    if not run.resumed:
        return run.run_dir / ENVIRONMENT_FILE
    stem = Path(ENVIRONMENT_FILE).stem
    number = 1 + len(list(run.run_dir.glob(f"{stem}.resume-*.json")))
    return run.run_dir / f"{stem}.resume-{number}.json"


def model_summary(model: Any) -> str:
    """Keras' ``model.summary()`` as text (``summary.txt``)."""
    buffer = io.StringIO()
    model.summary(print_fn=lambda line, **_: buffer.write(line + "\n"))
    return buffer.getvalue()
