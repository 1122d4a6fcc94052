"""``hoh compare RUN RUN...``: what differs between runs, their metrics side by side, one picture.

Runs are labelled by the settings that differ between them (``learning_rate=0.0003,
dense_units=256``), not by their timestamps; the picture overlays their learning curves, one
panel per metric, training solid and validation dashed, one colour per run. Nothing here
imports TensorFlow.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from framework.commands import Command
from framework.errors import UserError
from framework.output_files import check_file_replaceable, png_metadata, png_written_by_hoh
from framework.rundir import EXPERIMENT_FILE, LATEST, resolve_run_dir
from framework.runs.listing import RunRow, differing_settings, find_runs, read_run

PICTURE = "comparison.png"


def _runs(paths: list[str]) -> list[RunRow]:
    """Each argument is a run folder, or a folder of runs (a sweep's, an experiment's): all of them."""
    rows: list[RunRow] = []
    for text in paths:
        path = Path(text)
        if path.name == LATEST:  # runs/quick/latest: the newest run (a folder of runs means all of them)
            path = resolve_run_dir(path)
        if (path / EXPERIMENT_FILE).is_file():
            rows.append(read_run(path))
        elif path.is_dir() and (found := find_runs(path)):
            rows.extend(found)
        else:
            raise UserError(
                f"{path} is not a run folder (it has no {EXPERIMENT_FILE}) nor a folder holding runs; "
                "give run folders, e.g. hoh compare runs/quick/20261125T101010Z runs/quick/20261125T111111Z"
            )
    unique = list({row.path.resolve(): row for row in rows}.values())
    if len(unique) < 2:
        raise UserError(f"hoh compare needs two runs or more; {len(unique)} found in {', '.join(paths)}.")
    return unique


def labels(rows: list[RunRow]) -> list[str]:
    """A label per run from the settings that differ (last part of each key), else its folder name."""
    keys = [k for k in differing_settings(rows) if not k.startswith("experiment.plugins")]
    if not keys:
        return [row.path.name for row in rows]
    shortest = {k: k.rsplit(".", 1)[-1] for k in keys}
    if len(set(shortest.values())) < len(keys):  # two keys end alike: keep them whole
        shortest = {k: k for k in keys}
    found = [  # a key a run does not have (another model's parameter) is left out of its label
        ", ".join(f"{shortest[k]}={_shown(row.settings[k])}" for k in keys if row.settings.get(k) is not None)
        or row.path.name  # it has none of them: an empty label would drop the run from the legend
        for row in rows
    ]
    if len(set(found)) < len(found):  # same settings (another seed's run, a rerun): add the folder
        found = [f"{label} ({row.path.name})" for label, row in zip(found, rows, strict=True)]
    return found


def _shown(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if value is None:
        return "-"
    return str(value) if not isinstance(value, list | dict) else json.dumps(value)


def metric_rows(rows: list[RunRow]) -> list[tuple[str, list[float | None]]]:
    """``(name, value per run)``: each metric's last and best epoch, then the final evaluation."""
    names = sorted({k for row in rows for k in row.final}, key=lambda k: (k.removeprefix("val_"), k))
    table: list[tuple[str, list[float | None]]] = []
    for name in names:
        table.append((f"{name} (last epoch)", [row.final.get(name) for row in rows]))
        table.append((f"{name} (best epoch)", [row.best.get(name) for row in rows]))
    evaluations = [row.evaluation for row in rows]
    for name in sorted({k for e in evaluations for k in e}):
        table.append((f"evaluation {name}", [e.get(name) for e in evaluations]))
    table.append(("epochs", [float(row.epochs) for row in rows]))
    table.append(("seconds", [row.seconds for row in rows]))
    return table


def draw_comparison(rows: list[RunRow], names: list[str], path: Path) -> Path:
    """Overlay the runs' learning curves: a panel per metric, training solid, validation dashed."""
    from framework.learning_curves import draw_learning_curves

    check_file_replaceable(path, "comparison", png_written_by_hoh)
    try:
        return draw_learning_curves(
            list(zip(names, (row.history for row in rows), strict=True)),
            path,
            title="training (solid) and validation (dashed) by run",
            metadata=png_metadata("compare"),
        )
    except ValueError:
        raise UserError("none of these runs recorded an epoch yet (metrics.jsonl is empty): nothing to draw.") from None


def compare_command(args: argparse.Namespace) -> int:
    from rich.markup import escape
    from rich.table import Table

    from framework.terminal.output import stdout_console

    rows = _runs(args.runs)
    names = labels(rows)
    settings = differing_settings(rows)
    metrics = metric_rows(rows)
    picture = Path(args.output) if args.output else Path(os.path.commonpath([r.path.resolve() for r in rows])) / PICTURE
    if not args.no_picture:
        check_file_replaceable(picture, "comparison", png_written_by_hoh)
        draw_comparison(rows, names, picture)
    if args.format == "json":
        print(
            json.dumps(
                {
                    "runs": [{"path": str(r.path), "label": n} for r, n in zip(rows, names, strict=True)],
                    "settings": {k: [r.settings.get(k) for r in rows] for k in settings},
                    "metrics": dict(metrics),
                    "picture": None if args.no_picture else str(picture),
                    "damaged": {str(r.path): r.problems for r in rows if r.problems},
                },
                indent=2,
            )
        )
        return 0
    console = stdout_console()
    table = Table(title="settings that differ", title_justify="left")
    table.add_column("setting")
    for row in rows:
        table.add_column(row.path.name, justify="right")
    for key in settings:
        table.add_row(key, *(_shown(r.settings.get(key)) for r in rows))
    if not settings:
        table.add_row("(none: the runs have the same settings)", *("" for _ in rows))
    console.print(table)
    table = Table(title="metrics", title_justify="left")
    table.add_column("metric")
    for name in names:
        table.add_column(name, justify="right")
    for metric, values in metrics:
        present = [v for v in values if v is not None]
        best = None
        if present and metric.startswith(("val_", "evaluation", "loss", "accuracy")):
            lower = "loss" in metric or "error" in metric
            best = min(present) if lower else max(present)
        cells = [
            "-" if v is None else (f"[bold]{v:.4g}[/]" if v == best and len(present) > 1 else f"{v:.4g}")
            for v in values
        ]
        table.add_row(metric, *cells)
    console.print(table)
    if not args.no_picture:
        console.print(f"learning curves: {picture}")
    for row in rows:
        if row.problems:
            console.print(f"[red]damaged[/] {escape(str(row.path))}: {escape('; '.join(row.problems))}", soft_wrap=True)
    return 0


def _arguments(parser: argparse.ArgumentParser) -> None:
    from framework.terminal.arguments import add_format_option

    parser.add_argument("runs", nargs="+", help="run folders, or folders holding runs (a sweep's, say)")
    parser.add_argument(
        "--output", metavar="PNG", help="where the picture goes (default: comparison.png in the runs' common folder)"
    )
    parser.add_argument("--no-picture", action="store_true", help="tables only")
    add_format_option(parser)


COMMAND = Command(
    "compare",
    "compare runs: the settings that differ, metrics side by side, learning curves in one picture",
    _arguments,
    compare_command,
    epilog="Examples: hoh compare runs/quick/20261125T101010Z runs/quick/20261125T111111Z; "
    "hoh compare runs/sweeps/sweep-lr (every trial of a sweep)",
)
