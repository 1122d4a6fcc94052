"""``hoh predict``: classify images with a trained model, preprocessed as in training."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from rich.table import Table

from framework.cli.loading import plugin_args
from framework.cli.output import print_error, stdout_console
from framework.config.loader import load_experiment
from framework.errors import UserError
from framework.images import is_image_file
from framework.providers import Kind
from framework.rundir import CLASSES_FILE, EXPERIMENT_FILE, MODEL_FILE

BATCH = 32


def find_run(model_arg: str) -> tuple[Path, Path]:
    """The model file and the run folder it belongs to."""
    path = Path(model_arg)
    if path.is_dir():
        run_dir, model = path, path / MODEL_FILE
        if not model.exists():
            raise UserError(
                f"{path} has no {MODEL_FILE}: the run did not finish. Give a finished run folder, or one of its "
                f"checkpoints (e.g. {path / 'checkpoints' / 'best.keras'})."
            )
        return model, run_dir
    if not path.is_file() or path.suffix != ".keras":
        raise UserError(f"{model_arg} is neither a run folder nor a .keras model file.")
    for parent in (path.parent, path.parent.parent):
        if (parent / EXPERIMENT_FILE).is_file():
            return path, parent
    raise UserError(
        f"{model_arg} is not inside a run folder (no {EXPERIMENT_FILE} beside it or one level up), so the "
        "preprocessing it was trained with is unknown. Give the run folder instead."
    )


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
    model_path, run_dir = find_run(args.model)
    loaded = load_experiment(run_dir / EXPERIMENT_FILE, plugins=plugin_args(args), autoload=not args.no_plugin_autoload)
    classes = json.loads((run_dir / CLASSES_FILE).read_text())
    class_names = classes.get("labels") or classes["class_names"]
    pipeline_choice = loaded.experiment.pipeline
    pipeline = loaded.registry.get(Kind.PIPELINE, pipeline_choice.provider).factory(pipeline_choice.params)
    paths = expand_images(args.images)
    if not paths:
        raise UserError("no images given: name image files or folders holding .png/.jpg images.")

    from framework.cli.quiet_tensorflow import import_tensorflow_quietly

    import_tensorflow_quietly(verbose=getattr(args, "debug", False))
    import keras
    import numpy as np

    model = keras.saving.load_model(model_path)
    results: list[dict[str, Any]] = []
    for start in range(0, len(paths), BATCH):  # decode and predict a chunk at a time: memory stays bounded
        chunk: list[tuple[dict[str, Any], Any]] = []
        for path in paths[start : start + BATCH]:
            result: dict[str, Any] = {"file": str(path)}
            results.append(result)
            try:
                chunk.append((result, pipeline.load_images([path])[0]))
            except (ValueError, OSError) as error:
                result["error"] = str(error)
        if chunk:
            scores = model.predict(np.stack([image for _, image in chunk]), verbose=0)
            for (result, _), score in zip(chunk, scores, strict=True):
                result.update(_label(score, class_names))
    _print(results, class_names, as_json=args.json)
    return 1 if any("error" in r for r in results) else 0


def _label(score: Any, class_names: list[str]) -> dict[str, Any]:
    if len(score) == 1:  # one sigmoid unit: probability of the second class
        probability = float(score[0])
        return {"probability": probability, "label": class_names[1] if probability > 0.5 else class_names[0]}
    best = int(score.argmax())
    return {"probability": float(score[best]), "label": class_names[best]}


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
