"""Training-step speed of each ``backbone`` network at 224x224, one network at a time, on any Keras 3 backend.

``benchmarks/test_backbones.py`` is the suite's version: it needs TensorFlow and builds every
network before its first figure. This script is for a machine where that does not fit (an
accelerator without TensorFlow, a time limit): it builds, compiles and times one network at a
time, in each precision, prints each figure as soon as it is measured (one JSON line, also
appended to ``--out``), and starts no network after ``--deadline`` seconds. The models are
hoh's own (``build_backbone_model``, ``build_five_conv``), as a run builds them.

Each network and the five-conv model train on the same batch with ``train_on_batch`` (RMSprop,
binary cross-entropy) in interleaved rounds that alternate which goes first; the ratio is the
median of the rounds' (network images/s / five-conv images/s), as in the suite.

Usage (the GPU figures in docs/contributing/measurements.md)::

    KERAS_BACKEND=jax python benchmarks/backbone_steps.py --batch 128 --out steps.jsonl
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

# Run as a file where hoh is not installed (the GPU machine had only the wheels carried to it).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from framework import ModelSpec
from framework.precision import cpu_description, precision_policy
from plugins.backbones.architectures import ARCHITECTURES
from plugins.backbones.model import BackboneParams, build_backbone_model
from plugins.models import FiveConvParams, build_five_conv

SIZE = 224
FIRST = ("MobileNetV3Small", "EfficientNetV2B0", "ResNet50V2", "ConvNeXtTiny", "InceptionV3")
"""Measured first when time is short: the smallest of each family, and the networks users know."""


def _compiled(build: Any, params: Any) -> Any:
    import keras

    spec = ModelSpec(input_shape=(SIZE, SIZE, 3), class_names=("a", "b"), rescale=1 / 255)
    model = build(params, spec)
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.001), loss="binary_crossentropy")
    return model


def _speed(model: Any, x: Any, y: Any, steps: int) -> float:
    """Images a second over ``steps`` steps (each returns its loss to the host, so the device has finished)."""
    start = time.perf_counter()
    for _ in range(steps):
        model.train_on_batch(x, y)
    return steps * len(x) / (time.perf_counter() - start)


def _accelerator() -> str:
    import keras

    if keras.backend.backend() == "jax":
        import jax

        return f"jax {jax.__version__} on {jax.devices()[0].device_kind}"
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        return f"tensorflow {tf.__version__} on {gpus[0].name if gpus else cpu_description()}"
    return keras.backend.backend()


def measure(name: str, precision: str, x: Any, y: Any, steps: int, rounds: int, five_conv: Any) -> dict[str, Any]:
    """Build and compile ``name`` under ``precision``, then time it against ``five_conv`` (same precision)."""
    import keras

    with precision_policy(precision):
        keras.utils.set_random_seed(0)
        started = time.perf_counter()
        model = _compiled(build_backbone_model, BackboneParams(architecture=name, weights="none"))
        built = time.perf_counter()
        model.train_on_batch(x, y)  # tracing and compiling
        compiled = time.perf_counter()
        pairs = []
        for index in range(rounds):
            if index % 2 == 0:
                reference, candidate = _speed(five_conv, x, y, steps), _speed(model, x, y, steps)
            else:
                candidate, reference = _speed(model, x, y, steps), _speed(five_conv, x, y, steps)
            pairs.append((reference, candidate))
    return {
        "network": name,
        "precision": precision,
        "batch": len(x),
        "images_per_s": statistics.median(c for _, c in pairs),
        "five_conv_images_per_s": statistics.median(r for r, _ in pairs),
        "ratio": statistics.median(c / r for r, c in pairs),
        "build_s": round(built - started, 2),
        "first_step_s": round(compiled - built, 2),
        "rounds": rounds,
        "steps": steps,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--steps", type=int, default=10, help="steps a measurement")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--precisions", default="float32,mixed_bfloat16")
    parser.add_argument("--networks", default=",".join(FIRST + tuple(n for n in ARCHITECTURES if n not in FIRST)))
    parser.add_argument("--deadline", type=float, default=float("inf"), help="start no network after this many s")
    parser.add_argument("--out", type=Path, help="append each figure here as a JSON line")
    args = parser.parse_args(argv)
    import keras
    import numpy as np

    began = time.perf_counter()
    precisions = args.precisions.split(",")
    x = np.random.default_rng(0).random((args.batch, SIZE, SIZE, 3), dtype=np.float32) * 255
    y = (np.arange(args.batch) % 2).astype("float32")
    five_conv = {}
    for precision in precisions:
        with precision_policy(precision):
            keras.utils.set_random_seed(0)
            five_conv[precision] = _compiled(build_five_conv, FiveConvParams())
            five_conv[precision].train_on_batch(x, y)
    print(json.dumps({"accelerator": _accelerator(), "keras": keras.__version__}), flush=True)
    for name in args.networks.split(","):
        for precision in precisions:
            if time.perf_counter() - began > args.deadline:
                print(json.dumps({"stopped": f"deadline before {name} {precision}"}), flush=True)
                return 0
            line = json.dumps(measure(name, precision, x, y, args.steps, args.rounds, five_conv[precision]))
            print(line, flush=True)
            if args.out:
                with args.out.open("a", encoding="utf-8") as out:
                    out.write(line + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
