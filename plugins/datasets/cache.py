"""Cache folders of downloaded datasets and the marker that says one is complete.

A dataset folder counts as ready only when it holds the marker file
(:data:`MARKER`), which is written atomically as the very last step of a
download and extraction. Anything else in a folder without the marker is
leftover from an interrupted attempt and is never used.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import platformdirs

from framework import UserError
from framework.api import write_json

DATA_DIR_ENV = "HOH_DATA_DIR"
"""Environment variable naming the folder that holds every downloaded dataset."""

MARKER = ".complete.json"
"""File written last into a dataset folder once it is verified and extracted."""

TEMP_PREFIX = ".tmp-"
"""Prefix of temporary files and folders inside a dataset folder."""

LOCK = ".lock"
"""File in a dataset folder locked (filelock: ``flock`` on POSIX, ``msvcrt`` on Windows) while it is built."""


def data_root(data_dir: Path | None = None) -> Path:
    """The folder that holds one sub-folder per downloaded dataset.

    Args:
        data_dir: Explicit folder (a parameter); relative paths are resolved
            against the current working directory.

    Returns:
        ``data_dir`` if given, else ``$HOH_DATA_DIR`` if set, else
        ``<user cache dir>/hoh/datasets`` (from :func:`platformdirs.user_cache_dir`).
    """
    if data_dir is not None:
        return Path(data_dir).expanduser().resolve()
    env = os.environ.get(DATA_DIR_ENV, "").strip()
    if env:
        return Path(env).expanduser().resolve()
    return Path(platformdirs.user_cache_dir("hoh")) / "datasets"


@contextlib.contextmanager
def locked(folder: Path, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold an exclusive lock on ``<folder>/.lock`` (the folder is created first).

    Two processes (or threads) building the same dataset folder take turns: the second
    waits until the first is done and should then re-read the marker. The lock goes with
    the file descriptor, so a process that dies releases it.

    Args:
        folder: The dataset folder.
        on_wait: Called once when the lock is held by someone else, before waiting.
    """
    from filelock import FileLock, Timeout  # imported when needed: ~15 ms that hoh validate need not pay

    folder.mkdir(parents=True, exist_ok=True)
    # thread_local=False: a lock is per process here, and threads of one process must take turns too
    lock = FileLock(folder / LOCK, thread_local=False, is_singleton=False)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        if on_wait is not None:
            on_wait()
        lock.acquire()
    try:
        yield
    finally:
        lock.release()


def read_marker(folder: Path) -> dict[str, Any] | None:
    """The marker's content, or ``None`` when the folder is not complete."""
    try:
        data = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_marker(folder: Path, data: dict[str, Any]) -> None:
    """Write the marker atomically: to a temporary file, flushed to disk, then renamed into place."""
    write_json(folder / MARKER, data)


def clear_marker(folder: Path) -> None:
    """Remove the marker, so the folder no longer counts as ready."""
    (folder / MARKER).unlink(missing_ok=True)


def remove_leftovers(folder: Path, names: tuple[str, ...] = ()) -> None:
    """Delete temporary entries and the named entries left by an interrupted attempt.

    Partial downloads (``*.part``) are kept on purpose: they are resumed.

    Args:
        folder: The dataset folder (may not exist yet).
        names: Entries to delete as well, such as half-extracted split folders.
    """
    if not folder.is_dir():
        return
    for entry in folder.iterdir():
        if entry.name.startswith(TEMP_PREFIX) or entry.name in names:
            remove(entry)


def check_ours(folder: Path, dataset: str) -> None:
    """Refuse a dataset folder that holds files but was never a hoh cache (no :data:`MARKER`, no :data:`LOCK`).

    A rebuild deletes the split folders of an incomplete cache; a folder of someone else's
    (``data_dir`` pointed at a photo collection) must never be one.

    Raises:
        UserError: naming the folder and what to do instead.
    """
    if not folder.is_dir() or (folder / MARKER).exists() or (folder / LOCK).exists():
        return
    entries = sorted(p.name for p in folder.iterdir())
    if entries:
        shown = ", ".join(entries[:5]) + (f" and {len(entries) - 5} more" if len(entries) > 5 else "")
        raise UserError(
            f"{folder} holds files that hoh did not put there ({shown}), so the {dataset} dataset is not "
            "downloaded into it: hoh never removes or replaces a folder it did not create. Point the dataset's "
            f"data_dir (or ${DATA_DIR_ENV}) at another folder; for your own images use the image-folder provider."
        )


def set_aside(path: Path) -> Path:
    """Rename ``path`` to ``<path>.changed-<UTC time>`` beside it (kept, never deleted) and return the new path."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    kept = path.with_name(f"{path.name}.changed-{stamp}")
    for number in range(1, 1000):
        if not kept.exists():
            break
        kept = path.with_name(f"{path.name}.changed-{stamp}-{number}")
    path.rename(kept)
    return kept


def remove(path: Path) -> None:
    """Delete a file or a folder tree; a missing path is not an error."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
