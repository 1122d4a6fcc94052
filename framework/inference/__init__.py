"""Inference on a finished run: what ``hoh predict``, ``hoh evaluate`` and ``hoh export`` share.

A run folder holds everything inference needs (``model.keras``, ``classes.json`` and
``inference.json``), so none of these commands needs the plugins the run was trained with,
unless the model has custom layers.
"""

from framework.inference.preprocessing import Preprocessing, load_images
from framework.inference.trained_run import Scores, TrainedRun

__all__ = ["Preprocessing", "Scores", "TrainedRun", "load_images"]
