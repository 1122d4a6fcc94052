"""Extraction: unsafe archives are refused and nothing half-extracted is left behind."""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

import pytest

from framework import UserError
from plugins.datasets.extract import extract_zip


def _zip_with(path: Path, entries: list[zipfile.ZipInfo | str], data: bytes = b"data") -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("horses/ok.png", b"fine")
        for entry in entries:
            zf.writestr(entry, data)
    return path


def _assert_nothing_left(parent: Path, dest: Path) -> None:
    assert not dest.exists()
    assert [p.name for p in parent.iterdir() if p.name.startswith(".tmp-")] == []


def test_extracts_into_place_skipping_macos_metadata(tmp_path: Path, make_zip, context) -> None:
    archive = make_zip(
        tmp_path / "a.zip", {"horses": 2, "humans": 3}, extra={"__MACOSX/._a": b"x", "horses/.DS_Store": b"x"}
    )
    dest = extract_zip(archive, tmp_path / "out" / "train", console=context.console)
    files = sorted(str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file())
    assert files == [f"horses/horses-{i}.png" for i in range(2)] + [f"humans/humans-{i}.png" for i in range(3)]
    assert [p.name for p in dest.parent.iterdir()] == ["train"]  # no temporary folder left


def test_replaces_a_stale_destination(tmp_path: Path, make_zip, context) -> None:
    archive = make_zip(tmp_path / "a.zip", {"horses": 1, "humans": 1})
    dest = tmp_path / "train"
    (dest / "old").mkdir(parents=True)
    extract_zip(archive, dest, console=context.console)
    assert sorted(p.name for p in dest.iterdir()) == ["horses", "humans"]


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ("../evil.png", r"outside the folder"),
        ("horses/../../evil.png", r"outside the folder"),
        ("/etc/x", r"absolute path"),
        ("C:/evil.png", r"absolute path"),
    ],
)
def test_refuses_unsafe_paths(tmp_path: Path, context, entry: str, reason: str) -> None:
    archive = _zip_with(tmp_path / "bad.zip", [entry])
    dest = tmp_path / "out" / "train"
    with pytest.raises(UserError, match=reason) as info:
        extract_zip(archive, dest, console=context.console)
    assert str(archive) in str(info.value) and repr(entry) in str(info.value)
    _assert_nothing_left(dest.parent, dest)
    assert not (tmp_path / "evil.png").exists() and not (tmp_path / "out" / "evil.png").exists()


def test_refuses_symlink_entries(tmp_path: Path, context) -> None:
    link = zipfile.ZipInfo("horses/link.png")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    archive = _zip_with(tmp_path / "bad.zip", [link], data=b"/etc/passwd")
    dest = tmp_path / "out" / "train"
    with pytest.raises(UserError, match=r"'horses/link.png' is a symbolic link"):
        extract_zip(archive, dest, console=context.console)
    _assert_nothing_left(dest.parent, dest)


def test_refuses_archives_over_the_size_bound(tmp_path: Path, context) -> None:
    archive = _zip_with(tmp_path / "big.zip", ["humans/big.png"], data=b"\0" * 10_000)
    dest = tmp_path / "out" / "train"
    with pytest.raises(UserError, match=r"exceed the 5,000-byte bound at entry 'humans/big.png'") as info:
        extract_zip(archive, dest, console=context.console, max_bytes=5_000)
    assert str(archive) in str(info.value)
    _assert_nothing_left(dest.parent, dest)


def test_damaged_archive_is_a_clear_error(tmp_path: Path, context) -> None:
    archive = tmp_path / "broken.zip"
    archive.write_bytes(b"PK\x03\x04 definitely not a zip")
    dest = tmp_path / "out" / "train"
    with pytest.raises(UserError, match="not a valid zip"):
        extract_zip(archive, dest, console=context.console)
    _assert_nothing_left(dest.parent, dest)


def _patch(archive: Path, field: str, value: int) -> None:
    """Rewrite a header field of every entry (zipfile writes neither encrypted nor Deflate64 entries)."""
    local, central = {"flags": (6, 8), "method": (8, 10)}[field]  # offsets in the local and central headers
    data = bytearray(archive.read_bytes())
    for signature, offset in ((b"PK\x03\x04", local), (b"PK\x01\x02", central)):
        start = data.find(signature)
        while start != -1:
            data[start + offset : start + offset + 2] = value.to_bytes(2, "little")
            start = data.find(signature, start + 4)
    archive.write_bytes(bytes(data))


def test_a_zip_bomb_is_refused_before_anything_is_written(tmp_path: Path, context) -> None:
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("horses/bomb.png", b"\0" * (8 * 1024**2))  # 8 MiB of zeros: ~8 KiB compressed
    with pytest.raises(UserError, match=r"would grow from .* to 8,388,608 bytes \(over 100:1\)"):
        extract_zip(archive, tmp_path / "out", console=context.console)
    _assert_nothing_left(tmp_path, tmp_path / "out")


def test_encrypted_and_deflate64_entries_are_refused_with_a_message(tmp_path: Path, context) -> None:
    archive = _zip_with(tmp_path / "enc.zip", [])
    _patch(archive, "flags", 0x1)
    with pytest.raises(UserError, match=r"'horses/ok\.png' is encrypted"):
        extract_zip(archive, tmp_path / "out", console=context.console)
    archive = _zip_with(tmp_path / "d64.zip", [])
    _patch(archive, "method", 9)
    with pytest.raises(UserError, match=r"compression method 9 \(e.g. Deflate64 = 9\)"):
        extract_zip(archive, tmp_path / "out", console=context.console)
    _assert_nothing_left(tmp_path, tmp_path / "out")
