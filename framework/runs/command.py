"""``hoh runs [FOLDER]``: a table (or JSON, or CSV) of the runs under a folder."""

from __future__ import annotations

import argparse
import csv
import difflib
import io
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from rich.markup import escape
from rich.table import Table
from rich.text import Text

from framework.commands import Command
from framework.errors import UserError
from framework.runs.listing import (
    RunRow,
    condition_key,
    differing_settings,
    failed_before_training,
    find_runs,
    known_keys,
    parse_condition,
)
from framework.terminal.arguments import add_format_option
from framework.terminal.output import stdout_console

METRICS = ("val_accuracy", "val_loss", "accuracy", "loss")
LESS_TELLING = ("callbacks.", "experiment.plugins", "experiment.disable_plugins", "strategy.", "plugins.")
"""Settings shown only when there is room left: how a run was watched, not what was trained."""
STATUS_STYLE = {"failed": "red", "interrupted": "yellow", "killed": "red", "running": "cyan"}


@dataclass(frozen=True)
class Column:
    """One column of the table: its key (a setting, a metric, or a fact of the run) and how a cell reads."""

    key: str
    kind: str  # "fact", "metric" or "setting"

    @property
    def header(self) -> str:
        if self.kind == "metric":
            return f"{self.key}\nlast/best"
        return self.key.replace(".", ".\n")  # one line per part: dotted keys are long, their parts short

    @property
    def justify(self) -> Literal["left", "right"]:
        return "right" if self.kind == "metric" or self.key in {"epochs", "time"} else "left"

    def cell(self, row: RunRow) -> str:
        if self.key == "status":
            style = STATUS_STYLE.get(row.status, "")
            text = f"[{style}]{row.status}[/]" if style else row.status
            return text + ("\n[red]damaged[/]" if row.problems else "")
        if self.key == "time":
            return _duration(row.seconds)
        if self.kind == "metric":
            return f"{_shown(row.final.get(self.key))}/{_shown(row.best.get(self.key))}"
        return escape(_shown(row.value(self.key)))

    def width(self, rows: list[RunRow]) -> int:
        """Characters the column takes: its widest cell or header word, and rich's padding and border."""
        words = max(len(line) for line in self.header.splitlines())
        cells = [len(line) for row in rows for line in Text.from_markup(self.cell(row)).plain.splitlines()]
        return max([words, *cells]) + 3


def _choose_columns(
    rows: list[RunRow], settings: list[str], metrics: list[str], width: int, wanted: str | None, run_width: int
) -> tuple[list[Column], list[str]]:
    """The columns that fit ``width`` after the run's name, most telling first; and the keys left out."""
    if wanted:
        keys = [key.strip() for key in wanted.split(",") if key.strip()]
        for key in keys:
            if key != "time":
                _check_key(key, rows, "--columns")
        kinds = {key: "metric" if key in metrics else ("setting" if key in settings else "fact") for key in keys}
        return [Column(key, kinds[key]) for key in keys], []
    order = [Column("status", "fact"), Column("epochs", "fact")]
    main_metrics = [m for m in METRICS if m in metrics][:2]
    order += [Column(m, "metric") for m in main_metrics[:1]]
    order += [Column(key, "setting") for key in settings if not key.startswith(LESS_TELLING)]  # what tells runs apart
    order += [Column(m, "metric") for m in main_metrics[1:]]
    order += [Column("time", "fact")]
    order += [Column(m, "metric") for m in metrics if m not in [c.key for c in order]]
    order += [Column(key, "setting") for key in settings if key.startswith(LESS_TELLING)]
    room = width - 1 - (run_width + 3)  # the table's last border, and the run column with its padding and border
    chosen, hidden = [], []
    for column in order:
        needed = column.width(rows)
        if needed <= room or not chosen:
            chosen.append(column)
            room -= needed
        elif column.kind != "fact" or column.key == "time":
            hidden.append(column.key)
    return chosen, hidden


def _shown(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}m{rest:02d}s" if minutes else f"{rest}s"


def _metric_keys(rows: list[RunRow]) -> list[str]:
    present = {k for row in rows for k in row.final}
    return [m for m in METRICS if m in present] + sorted(present - set(METRICS))


def _record(row: RunRow, folder: Path, settings: list[str], metrics: list[str]) -> dict[str, Any]:
    record: dict[str, Any] = {
        "run": str(row.path.relative_to(folder)) if row.path.is_relative_to(folder) else str(row.path),
        "name": row.settings.get("experiment.name"),
        "status": row.status,
        "started": row.started,
        "seconds": None if row.seconds is None else round(row.seconds, 1),
        "epochs": row.epochs,
        "damaged": row.problems or None,
    }
    record.update({key: row.settings.get(key) for key in settings})
    record.update({f"final.{m}": row.final.get(m) for m in metrics})
    record.update({f"best.{m}": row.best.get(m) for m in metrics})
    return record


def _sort_key(key: str):
    def by(row: RunRow) -> tuple[int, Any]:
        value = row.value(key)
        return (value is None, value if isinstance(value, int | float) else str(value))

    return by


def _check_key(key: str, rows: list[RunRow], option: str) -> None:
    """Refuse a key that no run has (a typo would silently match nothing), with the closest known ones."""
    known = known_keys(rows)
    if not rows or key in known:
        return
    close = difflib.get_close_matches(key, sorted(known), n=3)
    hint = f" Did you mean {', '.join(repr(k) for k in close)}?" if close else ""
    metrics = sorted(k for k in known if k.startswith("best."))
    raise UserError(
        f"{option}: no run has {key!r}.{hint} Keys are settings (e.g. optimizer.learning_rate), metrics "
        f"({', '.join(m.removeprefix('best.') for m in metrics[:6]) or 'none recorded'}; best.X and final.X), "
        "status, seconds, epochs, started and path."
    )


def runs_command(args: argparse.Namespace) -> int:
    folder = Path(args.folder)
    rows = find_runs(folder)
    hidden_failures = 0
    if not args.all:
        kept = [row for row in rows if not failed_before_training(row)]
        hidden_failures, rows = len(rows) - len(kept), kept
    for condition in args.where or []:
        test = parse_condition(condition)
        _check_key(condition_key(condition), rows, "--where")
        rows = [row for row in rows if test(row)]
    if args.sort:
        key = args.sort.removeprefix("-")
        _check_key(key, rows, "--sort")
        rows.sort(key=_sort_key(key), reverse=args.sort.startswith("-"))
    settings = differing_settings(rows)
    metrics = _metric_keys(rows)
    records = [_record(row, folder, settings, metrics) for row in rows]
    if args.format == "json":
        print(json.dumps(records, indent=2))
        return 0
    if args.format == "csv":
        buffer = io.StringIO()
        columns = list(records[0]) if records else ["run"]
        writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)
        sys.stdout.write(buffer.getvalue())
        return 0
    console = stdout_console()
    if hidden_failures:
        console.print(
            f"[dim]{hidden_failures} run{'s' if hidden_failures > 1 else ''} that failed before "
            f"{'their' if hidden_failures > 1 else 'its'} first epoch "
            f"(data not ready, a bad mirror) not shown: --all shows {'them' if hidden_failures > 1 else 'it'}[/]"
        )
    if not rows:
        console.print(f"no runs under {folder}" + (" match" if args.where else ""))
        return 0
    run_width = max(len(record["run"]) for record in records)
    columns, hidden = _choose_columns(rows, settings, metrics, console.width, args.columns, run_width)
    table = Table(title=f"{len(rows)} runs under {folder}", title_justify="left")
    table.add_column("run", no_wrap=True)
    for column in columns:
        table.add_column(column.header, justify=column.justify, no_wrap=True)
    for row, record in zip(rows, records, strict=True):
        table.add_row(record["run"], *(column.cell(row) for column in columns))
    console.print(table)
    for row, record in zip(rows, records, strict=True):
        if row.problems:
            console.print(f"[red]damaged[/] {escape(record['run'])}: {escape('; '.join(row.problems))}", soft_wrap=True)
    if not settings and len(rows) > 1:
        console.print("[dim]the runs' settings are all the same[/]")
    if hidden:
        names = ", ".join(hidden[:8]) + (", ..." if len(hidden) > 8 else "")
        console.print(
            f"[dim]not shown for width: {names}. Pick columns with --columns KEY,KEY (settings, metrics, "
            "best.X, status, time, epochs), or see everything with --format json[/]"
        )
    return 0


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("folder", nargs="?", default="runs", help="folder to look in, at any depth (default: runs)")
    parser.add_argument(
        "--where",
        action="append",
        metavar="KEY OP VALUE",
        help="keep runs where a setting or metric compares so, e.g. optimizer.learning_rate<1e-3, status=finished, "
        "best.val_accuracy>=0.9 (a bare metric is the last epoch's); repeatable",
    )
    parser.add_argument(
        "--sort", metavar="KEY", help="sort by a setting or metric; --sort=-KEY for descending (highest first)"
    )
    parser.add_argument(
        "--all", action="store_true", help="also list runs that failed before their first epoch (hidden by default)"
    )
    parser.add_argument(
        "--columns",
        metavar="KEY,KEY",
        help="the table's columns after the run, e.g. status,optimizer.learning_rate,val_accuracy (default: the "
        "status, the main metrics and the settings that differ, as many as fit the terminal)",
    )
    add_format_option(parser, ["table", "json", "csv"])


COMMAND = Command(
    "runs",
    "list the runs under a folder: status, time, the settings that differ, last and best metrics",
    _arguments,
    runs_command,
    epilog="Examples: hoh runs; hoh runs runs/quick --where 'optimizer.learning_rate<1e-3' "
    "--sort=-best.val_accuracy; hoh runs --format csv > runs.csv",
)
