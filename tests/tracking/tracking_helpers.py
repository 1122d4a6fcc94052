"""A tiny real experiment (built-in providers, generated images) for the tracking plugins' tests."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

from rich.console import Console

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core"))

from core_helpers import make_images, tiny_five_conv


def tiny_run(folder: Path, *, rate: str = "0.001", extra: str = "", name: str = "run", broken: bool = False) -> Path:
    """Train the tiny experiment into ``folder/runs/<name>``; returns the run folder.

    ``broken``: one validation image is not a PNG, so the run fails after it started (in its
    build phase, when every image is opened).
    """
    from framework.loading import load_experiment
    from framework.runner import run_experiment

    data = folder / "data"
    if not data.exists():
        make_images(data / "train", count=8, size=96)
        make_images(data / "validation", count=4, size=96)
    if broken:
        next((data / "validation").rglob("*.png")).write_bytes(b"not a png")
    path = folder / f"{name}.toml"
    text = tiny_five_conv(name="tracked", seed=3, output=str(folder / "runs"), data=str(data), rate=rate, extra=extra)
    path.write_text(text, encoding="utf-8")
    run_dir = folder / "runs" / name
    run_experiment(load_experiment(path), run_dir=run_dir, console=Console(file=io.StringIO()))
    return run_dir


def history(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
