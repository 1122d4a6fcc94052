"""``hoh runs [FOLDER]``: a table (or JSON, or CSV) of the runs under a folder."""

from __future__ import annotations

import argparse
import csv
import difflib
import io
import json
import sys
from pathlib import Path
from typing import Any

from rich.markup import escape
from rich.table import Table

from framework.cli.output import stdout_console
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

METRICS = ("val_accuracy", "val_loss", "accuracy", "loss")
MAX_SETTING_COLUMNS = 6
"""Differing settings shown as table columns (all of them are in --format json and csv)."""


def _shown(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes, rest = divmod(int(round(seconds)), 60)
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


def _sort_key(key: str):  # noqa: ANN202
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
            f"[dim]{hidden_failures} run{'s' if hidden_failures > 1 else ''} that failed before their first epoch "
            "(data not ready, a bad mirror) not shown: --all shows them[/]"
        )
    if not rows:
        console.print(f"no runs under {folder}" + (" match" if args.where else ""))
        return 0
    table = Table(title=f"{len(rows)} runs under {folder}", title_justify="left")
    table.add_column("run", no_wrap=True)
    for column in ("status", "time", "epochs"):
        table.add_column(column, no_wrap=True)
    hidden = settings[MAX_SETTING_COLUMNS:]
    settings = settings[:MAX_SETTING_COLUMNS]
    for column in settings:
        table.add_column(column, overflow="fold", max_width=24)
    shown_metrics = [m for m in metrics if m in METRICS] or metrics[:4]
    for metric in shown_metrics:
        table.add_column(f"{metric} last / best", justify="right")
    for row, record in zip(rows, records, strict=True):
        style = {"failed": "red", "interrupted": "yellow", "killed": "red", "running": "cyan"}.get(row.status, "")
        status = f"[{style}]{row.status}[/]" if style else row.status
        table.add_row(
            record["run"],
            status + (" [red]damaged[/]" if row.problems else ""),
            _duration(row.seconds),
            str(row.epochs),
            *(_shown(row.settings.get(key)) for key in settings),
            *(f"{_shown(row.final.get(m))} / {_shown(row.best.get(m))}" for m in shown_metrics),
        )
    console.print(table)
    for row, record in zip(rows, records, strict=True):
        if row.problems:
            console.print(f"[red]damaged[/] {escape(record['run'])}: {escape('; '.join(row.problems))}", soft_wrap=True)
    if not settings and len(rows) > 1:
        console.print("[dim]the runs' settings are all the same[/]")
    if hidden:
        console.print(
            f"[dim]{len(hidden)} more settings differ ({', '.join(hidden[:8])}{', ...' if len(hidden) > 8 else ''}): "
            "narrow the list with --where, or see them all with --format json[/]"
        )
    return 0
