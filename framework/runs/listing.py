"""``hoh runs``: the run folders under a folder, as rows of settings and metrics.

A run folder is a folder with an ``experiment.toml`` (the resolved experiment). Its row
holds its settings (flattened to the dotted keys that command-line overrides use), its
status (``status.json``, with ``killed`` for a dead process), its duration, and the last
and best epoch's metrics (``metrics.jsonl``). Nothing here imports TensorFlow.
"""

from __future__ import annotations

import json
import operator
import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from framework.errors import UserError
from framework.rundir import EXPERIMENT_FILE, NOT_METRICS
from framework.runs.records import read_records

_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "!=": operator.ne,
    "==": operator.eq,
    "<": operator.lt,
    ">": operator.gt,
    "=": operator.eq,
}
_CONDITION = re.compile(r"^\s*([A-Za-z0-9_.\-\[\]]+)\s*(<=|>=|!=|==|<|>|=)\s*(.+?)\s*$")
NOT_SETTINGS = {"experiment.output", "experiment.description"}
"""Settings that say where or why, not what: never listed as a difference."""


@dataclass
class RunRow:
    """One run folder, flattened for listing, filtering and sorting."""

    path: Path
    settings: dict[str, Any]
    status: str
    started: str | None
    seconds: float | None
    epochs: int
    final: dict[str, float] = field(default_factory=dict)
    best: dict[str, float] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)
    evaluation: dict[str, float] = field(default_factory=dict)
    phase: str | None = None
    """The phase a failed or interrupted run stopped in (``status.json``), when recorded."""
    problems: list[str] = field(default_factory=list)
    """What could not be read (see :mod:`framework.runs.records`): the run is shown as damaged."""

    def value(self, key: str) -> Any:
        """A setting (``optimizer.learning_rate``), a metric (``val_accuracy`` is the last epoch's;
        ``best.val_accuracy``, ``final.loss``), or ``status``, ``seconds``, ``epochs``, ``started``."""
        if key in {"status", "seconds", "epochs", "started", "path"}:
            return str(self.path) if key == "path" else getattr(self, key)
        if key.startswith("best."):
            return self.best.get(key.removeprefix("best."))
        if key.startswith("final."):
            return self.final.get(key.removeprefix("final."))
        if key in self.settings:
            return self.settings[key]
        return self.final.get(key)


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """``{"optimizer": {"learning_rate": 0.001}}`` -> ``{"optimizer.learning_rate": 0.001}`` (lists by index)."""
    if isinstance(data, dict):
        items: Iterable[tuple[str, Any]] = data.items()
    elif isinstance(data, list) and data and all(isinstance(v, dict) for v in data):
        items = ((str(i), v) for i, v in enumerate(data))
    else:
        return {prefix: data}
    out: dict[str, Any] = {}
    for key, value in items:
        out.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    return out


def _best(history: list[dict[str, float]]) -> dict[str, float]:
    """Best value of every metric over the epochs: lowest for losses and errors, highest for the rest.

    Deliberately a name rule, unlike ``keep = "best"`` (Keras' own ``mode="auto"``, which needs
    the compiled metrics): listing runs never imports Keras.
    """
    best: dict[str, float] = {}
    for key in {k for row in history for k in row if k not in NOT_METRICS}:
        values = [row[key] for row in history if isinstance(row.get(key), int | float)]
        if values:
            lower = "loss" in key or "error" in key
            best[key] = min(values) if lower else max(values)
    return best


def read_run(path: Path) -> RunRow:
    """The row of the run folder ``path``; a damaged record leaves its part empty and is named in ``problems``."""
    records = read_records(path)
    history = records.history
    numbers = [{k: v for k, v in row.items() if isinstance(v, int | float) or v is None} for row in history]
    return RunRow(
        path=path,
        settings=flatten(records.experiment) if records.experiment else {},
        status=records.state,
        started=records.started.isoformat() if records.started else None,
        seconds=records.seconds,
        epochs=len(history),
        final={k: v for k, v in (numbers[-1] if numbers else {}).items() if k not in NOT_METRICS},
        best=_best(numbers),
        history=history,
        evaluation=records.evaluation,
        phase=records.status.get("phase") if isinstance(records.status.get("phase"), str) else None,
        problems=records.problems,
    )


def find_runs(folder: Path) -> list[RunRow]:
    """Every run folder under ``folder`` (any depth), oldest first.

    Raises:
        UserError: when ``folder`` does not exist.
    """
    if not folder.is_dir():
        raise UserError(f"{folder} is not a folder; give the folder runs are written to (default: runs).")
    rows = [read_run(p.parent) for p in folder.rglob(EXPERIMENT_FILE) if not p.parent.name.startswith(".")]
    return sorted(rows, key=lambda r: (r.started or "", str(r.path)))


def _literal(text: str) -> Any:
    """A condition's value as TOML reads it (``1e-3``, ``true``, ``"adam"``), else the bare text."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def parse_condition(text: str) -> Callable[[RunRow], bool]:
    """``optimizer.learning_rate<1e-3`` as a test of a row; rows without the key do not match.

    Raises:
        UserError: for a condition that is not ``KEY OP VALUE``.
    """
    found = _CONDITION.match(text)
    if not found:
        raise UserError(
            f"--where {text!r}: write KEY OP VALUE, e.g. optimizer.learning_rate<1e-3, status=finished or "
            "best.val_accuracy>=0.9 (OP is one of < <= > >= = !=)."
        )
    key, op, raw = found.groups()
    expected, compare = _literal(raw), _OPERATORS[op]

    def test(row: RunRow) -> bool:
        value = row.value(key)
        if value is None:
            return False
        try:
            return bool(compare(value, expected))
        except TypeError:  # e.g. a number against a word
            return bool(compare(str(value), str(expected)))

    return test


def failed_before_training(row: RunRow) -> bool:
    """A run that failed while setting up (data offline, a bad mirror), before its first epoch: clutter in lists."""
    return row.status == "failed" and row.epochs == 0 and row.phase in {"configure", "build"}


def condition_key(text: str) -> str:
    """The key of a ``--where`` condition (``optimizer.learning_rate<1e-3`` -> ``optimizer.learning_rate``)."""
    found = _CONDITION.match(text)
    return found.group(1) if found else text


def known_keys(rows: list[RunRow]) -> set[str]:
    """Every key :meth:`RunRow.value` answers for some row: settings, metrics (bare, ``best.``, ``final.``), facts."""
    keys = {"status", "seconds", "epochs", "started", "path"}
    for row in rows:
        keys.update(row.settings)
        for metric in {*row.final, *row.best}:
            keys.update({metric, f"best.{metric}", f"final.{metric}"})
    return keys


def differing_settings(rows: list[RunRow]) -> list[str]:
    """Dotted keys whose values are not the same in every row (the columns worth showing)."""
    keys = sorted({k for row in rows for k in row.settings} - NOT_SETTINGS)
    return [k for k in keys if len({json.dumps(row.settings.get(k), sort_keys=True) for row in rows}) > 1]
