"""One image file's check with Pillow, and the checks of many files in worker processes.

:func:`inspect` says whether a file can be read, its EXIF orientation, and (for JPEG and PNG) its
kind and size, from which ``tf-data`` builds a decoder for those files alone.
:func:`inspect_in_workers` runs it over many files in ``python -m plugins.pipelines.image_headers``
processes, one per core. Reading a JPEG's headers is Pillow's Python code (~110 us a file),
which holds the GIL: on threads, 10,000 300x300 JPEGs took 1.8-2.3 s with 8 threads and
1.2 s with one; in two worker processes 0.7-1.1 s (2-vCPU EPYC, files in the page cache).

Workers are plain subprocesses that import Pillow alone, rather than a ``multiprocessing``
pool: ``spawn`` imports the parent's ``__main__`` file again in every worker, so a user's
script without an ``if __name__ == "__main__"`` guard would run twice, and ``fork`` is unsafe
once TensorFlow's threads are running.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, NamedTuple

ORIENTATION_TAG = 0x0112
"""EXIF tag of the orientation (1-8) a camera records instead of turning the pixels."""

#: Pillow's names of a JPEG (an MPO is a camera's JPEG): exactly the files ``tf.io.is_jpeg`` accepts.
JPEG_FORMATS = frozenset({"JPEG", "MPO"})
#: Pillow formats whose stored size is the size TensorFlow's decoder gives.
SIZED_FORMATS = JPEG_FORMATS | {"PNG"}

#: Bump when what :func:`inspect` finds changes: remembered checks made before are then made again.
HEADER_VERSION = 1

#: Fewer files than this are checked in this process: a worker takes ~0.1 s to start.
WORKERS_FROM = 2048


def orientation(image: Any) -> int:
    """The EXIF orientation in an opened image's headers, without decoding it (``getexif`` decodes PNGs)."""
    from PIL import Image

    raw = image.info.get("exif")
    if not raw:
        return 1
    exif = Image.Exif()
    exif.load(raw)
    return int(exif.get(ORIENTATION_TAG, 1) or 1)


class Header(NamedTuple):
    """What :func:`inspect` found in one file."""

    reason: str | None
    """Why the file cannot be read; ``None`` when it can."""
    orientation: int = 1
    """EXIF orientation, 1-8 (1: upright)."""
    jpeg: bool = False
    """A JPEG: what ``tf.io.is_jpeg`` tests (the bytes FF D8 FF first), as Pillow tells a JPEG from the rest."""
    height: int = 0
    """Rows as stored, before any turn; 0 unless a readable JPEG or PNG (:data:`SIZED_FORMATS`)."""
    width: int = 0
    """Columns as stored; 0 as :attr:`height`."""


def inspect(path: Path | str, *, decode: bool = False) -> Header:
    """Why ``path`` is not a readable image (or ``None``), its EXIF orientation, kind and size.

    Args:
        decode: Decode the pixels fully (Pillow's ``load``: ~5 ms a 300x300 PNG) rather than
            check the headers and checksums (``verify``: ~0.1-0.4 ms). Only a full decode finds
            pixel data that is corrupt under valid checksums.
    """
    from PIL import Image

    try:
        with Image.open(path) as image:
            turn = orientation(image)  # from the headers read by open: verify may follow
            kind, (width, height) = image.format, image.size
            if decode:
                image.load()
            else:
                image.verify()
    except Exception as error:  # PIL raises many types: OSError, SyntaxError, DecompressionBombError...
        return Header(f"{type(error).__name__}: {str(error).split(' <_io.')[0]}")
    sized = kind in SIZED_FORMATS
    return Header(None, turn if 1 <= turn <= 8 else 1, kind in JPEG_FORMATS, *((height, width) if sized else (0, 0)))


def pillow_limits() -> list[str]:
    """This process's Pillow settings that change what :func:`inspect` finds, as a worker's arguments."""
    from PIL import Image, ImageFile

    return [f"--max-pixels={Image.MAX_IMAGE_PIXELS}", *(["--truncated"] if ImageFile.LOAD_TRUNCATED_IMAGES else [])]


def inspect_in_workers(paths: Sequence[Path], *, decode: bool, workers: int) -> list[Header] | None:
    """:func:`inspect` of every path, in order, in ``workers`` processes; ``None`` if a worker failed.

    Each worker gets a contiguous share of the paths on its stdin (NUL-separated bytes, as
    the file system names them) and answers a JSON line a file. A worker that fails (killed,
    out of memory, no Python there) costs only time: the caller checks the files itself.
    """
    if not paths:
        return []
    if not sys.executable:  # embedded without an interpreter to start
        return None
    share = -(-len(paths) // workers)
    shares = [paths[start : start + share] for start in range(0, len(paths), share)]
    package_root = str(Path(__file__).resolve().parents[2])  # where ``plugins`` is, installed or not
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
    command = [sys.executable, "-m", "plugins.pipelines.image_headers", *(["--decode"] if decode else [])]
    command += pillow_limits()  # the workers check as this process would
    inputs = [b"\0".join(os.fsencode(path) for path in part) for part in shares]
    running: list[subprocess.Popen[bytes]] = []
    try:
        pipes = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE, "stderr": subprocess.DEVNULL}
        for _ in shares:
            running.append(subprocess.Popen(command, env=env, **pipes))
        # each worker's stdin and stdout at once, on a thread of its own: none waits on a full pipe
        with ThreadPoolExecutor(len(running)) as pool:
            answers = list(pool.map(lambda pair: pair[0].communicate(pair[1])[0], zip(running, inputs, strict=True)))
    except OSError:  # no process could start (no memory, no such file): check them here
        return None
    finally:
        for process in running:
            if process.poll() is None:
                process.kill()
    found: list[Header] = []
    for process, part, answer in zip(running, shares, answers, strict=True):
        lines = answer.splitlines()
        if process.returncode != 0 or len(lines) != len(part):
            return None
        found.extend(Header(*row) for row in json.loads(b"[" + b",".join(lines) + b"]"))  # one parse: 0.5 s less at 50k
    return found


def main() -> None:
    """A worker: NUL-separated paths on stdin, a :class:`Header` a line on stdout (a JSON list)."""
    from PIL import Image, ImageFile

    decode = "--decode" in sys.argv[1:]
    for argument in sys.argv[1:]:  # the caller's Pillow limits, so that its checks and the workers' agree
        if argument.startswith("--max-pixels="):
            value = argument.partition("=")[2]
            Image.MAX_IMAGE_PIXELS = None if value == "None" else int(value)
    ImageFile.LOAD_TRUNCATED_IMAGES = "--truncated" in sys.argv[1:]
    data = sys.stdin.buffer.read()
    lines = [json.dumps(inspect(os.fsdecode(raw), decode=decode)) + "\n" for raw in data.split(b"\0") if raw]
    sys.stdout.buffer.write("".join(lines).encode())
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    main()
