"""Helpers of the inference tests: coloured images, running ``hoh``, training a tiny run (fixtures: conftest.py).

The images are coloured by class (learnable in a few steps), so the models' predictions
mean something: a broken preprocessing or class order shows as wrong answers.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

BIN = Path(sys.executable).parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
COLOURS = {"cats": (200, 40, 40), "dogs": (40, 40, 200), "owls": (40, 200, 40)}


def make_coloured_images(root: Path, classes: tuple[str, ...], count: int, size: int, seed: int) -> None:
    """``root/<class>/<n>.png``: noisy images of the class colour (RGBA, as the real data)."""
    rng = np.random.default_rng(seed)
    for name in classes:
        (root / name).mkdir(parents=True, exist_ok=True)
        for index in range(count):
            base = np.array(COLOURS[name], dtype=np.int16)
            pixels = np.clip(base + rng.integers(-60, 60, (size, size, 3)), 0, 255).astype(np.uint8)
            alpha = np.full((size, size, 1), 255, dtype=np.uint8)
            Image.fromarray(np.concatenate([pixels, alpha], axis=2), "RGBA").save(
                root / name / f"{name}-{index:02d}.png"
            )


def hoh(*args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run ``hoh`` or ``hoh-run`` (the first argument) of this venv."""
    env = {k: v for k, v in os.environ.items() if k != "HOH_DISABLE_PLUGIN_AUTOLOAD"}
    env.update(TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="", PYTHONWARNINGS="ignore", COLUMNS="300")
    return subprocess.run(
        [str(BIN / args[0]), *args[1:]], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


EXPERIMENT = """\
[experiment]
name = "{name}"
seed = 5
plugins = [{plugins}]

[dataset]
provider = "image-folder"
train_dir = "{data}/train"
validation_dir = "{data}/validation"

[pipeline]
provider = "tf-data"
image_size = [{size}, {size}]
batch_size = 8
validation_batch_size = 8
class_mode = "{class_mode}"

[model]
{model}

[optimizer]
provider = "adam"
learning_rate = 0.01

[training]
epochs = {epochs}
loss = "{loss}"
progress = "none"

{callbacks}
"""


def train(
    tmp: Path,
    name: str,
    *,
    classes: tuple[str, ...],
    model: str,
    plugins: list[Path],
    callbacks: str,
    size: int,
    epochs: int,
) -> Path:
    """Train a run through ``hoh-run`` and return its folder."""
    data = tmp / "data"
    make_coloured_images(data / "train", classes, count=16, size=120, seed=1)
    make_coloured_images(data / "validation", classes, count=8, size=120, seed=2)
    binary = len(classes) == 2
    text = EXPERIMENT.format(
        name=name,
        plugins=", ".join(f'"{p}"' for p in plugins),
        data=data,
        size=size,
        class_mode="binary" if binary else "categorical",
        model=model,
        epochs=epochs,
        loss="binary_crossentropy" if binary else "categorical_crossentropy",
        callbacks=callbacks,
    )
    (tmp / "experiment.toml").write_text(text)
    done = hoh("hoh-run", "experiment.toml", "--run-dir", "run", cwd=tmp)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return tmp / "run"
