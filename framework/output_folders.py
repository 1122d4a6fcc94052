"""Folders a command writes whole (an evaluation report, an export): replaced only when they are its own.

A command that writes a folder builds it under a hidden staging name beside the target and
renames it into place, so the folder is never half-written. Replacing an older folder is
where a user's files could be lost: ``hoh evaluate RUN --output ~/thesis`` must never delete
the thesis, and ``hoh export RUN -o RUN --force`` never the run. So every folder written here
carries a manifest, :data:`MANIFEST_FILE`: the kind of output and each file's size and
SHA-256. A folder may be replaced only when it does not exist, is empty, or holds exactly
files its manifest vouches for (the same kind, unchanged; a file deleted since is fine).
Anything else — a run folder, a folder of someone else's files, an edited report — is
refused with a message, before any work starts and again, atomically, at the rename.

Example::

    check_replaceable(out_dir, "evaluation report")      # early: before the slow part
    with staged_folder(out_dir, "evaluation report") as staging:
        (staging / "report.html").write_text(page)
    # out_dir now holds report.html and the manifest; an older report there was replaced

A process killed mid-way (``kill -9``) leaves a hidden staging or set-aside folder named
after its host and process id; the next command that writes beside it removes those whose
process is gone.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from framework.atomic import fsync_file, sha256_file
from framework.errors import UserError
from framework.run_status import process_alive

MANIFEST_FILE = ".hoh-written.json"
"""Written last into each folder this module publishes: what wrote it and every file's size and SHA-256."""

_FORMAT = 1
_LEFTOVER = re.compile(r"^\.(?P<name>.+)\.(?P<what>staging|aside)-(?P<host>.+)-(?P<pid>\d+)-[0-9a-f]{8}$")


class ForeignOutput(UserError):
    """The target folder holds something this command did not write; nothing was changed."""


def _files(folder: Path) -> Iterator[Path]:
    """Every entry below ``folder`` that is not a plain folder (files, links, sockets), depth first."""
    for entry in sorted(folder.iterdir()):
        if entry.is_dir() and not entry.is_symlink():
            yield from _files(entry)
        else:
            yield entry


def _manifest(folder: Path, kind: str) -> dict[str, Any]:
    files = {}
    for path in _files(folder):
        if path.is_symlink() or not path.is_file():
            raise ValueError(f"{path} is not a plain file")  # our writers make none: a bug, not the user's input
        files[path.relative_to(folder).as_posix()] = {"bytes": path.stat().st_size, "sha256": sha256_file(path)}
    return {"format": _FORMAT, "kind": kind, "files": files}


def foreign_entries(folder: Path, kind: str, legacy_names: Iterable[str] = (), *, limit: int = 6) -> list[str]:
    """What in ``folder`` a command writing ``kind`` did not write (relative paths; empty: replaceable).

    Args:
        folder: An existing folder.
        kind: The kind of output the command writes (``"evaluation report"``).
        legacy_names: File names an older hoh wrote there without a manifest: a folder with no
            manifest holding only such plain files at its top level counts as the command's own.
        limit: Stop after this many: ``--output ~`` must be refused at once, not after a walk
            through the whole home folder.
    """
    try:
        manifest = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
        vouched = manifest["files"] if manifest.get("kind") == kind and manifest.get("format") == _FORMAT else {}
        if not isinstance(vouched, dict):
            vouched = {}
    except (OSError, ValueError, AttributeError, KeyError, TypeError):
        manifest, vouched = None, {}
    legacy = set(legacy_names) if manifest is None else set()
    foreign = []
    for path in _files(folder):
        name = path.relative_to(folder).as_posix()
        if name == MANIFEST_FILE and vouched:
            continue
        if name in legacy and path.is_file() and not path.is_symlink():
            continue
        record = vouched.get(name)
        if (
            not isinstance(record, dict)
            or path.is_symlink()
            or not path.is_file()
            or path.stat().st_size != record.get("bytes")
            or sha256_file(path) != record.get("sha256")
        ):
            foreign.append(name)
            if len(foreign) >= limit:
                break
    return foreign


def check_replaceable(target: Path, kind: str, *, legacy_names: Iterable[str] = ()) -> None:
    """Refuse (``ForeignOutput``) unless ``target`` is absent, empty, or wholly this command's own output.

    Call it before the work starts; :func:`staged_folder` checks again at the rename.
    """
    if not target.exists() and not target.is_symlink():
        return
    if target.is_symlink() or not target.is_dir():
        raise ForeignOutput(
            f"{target} exists and is not a folder; the {kind} is written as a folder there. "
            "Give another --output (a new or empty folder)."
        )
    foreign = foreign_entries(target, kind, legacy_names)
    if foreign:
        shown = ", ".join(foreign[:5]) + (" and more" if len(foreign) > 5 else "")
        what = " (it is a run folder)" if (target / "experiment.toml").is_file() else ""
        raise ForeignOutput(
            f"{target} holds files that hoh did not write there ({shown}){what}, so it is not replaced: hoh "
            f"replaces a folder only when it holds nothing but its own unchanged {kind}. Nothing was written "
            "or removed. Give another --output (a new or empty folder), or move those files away."
        )


def _leftover_name(target: Path, what: str) -> Path:
    host = socket.gethostname().replace("/", "_")
    return target.with_name(f".{target.name}.{what}-{host}-{os.getpid()}-{uuid.uuid4().hex[:8]}")


def remove_leftovers(target: Path) -> list[Path]:
    """Remove the staging and set-aside folders of ``target`` left by processes of this host that are gone."""
    removed = []
    if not target.parent.is_dir():
        return removed
    host = socket.gethostname().replace("/", "_")
    for entry in target.parent.iterdir():
        match = _LEFTOVER.match(entry.name)
        if not match or match["name"] != target.name or match["host"] != host or process_alive(int(match["pid"])):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed


@contextlib.contextmanager
def staged_folder(target: Path, kind: str, *, legacy_names: Iterable[str] = ()) -> Iterator[Path]:
    """Yield an empty staging folder beside ``target``; on success it becomes ``target``.

    The manifest is written last, then the old ``target`` (if any) is moved aside, checked with
    :func:`foreign_entries` (nobody else writes under the set-aside name) and removed only when
    it is this command's own output; otherwise it is moved back and :class:`ForeignOutput` is
    raised. On any failure, interrupts included, the staging folder is removed and ``target``
    is as it was.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(target)
    staging = _leftover_name(target, "staging")
    try:
        staging.mkdir()  # inside the try: an interrupt right after it still removes the folder
        yield staging
        manifest = _manifest(staging, kind)
        (staging / MANIFEST_FILE).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
        fsync_file(staging / MANIFEST_FILE)
        _publish(staging, target, kind, legacy_names)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _publish(staging: Path, target: Path, kind: str, legacy_names: Iterable[str]) -> None:
    aside = None
    if target.exists() or target.is_symlink():
        check_replaceable(target, kind, legacy_names=legacy_names)  # a clear message for the common case
        aside = _leftover_name(target, "aside")
        target.rename(aside)
        try:
            check_replaceable(aside, kind, legacy_names=legacy_names)  # changed between the check and the move?
        except ForeignOutput as error:
            aside.rename(target)
            raise ForeignOutput(str(error).replace(str(aside), str(target))) from None
    try:
        staging.rename(target)
    except BaseException:
        if aside is not None:
            aside.rename(target)
        raise
    if aside is not None:
        shutil.rmtree(aside, ignore_errors=True)
