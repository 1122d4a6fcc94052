"""Faults made on purpose for tests: damaged image files, a small or read-only real file system."""

from __future__ import annotations

import contextlib
import subprocess
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest


def corrupt_pixels(path: Path) -> None:
    """Damage the compressed pixel data of a PNG but keep every checksum valid (Pillow's verify passes)."""
    data = bytearray(path.read_bytes())
    start = data.index(b"IDAT")
    length = int.from_bytes(data[start - 4 : start], "big")
    body = start + 4
    for index in range(body + length // 2, body + length // 2 + 16):
        data[index] ^= 0xFF
    data[body + length : body + length + 4] = zlib.crc32(bytes(data[start : body + length])).to_bytes(4, "big")
    path.write_bytes(bytes(data))


@contextlib.contextmanager
def tmpfs(where: Path, options: str) -> Iterator[Path]:
    """A real tmpfs mounted at ``where`` (``size=200k``, ``ro``...); skips the test where mounting is not allowed."""
    where.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.decode().strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)
