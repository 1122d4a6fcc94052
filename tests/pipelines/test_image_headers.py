"""Checking many files in worker processes gives what checking them here gives, or falls back to here."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from plugins.pipelines import file_checks
from plugins.pipelines.image_headers import Header, inspect, inspect_in_workers


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Readable pictures (one turned by EXIF), a non-image and a PNG with a broken checksum, oddly named."""
    root = tmp_path_factory.mktemp("mixed")
    rng = np.random.default_rng(3)
    paths = []
    for index in range(9):
        picture = Image.fromarray(rng.integers(0, 256, (12, 10, 3), dtype=np.uint8))
        path = root / f"{index} é photo{'.png' if index % 2 else '.jpg'}"
        exif = Image.Exif()
        exif[0x0112] = 6 if index == 4 else 1
        picture.save(path, exif=exif)
        paths.append(path)
    (root / "notes\nof a picture.png").write_bytes(b"not a picture")
    broken = bytearray(paths[1].read_bytes())
    broken[40] ^= 0xFF  # inside the first chunk after the header: its CRC no longer matches
    (root / "broken.png").write_bytes(bytes(broken))
    return [*paths, root / "notes\nof a picture.png", root / "broken.png"]


@pytest.mark.parametrize("decode", [False, True])
def test_workers_check_files_as_this_process_does(mixed, decode: bool) -> None:
    here = [inspect(path, decode=decode) for path in mixed]
    assert here[4] == Header(None, 6, jpeg=True, height=12, width=10)  # the set has all kinds: a turned JPEG,
    assert here[1] == Header(None, 1, jpeg=False, height=12, width=10)  # a PNG,
    assert here[-2].reason is not None and here[-1].reason is not None  # a non-image and a broken PNG
    assert inspect_in_workers(mixed, decode=decode, workers=3) == here


@pytest.mark.parametrize("python", ["no-such-python", "/bin/false"])
def test_checks_fall_back_to_this_process_when_workers_fail(mixed, monkeypatch, tmp_path, python: str) -> None:
    monkeypatch.setattr(sys, "executable", python if python.startswith("/") else str(tmp_path / python))
    assert inspect_in_workers(mixed, decode=False, workers=2) is None
    monkeypatch.setattr(file_checks, "WORKERS_FROM", 1)
    assert file_checks._inspect_all(mixed, decode=False) == [inspect(path) for path in mixed]


def test_many_files_are_checked_in_workers(mixed, monkeypatch) -> None:
    calls = []

    def counted(paths, **kwargs):
        calls.append(len(paths))
        return inspect_in_workers(paths, **kwargs)

    monkeypatch.setattr(file_checks, "inspect_in_workers", counted)
    monkeypatch.setattr(file_checks, "usable_cores", lambda: 2)  # workers even on a one-core machine
    monkeypatch.setattr(file_checks, "WORKERS_FROM", len(mixed) + 1)
    file_checks._inspect_all(mixed, decode=False)
    assert calls == []  # fewer than WORKERS_FROM: checked here
    monkeypatch.setattr(file_checks, "WORKERS_FROM", len(mixed))
    assert file_checks._inspect_all(mixed, decode=False) == [inspect(path) for path in mixed]
    assert calls == [len(mixed)]


def test_workers_check_with_this_process_pillow_limits(mixed, monkeypatch) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 12 * 10 // 4)  # each 12x10 picture is now a decompression bomb
    here = [inspect(path) for path in mixed]
    assert all(header.reason for header in here)
    assert inspect_in_workers(mixed, decode=False, workers=2) == here
