"""``status.json``: whether a run is running, finished, failed or interrupted, and why.

The runner writes it (atomically) when a run starts or resumes, and again when it ends, so
people and tools can tell a failed run from one still going or one that was stopped::

    {"status": "failed", "reason": "the loss became NaN in epoch 3 ...", "started": "...", "ended": "...",
     "host": "...", "pid": 1234, "attempts": 1}

A run whose file still says ``running`` while its process is gone was killed (``kill -9``,
power loss): :func:`read_status` reports it as ``killed``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
from pathlib import Path
from typing import Any, Literal

from framework.atomic import write_json

STATUS_FILE = "status.json"

Status = Literal["running", "finished", "failed", "interrupted", "pruned"]
"""``pruned``: a sweep's pruner stopped the run early (it finished its last epoch normally)."""

ENDED = frozenset({"finished", "pruned"})
"""The statuses of a run that ended on purpose: ``--extend`` takes it on, ``--resume`` refuses it."""


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def read_status(run_dir: Path) -> dict[str, Any]:
    """The recorded status (``{}`` when none); ``running`` on this host with no such process reads ``killed``."""
    try:
        data = json.loads((run_dir / STATUS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    if (
        data.get("status") == "running"
        and data.get("host") == socket.gethostname()
        and not process_alive(data.get("pid"))
    ):
        data = {**data, "status": "killed", "reason": "the process ended without recording why (killed?)"}
    return data


def process_alive(pid: Any) -> bool:
    """Whether process ``pid`` of this host still exists (``False`` for a missing or malformed pid)."""
    if not isinstance(pid, int):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def mark_started(run_dir: Path) -> None:
    """Record that the run (or a resumed part of it) is running in this process."""
    previous = read_status(run_dir)
    write_json(
        run_dir / STATUS_FILE,
        {
            "status": "running",
            "reason": None,
            "started": previous.get("started") or _now(),
            "ended": None,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "attempts": (previous["attempts"] if isinstance(previous.get("attempts"), int) else 0) + 1,
        },
    )


def mark_ended(run_dir: Path, status: Status, reason: str | None = None, *, phase: str | None = None) -> None:
    """Record how the run ended; ``reason`` says why it failed or was interrupted, ``phase`` in which phase."""
    data = read_status(run_dir) or {"started": None, "attempts": 1}
    data.update(status=status, reason=reason, ended=_now(), host=socket.gethostname(), pid=os.getpid())
    if phase is not None:
        data["phase"] = phase
    write_json(run_dir / STATUS_FILE, data)
