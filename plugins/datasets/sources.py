"""Where dataset archives come from: pinned official URLs, or a mirror.

A mirror is a local folder or an ``http(s)`` base URL that holds the archives
under their usual file names plus a ``SHA256SUMS`` file in ``sha256sum`` format
(``<hex>  <name>`` per line). Files from a mirror are checked against that file
(their size is not known in advance).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from framework import UserError
from plugins.datasets.download import RetryPolicy, is_url, read_url_text

if TYPE_CHECKING:
    from rich.console import Console

MIRROR_ENV = "HOH_DATASET_MIRROR"
"""Environment variable naming a mirror (folder or URL); the ``mirror`` parameter wins over it."""

CHECKSUMS_NAME = "SHA256SUMS"

_LINE = re.compile(r"^([0-9a-fA-F]{64}) [ *](.+)$")


@dataclass(frozen=True)
class Source:
    """One archive to fetch.

    Attributes:
        location: ``http(s)`` URL or local path.
        sha256: Expected hex sha256.
        size: Expected size in bytes, or ``None`` when unknown.
    """

    location: str
    sha256: str
    size: int | None = None


def choose_mirror(param: str | None, env: str = MIRROR_ENV) -> str | None:
    """The mirror to use: the parameter if set, else the environment variable ``env``, else ``None``."""
    for value in (param, os.environ.get(env)):
        if value and value.strip():
            return value.strip()
    return None


def parse_sha256sums(text: str, origin: str) -> dict[str, str]:
    """Parse ``sha256sum`` output into ``{file name: hex sha256}``.

    Blank lines and ``#`` comments are ignored; a leading ``./`` or ``*`` on a
    name is dropped.

    Raises:
        UserError: naming ``origin`` and the line, when a line is malformed.
    """
    sums: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        if not match:
            raise UserError(f"{origin}, line {number}: expected '<64 hex digits>  <file name>', got {line!r}.")
        name = match.group(2).strip().removeprefix("./")
        sums[name] = match.group(1).lower()
    return sums


def mirror_sources(
    mirror: str,
    names: list[str],
    *,
    policy: RetryPolicy,
    console: Console,
    offline: bool = False,
    kind: str = "dataset",
    env: str = MIRROR_ENV,
) -> dict[str, Source]:
    """Locate ``names`` in a mirror and read their checksums from its SHA256SUMS.

    Args:
        mirror: Local folder or ``http(s)`` base URL.
        names: Archive file names wanted.
        policy: Retries for reading a remote SHA256SUMS.
        console: Where retries are reported.
        offline: When true, a URL mirror is an error (a folder is fine).
        kind: What the mirror holds, for messages (``"dataset"``, ``"weights"``).
        env: The environment variable that may have named the mirror, for messages.

    Returns:
        One :class:`Source` per name.

    Raises:
        UserError: when the mirror or its SHA256SUMS is missing, or lacks a name.
    """
    if is_url(mirror):
        base = mirror if mirror.endswith("/") else mirror + "/"
        if offline:
            raise UserError(f"The {kind} mirror {base} is a URL, but offline mode is on.")
        checksums_at = base + CHECKSUMS_NAME
        text = read_url_text(checksums_at, policy, console)
        locations = {name: base + name for name in names}
    else:
        folder = Path(mirror).expanduser().resolve()
        if not folder.is_dir():
            raise UserError(f"The {kind} mirror {folder} is not a folder (from `mirror` or ${env}).")
        checksums_path = folder / CHECKSUMS_NAME
        checksums_at = str(checksums_path)
        try:
            text = checksums_path.read_text(encoding="utf-8")
        except OSError as error:
            raise UserError(
                f"The {kind} mirror {folder} has no readable {CHECKSUMS_NAME} file ({error.strerror}); "
                f"create one with `sha256sum {' '.join(names)} > {CHECKSUMS_NAME}` in that folder."
            ) from None
        locations = {name: str(folder / name) for name in names}
    sums = parse_sha256sums(text, checksums_at)
    missing = [name for name in names if name not in sums]
    if missing:
        raise UserError(f"{checksums_at} has no checksum for {', '.join(missing)}.")
    return {name: Source(locations[name], sums[name]) for name in names}
