"""The on-disk store of decoded images: made durable while the next pass already reads it."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np
import pytest
from store_helpers import decoder
from store_helpers import picture as store_picture

from plugins.pipelines import decoded_store

COUNT, BATCH, SHAPE = 9, 4, (4, 4)


def picture(row: int) -> np.ndarray:
    return store_picture(row, SHAPE)


fill = decoder(SHAPE, BATCH)


@pytest.fixture
def gated_fsync(monkeypatch):
    """The real ``os.fsync``, held back until the test releases it (10 s at most)."""
    started, release = threading.Event(), threading.Event()
    real = os.fsync

    def fsync(fd: int) -> None:
        started.set()
        release.wait(timeout=10)
        real(fd)

    monkeypatch.setattr(decoded_store.os, "fsync", fsync)
    return started, release


def test_the_next_pass_reads_while_the_file_is_made_durable(tmp_path: Path, gated_fsync) -> None:
    started, release = gated_fsync
    store = decoded_store.DiskImages(tmp_path, "key", COUNT, SHAPE)
    labels = np.arange(COUNT) % 2
    batches = decoded_store.shuffled_batches(store, fill, labels, BATCH, seed=5)
    first_pass = [next(batches) for _ in range(3)]  # 4 + 4 + 1: the last one starts the fsync
    images, rows = next(batches)  # pass 1, read back from the file while the fsync is held
    assert started.is_set()
    assert not (tmp_path / "key.u8").exists() and len(list(tmp_path.glob("key.u8.partial-*"))) == 1
    order = decoded_store.pass_order(COUNT, 5, 1)[:BATCH]
    np.testing.assert_array_equal(images, np.stack([picture(int(row)) for row in order]))
    np.testing.assert_array_equal(rows, labels[order])
    assert sorted(int(x[0, 0, 0]) for batch, _ in first_pass for x in batch) == list(range(COUNT))
    release.set()
    batches.close()  # the consumer stops: waits for the file to be durable, keeps it
    assert sorted(p.name for p in tmp_path.iterdir()) == ["key.json", "key.u8"]
    again = decoded_store.DiskImages(tmp_path, "key", COUNT, SHAPE)
    assert again.complete
    np.testing.assert_array_equal(again[[7, 2]], np.stack([picture(7), picture(2)]))


def test_a_file_the_disk_cannot_make_durable_fails_the_next_read_and_is_not_kept(tmp_path: Path, monkeypatch) -> None:
    def fsync(fd: int) -> None:  # what the kernel reports when the disk lost written pages
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(decoded_store.os, "fsync", fsync)
    store = decoded_store.DiskImages(tmp_path, "key", COUNT, SHAPE)
    batches = decoded_store.shuffled_batches(store, fill, np.zeros(COUNT), BATCH, seed=5)
    for _ in range(3):
        next(batches)
    with pytest.raises(OSError, match="Input/output error"):
        store.settle()  # the finisher's thread is done
    with pytest.raises(OSError, match="Input/output error"):
        next(batches)  # pass 1 does not read pages the disk may have lost
    assert list(tmp_path.iterdir()) == []  # neither the cache nor a partial file stays


def test_short_writes_are_carried_on_not_left_as_holes(tmp_path: Path, monkeypatch) -> None:
    real = os.pwrite
    monkeypatch.setattr(decoded_store.os, "pwrite", lambda fd, data, offset: real(fd, bytes(data[:5]), offset))
    store = decoded_store.fill_all(decoded_store.DiskImages(tmp_path, "key", COUNT, SHAPE), fill)
    assert store.complete
    np.testing.assert_array_equal(store[list(range(COUNT))], np.stack([picture(row) for row in range(COUNT)]))
