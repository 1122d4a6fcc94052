"""Run folders: ``<output>/<name>/<UTC timestamp>/``, never overwritten."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

from framework.atomic import strict_json_value, write_text
from framework.errors import EnvironmentProblem, UserError

EXPERIMENT_FILE = "experiment.toml"
ENVIRONMENT_FILE = "environment.json"
METRICS_FILE = "metrics.jsonl"
NOT_METRICS = frozenset({"epoch", "seconds", "stage"})
"""Keys of a metrics row that are not metrics: the epoch (from 1), its seconds, its stage (staged fine-tuning)."""
SUMMARY_FILE = "summary.txt"
MODEL_FILE = "model.keras"
CLASSES_FILE = "classes.json"
EVALUATION_FILE = "evaluation.json"
INFERENCE_FILE = "inference.json"
SPLITS_FILE = "splits.json"
STAGES_FILE = "stages.json"
EXTENDS_FILE = "extends.json"
"""An extension's record (``hoh-run --extend``): its source run, the source's epochs, the overrides."""
"""The images of each split a dataset provider listed explicitly (``ImageFolders.file_lists``), as trained."""
"""What inference needs besides the model: preprocessing, the model's plugin, the data folders."""
CHECKPOINTS_DIR = "checkpoints"
"""Where callbacks keep ``<name>.keras`` models (``hoh evaluate --checkpoint NAME`` reads them)."""
REPORT_DIR = "evaluation"
"""Where ``hoh evaluate`` (and ``[training] report = true``) writes the evaluation report."""


def new_run_dir(output: Path, name: str, explicit: Path | None = None) -> Path:
    """Create and return a fresh run folder.

    Args:
        output: Folder that holds runs (``[experiment] output``).
        name: Experiment name.
        explicit: ``--run-dir``: used as is, and must not exist yet.

    Raises:
        UserError: when ``explicit`` exists already.
    """
    try:
        return _make_run_dir(output, name, explicit)
    except OSError as error:
        if isinstance(error, FileExistsError):
            raise
        raise EnvironmentProblem(
            f"cannot create the run folder under {explicit or output / name}: {error.strerror or error}. "
            "Pick a writable folder: [experiment] output, or --run-dir."
        ) from None


def check_new_run_dir(explicit: Path) -> None:
    """Refuse a ``--run-dir`` that exists already (call it before slow work; creating the folder checks again).

    Raises:
        UserError: saying how to continue the run it holds, when it holds an unfinished one.
    """
    if not explicit.exists() and not explicit.is_symlink():
        return
    finished = (explicit / MODEL_FILE).exists() or not (explicit / EXPERIMENT_FILE).exists()
    hint = "" if finished else f", or continue it with --resume {explicit}"
    raise UserError(f"run folder {explicit} exists already; hoh never overwrites a run. Pick a new --run-dir{hint}.")


def _make_run_dir(output: Path, name: str, explicit: Path | None) -> Path:
    if explicit is not None:
        try:
            explicit.mkdir(parents=True, exist_ok=False)
        except FileExistsError:
            check_new_run_dir(explicit)
            raise
        return explicit
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    parent = output / name
    parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(1000):
        candidate = parent / (stamp if attempt == 0 else f"{stamp}-{attempt}")
        try:
            candidate.mkdir()
            return candidate
        except FileExistsError:
            continue
    raise UserError(f"could not create a new run folder under {parent}")  # pragma: no cover


LATEST = "latest"
"""``runs/quick/latest`` names the newest run of ``runs/quick`` wherever a command takes a run folder."""


def resolve_run_dir(target: Path, runs_folder: Path = Path("runs")) -> Path:
    """The run folder ``target`` names: itself, or the newest run of an experiment's folder.

    ``runs/quick/latest``, ``runs/quick`` and (when no such path exists) ``quick``, looked up
    under ``runs_folder``, all name the newest run folder of ``runs/quick`` (run folders are
    named by their UTC start time, so the newest sorts last). Anything else is returned as it
    is, for the caller's own message.
    """
    if (target / EXPERIMENT_FILE).is_file() or target.is_file():
        return target
    folder = target.parent if target.name == LATEST else target
    if not folder.is_dir() and not folder.is_absolute() and (runs_folder / folder).is_dir():
        folder = runs_folder / folder
    if not folder.is_dir():
        return target
    runs = sorted(p for p in folder.iterdir() if p.is_dir() and (p / EXPERIMENT_FILE).is_file())
    return runs[-1] if runs else target


def read_text(path: Path, problems: list[str]) -> str | None:
    """A record's text; ``None`` when the file is missing or unreadable (then a sentence goes to ``problems``)."""
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:
        problems.append(f"{path.name} is not text (binary or damaged bytes)")
    except OSError as error:
        problems.append(f"{path.name} cannot be read ({error.strerror or error})")
    return None


def number_or_null(value: Any) -> bool:
    """Whether ``value`` is what a metric may hold in a record: a finite number or ``null``."""
    return value is None or (isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value))


def read_history_rows(path: Path, problems: list[str]) -> list[dict[str, Any]]:
    """The rows of a ``metrics.jsonl`` up to the first damaged line; that line is named in ``problems``."""
    text = read_text(path, problems)
    rows: list[dict[str, Any]] = []
    if text is None:
        return rows
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError:
            cut = number == len(lines) and not text.endswith("\n")
            problems.append(f"{path.name} line {number} is {'cut short' if cut else 'not JSON'}")
            break
        if not isinstance(row, dict):
            problems.append(f"{path.name} line {number} is not a JSON object")
            break
        rows.append(row)
    return rows


def read_history(run_dir: Path) -> list[dict[str, float]]:
    """Per-epoch metrics recorded in ``metrics.jsonl`` (empty when there is none).

    Raises:
        UserError: naming the file and the line, when it is damaged.
    """
    problems: list[str] = []
    rows = read_history_rows(run_dir / METRICS_FILE, problems)
    if problems:
        raise UserError(
            f"the metrics of run {run_dir} are damaged: {'; '.join(problems)}. hoh wrote that file whole, so it "
            "was changed or damaged afterwards; restore it from a copy (or move it away to resume from the "
            "training state alone)."
        )
    return rows


def write_history(run_dir: Path, history: list[dict[str, float]]) -> None:
    """Write ``metrics.jsonl`` atomically, one JSON object per epoch."""
    rows = (json.dumps(strict_json_value(row), allow_nan=False) + "\n" for row in history)
    write_text(run_dir / METRICS_FILE, "".join(rows))
