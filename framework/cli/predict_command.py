"""``hoh predict``: classify images with a trained model, preprocessed as in training.

Needs only the run folder (``model.keras``, ``classes.json``, ``inference.json``): see
:class:`framework.inference.TrainedRun`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from rich.table import Table

from framework.commands import Command
from framework.errors import UserError
from framework.images import IMAGE_SUFFIXES, is_image_file
from framework.terminal.arguments import add_checkpoint_option, add_plugin_options
from framework.terminal.loading import open_run_from_args
from framework.terminal.output import print_error, stdout_console


def expand_images(items: list[str]) -> list[Path]:
    """Files as given, and the image files inside folders (sorted)."""
    paths: list[Path] = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            paths += sorted(p for p in path.rglob("*") if is_image_file(p))
        else:
            paths.append(path)
    return paths


def predict_command(args: argparse.Namespace) -> int:
    kinds = ", ".join(sorted(IMAGE_SUFFIXES))
    missing = [item for item in args.images if not Path(item).exists()]
    if missing:  # the user's input, refused before the model is loaded (seconds, with TensorFlow)
        raise UserError(
            f"{', '.join(missing)}: no such file or folder. Name image files, or folders holding images "
            f"({kinds}), relative to the working directory."
        )
    paths = expand_images(args.images)
    if not paths:
        raise UserError(f"no images in {', '.join(args.images)}: name image files, or folders holding {kinds} files.")
    run = open_run_from_args(args, args.model)
    scores = run.predict(paths)
    predicted = scores.predicted()
    binary = len(run.labels) == 2
    by_file: dict[Path, dict[str, Any]] = {}
    for path, probabilities, index in zip(scores.paths, scores.probabilities, predicted, strict=True):
        # binary: p(second class), as one sigmoid unit gives it; more classes: p(predicted class)
        probability = probabilities[1] if binary else probabilities[index]
        by_file[path] = {"file": str(path), "probability": float(probability), "label": run.labels[int(index)]}
        if not binary:
            by_file[path]["probabilities"] = dict(zip(run.labels, map(float, probabilities), strict=True))
    for path, message in scores.errors:
        by_file[path] = {"file": str(path), "error": message}
    results = [by_file[Path(path)] for path in paths]
    _print(results, list(run.labels), as_json=args.json)
    return 1 if scores.errors else 0


def _print(results: list[dict[str, Any]], class_names: list[str], *, as_json: bool) -> None:
    if as_json:
        print(json.dumps(results, indent=2))
        return
    console = stdout_console()
    binary = len(class_names) == 2
    table = Table()
    table.add_column("file")
    table.add_column(f"p({class_names[1]})" if binary else "probability", justify="right")
    table.add_column("prediction", style="bold")
    for result in results:
        if "error" not in result:
            table.add_row(result["file"], f"{result['probability']:.3f}", result["label"])
    if table.row_count:
        console.print(table)
    for result in results:
        if "error" in result:
            print_error(result["error"])


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "model", help="a run folder (runs/NAME/latest: the newest run of runs/NAME), or a .keras file inside one"
    )
    parser.add_argument("images", nargs="+", help="image files or folders of images")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    add_checkpoint_option(parser)
    add_plugin_options(parser)


COMMAND = Command("predict", "classify images with a trained model", _arguments, predict_command)
