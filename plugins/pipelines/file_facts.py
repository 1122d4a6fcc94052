"""What checking and hashing image files found, remembered across runs while the files are unchanged.

Every ``tf-data`` run checks each file's headers (:mod:`plugins.pipelines.file_checks`) and,
with the on-disk cache, hashes its content (:func:`plugins.pipelines.decoded_store.content_key`):
at 50,000 JPEGs, 5.5 s and 2.7 s before the first batch, again in every run and every sweep
trial. Here each file's findings are kept in one SQLite file under the user cache, keyed by its
path and by what changes when its content does: size, ``st_mtime_ns``, ``st_ctime_ns``
(which no program can set back), inode and device. A later run ``stat``-s the files and
reuses what still matches; anything else is checked again.

As git does for its index ("racily clean" entries), a file changed within
:data:`RACY_SECONDS` of being looked at is not remembered: another change within the same
timestamp tick would leave its stamp as it was. Only readable files are remembered (a bad
file is checked again, and named, every time). Nothing is ever removed from the store but
rows replaced when a file changes; delete the file to forget everything.

SQLite rather than a key-value cache library (``diskcache``): 50,000 files are looked up in a
few batched queries rather than 50,000 calls, and several processes of a sweep share the file
under SQLite's own locking. Any failure of the store (read-only, full, corrupt, locked too long)
costs time only: the files are checked as if nothing was remembered.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sqlite3
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from plugins.pipelines.common import map_on_threads
from plugins.pipelines.image_headers import HEADER_VERSION, Header, pillow_limits

Found = TypeVar("Found")

#: A file whose mtime or ctime is this close to when it was looked at is not remembered.
RACY_SECONDS = 2.0
#: File systems whose ctime is the kernel's own change time (no program sets it) and whose inode
#: numbers stay with a file. Elsewhere (sshfs sets ctime to mtime; squashfs images and archive
#: mounts keep one time for both) nothing is remembered.
TRUSTED_FILE_SYSTEMS = frozenset(
    {"ext2", "ext3", "ext4", "xfs", "btrfs", "zfs", "f2fs", "tmpfs", "overlay", "nfs", "nfs4"}
)
#: File systems whose attributes a client caches: the file is opened before its stamp is read (NFS's
#: close-to-open consistency: the open asks the server).
REVALIDATED = frozenset({"nfs", "nfs4"})
#: Paths a query (SQLite allows 32,766 parameters since 3.32), and rows a write transaction.
BATCH = 4096
WRITE_BATCH = 50_000
_SCHEMA = """CREATE TABLE IF NOT EXISTS files_v1 (
    path BLOB PRIMARY KEY, stamp TEXT NOT NULL, header TEXT, checker TEXT, decoded INTEGER, sha256 TEXT
) WITHOUT ROWID"""
# A row's facts are kept while its stamp stays; a new stamp drops those not given again. A new check
# replaces the old one (made by another Pillow, or with another limit).
_UPSERT = """INSERT INTO files_v1 (path, stamp, header, checker, decoded, sha256) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (path) DO UPDATE SET
    header = CASE WHEN excluded.header IS NULL AND stamp = excluded.stamp THEN header ELSE excluded.header END,
    checker = CASE WHEN excluded.header IS NULL AND stamp = excluded.stamp THEN checker ELSE excluded.checker END,
    decoded = CASE WHEN excluded.header IS NULL AND stamp = excluded.stamp THEN decoded ELSE excluded.decoded END,
    sha256 = CASE WHEN stamp = excluded.stamp THEN COALESCE(excluded.sha256, sha256) ELSE excluded.sha256 END,
    stamp = excluded.stamp"""
_warned: set[str] = set()


def store_path() -> Path | None:
    """The store: ``$HOH_FILE_FACTS`` (empty: remember nothing) or ``file-facts.sqlite3`` in the user cache.

    ``None`` on Windows, where ``st_ctime`` is when a file was created, not changed.
    """
    env = os.environ.get("HOH_FILE_FACTS")
    if os.name == "nt" or (env is not None and not env.strip()):
        return None
    if env is not None:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("hoh")) / "file-facts.sqlite3"


@functools.cache
def file_systems() -> dict[int, str] | None:
    """``st_dev`` -> file-system type of every mount (``/proc/self/mountinfo``); ``None`` without one (macOS)."""
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return None
    systems: dict[int, str] = {}
    for line in lines:
        mount, _, source = line.partition(" - ")
        major, _, minor = mount.split()[2].partition(":")
        systems.setdefault(os.makedev(int(major), int(minor)), source.split()[0])
    return systems


def _stamp(path: Path) -> str | None:
    """What changes when ``path``'s content does; ``None``: not to be remembered (unreadable, changed just
    now, or on a file system whose times cannot be trusted)."""
    now = time.time_ns()
    try:
        st = os.stat(path)
        systems = file_systems()
        kind = systems.get(st.st_dev) if systems is not None else None
        if systems is not None and kind not in TRUSTED_FILE_SYSTEMS:
            return None
        if kind in REVALIDATED:
            descriptor = os.open(path, os.O_RDONLY)
            try:
                st = os.fstat(descriptor)
            finally:
                os.close(descriptor)
    except OSError:
        return None
    if max(st.st_mtime_ns, st.st_ctime_ns) > now - RACY_SECONDS * 1e9:
        return None
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}:{st.st_ino}:{st.st_dev}"


def _connect(store: Path) -> sqlite3.Connection:
    store.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(store, timeout=30)
    connection.execute(_SCHEMA)
    return connection


def _warn(store: Path, error: Exception) -> None:
    if str(store) not in _warned:  # once a process: a store that fails keeps failing
        _warned.add(str(store))
        print(f"note: file checks are not remembered in {store} ({error}); every file is checked", file=sys.stderr)


def _recalled(
    store: Path, keys: list[bytes], stamps: list[str | None], columns: str, recall: Callable[..., Found | None]
) -> list[Found | None]:
    """``recall(*columns)`` of each key's row whose stamp is the file's; ``None`` where there is none."""
    known: list[Found | None] = [None] * len(keys)
    with contextlib.closing(_connect(store)) as connection:
        for start in range(0, len(keys), BATCH):  # a batch's rows at a time: bounded memory at any count
            part = [index for index in range(start, min(start + BATCH, len(keys))) if stamps[index]]
            if not part:
                continue
            marks = ",".join("?" * len(part))
            query = f"SELECT path, stamp, {columns} FROM files_v1 WHERE path IN ({marks})"
            rows = {row[0]: row[1:] for row in connection.execute(query, [keys[index] for index in part])}
            for index in part:
                row = rows.get(keys[index])
                if row is not None and row[0] == stamps[index]:
                    known[index] = recall(*row[1:])
    return known


def _remember(store: Path, updates: list[tuple[Any, ...]]) -> None:
    with contextlib.closing(_connect(store)) as connection:
        for start in range(0, len(updates), WRITE_BATCH):  # short transactions: a sweep's other trials wait less
            with connection:
                connection.executemany(_UPSERT, updates[start : start + WRITE_BATCH])


def _remembered(
    paths: Sequence[Path],
    compute: Callable[[Sequence[Path]], list[Found]],
    columns: str,
    recall: Callable[..., Found | None],
    record: Callable[[Found], tuple[str | None, str | None, int | None, str | None] | None],
) -> list[Found]:
    """``compute(paths)``, with what the store holds for unchanged files taken from it, and the rest added."""
    store = store_path()
    if store is None or not paths:
        return compute(paths)
    stamps = map_on_threads(_stamp, paths)  # before any file is read: a change after this is a new stamp
    keys = [os.fsencode(os.path.abspath(path)) for path in paths]
    try:
        known = _recalled(store, keys, stamps, columns, recall)
    except (sqlite3.Error, OSError) as error:
        _warn(store, error)
        return compute(paths)
    missing = [index for index, fact in enumerate(known) if fact is None]
    new = compute([paths[index] for index in missing]) if missing else []
    updates = []
    for index, fact in zip(missing, new, strict=True):
        known[index] = fact
        values = record(fact)
        if stamps[index] and values is not None:
            updates.append((keys[index], stamps[index], *values))
    if updates:
        try:
            _remember(store, updates)
        except (sqlite3.Error, OSError) as error:
            _warn(store, error)
    return known  # type: ignore[return-value]  # every None was filled


def remembered_headers(
    paths: Sequence[Path], check: Callable[[Sequence[Path]], list[Header]], *, decode: bool
) -> list[Header]:
    """``check(paths)`` (each file's :class:`Header`), reusing remembered checks of unchanged files.

    A check is reused only if made by the same Pillow with the same limits
    (:func:`~plugins.pipelines.image_headers.pillow_limits`) and the same
    :data:`~plugins.pipelines.image_headers.HEADER_VERSION`, and a
    full decode's check (``decode``) only from a full decode; a header check from either.
    """
    from PIL import Image

    checker = f"Pillow {Image.__version__} {' '.join(pillow_limits())} v{HEADER_VERSION}"

    def recall(header: str | None, made_by: str | None, decoded: int | None) -> Header | None:
        if header is None or made_by != checker or not (decoded or not decode):
            return None
        orientation, jpeg, height, width = map(int, header.split())
        return Header(None, orientation, bool(jpeg), height, width)

    def record(header: Header) -> tuple[str | None, str | None, int | None, str | None] | None:
        if header.reason:
            return None
        return f"{header.orientation} {int(header.jpeg)} {header.height} {header.width}", checker, int(decode), None

    return _remembered(paths, check, "header, checker, decoded", recall, record)


def remembered_digests(paths: Sequence[Path], digest: Callable[[Path], str]) -> list[str]:
    """``[digest(path) for path in paths]`` (each file's SHA-256, on threads), reusing those of unchanged files."""
    return _remembered(
        paths,
        lambda missing: map_on_threads(digest, missing),
        "sha256",
        lambda sha256: sha256,
        lambda sha256: (None, None, None, sha256),
    )
