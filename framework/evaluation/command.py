"""``hoh evaluate RUN [FOLDER]``: how a trained model is right and wrong, as a report with pictures.

Example::

    hoh evaluate runs/baseline/20261124T130000Z                     # the run's validation set
    hoh evaluate runs/baseline/20261124T130000Z my-labelled-photos/ # one sub-folder per class
    hoh evaluate runs/baseline/20261124T130000Z --checkpoint best   # checkpoints/best.keras

writes ``RUN/evaluation/`` (``metrics.json``, PNGs, ``report.html``); another model or
folder than the defaults writes ``RUN/evaluation-<checkpoint>-<folder>/``, or ``--output DIR``.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text

from framework.class_weights import CLASS_WEIGHTS_FILE, describe
from framework.commands import Command
from framework.errors import UserError
from framework.evaluation.data import labelled_files, split_data
from framework.inference import TrainedRun
from framework.report_section import ReportSection
from framework.rundir import EVALUATION_FILE, EXPERIMENT_FILE, REPORT_DIR
from framework.terminal.arguments import add_checkpoint_option, add_plugin_options

MISTAKES_SHOWN = 16


def default_output(run: TrainedRun, folder: Path | None, checkpoint: str | None, split: str = "validation") -> Path:
    named = folder.resolve().name if folder else (split if split != "validation" else None)
    parts = [part for part in (checkpoint, named) if part]
    return run.run_dir / (REPORT_DIR if not parts else f"{REPORT_DIR}-{'-'.join(parts)}")


SETTINGS_SHOWN = (
    ("experiment", "seed"),
    ("dataset", "provider"),
    ("pipeline", "provider"),
    ("pipeline", "image_size"),
    ("pipeline", "batch_size"),
    ("model", "provider"),
    ("optimizer", "provider"),
    ("optimizer", "learning_rate"),
    ("training", "epochs"),
    ("training", "steps_per_epoch"),
    ("training", "keep"),
    ("training", "class_weight"),
    ("training", "precision"),
)
"""The settings the page lists (all of them are in the run's experiment.toml)."""


def _experiment(run: TrainedRun) -> dict[str, Any]:
    import tomllib

    try:
        return tomllib.loads((run.run_dir / EXPERIMENT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def run_title(run: TrainedRun, experiment: dict[str, Any]) -> str:
    """``quick (run 20261125T101010Z)``: the experiment's name (from its ``experiment.toml``) and the run folder's."""
    name = experiment.get("experiment", {}).get("name")
    return f"{name} (run {run.run_dir.name})" if isinstance(name, str) else f"run {run.run_dir.name}"


def run_settings(experiment: dict[str, Any]) -> dict[str, str]:
    """The main settings a run was trained with (``section.key`` -> value), from its ``experiment.toml``."""
    shown = {}
    for section, key in SETTINGS_SHOWN:
        table = experiment.get(section)
        if isinstance(table, dict) and key in table:
            shown[f"{section}.{key}"] = str(table[key])
    return shown


def _class_weights(run: TrainedRun) -> dict[str, str]:
    """The ``class weights`` fact: the weights training applied (``class_weights.json``), if any."""
    import json

    try:
        weights = json.loads((run.run_dir / CLASS_WEIGHTS_FILE).read_text(encoding="utf-8"))
        return {"class weights (training loss)": describe({str(k): float(v) for k, v in weights.items()})}
    except (OSError, ValueError, AttributeError, TypeError):
        return {}


def _keras_loss(run: TrainedRun, folder: Path | None, checkpoint: str | None) -> float | None:
    """``evaluation.json``'s loss, when it measured the same model on the same set as this report."""
    if folder is not None or checkpoint is not None:
        return None
    import json

    try:
        value = json.loads((run.run_dir / EVALUATION_FILE).read_text(encoding="utf-8")).get("loss")
    except (OSError, ValueError, AttributeError):
        return None
    return float(value) if isinstance(value, int | float) else None


def evaluate_run(
    run: TrainedRun,
    folder: Path | None = None,
    *,
    checkpoint: str | None = None,
    output: Path | None = None,
    console: Console | None = None,
    sections: Sequence[ReportSection] | None = None,
    split: str = "validation",
) -> Path:
    """Evaluate a run's model on a labelled folder and write the report; returns ``report.html``.

    Args:
        run: The opened run (:meth:`TrainedRun.open`, with ``checkpoint`` if one is evaluated).
        folder: Labelled images (one sub-folder per class); by default the run's ``split``.
        split: Which of the run's sets to evaluate without ``folder``: ``"validation"``, ``"test"``
            (held out: never trained on) or ``"train"``.
        checkpoint: The checkpoint ``run`` was opened with, for the report folder's name.
        output: The report folder; see :func:`default_output`.
        sections: The plugins' sections (``hoh_report_sections``); by default they are gathered
            from the plugins of the run's ``experiment.toml``.

    Raises:
        UserError: on a missing run, model, class folder or validation set.
    """
    import numpy as np

    from framework.evaluation import figures, metrics
    from framework.evaluation.report import check_report_folder, write_report
    from framework.evaluation.sections import plugin_sections

    console = console or Console()
    if folder is not None:
        paths, labels = labelled_files(folder, run.class_names)
        data = str(folder)
    else:
        paths, labels, data = split_data(run, split)
    out_dir = output or default_output(run, folder, checkpoint, split)
    check_report_folder(out_dir)  # before the model runs: a folder of someone else's files is never replaced
    with console.status(f"Evaluating {run.model_path.name} on {len(paths)} images of {data}"):
        scores = run.predict(paths)
    if not scores.paths:
        raise UserError(f"none of the {len(paths)} images in {data} could be read; first: {scores.errors[0][1]}")
    index = {path: label for path, label in zip(paths, labels, strict=True)}
    y_true = np.array([index[path] for path in scores.paths])
    result = metrics.evaluate(y_true, scores.probabilities, run.labels, scores.threshold)
    predicted = scores.predicted()
    wrong = metrics.worst_mistakes(scores.paths, y_true, scores.probabilities, predicted, run.labels)
    facts = {
        "run": str(run.run_dir),
        "model": str(run.model_path),
        "images": f"{data} ({len(scores.paths)} images"
        + (f", {len(scores.errors)} unreadable)" if scores.errors else ")"),
        "classes": ", ".join(f"{i}: {label}" for i, label in enumerate(run.labels)),
        **_class_weights(run),
        "written": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
    document: dict[str, Any] = {
        "run": str(run.run_dir),
        "model": str(run.model_path),
        "data": str(data),
        "classes": list(run.labels),
        **result,
        "mistakes": wrong,
        "unreadable": [{"file": str(path), "error": message} for path, message in scores.errors],
    }
    recorded = _experiment(run)  # experiment.toml, read once for the title and the settings
    drawn = {"confusion_matrix": figures.confusion_matrix(result, run.labels)}
    if result["curves"]:
        drawn["roc_pr"] = figures.roc_and_pr(result)
    drawn["calibration"] = figures.calibration(result)
    drawn["mistakes"] = figures.mistakes(wrong[:MISTAKES_SHOWN])
    report = write_report(
        out_dir,
        {
            "title": f"Evaluation of {run_title(run, recorded)}",
            "settings": run_settings(recorded),
            "sections": list(sections if sections is not None else plugin_sections(run.run_dir, plugins=run.plugins)),
            "mistakes_total": len(wrong),
            "keras_loss": _keras_loss(run, folder, checkpoint) if split == "validation" else None,
            "facts": facts,
            "metrics": result,
            "labels": list(run.labels),
            "mistakes": wrong[:MISTAKES_SHOWN],
            "errors": scores.errors,
            "document": document,
        },
        drawn,
    )
    summary = result["summary"]
    auc = f", ROC AUC {summary['roc_auc']:.4f}" if summary.get("roc_auc") is not None else ""
    console.print(
        f"Evaluated {len(scores.paths)} images: accuracy {summary['accuracy']:.4f}{auc}, "
        f"{len(wrong)} wrong. Report: [bold]{report}[/]",
        soft_wrap=True,
    )
    for _, message in scores.errors:
        console.print(Text.assemble(("skipped: ", "yellow"), message), soft_wrap=True)
    return report


def evaluate_command(args: argparse.Namespace) -> int:
    """The ``hoh evaluate`` handler."""
    from framework.terminal.loading import open_run_from_args
    from framework.terminal.output import stdout_console

    evaluate_run(
        open_run_from_args(args, args.run),
        Path(args.folder) if args.folder else None,
        checkpoint=args.checkpoint,
        output=Path(args.output) if args.output else None,
        console=stdout_console(),
        split=args.split,
    )
    return 0


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run", help="a finished run folder (runs/NAME/latest: the newest run of runs/NAME)")
    parser.add_argument(
        "folder", nargs="?", help="labelled images, one sub-folder per class (default: the run's validation set)"
    )
    parser.add_argument(
        "--split",
        choices=("validation", "test", "train"),
        default="validation",
        help="without FOLDER, which of the run's sets: validation (default), test (held out, never trained on) or "
        "train",
    )
    parser.add_argument(
        "--output",
        "-o",
        metavar="DIR",
        help="report folder (default: RUN/evaluation[-CHECKPOINT][-FOLDER or -SPLIT])",
    )
    add_checkpoint_option(parser)
    add_plugin_options(parser)


COMMAND = Command(
    "evaluate",
    "report how a trained model is right and wrong: metrics, curves, mistakes (HTML + PNG + JSON)",
    _arguments,
    evaluate_command,
    description="Evaluate a run's model on its validation set, or on a labelled FOLDER (one sub-folder per "
    "class), and write RUN/evaluation/: metrics.json, PNG pictures and a self-contained report.html.",
)
