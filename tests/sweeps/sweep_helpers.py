"""Helpers of the sweep tests: a tiny base experiment on generated images, and sweep files."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core"))

from core_helpers import line_no, make_images, run_script, subprocess_env

__all__ = ["line_no", "make_images", "run_script", "subprocess_env", "tiny_sweep", "trial_records"]

BASE = """\
[experiment]
name = "tiny"
seed = 1
output = "runs"

[dataset]
provider = "image-folder"
train_dir = "data/train"
validation_dir = "data/validation"

[pipeline]
provider = "tf-data"
image_size = [96, 96]
batch_size = 8
validation_batch_size = 8

[model]
provider = "five-conv-sigmoid"
filters = [4, 4, 4, 4, 4]
dense_units = 8

[optimizer]
provider = "rmsprop"
learning_rate = 0.001

[training]
epochs = {epochs}
loss = "binary_crossentropy"
metrics = ["accuracy"]
progress = "none"
"""

SWEEP = """\
[sweep]
name = "{name}"
experiment = "base.toml"
trials = {trials}
method = "random"
pruner = "{pruner}"
warmup_epochs = 1
startup_trials = 2
{extra}

[sweep.objective]
metric = "val_loss"
direction = "minimize"

[space]
"optimizer.learning_rate" = {{ log_uniform = [1e-4, 1e-2] }}
"model.dense_units" = {{ choice = [4, 8, 16] }}
"""


def tiny_sweep(
    folder: Path, *, name: str = "tiny", trials: int = 6, epochs: int = 3, pruner: str = "median", extra: str = ""
) -> Path:
    """``folder/sweep.toml`` over ``folder/base.toml``, with 2 x 12 training images of 96x96."""
    if not (folder / "data").exists():
        make_images(folder / "data" / "train", count=12, size=96)
        make_images(folder / "data" / "validation", count=4, size=96)
    (folder / "base.toml").write_text(BASE.format(epochs=epochs), encoding="utf-8")
    path = folder / "sweep.toml"
    path.write_text(SWEEP.format(name=name, trials=trials, pruner=pruner, extra=extra), encoding="utf-8")
    return path


def trial_records(sweep_folder: Path) -> list[dict]:
    """Every ``trial-NNNN/trial.json`` under the sweep's folder, by trial number."""
    return sorted(
        (json.loads(p.read_text(encoding="utf-8")) for p in sweep_folder.glob("trial-*/trial.json")),
        key=lambda r: r["number"],
    )
