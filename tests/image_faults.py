"""Damaged image files as they turn up in real folders, made on purpose for tests."""

from __future__ import annotations

import zlib
from pathlib import Path


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
