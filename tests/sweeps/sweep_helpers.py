"""Helpers of the sweep tests: a tiny base experiment on generated images, and sweep files."""

from __future__ import annotations

import json
import socket
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core"))

from core_helpers import line_no, make_images, run_script, subprocess_env, tiny_five_conv

__all__ = [
    "free_port",
    "line_no",
    "make_images",
    "run_script",
    "subprocess_env",
    "tiny_sweep",
    "trial_records",
    "wait_for_running_trial",
]

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
    base = tiny_five_conv(name="tiny", output="runs", data="data", epochs=epochs)
    (folder / "base.toml").write_text(base, encoding="utf-8")
    path = folder / "sweep.toml"
    path.write_text(SWEEP.format(name=name, trials=trials, pruner=pruner, extra=extra), encoding="utf-8")
    return path


def trial_records(sweep_folder: Path) -> list[dict]:
    """Every ``trial-NNNN/trial.json`` under the sweep's folder, by trial number."""
    return sorted(
        (json.loads(p.read_text(encoding="utf-8")) for p in sweep_folder.glob("trial-*/trial.json")),
        key=lambda r: r["number"],
    )


def wait_for_running_trial(sweep_folder: Path, timeout: float = 180) -> dict:
    """The first trial record that is RUNNING with an epoch done (``metrics.jsonl`` exists): mid-trial."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for record in trial_records(sweep_folder) if sweep_folder.exists() else []:
            epoch_done = (sweep_folder / f"trial-{record['number']:04d}" / "metrics.jsonl").exists()
            if record["state"] == "RUNNING" and epoch_done:
                return record
        time.sleep(0.05)
    raise AssertionError(f"no trial was running with an epoch done within {timeout:.0f} s in {sweep_folder}")


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now (the OS picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
