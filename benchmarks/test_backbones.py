"""Training-step speed of the ``backbone`` networks at 224x224, against the five-conv step, per precision.

Informational, not gated: what a user pays per step for a modern network, on this machine.
Each network and the tutorial's five-conv model train on the same in-memory batch of
224x224 images with ``train_on_batch`` (RMSprop, binary cross-entropy), in interleaved
rounds that alternate which goes first, so that other jobs on the machine slow both alike;
the figure is the median of the per-round ratios (network images/s / five-conv images/s).

Quick mode (CI) times MobileNetV3Small in float32 only; full mode every network, in
float32 and mixed_bfloat16 (emulated, and slow, on CPUs without AVX-512 BF16).
"""

from __future__ import annotations

import time

import pytest
from bench_figures import Session

from framework import ModelSpec
from framework.precision import cpu_description, precision_policy
from framework.providers import Kind
from plugins.backbones.architectures import ARCHITECTURES

SIZE = 224


def _compiled(bench: Session, provider: str, params: dict) -> object:
    chosen = bench.measurer.registry.get(Kind.MODEL, provider)
    spec = ModelSpec(input_shape=(SIZE, SIZE, 3), class_names=("a", "b"), rescale=1 / 255)
    model = chosen.factory(chosen.params(**params), spec)
    rmsprop = bench.measurer.registry.get(Kind.OPTIMIZER, "rmsprop")
    model.compile(optimizer=rmsprop.factory(rmsprop.params()), loss="binary_crossentropy")
    return model


@pytest.mark.benchmark(group="backbones")
@pytest.mark.parametrize("precision", ["float32", "mixed_bfloat16"])
def test_backbone_step_vs_five_conv(benchmark, bench: Session, precision: str) -> None:
    import keras
    import numpy as np

    assert bench.measurer is not None
    quick = bench.cfg.quick
    if quick and precision != "float32":
        pytest.skip("quick mode times float32 only")
    names = ("MobileNetV3Small",) if quick else tuple(ARCHITECTURES)
    batch, steps, rounds = (8, 2, 3) if quick else (32, 3, 5)
    rng = np.random.default_rng(0)
    x = rng.random((batch, SIZE, SIZE, 3), dtype=np.float32)
    y = (np.arange(batch) % 2).astype("float32")
    models = {}
    with precision_policy(precision):
        keras.utils.set_random_seed(0)
        models["five-conv"] = _compiled(bench, "five-conv-sigmoid", {})
        for name in names:
            models[name] = _compiled(bench, "backbone", {"architecture": name, "weights": "none"})
        for model in models.values():
            model.train_on_batch(x, y)  # warm-up: tracing and compiling

    def speed(model: object) -> float:
        start = time.perf_counter()
        for _ in range(steps):
            model.train_on_batch(x, y)
        return steps * batch / (time.perf_counter() - start)

    pairs: dict[str, list[tuple[float, float]]] = {name: [] for name in names}

    def measure() -> None:
        for index in range(rounds):
            for name in names:
                if index % 2 == 0:
                    reference, candidate = speed(models["five-conv"]), speed(models[name])
                else:
                    candidate, reference = speed(models[name]), speed(models["five-conv"])
                pairs[name].append((reference, candidate))

    benchmark.pedantic(measure, rounds=1, iterations=1)
    for name in names:
        figure = bench.record_pairs(
            benchmark, f"{name} step at {SIZE}, {precision}", f"five-conv step at {SIZE}", pairs[name]
        )
        assert figure.ratio is not None and figure.ratio > 0
    benchmark.extra_info["cpu"] = cpu_description()
