"""Workloads of ``hoh bench compare``: what users would regress, measured one round at a time.

Loaded by ``framework/bench/worker.py`` in a process whose ``framework`` and ``plugins`` are
those of the revision under test. Every workload goes through APIs that both sides of a
comparison have (an experiment file, ``load_experiment``, the registry, ``run_experiment``,
``TrainedRun``), so that the same workload code measures both revisions.

``setup(name, root, settings)`` returns a round function; each call runs one round and
returns the number of images it processed. The worker times it (wall and CPU time).
"""

from __future__ import annotations

import io
import itertools
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

RoundFn = Callable[[], int]

WORKLOADS = (
    "tf-data first pass",
    "tf-data steady pass",
    "image-data-generator steady pass",
    "train step float32",
    "train step mixed_bfloat16",
    "runner fit, default callbacks",
    "runner fit, per-epoch writes",
    "predict",
    "evaluate",
    "start-up: hoh-run --help",
    "start-up: hoh validate",
)
"""Every workload, in the order a comparison runs them."""

CI_WORKLOADS = ("tf-data steady pass", "train step float32", "runner fit, default callbacks", "start-up: hoh validate")
"""The small set CI compares (the accepted revision against the submitted one).

Not "runner fit, per-epoch writes": its rounds build a model each (~10 s a round idle, 30 s
beside a training job), so it would add 3 minutes to a CI run near its 45-minute limit.
"""

EXPERIMENT = """
[experiment]
name = "bench"
seed = 7
output = "{output}"

[dataset]
provider = "image-folder"
train_dir = "{data}/train"
validation_dir = "{data}/validation"

[pipeline]
provider = "{pipeline}"
image_size = [{size}, {size}]
batch_size = {batch}
validation_batch_size = {batch}

[model]
provider = "five-conv-sigmoid"

[optimizer]
provider = "rmsprop"
learning_rate = 0.001

[training]
epochs = {epochs}
{steps}
loss = "binary_crossentropy"
metrics = ["accuracy"]
{extra}"""

PER_EPOCH_WRITES = """
[[callbacks]]
provider = "backup-and-restore"

[[callbacks]]
provider = "checkpoint"
"""


def _experiment_file(
    settings: dict[str, Any], pipeline: str, epochs: int = 1, steps: int | None = None, extra: str = ""
) -> Path:
    # Inside the compare's data folder, which it removes at the end: runs, checkpoints and backups with it
    folder = Path(tempfile.mkdtemp(prefix="hoh-bench-", dir=settings["data"]))
    path = folder / "bench.toml"
    path.write_text(
        EXPERIMENT.format(
            output=folder / "runs",
            data=settings["data"],
            pipeline=pipeline,
            size=settings["image_size"],
            batch=settings["batch_size"],
            epochs=epochs,
            steps="" if steps is None else f"steps_per_epoch = {steps}",
            extra=extra,
        )
    )
    return path


def _loaded(settings: dict[str, Any], pipeline: str, epochs: int = 1, steps: int | None = None, extra: str = "") -> Any:
    try:
        from framework.loading import load_experiment
    except ImportError:  # a BASE revision from before framework/loading.py (the workloads measure old revisions too)
        from framework.config.loader import load_experiment

    return load_experiment(_experiment_file(settings, pipeline, epochs, steps, extra), autoload=False)


def _flows(loaded: Any) -> Any:
    from rich.console import Console

    from framework.providers import DatasetContext, Kind

    experiment = loaded.experiment
    pipeline = loaded.registry.get(Kind.PIPELINE, experiment.pipeline.provider).factory(experiment.pipeline.params)
    dataset = loaded.registry.get(Kind.DATASET, experiment.dataset.provider)
    images = dataset.factory(experiment.dataset.params, DatasetContext(console=Console(file=io.StringIO())))
    return pipeline.flows(images, seed=7, steps_per_epoch=None, validation_steps=None), images, pipeline


def _take(iterator: Any, count: int) -> int:
    taken = 0
    while taken < count:
        taken += int(next(iterator)[0].shape[0])
    return taken


def _first_pass(settings: dict[str, Any]) -> RoundFn:
    loaded = _loaded(settings, "tf-data")

    def one_round() -> int:
        flows, _, _ = _flows(loaded)
        return _take(iter(flows.train), flows.train_count)

    return one_round


def _steady_pass(settings: dict[str, Any], pipeline: str) -> RoundFn:
    """Passes after the first, as fit sees them (tf-data: with the first pass that fills the cache).

    image-data-generator decodes every image again each pass (``idg_pass_images`` a round).
    tf-data serves its cache, so its per-image work is small: it runs at the tutorial's
    300x300 (``tfdata_size``, resized once into the cache), where converting and rescaling
    the pixels outweighs Python's ``next()`` (~0.1 ms a batch). At 96x96 the ``next()`` was
    most of the time, and a revision against itself read CPU 0.78 [0.64, 1.02] over 50 pairs
    with a training job beside it.

    Each tf-data round builds the pipeline afresh: a first pass decodes the 48 (quick) images
    into a new cache, then ~40 passes come from it (the first pass took the round from 0.13 to
    about 0.2 ms an image under load). Kept for the whole
    comparison, one pipeline ran at a speed of its own in each process, steady within it and
    up to 13 % apart between processes (likely where its memory landed), so that a revision
    against itself read CPU medians of 0.86-0.99 (one iterator) and 0.87-1.08 with narrow
    intervals (a fresh iterator a round, same cache) in 5 compares under load each. A fresh
    pipeline a round makes that a per-round effect, which the pairs average: 0.97, 1.01 and
    0.98 (intervals [0.92, 1.03] at the widest) in 3 compares under load.
    """
    if pipeline != "tf-data":
        # A fresh flow a round too: one iterator kept between rounds decoded ahead in its
        # prefetch thread while other workloads ran (a full compare read 0.01 ms an image).
        loaded_idg = _loaded(settings, pipeline)

        def idg_round() -> int:
            flows, _, _ = _flows(loaded_idg)
            return _take(iter(flows.train), max(flows.train_count, settings["idg_pass_images"]))

        return idg_round
    loaded = _loaded({**settings, "image_size": settings["tfdata_size"]}, pipeline)

    def one_round() -> int:
        flows, _, _ = _flows(loaded)
        return _take(iter(flows.train), settings["tfdata_pass_images"])

    return one_round


def _train_step(settings: dict[str, Any], precision: str) -> RoundFn:
    import keras
    import numpy as np

    from framework.providers import Kind, ModelSpec

    loaded = _loaded(settings, "tf-data")
    flows, images, pipeline = _flows(loaded)
    x, y = (np.asarray(v) for v in next(iter(flows.train)))
    registry, experiment = loaded.registry, loaded.experiment
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(precision)
    try:
        spec = ModelSpec(tuple(pipeline.input_shape), tuple(images.class_names))
        model = registry.get(Kind.MODEL, experiment.model.provider).factory(experiment.model.params, spec)
        optimizer = registry.get(Kind.OPTIMIZER, experiment.optimizer.provider).factory(experiment.optimizer.params)
        model.compile(optimizer=optimizer, loss="binary_crossentropy")
    finally:
        keras.mixed_precision.set_global_policy(previous)
    steps = settings["steps"]

    def one_round() -> int:
        for _ in range(steps):
            model.train_on_batch(x, y)
        return steps * int(x.shape[0])

    return one_round


def _runs(loaded: Any, count: int) -> RoundFn:
    """A round: one whole ``run_experiment`` of ``loaded`` (rich progress on a non-terminal console)."""
    from rich.console import Console

    from framework.runner import run_experiment

    def one_round() -> int:
        run_experiment(loaded, console=Console(file=io.StringIO(), width=120))
        return count

    return one_round


def _fit(settings: dict[str, Any]) -> RoundFn:
    """What ``hoh-run`` does, with the default callbacks.

    ``fit_steps`` batches an epoch (the training set repeats), so that the per-batch work of
    the runner's callbacks outweighs building the model and writing the run folder.
    """
    epochs, steps = 2, settings["fit_steps"]
    return _runs(_loaded(settings, "tf-data", epochs=epochs, steps=steps), epochs * steps * settings["batch_size"])


def _fit_writes(settings: dict[str, Any]) -> RoundFn:
    """A run of many one-step epochs with what runs write after each epoch: the metrics file and
    its backup commit, the learning curves, the run's status, the exact-resume backup
    (``backup-and-restore``) and the best and last checkpoints (``checkpoint``).

    ``write_epochs`` epochs of one batch, so that these writes, not building the model and the
    run folder, are about half of a quick round (12 epochs: 10.4 s idle, 5.3 s with one) and
    most of a full one: a regression that waits (an fsync too many, a slower file format, a
    lock) shows here in wall time. "Images" are epochs here.
    """
    epochs = settings["write_epochs"]
    return _runs(_loaded(settings, "tf-data", epochs=epochs, steps=1, extra=PER_EPOCH_WRITES), epochs)


def _trained_run(settings: dict[str, Any]) -> tuple[Any, list[Path]]:
    from rich.console import Console

    from framework.runner import run_experiment

    result = run_experiment(_loaded(settings, "tf-data"), console=Console(file=io.StringIO()))
    return result.run_dir, sorted(Path(settings["data"], "validation").rglob("*.png"))


def _predict(settings: dict[str, Any]) -> RoundFn:
    from framework.inference import TrainedRun

    run_dir, paths = _trained_run(settings)
    run = TrainedRun.open(run_dir, autoload=False)

    def one_round() -> int:
        run.predict(paths)
        return len(paths)

    return one_round


def _evaluate(settings: dict[str, Any]) -> RoundFn:
    from rich.console import Console

    from framework.evaluation.command import evaluate_run
    from framework.inference import TrainedRun

    run_dir, paths = _trained_run(settings)
    counter = itertools.count()

    def one_round() -> int:
        run = TrainedRun.open(run_dir, autoload=False)
        output = run_dir / f"evaluation-{next(counter)}"
        evaluate_run(run, output=output, console=Console(file=io.StringIO()))
        return len(paths)

    return one_round


def _start_up(root: Path, settings: dict[str, Any], *arguments: str) -> RoundFn:
    """A fresh ``hoh`` process of the revision (through the worker, for the revision's entry points)."""
    worker = Path(settings["worker"])
    command = [sys.executable, str(worker), "--cli", str(root), *arguments]
    count = settings["start_ups"]

    def one_round() -> int:
        for _ in range(count):
            subprocess.run(command, check=True, capture_output=True, cwd=root, timeout=120)
        return count  # "images" here: processes started

    return one_round


def prepare(folder: Path, *, quick: bool) -> dict[str, Any]:
    """Generate the images both sides use, and the settings of every workload.

    Quick (CI): 2 x 24 training and 2 x 8 validation images of 96x96, batch 16. Full: 2 x 128
    and 2 x 32 of 150x150, batch 32. Noisy shapes, as the benchmark suite's generated set.
    """
    import numpy as np
    from PIL import Image, ImageDraw

    size, per_class, validation, batch = (96, 24, 8, 16) if quick else (150, 128, 32, 32)
    rng = np.random.default_rng(7)
    for split, count in (("train", per_class), ("validation", validation)):
        for label, name in enumerate(("circles", "squares")):
            target = folder / split / name
            target.mkdir(parents=True, exist_ok=True)
            for index in range(count):
                pixels = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
                image = Image.fromarray(pixels)
                box = [size // 4, size // 4, 3 * size // 4, 3 * size // 4]
                draw = ImageDraw.Draw(image)
                (draw.ellipse if label == 0 else draw.rectangle)(box, fill=(255, 255, 255))
                image.save(target / f"{index}.png")
    return {
        "data": str(folder),
        "image_size": size,
        "batch_size": batch,
        "steps": 16,  # train-step rounds of ~1 s: 4 steps (~0.25 s) gave CPU intervals of [0.48, 2.67]
        "tfdata_size": 300,
        "tfdata_pass_images": 2048 if quick else 4096,
        "idg_pass_images": 1024 if quick else 2048,
        "fit_steps": 64 if quick else 32,
        "write_epochs": 12 if quick else 24,
        "start_ups": 2 if quick else 3,
    }


def setup(name: str, root: Path, settings: dict[str, Any]) -> RoundFn:
    """The round function of workload ``name`` for the revision at ``root``."""
    if name == "tf-data first pass":
        return _first_pass(settings)
    if name == "tf-data steady pass":
        return _steady_pass(settings, "tf-data")
    if name == "image-data-generator steady pass":
        return _steady_pass(settings, "image-data-generator")
    if name == "train step float32":
        return _train_step(settings, "float32")
    if name == "train step mixed_bfloat16":
        return _train_step(settings, "mixed_bfloat16")
    if name == "runner fit, default callbacks":
        return _fit(settings)
    if name == "runner fit, per-epoch writes":
        return _fit_writes(settings)
    if name == "predict":
        return _predict(settings)
    if name == "evaluate":
        return _evaluate(settings)
    if name == "start-up: hoh-run --help":
        return _start_up(root, settings, "hoh-run", "--help")
    if name == "start-up: hoh validate":
        return _start_up(root, settings, "hoh", "validate", str(_experiment_file(settings, "tf-data")))
    raise ValueError(f"unknown workload {name!r}; known: {', '.join(WORKLOADS)}")
