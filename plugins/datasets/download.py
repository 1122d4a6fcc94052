"""Verified downloads: streamed, resumed with HTTP ``Range``, retried with backoff.

:func:`fetch` gets one file from an ``http(s)`` URL or a local path into a
destination path. Bytes go to ``<dest>.part`` first; only once the size (when
known) and the sha256 match is the file renamed to ``dest``. A partial file left
by an interrupted download is resumed on the next attempt.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import http.client
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlsplit

from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from framework import EnvironmentProblem, UserError
from framework.api import sha256_file
from plugins.datasets.cache import DATA_DIR_ENV

if TYPE_CHECKING:
    from rich.console import Console

CHUNK = 1 << 20
USER_AGENT = "hoh-experiments/0.1 (+urllib)"
MIRROR_HINT = (
    "To use a copy elsewhere, set HOH_DATASET_MIRROR (or the dataset's `mirror` parameter) to a local folder "
    "or an http(s) URL that holds the same file names and a SHA256SUMS file."
)

# Failures worth another try: timeouts, resets, cut connections, unreachable hosts.
RETRYABLE: tuple[type[BaseException], ...] = (
    urllib.error.URLError,
    http.client.HTTPException,
    ConnectionError,
    TimeoutError,
)

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try over the network.

    Attributes:
        retries: Extra attempts after the first failed one.
        backoff: Seconds to wait before the first retry; doubled for each next one.
        timeout: Seconds a connection or a read may stall before it counts as failed.
    """

    retries: int = 4
    backoff: float = 1.0
    timeout: float = 30.0


def is_url(location: str) -> bool:
    """True for ``http://`` and ``https://`` locations."""
    return urlsplit(location).scheme.lower() in ("http", "https")


def fetch(
    source: str,
    dest: Path,
    *,
    sha256: str,
    size: int | None,
    console: Console,
    policy: RetryPolicy | None = None,
    offline: bool = False,
    hint: str = MIRROR_HINT,
) -> Path:
    """Get ``source`` (URL or local path) into ``dest``, verified.

    An existing ``dest`` with the right checksum is kept as is. A file that does
    not verify is deleted and fetched once more from scratch; a second mismatch
    is an error.

    Args:
        source: ``http(s)`` URL or path of a local file.
        dest: Final path; its folder is created.
        sha256: Expected hex sha256.
        size: Expected size in bytes, or ``None`` when unknown.
        console: Where the progress bar is drawn.
        policy: Retries, backoff and timeout for URLs.
        offline: When true, a URL is never opened.
        hint: What the user can do instead, ending the messages of errors (where to point a mirror).

    Returns:
        ``dest``.

    Raises:
        UserError: naming the source when it cannot be read or does not verify.
    """
    policy = policy or RetryPolicy()
    expected = sha256.strip().lower()
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.exists():
        if _verifies(dest, expected, size):
            return dest
        dest.unlink()
    remote = is_url(source)
    if remote and offline:
        raise UserError(f"{dest.name} is not downloaded yet and offline mode is on, so {source} was not fetched.")
    part = dest.with_name(dest.name + ".part")
    problem = ""
    for attempt in (1, 2):
        with _progress(console) as progress:
            task = progress.add_task(f"{'Downloading' if remote else 'Copying'} {dest.name}", total=size)
            if remote:
                attempt_once = functools.partial(_http_attempt, source, part, size, policy, progress, task)
                _with_retries(source, policy, console, attempt_once, hint)
            else:
                _copy_local(Path(source).expanduser(), part, progress, task, hint)
        actual_size = part.stat().st_size
        actual = sha256_file(part)
        if actual == expected and (size is None or actual_size == size):
            os.replace(part, dest)
            return dest
        part.unlink(missing_ok=True)
        wanted = f"sha256 {expected}" + (f" ({size:,} bytes)" if size is not None else "")
        problem = f"expected {wanted}, got sha256 {actual} ({actual_size:,} bytes)"
        if attempt == 1:
            console.print(f"[yellow]{source} did not verify ({problem}); fetching it again.[/]")
    raise EnvironmentProblem(
        f"{source} did not verify twice and was deleted: {problem}. The file may be damaged or changed at the "
        f"source. {hint}"
    )


def read_url_text(url: str, policy: RetryPolicy, console: Console) -> str:
    """Small GET (such as a SHA256SUMS file) with the same retries as downloads."""

    def attempt() -> str:
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
        with urllib.request.urlopen(request, timeout=policy.timeout) as response:
            return response.read().decode("utf-8")

    return _with_retries(url, policy, console, attempt)


def _verifies(path: Path, sha256: str, size: int | None) -> bool:
    if size is not None and path.stat().st_size != size:
        return False
    return sha256_file(path) == sha256


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console,
    )


def _with_retries(
    url: str, policy: RetryPolicy, console: Console, attempt: Callable[[], T], hint: str = MIRROR_HINT
) -> T:
    """Run ``attempt`` until it succeeds; retry transient failures with exponential backoff."""
    tries = 0
    while True:
        try:
            return attempt()
        except urllib.error.HTTPError as error:
            if error.code < 500 and error.code not in (408, 429):
                raise UserError(f"Could not download {url}: HTTP {error.code} {error.reason}. {hint}") from None
            failure: BaseException = error
        except RETRYABLE as error:
            failure = error
        if tries >= policy.retries:  # the network or the server, not the user's input: exit 1
            raise EnvironmentProblem(
                f"Could not download {url} after {tries + 1} attempts; last error: {_describe(failure)}. "
                f"Check the network connection and try again (a partial download is resumed). {hint}"
            ) from failure
        delay = policy.backoff * (2**tries)
        tries += 1
        console.print(f"[yellow]{url}: {_describe(failure)}; retry {tries}/{policy.retries} in {delay:.3g}s[/]")
        time.sleep(delay)


def _describe(error: BaseException) -> str:
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError):
        return str(error.reason)
    if isinstance(error, http.client.IncompleteRead):
        return f"connection closed early ({error.expected:,} bytes missing)"
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def _http_attempt(
    url: str, part: Path, size: int | None, policy: RetryPolicy, progress: Progress, task: TaskID
) -> None:
    """One GET into ``part``, resuming from its current length when the server allows."""
    have = part.stat().st_size if part.exists() else 0
    if size is not None and have >= size:
        if have == size:
            return  # complete already: the checksum decides
        part.unlink()
        have = 0
    headers = {"User-Agent": USER_AGENT}
    if have:
        headers["Range"] = f"bytes={have}-"
    try:
        response = urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=policy.timeout)
    except urllib.error.HTTPError as error:
        if error.code == 416 and have:
            error.close()
            return  # nothing left to send: the checksum decides
        raise
    with response:
        if have and response.status == 206 and _range_start(response.headers.get("Content-Range")) == have:
            mode = "ab"
        else:
            mode, have = "wb", 0  # the server sent the whole file: start over
        length = response.headers.get("Content-Length", "")
        expected = int(length) if length.isdigit() else None
        total = size if size is not None else (have + expected if expected is not None else None)
        progress.update(task, total=total, completed=have)
        received = 0
        try:
            with open(part, mode) as out:
                while chunk := response.read(CHUNK):
                    out.write(chunk)
                    received += len(chunk)
                    progress.advance(task, len(chunk))
        except RETRYABLE:
            raise  # the network: retried
        except OSError as error:  # the local disk refused the write (full, read-only): exit 1, naming it
            raise EnvironmentProblem(write_failure(part, error)) from None
    if expected is not None and received < expected:
        raise http.client.IncompleteRead(b"", expected - received)


def _range_start(content_range: str | None) -> int | None:
    """Start offset of a ``Content-Range: bytes START-END/TOTAL`` header."""
    if not content_range or not content_range.startswith("bytes "):
        return None
    with contextlib.suppress(ValueError):
        return int(content_range[6:].split("-", 1)[0])
    return None


def _copy_local(source: Path, part: Path, progress: Progress, task: TaskID, hint: str = MIRROR_HINT) -> None:
    """Stream a local file into ``part`` (always from the start)."""
    try:
        total = source.stat().st_size
        src = open(source, "rb")  # noqa: SIM115 - closed below; opened apart to tell the mirror's errors from the disk's
    except OSError as error:
        raise UserError(f"Could not read {source}: {error.strerror or error}. {hint}") from None
    progress.update(task, total=total, completed=0)
    with src:
        try:
            with open(part, "wb") as out:
                while chunk := src.read(CHUNK):
                    out.write(chunk)
                    progress.advance(task, len(chunk))
        except OSError as error:
            part.unlink(missing_ok=True)
            if error.filename is None and error.errno not in _WRITE_ERRNOS:
                raise EnvironmentProblem(f"Could not read {source}: {error.strerror or error}.") from None
            raise EnvironmentProblem(write_failure(part, error)) from None


_WRITE_ERRNOS = {errno.ENOSPC, errno.EROFS, errno.EDQUOT, errno.EACCES, errno.EFBIG}


def write_failure(path: Path, error: OSError) -> str:
    """The message for a write that the local disk refused (full, read-only, no permission): exit 1."""
    return (
        f"cannot write {path}: {error.strerror or error}. The disk holding {path.parent} is full or not writable; "
        f"free some space there, or set ${DATA_DIR_ENV} (or the dataset's data_dir) to a folder on another disk."
    )
