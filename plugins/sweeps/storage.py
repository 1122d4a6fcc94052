"""Where a sweep's study lives, and how workers share it without running a trial twice.

- Default: Optuna's journal file (``optuna.journal`` in the sweep's folder), which several
  processes on one machine can append to safely. Optuna's docs advise against SQLite for
  parallel workers.
- ``postgresql://...`` (the file's ``storage``, ``--storage`` or ``HOH_SWEEP_STORAGE``):
  Optuna's RDB storage with its heartbeat, for workers on many machines.

A worker takes a trial under a lock (a file lock next to the journal; a PostgreSQL advisory
lock for a database), after counting the trials that are finished or running, so N workers
never start more trials than the sweep asks for. A trial whose worker died is marked
failed: on this host at once (its process is gone); elsewhere when its heartbeat is older
than the grace period (Optuna's ``fail_stale_trials``). The journal storage has no
heartbeat in Optuna, so a journal sweep relies on the process check, which holds because a
journal file is shared by the processes of one machine.
"""

from __future__ import annotations

import contextlib
import os
import socket
import warnings
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from framework.api import EnvironmentProblem, UserError, process_alive, write_with

JOURNAL_FILE = "optuna.journal"
STORAGE_ENV = "HOH_SWEEP_STORAGE"
HEARTBEAT_SECONDS = 10
GRACE_SECONDS = 40
SCHEMA_LOCK = zlib.crc32(b"hoh-sweep:optuna-schema")
WORKER_ATTR = "hoh_worker"
"""Trial system attribute: ``{"host": ..., "pid": ...}`` of the worker running it."""


def storage_url(configured: str | None, folder: Path) -> str:
    """The storage a sweep uses: ``configured`` (file or ``--storage``), else the environment, else the journal."""
    url = configured or os.environ.get(STORAGE_ENV) or ""
    return url or str(folder / JOURNAL_FILE)


def shown_url(url: str) -> str:
    """``url`` with any password hidden, for messages and trial.json."""
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def is_database(url: str) -> bool:
    return "://" in url


def open_storage(url: str) -> Any:
    """An Optuna storage for ``url`` (a journal file path or a database URL).

    Raises:
        EnvironmentProblem: the database cannot be reached or its driver is missing.
        UserError: an unsupported URL scheme.
    """
    import optuna
    from optuna.storages.journal import JournalFileBackend, JournalFileOpenLock

    if not is_database(url):
        Path(url).parent.mkdir(parents=True, exist_ok=True)
        return optuna.storages.JournalStorage(JournalFileBackend(url, lock_obj=JournalFileOpenLock(url)))
    scheme = urlsplit(url).scheme
    if not scheme.startswith(("postgresql", "mysql", "sqlite")):
        raise UserError(
            f"storage {shown_url(url)!r}: use postgresql://user:password@host:port/database, "
            "or leave storage out for the journal file in the sweep's folder."
        )
    try:
        warnings.filterwarnings("ignore", "Argument ``heartbeat_interval``", optuna.exceptions.ExperimentalWarning)
        warnings.filterwarnings("ignore", "Argument ``grace_period``", optuna.exceptions.ExperimentalWarning)
        with _schema_lock(url):  # two first starts on a fresh database both created the tables: one failed
            return optuna.storages.RDBStorage(
                url,
                heartbeat_interval=HEARTBEAT_SECONDS,
                grace_period=GRACE_SECONDS,
                engine_kwargs={"pool_pre_ping": True},
            )
    except ImportError as error:  # Optuna re-raises the driver's ModuleNotFoundError as a bare ImportError
        raise EnvironmentProblem(
            f"storage {shown_url(url)}: the database driver is not installed ({error}); "
            'pip install -e ".[sweep]" installs psycopg (3) for PostgreSQL.'
        ) from None
    except Exception as error:  # sqlalchemy.exc.OperationalError and friends
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise EnvironmentProblem(
            f"cannot open the sweep storage {shown_url(url)}: {first[:300]}. Check that the "
            "database server runs and the URL (user, password, host, port, database)."
        ) from None


def repair_journal(path: Path) -> str | None:
    """Keep the readable start of a damaged journal file; returns what was done, or ``None`` when it is sound.

    A record is one line of JSON with a known ``op_code``. A kill during an append leaves half a
    line, and a disk or a person may leave worse; Optuna then fails with ``JSONDecodeError``,
    ``UnicodeDecodeError`` or "Should not reach", and an append after a torn line corrupts the
    next record too. The records before the first bad one are kept as the journal; the damaged
    file is kept beside it (``optuna.journal.damaged-<UTC time>``), never deleted. Call it while
    no worker appends (the coordinator does, under the trial slot's lock).
    """
    import datetime as dt
    import json

    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    lines = data.splitlines(keepends=True)
    known, good = _journal_ops(), 0
    for line in lines:
        try:
            record = json.loads(line.decode("utf-8")) if line.endswith(b"\n") else None
        except (UnicodeDecodeError, ValueError):
            record = None
        if not (isinstance(record, dict) and record.get("op_code") in known and "worker_id" in record):
            break
        good += 1
    if good == len(lines):
        return None
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    kept = path.with_name(f"{path.name}.damaged-{stamp}")
    os.replace(path, kept)
    write_with(path, lambda target: target.write_bytes(b"".join(lines[:good])))
    return (
        f"the journal {path} was damaged at record {good + 1} of {len(lines)} (a write cut short, or changed "
        f"bytes): its first {good} records are kept and {len(lines) - good} dropped; the damaged file is kept "
        f"as {kept}"
    )


def _journal_ops() -> frozenset[int]:
    """The record kinds this Optuna writes (its private ``JournalOperation``; any number if it moved)."""
    try:
        from optuna.storages.journal._storage import JournalOperation
    except ImportError:  # a newer Optuna: judge a record by its form only
        return frozenset(range(1000))
    return frozenset(op.value for op in JournalOperation)


@contextlib.contextmanager
def _schema_lock(url: str) -> Iterator[None]:
    """Held while Optuna creates or checks its tables: a PostgreSQL advisory lock (other databases: none)."""
    if not urlsplit(url).scheme.startswith("postgresql"):
        yield
        return
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection, _advisory_lock(connection, SCHEMA_LOCK):
            yield
    finally:
        engine.dispose()


@contextlib.contextmanager
def _advisory_lock(connection: Any, key: int) -> Iterator[None]:
    """PostgreSQL's session-level advisory lock ``key``, held on ``connection`` for the block."""
    from sqlalchemy import text

    connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
    try:
        yield
    finally:
        connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
        connection.commit()


@contextlib.contextmanager
def trial_slot(storage: Any, url: str, study_name: str) -> Iterator[None]:
    """Held while a worker counts trials and asks for a new one."""
    if not is_database(url):
        from filelock import FileLock

        with FileLock(url + ".slot.lock", timeout=600):
            yield
        return

    if storage.engine.dialect.name != "postgresql":  # no advisory locks: at worst one extra trial
        yield
        return
    key = zlib.crc32(f"hoh-sweep:{study_name}".encode())
    with storage.engine.connect() as connection, _advisory_lock(connection, key):
        yield


def this_worker() -> dict[str, Any]:
    return {"host": socket.gethostname(), "pid": os.getpid()}


def fail_dead_trials(study: Any, storage: Any) -> list[int]:
    """Mark failed the running trials whose worker is gone; returns their numbers."""
    import optuna
    from optuna.trial import TrialState

    failed: list[int] = []
    host = socket.gethostname()
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        worker = trial.system_attrs.get(WORKER_ATTR) or {}
        if worker.get("host") == host and isinstance(worker.get("pid"), int) and not process_alive(worker["pid"]):
            study.tell(trial.number, state=TrialState.FAIL, skip_if_finished=True)
            failed.append(trial.number)
    if isinstance(storage, optuna.storages.RDBStorage):  # heartbeat: trials of workers on other machines
        optuna.storages.fail_stale_trials(study)
    return failed
