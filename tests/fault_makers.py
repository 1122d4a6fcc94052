"""Faults made on purpose for tests: damaged image files, a small or read-only real file system, little memory."""

from __future__ import annotations

import contextlib
import os
import subprocess
import uuid
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


CGROUP_V1 = Path("/sys/fs/cgroup/memory")


@contextlib.contextmanager
def memory_cgroup(limit: int) -> Iterator[str]:
    """A real memory cgroup (v1 or v2) limited to ``limit`` bytes; yields Python code that moves its process in.

    Skips the test where cgroups cannot be made (not root, no writable memory controller).
    """
    v2 = not CGROUP_V1.exists()
    folder = (CGROUP_V1.parent if v2 else CGROUP_V1) / f"hoh-test-{uuid.uuid4().hex[:8]}"
    if os.geteuid() != 0 or not (folder.parent / "cgroup.procs").exists():
        pytest.skip("needs root and a writable memory cgroup")
    try:
        folder.mkdir()
    except OSError as error:
        pytest.skip(f"cannot create a cgroup: {error}")
    try:
        limit_file = folder / ("memory.max" if v2 else "memory.limit_in_bytes")
        if not limit_file.exists():  # cgroup v2 without the memory controller enabled for children
            pytest.skip("the new cgroup has no memory limit to set")
        limit_file.write_text(str(limit))
        yield f"import os; open('{folder}/cgroup.procs', 'w').write(str(os.getpid()));"
    finally:
        folder.rmdir()
