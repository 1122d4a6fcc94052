"""Inference on a finished run: what ``hoh predict``, ``hoh evaluate`` and ``hoh export`` share.

A run folder holds everything inference needs (``model.keras``, ``classes.json`` and
``inference.json``), so none of these commands needs the plugins the run was trained with,
unless the model has custom layers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from framework.inference.preprocessing import Preprocessing, load_images

if TYPE_CHECKING:
    from framework.inference.trained_run import Scores, TrainedRun

__all__ = ["Preprocessing", "Scores", "TrainedRun", "load_images"]


def __getattr__(name: str) -> Any:
    # TrainedRun on first use: the pipelines import the preprocessing half at every start.
    if name in {"Scores", "TrainedRun"}:
        from framework.inference import trained_run

        return getattr(trained_run, name)
    raise AttributeError(name)
