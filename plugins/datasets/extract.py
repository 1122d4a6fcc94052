"""Safe zip extraction: checked entries, a size bound, and an atomic move into place.

Every entry is checked before anything is written: absolute paths, ``..``
components and symbolic links are refused, and so is an archive whose files add
up to more than a bound. Files are written into a temporary sibling folder which
is renamed to the destination only when everything is out, so a destination
folder, when it exists, is always complete.
"""

from __future__ import annotations

import re
import shutil
import stat
import uuid
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from framework import EnvironmentProblem, UserError
from plugins.datasets.cache import TEMP_PREFIX, remove
from plugins.datasets.download import write_failure

if TYPE_CHECKING:
    from rich.console import Console

DEFAULT_MAX_BYTES = 2 * 1024**3
"""Default bound on the total uncompressed size of an archive (2 GiB)."""

MAX_RATIO = 100
"""Largest uncompressed/compressed size ratio of an entry over 1 MiB. Images barely compress
(PNG and JPEG are compressed already: the real archives are ~1:1); a ratio of thousands is a
zip bomb, refused before anything is written."""

_READABLE = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
_SKIPPED_DIRS = {"__MACOSX"}
_SKIPPED_FILES = {".DS_Store", "Thumbs.db"}
_DRIVE = re.compile(r"^[A-Za-z]:")


def plan_entries(archive: Path, zf: zipfile.ZipFile, max_bytes: int) -> list[tuple[zipfile.ZipInfo, PurePosixPath]]:
    """Check every entry of ``zf`` and list the files to write with their relative paths.

    Directories and macOS metadata (``__MACOSX/``, ``.DS_Store``) are left out.

    Raises:
        UserError: naming the archive and the entry, for an absolute path, a ``..``
            component, a symbolic link, an encrypted entry, a compression method zipfile cannot
            read, an entry that grows over :data:`MAX_RATIO` times, or when the total size
            exceeds ``max_bytes``.
    """
    planned: list[tuple[zipfile.ZipInfo, PurePosixPath]] = []
    total = 0
    for info in zf.infolist():
        name = info.filename.replace("\\", "/")
        if name.startswith("/") or _DRIVE.match(name):
            raise UserError(f"{archive} was not extracted: entry {info.filename!r} has an absolute path.")
        relative = PurePosixPath(name)
        if ".." in relative.parts:
            raise UserError(f"{archive} was not extracted: entry {info.filename!r} points outside the folder (..).")
        if stat.S_ISLNK(info.external_attr >> 16):
            raise UserError(f"{archive} was not extracted: entry {info.filename!r} is a symbolic link.")
        parts = [part for part in relative.parts if part not in ("", ".")]
        if info.is_dir() or not parts or parts[0] in _SKIPPED_DIRS or parts[-1] in _SKIPPED_FILES:
            continue
        if info.flag_bits & 0x1:
            raise UserError(
                f"{archive} was not extracted: entry {info.filename!r} is encrypted; use an unencrypted zip."
            )
        if info.compress_type not in _READABLE:
            raise UserError(
                f"{archive} was not extracted: entry {info.filename!r} uses compression method {info.compress_type} "
                "(e.g. Deflate64 = 9), which Python's zipfile cannot read; re-create the zip with plain Deflate."
            )
        if info.file_size > 1024**2 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise UserError(
                f"{archive} was not extracted: entry {info.filename!r} would grow from {info.compress_size:,} to "
                f"{info.file_size:,} bytes (over {MAX_RATIO}:1), as a zip bomb does."
            )
        total += info.file_size
        if total > max_bytes:
            raise UserError(
                f"{archive} was not extracted: its files exceed the {max_bytes:,}-byte bound at entry "
                f"{info.filename!r} (raise `max_extracted_bytes` if the archive is trusted)."
            )
        planned.append((info, PurePosixPath(*parts)))
    return planned


def extract_zip(archive: Path, dest: Path, *, console: Console, max_bytes: int = DEFAULT_MAX_BYTES) -> Path:
    """Extract ``archive`` into the folder ``dest``, all or nothing.

    An existing ``dest`` is replaced. On any failure, nothing is left behind.

    Args:
        archive: The zip file.
        dest: Folder to create with the archive's files.
        console: Where the progress bar is drawn.
        max_bytes: Bound on the total uncompressed size.

    Returns:
        ``dest``.

    Raises:
        UserError: for an unsafe or damaged archive (see :func:`plan_entries`).
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    temp = dest.parent / f"{TEMP_PREFIX}{dest.name}-{uuid.uuid4().hex[:12]}"
    temp.mkdir()  # unlike mkdtemp, honours the umask (shared caches stay readable)
    try:
        with zipfile.ZipFile(archive) as zf:
            planned = plan_entries(archive, zf, max_bytes)
            with Progress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console
            ) as progress:
                task = progress.add_task(f"Extracting {archive.name}", total=len(planned))
                for info, relative in planned:
                    target = temp.joinpath(*relative.parts)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    with zf.open(info) as src, open(target, "wb") as out:
                        shutil.copyfileobj(src, out, 1 << 20)
                    progress.advance(task)
        if dest.exists():
            remove(dest)
        temp.replace(dest)
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:
        remove(temp)
        raise UserError(f"{archive} is not a valid zip archive ({error}); delete it to download it again.") from None
    except OSError as error:  # the disk refused a write (full, read-only): exit 1, naming the folder
        remove(temp)
        raise EnvironmentProblem(write_failure(Path(error.filename or temp), error)) from None
    except BaseException:
        remove(temp)
        raise
    return dest
