"""Measurements of the benchmark suite: one *round function* per named figure.

A round function is called once per round and returns ``(images, seconds)``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench_settings import IDG, MODEL, SEED, TF_DATA, TIMING_PLUGIN, BenchConfig, RoundFn, quiet_console

from framework.images import list_images
from framework.providers import ImageFolders, Kind, ModelSpec
from framework.registry import Registry


def _take(iterator: Any, images: int) -> int:
    """Pull batches from ``iterator`` until at least ``images`` images came; how many came."""
    delivered = 0
    while delivered < images:
        delivered += int(next(iterator)[0].shape[0])
    return delivered


@dataclass
class Measurer:
    """Builds the round functions of every named measurement of one session."""

    cfg: BenchConfig
    registry: Registry
    images: ImageFolders
    work_dir: Path

    def pipeline(self, name: str) -> Any:
        provider = self.registry.get(Kind.PIPELINE, name)
        return provider.factory(provider.params(**self.cfg.pipeline_params()))

    def flows(self, name: str) -> Any:
        """Training batches of pipeline ``name``; epochs are whole passes (``steps_per_epoch=None``)."""
        return self.pipeline(name).flows(self.images, seed=SEED, steps_per_epoch=None, validation_steps=None)

    @property
    def steady_images(self) -> int:
        """Images a fit trains on in its timed epochs (2..N): whole passes over the training set."""
        count = sum(len(list_images(self.images.train_dir / name)) for name in self.images.class_names)
        return (self.cfg.epochs - 1) * count

    # -- data loading

    def first_pass(self, name: str) -> RoundFn:
        """A fresh pipeline's first pass over the training set: file listing, decoding, resizing.

        Counted as the training set's size: tf-data's last batch runs into the next pass
        (it repeats before batching), the extra images are not credited to it. One batch
        of a throwaway pipeline is taken first, untimed, so that one-time imports (scipy,
        Keras' legacy preprocessing, tf.data kernels) do not count as decoding.
        """
        next(iter(self.flows(name).train))

        def one_round() -> tuple[int, float]:
            start = time.perf_counter()
            flows = self.flows(name)
            _take(iter(flows.train), flows.train_count)
            return flows.train_count, time.perf_counter() - start

        return one_round

    def steady(self, name: str) -> RoundFn:
        """Later passes of one pipeline, as ``fit`` sees them (warm up one round first).

        Each round takes a fresh iterator over the same flows (tf-data's cache stays filled)
        and one untimed batch to start it. An iterator kept across rounds decodes ahead into
        its prefetch buffer while the other side's round runs: image-data-generator then read
        5,000-8,000 images/s at 96x96 here, i.e. the buffer, not decoding.
        """
        flows = self.flows(name)

        def one_round() -> tuple[int, float]:
            iterator = iter(flows.train)
            next(iterator)
            start = time.perf_counter()
            count = _take(iterator, flows.train_count)
            return count, time.perf_counter() - start

        return one_round

    # -- training

    def compiled_model(self) -> Any:
        model_provider = self.registry.get(Kind.MODEL, MODEL)
        spec = ModelSpec(input_shape=(self.cfg.image_size, self.cfg.image_size, 3), class_names=self.images.class_names)
        model = model_provider.factory(model_provider.params(), spec)
        optimizer_provider = self.registry.get(Kind.OPTIMIZER, "rmsprop")
        optimizer = optimizer_provider.factory(optimizer_provider.params(learning_rate=0.001))
        model.compile(optimizer=optimizer, loss="binary_crossentropy", metrics=["accuracy"])
        return model

    def train_on_batch(self) -> RoundFn:
        """One ``train_on_batch`` step on a batch held in memory: the training ceiling (warm up one round)."""
        import keras
        import numpy as np

        keras.utils.set_random_seed(SEED)
        x, y = next(iter(self.flows(TF_DATA).train))
        x, y = np.asarray(x), np.asarray(y)
        model = self.compiled_model()

        def one_round() -> tuple[int, float]:
            start = time.perf_counter()
            model.train_on_batch(x, y)
            return int(x.shape[0]), time.perf_counter() - start

        return one_round

    def precision_pairs(self, policies: tuple[str, str], rounds: int) -> list[tuple[float, float]]:
        """Images/s of ``train_on_batch`` under two precision policies, interleaved in paired rounds.

        Both models are built (each under its policy) and warmed up first; then each round
        times ``ceiling_steps`` steps of one and of the other, alternating which goes first,
        so that a load change hits both alike. Returns ``(first, second)`` images/s per round.
        """
        import keras
        import numpy as np

        from framework.precision import precision_policy

        x, y = next(iter(self.flows(TF_DATA).train))
        x, y = np.asarray(x), np.asarray(y)
        models = {}
        for policy in policies:
            keras.utils.set_random_seed(SEED)
            with precision_policy(policy):
                models[policy] = self.compiled_model()
                models[policy].train_on_batch(x, y)  # warm-up: tracing and compiling
        steps = self.cfg.ceiling_steps
        pairs = []
        for index in range(rounds):
            speed = {}
            for policy in policies if index % 2 == 0 else policies[::-1]:
                start = time.perf_counter()
                for _ in range(steps):
                    models[policy].train_on_batch(x, y)
                speed[policy] = steps * int(x.shape[0]) / (time.perf_counter() - start)
            pairs.append((speed[policies[0]], speed[policies[1]]))
        return pairs

    def plain_keras_fit(self, name: str = TF_DATA) -> RoundFn:
        """A plain Keras script: the same pipeline, model, optimizer and steps as the runner, no hoh runner."""
        from timing_plugin import new_epoch_timer

        def one_round() -> tuple[int, float]:
            import keras

            keras.utils.set_random_seed(SEED)
            flows = self.flows(name)
            model = self.compiled_model()
            timer = new_epoch_timer()
            model.fit(
                flows.train,
                epochs=self.cfg.epochs,
                steps_per_epoch=flows.steps_per_epoch,
                callbacks=[timer],
                verbose=0,
            )
            return self.steady_images, timer.steady_seconds

        return one_round

    def runner_fit(self, name: str) -> RoundFn:
        """hoh's ``run_experiment`` with the plain Keras script's settings; its per-epoch records are timed too."""
        import json

        from timing_plugin import TIMING_FILE

        from framework.loading import validate_data
        from framework.runner import run_experiment

        output = self.work_dir / "runs"
        output.mkdir(parents=True, exist_ok=True)
        data = {
            "experiment": {
                "name": f"bench-{name}",
                "seed": SEED,
                "plugins": [str(TIMING_PLUGIN)],
                "output": str(output),
            },
            "dataset": {"provider": "image-folder", "train_dir": str(self.images.train_dir)},
            "pipeline": {"provider": name, **self.cfg.pipeline_params()},
            "model": {"provider": MODEL},
            "optimizer": {"provider": "rmsprop", "learning_rate": 0.001},
            "training": {
                "epochs": self.cfg.epochs,
                "loss": "binary_crossentropy",
                "metrics": ["accuracy"],
                "progress": "none",
            },
            "callbacks": [{"provider": "bench-epoch-timer"}],
        }

        def one_round() -> tuple[int, float]:
            loaded = validate_data(data, text="", source=output / "benchmark.toml", overrides={}, autoload=False)
            result = run_experiment(loaded, console=quiet_console(), offline=True)
            timing = json.loads((result.run_dir / TIMING_FILE).read_text(encoding="utf-8"))
            return self.steady_images, float(timing["steady_seconds"])

        return one_round


@dataclass(frozen=True)
class Spec:
    """How to measure one named figure: its round-function builder, rounds and warm-up rounds."""

    build: Callable[[Measurer], RoundFn]
    rounds: Callable[[BenchConfig], int]
    warmup_rounds: int = 0
    chunk: Callable[[BenchConfig], int] = lambda c: 1
    """Calls of the round function that make one interleaved round (the ceiling: ``ceiling_steps`` steps)."""


SPECS: dict[str, Spec] = {
    "idg_first_pass": Spec(lambda m: m.first_pass(IDG), lambda c: c.first_pass_rounds),
    "tfdata_first_pass": Spec(lambda m: m.first_pass(TF_DATA), lambda c: c.first_pass_rounds),
    "idg_steady": Spec(lambda m: m.steady(IDG), lambda c: c.idg_steady_rounds, warmup_rounds=1),
    "tfdata_steady": Spec(  # a cached pass is ~40x faster than image-data-generator's: several make a round
        lambda m: m.steady(TF_DATA), lambda c: c.tfdata_steady_rounds, warmup_rounds=1, chunk=lambda c: c.tfdata_chunk
    ),
    "train_on_batch_ceiling": Spec(
        lambda m: m.train_on_batch(), lambda c: c.ceiling_steps, warmup_rounds=1, chunk=lambda c: c.ceiling_steps
    ),
    "plain_keras_fit_tfdata": Spec(lambda m: m.plain_keras_fit(TF_DATA), lambda c: c.fit_rounds),
    "runner_fit_tfdata": Spec(lambda m: m.runner_fit(TF_DATA), lambda c: c.fit_rounds),
    "runner_fit_idg": Spec(lambda m: m.runner_fit(IDG), lambda c: c.fit_rounds),
}
