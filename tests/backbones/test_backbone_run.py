"""A user's fine-tuning run end to end: a pretrained backbone from a mirror, two stages, extended offline, exported.

The weights are the session's stand-in for ImageNet's (random, so nothing is learnt to speak
of), served by the loopback mirror; the run's numbers are checked by the exports, which
compare their outputs with the Keras model's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
COLOURS = {"cats": (200, 40, 40), "dogs": (40, 40, 200)}

EXPERIMENT = """
[experiment]
name = "tuned"
seed = 3

[dataset]
provider = "image-folder"
train_dir = "data/train"
validation_dir = "data/validation"

[pipeline]
provider = "tf-data"
image_size = [32, 32]
batch_size = 8
validation_batch_size = 8

[model]
provider = "backbone"
architecture = "MobileNetV3Small"
weights = "imagenet"

[optimizer]
provider = "adam"
learning_rate = 0.01

[training]
progress = "none"

[[training.stages]]
epochs = 2
train = "head"

[[training.stages]]
epochs = 1
train = "all"
learning_rate_factor = 0.1

[[callbacks]]
provider = "backup-and-restore"
"""


def _images(root: Path, count: int) -> None:
    rng = np.random.default_rng(len(str(root)))
    for name, colour in COLOURS.items():
        (root / name).mkdir(parents=True)
        for index in range(count):
            pixels = np.clip(np.array(colour) + rng.integers(-50, 50, (40, 40, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(root / name / f"{index}.png")


def _hoh(script: str, *args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {
        k: v for k, v in os.environ.items() if k not in ("HOH_DISABLE_PLUGIN_AUTOLOAD", "HOH_WEIGHTS_MIRROR")
    }
    environment.update(TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="", PYTHONWARNINGS="ignore", COLUMNS="300", **env)
    return subprocess.run(
        [str(BIN / script), *args], cwd=cwd, env=environment, capture_output=True, text=True, timeout=600, check=False
    )


def test_fine_tune_a_pretrained_backbone_in_stages_then_export(tmp_path: Path, small_weights, mirror) -> None:
    source, _ = small_weights
    mirror.add(source)
    _images(tmp_path / "data" / "train", 24)
    _images(tmp_path / "data" / "validation", 8)
    (tmp_path / "tuned.toml").write_text(EXPERIMENT)
    cache = str(tmp_path / "weights")

    trained = _hoh(
        "hoh-run", "tuned.toml", "--run-dir", "run", cwd=tmp_path, HOH_WEIGHTS_MIRROR=mirror.url, HOH_WEIGHTS_DIR=cache
    )
    assert trained.returncode == 0, trained.stdout[-3000:] + trained.stderr[-3000:]
    run = tmp_path / "run"
    assert "stage 1/2, epochs 1-2: head only (backbone frozen)" in trained.stdout
    assert "stage 2/2, epochs 3-3: everything" in trained.stdout
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [row["stage"] for row in rows] == [1, 1, 2]
    assert json.loads((run / "stages.json").read_text())[0]["trainable_parameters"] == 577  # the head: 576 + 1

    # Extended by one epoch of its last stage, offline and without the mirror: the cache serves the model's
    # weights when it is built again, and the extension trains epoch 4 only.
    again = _hoh(
        "hoh-run",
        "--extend",
        "run",
        "training.stages.1.epochs=2",
        "training.epochs=4",
        "--offline",
        "--run-dir",
        "run2",
        cwd=tmp_path,
        HOH_WEIGHTS_DIR=cache,
    )
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert mirror.requests.count(source.name) == 1
    extended = [json.loads(line) for line in (tmp_path / "run2" / "metrics.jsonl").read_text().splitlines()]
    assert extended[:3] == rows and [row["stage"] for row in extended] == [1, 1, 2, 2]

    for kind in ("onnx", "tflite"):
        exported = _hoh("hoh", "export", "run", "--format", kind, cwd=tmp_path)
        assert exported.returncode == 0, exported.stdout[-2000:] + exported.stderr[-3000:]
        assert "verified on" in exported.stdout
