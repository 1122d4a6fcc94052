"""Shared machinery of the benchmark suite: settings, data sets, measurements and figures.

Every measurement is a *round function*: called once per round, it returns
``(images, seconds)`` for that round, so a benchmark's figure is images/s. The
suite compares figures as ratios to a reference measured in the same session
(image-data-generator for data loading, the ``train_on_batch`` loop for training,
plain Keras ``fit`` for hoh's runner): ratios stay meaningful on noisy, shared
machines where absolute times do not.
"""

from __future__ import annotations

import io
import statistics
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from framework.plugin_manager import Registry, load_plugins, new_plugin_manager
from framework.providers import DatasetContext, ImageFolders, Kind, ModelSpec

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent
FLOORS_FILE = HERE / "floors.toml"
TIMING_PLUGIN = HERE / "timing_plugin.py"
MIRROR = REPO_ROOT.parent / "shared" / "data"

IDG = "image-data-generator"
TF_DATA = "tf-data"
MODEL = "five-conv-sigmoid"
SEED = 42

RoundFn = Callable[[], tuple[int, float]]


@dataclass(frozen=True)
class BenchConfig:
    """Sizes and counts of one benchmark session (full or quick mode).

    Attributes:
        quick: Quick mode: small generated data, few steps, ratios recorded but not gated.
        image_size: Side of the square images the pipelines produce.
        train_images: Images in a generated training set (the real one has 1027).
        batch_size: Training batch size of every pipeline and model.
        epochs: Epochs of each timed ``fit``; epochs 2..N are measured.
        steps_per_epoch: Training steps per epoch of each timed ``fit``.
        first_pass_rounds: Rounds of each first-pass (decode) measurement.
        idg_steady_rounds: Rounds of image-data-generator's steady-state measurement (after one warm-up pass).
        tfdata_steady_rounds: Rounds of tf-data's steady-state measurement (after one warm-up pass).
    """

    quick: bool
    image_size: int
    train_images: int
    batch_size: int
    epochs: int
    steps_per_epoch: int
    first_pass_rounds: int
    idg_steady_rounds: int
    tfdata_steady_rounds: int

    @property
    def measured_steps(self) -> int:
        """Steady-state training steps of one timed ``fit`` (and of the ceiling loop)."""
        return (self.epochs - 1) * self.steps_per_epoch

    @property
    def mode(self) -> str:
        return "quick" if self.quick else "full"

    def pipeline_params(self) -> dict[str, Any]:
        return {"image_size": [self.image_size, self.image_size], "batch_size": self.batch_size, "rescale": 1 / 255}


# Full mode, about 7 minutes on an idle 2-core machine (see conftest.py for the budget).
# 4 epochs x 2 steps of 128 stay within one pass over the 1027 images, so no partial batch
# of image-data-generator (1027 = 8 x 128 + 3) enters the timing, and images = steps x 128.
FULL = BenchConfig(
    quick=False,
    image_size=300,
    train_images=1027,
    batch_size=128,
    epochs=4,
    steps_per_epoch=2,
    first_pass_rounds=2,
    idg_steady_rounds=2,
    tfdata_steady_rounds=5,
)
# Quick mode (CI): about 15 s. 96x96 is close to the smallest input the five conv + pool blocks accept (94).
QUICK = BenchConfig(
    quick=True,
    image_size=96,
    train_images=64,
    batch_size=16,
    epochs=3,
    steps_per_epoch=2,
    first_pass_rounds=1,
    idg_steady_rounds=2,
    tfdata_steady_rounds=2,
)


def load_floors(path: Path = FLOORS_FILE) -> dict[str, float]:
    """Ratio floors by gate name, from ``floors.toml``."""
    with path.open("rb") as f:
        return {str(k): float(v) for k, v in tomllib.load(f)["floors"].items()}


def quiet_console() -> Console:
    return Console(file=io.StringIO(), width=120)


def new_registry() -> Registry:
    """The providers of hoh's built-in plugins (third-party plugins are not loaded: results stay comparable)."""
    pm = new_plugin_manager()
    load_plugins(pm, autoload=False)
    return Registry(pm)


# ---------------------------------------------------------------- data sets


def generate_image_folders(root: Path, *, count: int, size: int, seed: int = SEED) -> ImageFolders:
    """A labelled set like Horse-or-Human's: RGBA PNGs of noisy shapes, split ~500/527 between two classes."""
    import numpy as np
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(seed)
    horses = count * 500 // 1027 if count >= 1027 else count // 2
    train = root / "train"
    for name, n in (("horses", horses), ("humans", count - horses)):
        folder = train / name
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(n):
            base = rng.integers(0, 256, size=3)
            noise = rng.normal(0, 24, size=(size, size, 3))
            pixels = np.clip(base + noise, 0, 255).astype(np.uint8)
            image = Image.fromarray(pixels, "RGB").convert("RGBA")
            draw = ImageDraw.Draw(image)
            for _ in range(6):
                x0, y0 = rng.integers(0, size, size=2)
                w, h = rng.integers(size // 10, size // 2, size=2)
                fill = (*(int(c) for c in rng.integers(0, 256, size=3)), 255)
                shape = draw.ellipse if name == "horses" else draw.rectangle
                shape([int(x0), int(y0), int(x0 + w), int(y0 + h)], fill=fill)
            image.save(folder / f"{name}-{i:04d}.png", compress_level=1)
    return ImageFolders(train_dir=train, validation_dir=None, class_names=("horses", "humans"))


def real_image_folders(registry: Registry) -> ImageFolders | None:
    """The real training set through the ``horse-or-human`` provider, or ``None`` when it cannot be had offline."""
    from framework.errors import UserError

    provider = registry.get(Kind.DATASET, "horse-or-human")
    try:
        images = provider.factory(provider.params(), DatasetContext(console=quiet_console(), offline=True))
    except UserError:
        return None
    return ImageFolders(train_dir=images.train_dir, validation_dir=None, class_names=images.class_names)


# ---------------------------------------------------------------- measurements


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

    def flows(self, name: str, steps_per_epoch: int | None = None) -> Any:
        return self.pipeline(name).flows(self.images, seed=SEED, steps_per_epoch=steps_per_epoch, validation_steps=None)

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
        """Later passes of one pipeline through one iterator, as ``fit`` sees them (warm up one round first)."""
        flows = self.flows(name)
        iterator = iter(flows.train)

        def one_round() -> tuple[int, float]:
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

    def plain_keras_fit(self, name: str = TF_DATA) -> RoundFn:
        """A plain Keras script: the same pipeline, model, optimizer and steps as the runner, no hoh runner."""
        from timing_plugin import new_epoch_timer

        def one_round() -> tuple[int, float]:
            import keras

            keras.utils.set_random_seed(SEED)
            flows = self.flows(name, steps_per_epoch=self.cfg.steps_per_epoch)
            model = self.compiled_model()
            timer = new_epoch_timer()
            model.fit(
                flows.train,
                epochs=self.cfg.epochs,
                steps_per_epoch=flows.steps_per_epoch,
                callbacks=[timer],
                verbose=0,
            )
            return timer.steady_steps * self.cfg.batch_size, timer.steady_seconds

        return one_round

    def runner_fit(self, name: str) -> RoundFn:
        """hoh's ``run_experiment`` with the plain Keras script's settings; its per-epoch records are timed too."""
        import json

        from timing_plugin import TIMING_FILE

        from framework.config.loader import validate_data
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
                "steps_per_epoch": self.cfg.steps_per_epoch,
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
            return int(timing["steady_steps"]) * self.cfg.batch_size, float(timing["steady_seconds"])

        return one_round


@dataclass(frozen=True)
class Spec:
    """How to measure one named figure: its round-function builder, rounds and warm-up rounds."""

    build: Callable[[Measurer], RoundFn]
    rounds: Callable[[BenchConfig], int]
    warmup_rounds: int = 0


SPECS: dict[str, Spec] = {
    "idg_first_pass": Spec(lambda m: m.first_pass(IDG), lambda c: c.first_pass_rounds),
    "tfdata_first_pass": Spec(lambda m: m.first_pass(TF_DATA), lambda c: c.first_pass_rounds),
    "idg_steady": Spec(lambda m: m.steady(IDG), lambda c: c.idg_steady_rounds, warmup_rounds=1),
    "tfdata_steady": Spec(lambda m: m.steady(TF_DATA), lambda c: c.tfdata_steady_rounds, warmup_rounds=1),
    "train_on_batch_ceiling": Spec(lambda m: m.train_on_batch(), lambda c: c.measured_steps, warmup_rounds=1),
    "plain_keras_fit_tfdata": Spec(lambda m: m.plain_keras_fit(TF_DATA), lambda c: 1),
    "runner_fit_tfdata": Spec(lambda m: m.runner_fit(TF_DATA), lambda c: 1),
    "runner_fit_idg": Spec(lambda m: m.runner_fit(IDG), lambda c: 1),
}


# ---------------------------------------------------------------- figures

REFERENCE_LABELS = {
    "idg_first_pass": "image-data-generator",
    "idg_steady": "image-data-generator",
    "train_on_batch_ceiling": "train_on_batch",
    "plain_keras_fit_tfdata": "plain Keras fit",
}


@dataclass
class Figure:
    """One row of the summary table."""

    name: str
    images_per_s: float
    reference: str | None = None
    reference_images_per_s: float | None = None
    gate: str | None = None
    floor: float | None = None
    gated: bool = True

    @property
    def ratio(self) -> float | None:
        if self.reference_images_per_s is None:
            return None
        return self.images_per_s / self.reference_images_per_s

    @property
    def passed(self) -> bool | None:
        if self.floor is None or self.ratio is None:
            return None
        return self.ratio >= self.floor

    @property
    def result(self) -> str:
        if self.passed is None:
            return "reference" if self.reference is None else "-"
        verdict = "pass" if self.passed else "FAIL"
        return verdict if self.gated else f"{verdict.lower()} (not gated)"

    def extra_info(self) -> dict[str, Any]:
        return {
            "images_per_s": round(self.images_per_s, 3),
            "reference": self.reference,
            "reference_images_per_s": None
            if self.reference_images_per_s is None
            else round(self.reference_images_per_s, 3),
            "ratio": None if self.ratio is None else round(self.ratio, 4),
            "gate": self.gate,
            "floor": self.floor,
            "gated": self.gated,
        }


@dataclass
class Session:
    """The benchmark session: measures figures once, caches references, collects table rows."""

    cfg: BenchConfig
    floors: dict[str, float]
    dataset_source: str
    measurer: Measurer | None = None
    measured: dict[str, float] = field(default_factory=dict)
    figures: list[Figure] = field(default_factory=list)

    def measure(self, key: str, benchmark: Any = None) -> float:
        """Images/s of measurement ``key`` (median over its rounds), timed by pytest-benchmark when given."""
        assert self.measurer is not None
        spec = SPECS[key]
        fn = spec.build(self.measurer)
        rounds, warmup = spec.rounds(self.cfg), spec.warmup_rounds
        results: list[tuple[int, float]] = []

        def one_round() -> None:
            results.append(fn())

        if benchmark is not None and not getattr(benchmark, "disabled", False):
            benchmark.pedantic(one_round, rounds=rounds, iterations=1, warmup_rounds=warmup)
        else:  # a reference whose test was deselected, or --benchmark-disable (pedantic would run one round only)
            for _ in range(warmup + rounds):
                one_round()
        timed = results[warmup:]
        value = statistics.median(images / seconds for images, seconds in timed)
        self.measured[key] = value
        return value

    def reference(self, key: str) -> float:
        """Images/s of ``key`` measured earlier in this session, else measured now (when its test was deselected)."""
        if key not in self.measured:
            self.measure(key)
        return self.measured[key]

    def record(
        self,
        benchmark: Any,
        name: str,
        images_per_s: float,
        *,
        reference: str | None = None,
        gate: str | None = None,
    ) -> Figure:
        """Add a row to the table and to ``benchmark.extra_info`` (pytest-benchmark's JSON and history)."""
        figure = Figure(
            name=name,
            images_per_s=images_per_s,
            reference=reference,
            reference_images_per_s=None if reference is None else self.reference(reference),
            gate=gate,
            floor=None if gate is None else self.floors[gate],
            gated=not self.cfg.quick,
        )
        self.figures.append(figure)
        info = figure.extra_info()
        info.update(mode=self.cfg.mode, image_size=self.cfg.image_size, batch_size=self.cfg.batch_size)
        if "images_per_s" in benchmark.extra_info:  # a second row of the same benchmark
            benchmark.extra_info.setdefault("more", []).append({"name": name, **info})
        else:
            benchmark.extra_info.update(name=name, **info)
        return figure

    def check(self, *figures: Figure) -> None:
        """Fail the test when a gated figure's ratio is below its floor (full mode only)."""
        import pytest

        failed = [f for f in figures if f.gated and f.passed is False]
        if failed:
            pytest.fail(
                "; ".join(
                    f"{f.name}: ratio {f.ratio:.3f} to {f.reference} is below the floor {f.floor} "
                    f"({f.gate} in benchmarks/floors.toml)"
                    for f in failed
                ),
                pytrace=False,
            )

    def table(self) -> Any:
        from rich.table import Table

        gated = "gated" if not self.cfg.quick else "NOT gated (quick mode: recorded only)"
        table = Table(
            title=f"hoh benchmarks, {self.cfg.mode} mode: {self.cfg.image_size}x{self.cfg.image_size}, "
            f"batch {self.cfg.batch_size}, {self.dataset_source}; ratios {gated}",
        )
        for column in ("benchmark", "images/s", "reference", "ref images/s", "ratio", "floor", "result"):
            table.add_column(column, justify="left" if column in {"benchmark", "reference", "result"} else "right")
        for f in self.figures:
            table.add_row(
                f.name,
                f"{f.images_per_s:,.1f}",
                REFERENCE_LABELS.get(f.reference, f.reference) if f.reference else "-",
                "-" if f.reference_images_per_s is None else f"{f.reference_images_per_s:,.1f}",
                "-" if f.ratio is None else f"{f.ratio:.3f}",
                "-" if f.floor is None else f"{f.floor:g}",
                f.result,
            )
        return table
