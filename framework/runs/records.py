"""One reader of a run folder's records, for every command that lists or compares runs.

A run folder's JSON files are written atomically, but a folder may still be damaged: a disk
error, a copy cut short, a hand edit, a file from another tool. Reading must never stop a
listing or print a traceback. :func:`read_records` reads each record on its own, keeps what
can be read (the rows of ``metrics.jsonl`` before a damaged line, for instance) and says
what could not, naming the file: ``RunRecords.problems``. Commands show the run as damaged
and go on with the others.

Example::

    records = read_records(Path("runs/quick/20261125T101010Z"))
    if records.problems:
        print("damaged:", "; ".join(records.problems))
    last = records.history[-1] if records.history else {}
"""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from framework.run_status import STATUS_FILE, read_status
from framework.rundir import (
    EVALUATION_FILE,
    EXPERIMENT_FILE,
    METRICS_FILE,
    MODEL_FILE,
    number_or_null,
    read_history_rows,
    read_text,
)


@dataclass
class RunRecords:
    """What a run folder records, as far as it can be read.

    Attributes:
        path: The run folder.
        experiment: The resolved experiment (``experiment.toml``); empty when unreadable.
        status: ``status.json`` (``{}`` when missing or unreadable).
        history: The readable rows of ``metrics.jsonl``, each an object with numbers or ``null``.
        evaluation: ``evaluation.json``'s numbers (``{}`` when missing or unreadable).
        started: When the run started, timezone-aware, or ``None``.
        ended: When it ended, timezone-aware, or ``None`` (still running, or unknown).
        problems: One sentence per damaged record, naming the file.
    """

    path: Path
    experiment: dict[str, Any] = field(default_factory=dict)
    status: dict[str, Any] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)
    evaluation: dict[str, float] = field(default_factory=dict)
    started: dt.datetime | None = None
    ended: dt.datetime | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def state(self) -> str:
        """The recorded status (``killed`` for a dead process).

        Without one: ``finished`` for an old run with a model, else ``unknown``.
        """
        recorded = self.status.get("status")
        if isinstance(recorded, str) and recorded:
            return recorded
        return "finished" if (self.path / MODEL_FILE).exists() else "unknown"

    @property
    def seconds(self) -> float | None:
        """Wall time from start to end (to now while running); ``None`` when the start is unknown."""
        if self.started is None:
            return None
        end = self.ended or dt.datetime.now(dt.UTC)
        return max(0.0, (end - self.started).total_seconds())


def _time(status: dict[str, Any], key: str, problems: list[str]) -> dt.datetime | None:
    value = status.get(key)
    if value is None:
        return None
    try:
        when = dt.datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        problems.append(f"{STATUS_FILE}: {key} {str(value)[:40]!r} is not a time with a timezone")
        return None
    return when


def read_records(path: Path) -> RunRecords:
    """Read every record of the run folder ``path``; never raises for a damaged file (see ``problems``)."""
    records = RunRecords(path=path)
    problems = records.problems
    text = read_text(path / EXPERIMENT_FILE, problems)
    if text is not None:
        try:
            records.experiment = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            problems.append(f"{EXPERIMENT_FILE} is not valid TOML ({error})")
    if (path / STATUS_FILE).exists():
        status = read_status(path)
        if not status:
            problems.append(f"{STATUS_FILE} is not a JSON object")
        records.status = status
        records.started = _time(status, "started", problems)
        records.ended = _time(status, "ended", problems)
    records.history = read_history_rows(path / METRICS_FILE, problems)
    text = read_text(path / EVALUATION_FILE, problems)
    if text is not None:
        try:
            evaluation = json.loads(text)
        except ValueError:
            evaluation = None
        if isinstance(evaluation, dict):
            records.evaluation = {k: v for k, v in evaluation.items() if number_or_null(v) and v is not None}
        else:
            problems.append(f"{EVALUATION_FILE} is not a JSON object")
    return records
