"""Make the documentation's pictures (docs/images/) from real runs, with hoh's own commands.

Run it after training, from the repository root, naming the runs to show::

    python docs/make_pictures.py --run runs/baseline/<timestamp> \\
        --compare runs/fast/<a> runs/fast/<b> runs/scratch-mobilenet/<c> \\
        --sweep runs/sweeps/sweep-seeds --experiment experiments/baseline.toml

Each picture comes from a command a user runs (``hoh evaluate``, ``hoh compare``, ``hoh preview``,
``hoh sweep``) or from a headless Chromium's screenshot of a page hoh wrote (the evaluation report)
or serves (TensorBoard's HParams dashboard). Only the pictures whose sources are given are
remade; the others are left as they are. Nothing is edited by hand: to change a picture, change
the run or this script and run it again. Each file is written under a temporary name, then renamed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

IMAGES = Path(__file__).resolve().parent / "images"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run"]


def _browser() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    sys.exit("no headless Chromium: apt-get install chromium")


def _place(source: Path, name: str) -> None:
    """Copy ``source`` to docs/images/``name``: a temporary name beside it, then a rename."""
    target = IMAGES / name
    partial = target.with_name(f".{name}.partial")
    try:
        shutil.copyfile(source, partial)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    print(f"wrote {target.relative_to(IMAGES.parents[1])}")


def _hoh(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "framework.cli.main", *args], check=True)


def _screenshot(url: str, name: str, size: tuple[int, int], wait_ms: int = 0) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        shot = Path(scratch) / name
        extra = [f"--virtual-time-budget={wait_ms}"] if wait_ms else []
        subprocess.run(
            [_browser(), *CHROMIUM_FLAGS, *extra, f"--user-data-dir={scratch}/profile",
             f"--window-size={size[0]},{size[1]}", f"--screenshot={shot}", url],
            check=True, capture_output=True, timeout=180,
        )  # fmt: skip
        _place(shot, name)


def run_pictures(run: Path) -> None:
    """The evaluation report (a screenshot of its top) and its pictures, from ``hoh evaluate RUN``."""
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "report"
        _hoh("evaluate", str(run), "--output", str(report))
        _screenshot((report / "report.html").resolve().as_uri(), "report.png", (1280, 1500))
        for name in ("confusion_matrix.png", "roc_pr.png", "mistakes.png"):
            _place(report / name, name)


def compare_picture(runs: list[Path]) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        picture = Path(scratch) / "curves.png"
        _hoh("compare", *map(str, runs), "--output", str(picture))
        _place(picture, "curves.png")


def sweep_pictures(sweep: Path) -> None:
    """The plots ``hoh sweep`` keeps in a sweep's folder (Optuna's history and the rest)."""
    for name in ("history.png", "slices.png"):  # the ones docs/how-to/sweeps.md shows
        if not (sweep / name).is_file():
            sys.exit(f"{sweep} has no {name}: give a sweep's folder (runs/sweeps/NAME) with finished trials")
        _place(sweep / name, f"sweep_{name}")


def preview_picture(experiment: Path) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        picture = Path(scratch) / "preview.png"
        _hoh(
            "preview", str(experiment), "--offline", "--seed", "7", "--output", str(picture)
        )  # a sample, not the first files
        _place(picture, "preview.png")


def tensorboard_picture(logdir: Path) -> None:
    """TensorBoard's HParams dashboard over ``logdir`` (a folder of runs), served on a free port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "tensorboard.main", "--logdir", str(logdir), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(120):
            with socket.socket() as client:
                if client.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.5)
        else:  # never listening: no screenshot of an error page over the picture
            sys.exit(f"TensorBoard did not start on port {port} within 60 s; tensorboard_hparams.png is unchanged")
        time.sleep(5)  # the first scan of the event files
        _screenshot(f"http://127.0.0.1:{port}/#hparams", "tensorboard_hparams.png", (1400, 800), wait_ms=15000)
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", type=Path, help="a finished run: the report and its pictures")
    parser.add_argument("--compare", type=Path, nargs="+", help="runs whose learning curves are compared")
    parser.add_argument("--sweep", type=Path, help="a sweep's folder (runs/sweeps/NAME)")
    parser.add_argument("--experiment", type=Path, help="an experiment file for hoh preview's grid")
    parser.add_argument("--tensorboard", type=Path, help="a folder of runs for TensorBoard's HParams dashboard")
    args = parser.parse_args()
    IMAGES.mkdir(exist_ok=True)
    if args.run:
        run_pictures(args.run)
    if args.compare:
        compare_picture(args.compare)
    if args.sweep:
        sweep_pictures(args.sweep)
    if args.experiment:
        preview_picture(args.experiment)
    if args.tensorboard:
        tensorboard_picture(args.tensorboard)


if __name__ == "__main__":
    main()
