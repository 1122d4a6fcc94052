"""Settings and data sets of the benchmark suite (measurements: bench_measure; figures: bench_figures).

Every measurement is a *round function*: called once per round, it returns
``(images, seconds)`` for that round, so a benchmark's figure is images/s. The
suite compares figures as ratios to a reference measured in the same session
(image-data-generator for data loading, the ``train_on_batch`` loop for training,
plain Keras ``fit`` for hoh's runner): ratios stay meaningful on noisy, shared
machines where absolute times do not.
"""

from __future__ import annotations

import io
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from framework.providers import DatasetContext, ImageFolders, Kind
from framework.registry import Registry
from framework.session import Session

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
        epochs: Epochs of each timed ``fit``, each one full pass over the training set
            (its last batch partial, as in real runs); epochs 2..N are measured.
        fit_rounds: Rounds (whole fits) of each fit measurement; the median counts.
        ceiling_steps: Timed ``train_on_batch`` steps of the ceiling (after one warm-up step).
        first_pass_rounds: Rounds of each first-pass (decode) measurement.
        idg_steady_rounds: Rounds of image-data-generator's steady-state measurement (after one warm-up pass).
        tfdata_steady_rounds: Rounds of tf-data's steady-state measurement (after one warm-up pass).
        steady_rounds: Interleaved rounds of the steady-state ratio (tf-data and image-data-generator).
        tfdata_chunk: tf-data steady passes in one interleaved round (its passes take milliseconds).
    """

    quick: bool
    image_size: int
    train_images: int
    batch_size: int
    epochs: int
    fit_rounds: int
    ceiling_steps: int
    first_pass_rounds: int
    idg_steady_rounds: int
    tfdata_steady_rounds: int
    steady_rounds: int
    tfdata_chunk: int

    @property
    def mode(self) -> str:
        return "quick" if self.quick else "full"

    def pipeline_params(self) -> dict[str, Any]:
        return {"image_size": [self.image_size, self.image_size], "batch_size": self.batch_size, "rescale": 1 / 255}


# Full mode, about 5 minutes on an idle 2-core machine (see conftest.py for the budget).
# Each fit runs 3 whole passes (9 batches: 8 x 128 + 3) and times the last 2 (2054 images).
FULL = BenchConfig(
    quick=False,
    image_size=300,
    train_images=1027,
    batch_size=128,
    epochs=3,
    fit_rounds=3,
    ceiling_steps=16,
    first_pass_rounds=3,
    idg_steady_rounds=2,
    tfdata_steady_rounds=5,
    steady_rounds=3,
    tfdata_chunk=10,
)
# Quick mode (CI): about 15 s. 96x96 is close to the smallest input the five conv + pool blocks accept (94).
QUICK = BenchConfig(
    quick=True,
    image_size=96,
    train_images=64,
    batch_size=16,
    epochs=3,
    fit_rounds=3,
    ceiling_steps=8,
    first_pass_rounds=3,
    idg_steady_rounds=2,
    tfdata_steady_rounds=2,
    steady_rounds=5,
    tfdata_chunk=20,
)


def load_floors(path: Path = FLOORS_FILE, *, quick: bool = False) -> dict[str, float]:
    """Ratio floors by gate name, from ``floors.toml`` (its ``[quick]`` table in quick mode)."""
    with path.open("rb") as f:
        return {str(k): float(v) for k, v in tomllib.load(f)["quick" if quick else "floors"].items()}


def quiet_console() -> Console:
    return Console(file=io.StringIO(), width=120)


def new_registry() -> Registry:
    """The providers of hoh's built-in plugins (third-party plugins are not loaded: results stay comparable)."""
    return Session(autoload=False).activate().registry


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
