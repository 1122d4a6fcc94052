"""Export formats: how a Keras model is written in each, and how the written file is run back.

Each :class:`Format` writes an artifact with Keras' own ``Model.export`` and runs it with
that format's own runtime (TensorFlow for SavedModel and TFLite, ONNX Runtime for ONNX),
so that verification exercises what a user of the file would run.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from framework.errors import EnvironmentProblem

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class Format:
    """One export format.

    Attributes:
        name: The ``--format`` value.
        artifact: File or folder name of the artifact inside the export folder.
        keras_format: Keras' ``Model.export(format=...)`` name.
        needs: Python modules the format needs, with the pip package that brings each.
        run: ``run(artifact_path, batch) -> outputs``: the exported model run by its own runtime.
        serving: One line on how the artifact is served.
    """

    name: str
    artifact: str
    keras_format: str
    needs: tuple[tuple[str, str], ...]
    run: Callable[[Path, np.ndarray], np.ndarray]
    serving: str

    def check_available(self) -> None:
        """Raise :class:`EnvironmentProblem` naming what to install when a needed module is missing."""
        missing = [package for module, package in self.needs if importlib.util.find_spec(module) is None]
        if missing:
            raise EnvironmentProblem(
                f"--format {self.name} needs {', '.join(missing)}, which is not installed: "
                f'pip install {" ".join(missing)} (or pip install "hoh-experiments[export]").'
            )

    def write(self, model: Any, path: Path) -> None:
        """Write ``model`` as this format to ``path`` (Keras' messages are kept off the terminal)."""
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.export(str(path), format=self.keras_format, verbose=False)


def _run_saved_model(path: Path, batch: np.ndarray) -> np.ndarray:
    import numpy as np
    import tensorflow as tf

    loaded = tf.saved_model.load(str(path))
    serving = loaded.signatures["serving_default"]  # what TF Serving calls
    (output,) = serving(tf.constant(batch)).values()
    return np.asarray(output)


def _run_onnx(path: Path, batch: np.ndarray) -> np.ndarray:
    import numpy as np
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (output,) = session.run(None, {session.get_inputs()[0].name: batch})
    return np.asarray(output)


def _run_tflite(path: Path, batch: np.ndarray) -> np.ndarray:
    import numpy as np

    try:  # LiteRT, TFLite's successor package, when installed
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        import tensorflow as tf

        with warnings.catch_warnings():  # tf.lite.Interpreter warns that it moves to ai_edge_litert
            warnings.simplefilter("ignore")
            Interpreter = tf.lite.Interpreter
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        interpreter = Interpreter(model_path=str(path))
    source, target = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    interpreter.resize_tensor_input(source["index"], batch.shape)
    interpreter.allocate_tensors()
    interpreter.set_tensor(source["index"], batch)
    interpreter.invoke()
    return np.asarray(interpreter.get_tensor(target["index"]))


FORMATS: dict[str, Format] = {
    "saved_model": Format(
        "saved_model",
        "saved_model",
        "tf_saved_model",
        (),
        _run_saved_model,
        "TF Serving: tensorflow_model_server --model_base_path=<folder holding a version folder>; "
        "signature 'serving_default'.",
    ),
    "onnx": Format(
        "onnx",
        "model.onnx",
        "onnx",
        (("tf2onnx", "tf2onnx"), ("onnx", "onnx"), ("onnxruntime", "onnxruntime")),
        _run_onnx,
        "ONNX Runtime: onnxruntime.InferenceSession('model.onnx').run(None, {input_name: batch}).",
    ),
    "tflite": Format(
        "tflite",
        "model.tflite",
        "litert",
        (),
        _run_tflite,
        "LiteRT / TensorFlow Lite: ai_edge_litert.interpreter.Interpreter(model_path='model.tflite').",
    ),
}
