"""File checks and content hashes are remembered while a file is unchanged, and made again when it changes."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from framework import UserError
from plugins.pipelines import decoded_store, file_checks, file_facts
from plugins.pipelines.common import LabelledFiles
from plugins.pipelines.file_checks import readable_files

ORIENTATION_1 = b"\x01\x12\x00\x03\x00\x00\x00\x01\x00\x01"  # the EXIF entry (big-endian): tag 0x0112, SHORT, 1


def photo(path: Path, seed: int) -> Path:
    exif = Image.Exif()
    exif[0x0112] = 1
    Image.fromarray(np.random.default_rng(seed).integers(0, 256, (10, 16, 3), dtype=np.uint8)).save(path, exif=exif)
    return path


@pytest.fixture
def photos(tmp_path, monkeypatch) -> LabelledFiles:
    """Six JPEGs, remembered as soon as they are checked (no wait for the racy margin)."""
    monkeypatch.setenv("HOH_FILE_FACTS", str(tmp_path / "facts" / "file-facts.sqlite3"))
    monkeypatch.setattr(file_facts, "RACY_SECONDS", 0.0)
    paths = tuple(photo(tmp_path / f"{index}.jpg", index) for index in range(6))
    return LabelledFiles(paths, (0, 0, 0, 1, 1, 1))


@pytest.fixture
def checked(monkeypatch) -> list[Path]:
    """The paths each file check reads, in order."""
    seen: list[Path] = []

    def counted(path, **kwargs):
        seen.append(path)
        return inspect(path, **kwargs)

    inspect = file_checks.inspect
    monkeypatch.setattr(file_checks, "inspect", counted)
    return seen


def test_an_unchanged_file_is_not_checked_again(photos, checked, tmp_path) -> None:
    first = readable_files(photos, tmp_path, skip=False)
    assert len(checked) == 6
    again = readable_files(photos, tmp_path, skip=False)
    assert len(checked) == 6 and again == first  # nothing read, the same findings


def test_a_file_changed_in_place_with_its_size_and_mtime_kept_is_checked_again(photos, checked, tmp_path) -> None:
    readable_files(photos, tmp_path, skip=False)
    target = photos.paths[2]
    before = target.stat()
    data = target.read_bytes()
    assert data.count(ORIENTATION_1) == 1
    target.write_bytes(data.replace(ORIENTATION_1, ORIENTATION_1[:-2] + b"\x00\x06"))  # now turned: same size
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))  # as `cp -p` or a sync tool leaves it
    assert target.stat().st_size == before.st_size and target.stat().st_mtime_ns == before.st_mtime_ns
    again = readable_files(photos, tmp_path, skip=False)
    assert checked[6:] == [target]  # the ctime moved: only that file is read again
    assert again.orientations == (1, 1, 6, 1, 1, 1)


def test_a_file_changed_just_now_is_not_remembered(photos, checked, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(file_facts, "RACY_SECONDS", 2.0)  # the photos were written a moment ago
    readable_files(photos, tmp_path, skip=False)
    readable_files(photos, tmp_path, skip=False)
    assert len(checked) == 12


def test_a_full_decode_is_remembered_apart_from_a_header_check(photos, checked, tmp_path) -> None:
    readable_files(photos, tmp_path, skip=False)  # headers only
    readable_files(photos, tmp_path, skip=True)  # skip_unreadable decodes every file: not yet done
    assert len(checked) == 12
    readable_files(photos, tmp_path, skip=True)
    readable_files(photos, tmp_path, skip=False)  # a full decode answers a header check too
    assert len(checked) == 12


def test_bad_files_are_checked_and_named_every_time(photos, checked, tmp_path) -> None:
    (tmp_path / "broken.jpg").write_bytes(b"not a picture")
    os.utime(tmp_path / "broken.jpg", (1, 1))
    files = LabelledFiles((*photos.paths, tmp_path / "broken.jpg"), (*photos.labels, 1))
    for _ in range(2):
        with pytest.raises(UserError, match=r"broken\.jpg"):
            readable_files(files, tmp_path, skip=False)
    assert checked.count(tmp_path / "broken.jpg") == 2 and len(checked) == 8


def test_checks_made_with_other_pillow_limits_are_made_again(photos, checked, tmp_path, monkeypatch) -> None:
    readable_files(photos, tmp_path, skip=False)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 10 * 16 // 4)  # now each photo is a decompression bomb
    with pytest.raises(UserError, match="DecompressionBombError"):
        readable_files(photos, tmp_path, skip=False)


def test_content_hashes_are_remembered(photos, tmp_path, monkeypatch) -> None:
    hashed: list[Path] = []
    sha256_file = decoded_store.sha256_file
    monkeypatch.setattr(decoded_store, "sha256_file", lambda path: hashed.append(path) or sha256_file(path))
    key = decoded_store.content_key(photos.paths, (10, 16))
    assert decoded_store.content_key(photos.paths, (10, 16)) == key and len(hashed) == 6
    photo(photos.paths[4], seed=99)  # new content
    assert decoded_store.content_key(photos.paths, (10, 16)) != key and hashed[6:] == [photos.paths[4]]


def test_a_store_that_cannot_be_used_costs_time_only_and_is_left_as_it_was(photos, checked, tmp_path, capsys) -> None:
    store = Path(os.environ["HOH_FILE_FACTS"])
    store.parent.mkdir()
    store.write_bytes(b"not a database, and someone's data" * 100)  # the user put a file there, or it broke
    before = store.read_bytes()
    first = readable_files(photos, tmp_path, skip=False)
    assert readable_files(photos, tmp_path, skip=False) == first and len(checked) == 12
    assert store.read_bytes() == before
    err = capsys.readouterr().err
    assert err.count("file checks are not remembered") == 1 and str(store) in err


@pytest.mark.parametrize("hash_first", [False, True])
def test_a_check_and_a_hash_of_one_file_are_both_kept(photos, checked, tmp_path, monkeypatch, hash_first) -> None:
    hashed: list[Path] = []
    sha256_file = decoded_store.sha256_file
    monkeypatch.setattr(decoded_store, "sha256_file", lambda path: hashed.append(path) or sha256_file(path))
    steps = [
        lambda: readable_files(photos, tmp_path, skip=False),
        lambda: decoded_store.content_key(photos.paths, (10, 16)),
    ]
    for step in (steps[::-1] if hash_first else steps) * 2:  # writing one fact keeps the other
        step()
    assert len(checked) == 6 and len(hashed) == 6


def test_nothing_is_remembered_on_a_file_system_whose_times_cannot_be_trusted(photos, checked, tmp_path, monkeypatch):
    here = os.stat(tmp_path).st_dev
    assert file_facts.file_systems()[here] in file_facts.TRUSTED_FILE_SYSTEMS  # this machine's /proc/self/mountinfo
    monkeypatch.setattr(file_facts, "file_systems", lambda: {here: "fuse.sshfs"})  # sshfs: ctime is the mtime
    readable_files(photos, tmp_path, skip=False)
    readable_files(photos, tmp_path, skip=False)
    assert len(checked) == 12
