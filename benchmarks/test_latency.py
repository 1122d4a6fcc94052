"""Single-image prediction latency of exported models (ONNX Runtime, TFLite) next to Keras' ``predict``.

Informational, not gated: what serving one image costs in each runtime on this machine. The
model is exported with hoh's own export formats (``framework.export.formats``: Keras'
``Model.export``), then each runtime is loaded once, the way a server holds it, and called on
one image at a time: Keras' ``model.predict(x)`` (the reference), Keras' direct call
``model(x)``, an ``onnxruntime.InferenceSession`` and a TFLite / LiteRT interpreter. The calls
are interleaved (each round calls every runtime once, in a rotating order) so that other jobs
on the machine slow all alike. Each row gives the median and 95th percentile latency, and the
median of the per-round ratios of speed (Keras ``predict``'s latency / the runtime's).

Quick mode (CI): the five-conv model at 150x150, 30 rounds. Full mode: the five-conv model at
300x300 and MobileNetV3Small at 224x224, 200 rounds.
"""

from __future__ import annotations

import importlib.util
import statistics
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from bench_figures import Session

from framework import ModelSpec
from framework.export.formats import FORMATS
from framework.precision import cpu_description
from framework.providers import Kind

WARM_UP = 5


def _model(bench: Session, provider: str, params: dict, size: int) -> Any:
    chosen = bench.measurer.registry.get(Kind.MODEL, provider)
    spec = ModelSpec(input_shape=(size, size, 3), class_names=("a", "b"), rescale=1 / 255)
    return chosen.factory(chosen.params(**params), spec)


def _onnx_call(path: Path) -> Callable[[Any], Any]:
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return lambda x: session.run(None, {name: x})[0]


def _tflite_call(path: Path, shape: tuple[int, ...]) -> Callable[[Any], Any]:
    try:  # LiteRT, TFLite's successor package, when installed
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        import tensorflow as tf

        Interpreter = tf.lite.Interpreter
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        interpreter = Interpreter(model_path=str(path))
    source, target = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    interpreter.resize_tensor_input(source["index"], shape)
    interpreter.allocate_tensors()

    def call(x: Any) -> Any:
        interpreter.set_tensor(source["index"], x)
        interpreter.invoke()
        return interpreter.get_tensor(target["index"])

    return call


def _runtimes(model: Any, folder: Path, shape: tuple[int, ...]) -> dict[str, Callable[[Any], Any]]:
    """Keras predict first (the reference), then the others; a runtime whose package is missing is left out."""
    import numpy as np

    model(np.zeros(shape, dtype=np.float32), training=False)  # Keras exports only a model that was called
    calls: dict[str, Callable[[Any], Any]] = {
        "Keras predict": lambda x: model.predict(x, verbose=0),
        "Keras model(x)": lambda x: model(x, training=False),
    }
    if all(importlib.util.find_spec(module) for module, _ in FORMATS["onnx"].needs):
        FORMATS["onnx"].write(model, folder / FORMATS["onnx"].artifact)
        calls["ONNX Runtime"] = _onnx_call(folder / FORMATS["onnx"].artifact)
    FORMATS["tflite"].write(model, folder / FORMATS["tflite"].artifact)
    calls["TFLite"] = _tflite_call(folder / FORMATS["tflite"].artifact, shape)
    return calls


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


CASES = {
    "quick": [("five-conv", "five-conv-sigmoid", {}, 150)],
    "full": [
        ("five-conv", "five-conv-sigmoid", {}, 300),
        ("MobileNetV3Small", "backbone", {"architecture": "MobileNetV3Small", "weights": "none"}, 224),
    ],
}


@pytest.mark.benchmark(group="latency")
def test_single_image_latency_of_exported_models(benchmark, bench: Session, tmp_path: Path) -> None:
    import keras
    import numpy as np

    assert bench.measurer is not None
    rounds = 30 if bench.cfg.quick else 200
    cases = CASES["quick" if bench.cfg.quick else "full"]
    results: dict[str, dict[str, list[float]]] = {}
    runtimes = {}
    for label, provider, params, size in cases:
        keras.utils.set_random_seed(0)
        folder = tmp_path / label
        folder.mkdir()
        shape = (1, size, size, 3)
        runtimes[label] = (_runtimes(_model(bench, provider, params, size), folder, shape), shape)

    def measure() -> None:
        for label, (calls, shape) in runtimes.items():
            x = np.random.default_rng(1).random(shape, dtype=np.float32)
            outputs = {name: np.asarray(call(x), dtype=np.float32) for name, call in calls.items()}
            for name, output in outputs.items():  # the same model in each runtime
                assert np.allclose(output.reshape(-1), outputs["Keras predict"].reshape(-1), atol=1e-4), name
            for _ in range(WARM_UP):
                for call in calls.values():
                    call(x)
            names = list(calls)
            seconds: dict[str, list[float]] = {name: [] for name in names}
            for index in range(rounds):
                for name in names[index % len(names) :] + names[: index % len(names)]:
                    start = time.perf_counter()
                    calls[name](x)
                    seconds[name].append(time.perf_counter() - start)
            results[label] = seconds

    benchmark.pedantic(measure, rounds=1, iterations=1)
    latency = {}
    for label, seconds in results.items():
        reference = seconds["Keras predict"]
        for name, values in seconds.items():
            if name == "Keras predict":
                continue
            size = runtimes[label][1][1]
            pairs = [(1 / base, 1 / value) for base, value in zip(reference, values, strict=True)]
            detail = (
                f"median {1000 * statistics.median(values):.2f} ms, p95 {1000 * _p95(values):.2f} ms "
                f"(predict: {1000 * statistics.median(reference):.1f} ms, p95 {1000 * _p95(reference):.1f} ms)"
            )
            figure = bench.record_pairs(
                benchmark, f"{label} at {size}, 1 image: {name}", "Keras predict, 1 image", pairs, detail=detail
            )
            assert figure.ratio is not None and figure.ratio > 0
        latency[label] = {
            name: {"median_ms": 1000 * statistics.median(v), "p95_ms": 1000 * _p95(v)} for name, v in seconds.items()
        }
    benchmark.extra_info["latency"] = latency
    benchmark.extra_info["cpu"] = cpu_description()
