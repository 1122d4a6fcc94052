"""Decoded images kept on disk for ``tf-data``: one file of fixed-size uint8 records.

Used when the decoded images do not fit in memory (:mod:`plugins.pipelines.memory_plan`).
The training images are decoded during the first pass, in that pass's order, into a raw
file; later passes read their batches back with ``pread`` in a fresh seeded order, so the
whole set is shuffled every pass with no shuffle buffer, and memory stays bounded however
many images there are: the operating system's page cache holds what it can of the file.

Format chosen for random access: a flat file of fixed-size records gives any image with
one read, so each pass can take any order. Rejected: ``tf.data``'s own ``cache(filename)``
and ``snapshot`` (read back only in the order written: shuffling then needs a buffer of
images in memory, and a bounded buffer shuffles only locally; ``cache(filename)`` is
measured as the Keras peer in ``benchmarks/test_scale.py``), TFRecord shards (the same
sequential reads, plus a protobuf parse per image), array_record and webdataset (another
dependency for what a flat file already does: every decoded image has the same size).
The last three were not measured.

The on-disk file is named by a key of the image size and every file's content (SHA-256),
so later runs and a sweep's trials reuse it, and a changed file makes a new one. It is
written under a temporary name (one per store) and renamed when complete, so that no
process reads a half-written one; two processes that build the same file at once (a
sweep's first trials) each write their own, and the last rename wins with the same bytes.

Making the file durable (``fsync``, then the rename) happens on a thread of its own while
the next pass already reads the images back: at 50,000 300x300 images the page cache still
held several GB to write at the end of the first pass, and the fsync stopped the pipeline
for 28 s there (docs/contributing/measurements.md, "Scale").
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from framework.api import process_alive, sha256_file
from plugins.pipelines.batch_buffers import BatchBuffers
from plugins.pipelines.file_facts import remembered_digests
from plugins.pipelines.progress import spinning

if TYPE_CHECKING:
    import numpy as np

#: Bumped when the decoder's output changes, so that files decoded by an older one are not reused.
FORMAT_VERSION = 1


def content_key(paths: Sequence[Path], image_size: tuple[int, int]) -> str:
    """Key of the decoded images of ``paths`` (in order) at ``image_size``: their content, not their names.

    Hashes every file on a few threads (hashlib releases the GIL): 2.7 s for 50,000 15 kB JPEGs;
    files hashed by an earlier run and unchanged since are not read again (:mod:`~plugins.pipelines.file_facts`).
    """
    with spinning(f"hashing {len(paths):,} image files (the key of their decoded images on disk)", len(paths)):
        digests = remembered_digests(paths, sha256_file)
    head = f"hoh-decoded-v{FORMAT_VERSION} {image_size[0]}x{image_size[1]} {len(paths)}"
    return hashlib.sha256("\n".join([head, *digests]).encode()).hexdigest()[:24]


class DiskImages:
    """Decoded images in a raw file of fixed-size records, read with ``pread``.

    Not a ``numpy.memmap``: pages of a mapping count in the process's resident memory for
    as long as the kernel leaves them mapped (a 50k-image pass showed 4.3 GB resident under a
    4 GB cgroup). Reads land in the page cache, which the kernel sizes and reclaims itself.
    Being built, records go to ``<key>.u8.partial-<pid>-<id>``, renamed to ``<key>.u8`` when all are in.
    """

    def __init__(self, folder: Path, key: str, count: int, shape: tuple[int, int]) -> None:
        self.final, self.meta = folder / f"{key}.u8", folder / f"{key}.json"
        self.count, self.shape, self.row = count, shape, shape[0] * shape[1] * 3
        self.description = {"format": FORMAT_VERSION, "count": count, "height": shape[0], "width": shape[1]}
        self.complete = self.final.exists() and self.meta.exists() and _read_json(self.meta) == self.description
        #: Every record is written (``complete``: and durable, under its final name).
        self.filled = self.complete
        # One partial file per store, even in one process (training and validation may be the same files).
        self.path = self.final if self.complete else folder / f"{key}.u8.partial-{os.getpid()}-{id(self):x}"
        self._fd: int | None = None
        self._finisher: threading.Thread | None = None
        self._failure: OSError | None = None
        self._buffers = BatchBuffers()
        self.users = 0
        if not self.complete:
            folder.mkdir(parents=True, exist_ok=True)
            _remove_orphans(folder, key)
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
            os.ftruncate(self._fd, count * self.row)

    def __len__(self) -> int:
        return self.count

    def _descriptor(self) -> int:
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDONLY)
        return self._fd

    def __getitem__(self, rows: Any) -> np.ndarray:
        import numpy as np

        if self._failure is not None:  # the disk refused to make the file durable: its pages may be lost
            raise self._failure
        rows = np.atleast_1d(np.asarray(rows))
        out = self._buffers.take((len(rows), *self.shape, 3))  # memory reused once nothing refers to it
        flat = out.reshape(len(rows), self.row)
        fd = self._descriptor()
        for index, row in enumerate(rows.tolist()):
            if os.preadv(fd, [flat[index]], row * self.row) != self.row:
                raise OSError(f"{self.path} is shorter than its {self.count} images: rebuild it by removing it")
        return out

    def write(self, rows: Any, images: np.ndarray) -> None:
        import numpy as np

        fd = self._descriptor()
        for row, image in zip(rows.tolist(), images, strict=True):
            # the array's own bytes, not a copy (ascontiguousarray copies only an image that is not contiguous)
            data, offset = memoryview(np.ascontiguousarray(image)).cast("B"), row * self.row
            while data:  # a short write (rare on a local disk) is carried on, never left as a hole
                written = os.pwrite(fd, data, offset)
                if written == 0:
                    raise OSError(f"{self.path}: the disk took no more bytes (full?)")
                data, offset = data[written:], offset + written

    def finish(self, *, wait: bool = True) -> None:
        """All records are in: make the file the cache (fsync, rename, then its description).

        With ``wait=False`` that happens on a thread while the caller reads the images back
        (from the same open file); :meth:`settle` waits for it.
        """
        if self.filled:
            return
        self.filled = True
        if wait:
            self._make_durable()
            self.settle()
            return
        self._finisher = threading.Thread(target=self._make_durable, name=f"hoh-store-{self.final.stem}")
        self._finisher.start()

    def _make_durable(self) -> None:
        try:
            os.fsync(self._descriptor())
            os.replace(self.path, self.final)
            self.path, self.complete = self.final, True
            partial = self.meta.with_name(f"{self.meta.name}.partial-{os.getpid()}-{id(self):x}")
            partial.write_text(json.dumps(self.description))
            os.replace(partial, self.meta)
        except OSError as error:  # e.g. no room for the last pages: raised by the next read or settle()
            self._failure = error

    def settle(self) -> None:
        """Wait until the file is durable; raise the ``OSError`` that stopped it, if one did."""
        if self._finisher is not None:
            self._finisher.join()
        if self._failure is not None:
            raise self._failure

    def abandon(self) -> None:
        """Training stopped: remove this process's partial file unless it became the cache."""
        if self._finisher is not None:
            self._finisher.join()
        if not self.complete:
            self.path.unlink(missing_ok=True)

    def __del__(self) -> None:
        # The finisher may drop the last reference itself, as its thread ends
        if self._finisher is not None and self._finisher is not threading.current_thread():
            self._finisher.join()
        if self._fd is not None:
            os.close(self._fd)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _remove_orphans(folder: Path, key: str) -> None:
    """Remove partial files of ``key`` left by processes that died (hoh wrote them; none is in use)."""
    for partial in folder.glob(f"{key}.u8.partial-*"):
        pid = partial.name.split(".partial-", 1)[1].split("-", 1)[0]
        if pid.isdigit() and not process_alive(int(pid)):
            partial.unlink(missing_ok=True)


Fill = Callable[[Any], Iterator[Any]]
"""``fill(rows)``: decoded images of ``rows`` (an index array), in that order, in batches."""


def fill_all(store: DiskImages, fill: Fill, advance: Callable[[int], None] = lambda n: None) -> DiskImages:
    """Decode every image into ``store`` (file order) unless it is complete already; ``advance(n)`` after each batch."""
    import numpy as np

    if not store.complete:
        try:
            start = 0
            for images in fill(np.arange(len(store))):
                store.write(np.arange(start, start + len(images)), images)
                start += len(images)
                advance(len(images))
            store.finish()
        except BaseException:
            store.abandon()
            raise
    return store


def pass_order(count: int, seed: int, index: int) -> np.ndarray:
    """The order of pass ``index`` (0-based) over ``count`` images: a permutation seeded by ``(seed, index)``."""
    import numpy as np

    return np.random.default_rng([seed, index]).permutation(count)


def shuffled_batches(
    store: DiskImages, fill: Fill, labels: np.ndarray, batch: int, seed: int
) -> Iterator[tuple[Any, Any]]:
    """Endless training batches, every pass a new seeded order, its last batch partial.

    Pass 0 decodes its images in its own order (``fill``) and stores them as they come,
    unless the store is complete (a cache on disk from an earlier run); the file is made
    durable on a thread while pass 1 reads it.
    """
    import itertools

    count = len(labels)
    store.users += 1  # each iteration of the dataset runs its own generator over the one store
    try:
        for index in itertools.count():
            order = pass_order(count, seed, index)
            if not store.filled:
                start = 0
                for images in fill(order):
                    rows = order[start : start + len(images)]
                    store.write(rows, images)
                    start += len(images)
                    if start == count:  # before the last batch goes: the consumer may stop after it
                        store.finish(wait=False)  # durable while the next pass reads
                    yield images, labels[rows]
                continue
            for start in range(0, count, batch):
                chosen = order[start : start + batch]
                yield store[chosen], labels[chosen]
    finally:
        store.users -= 1
        if store.users == 0:
            store.abandon()


def fixed_batches(store: DiskImages, labels: np.ndarray, batch: int, order: Sequence[int] | None) -> Iterator[Any]:
    """Endless batches of a complete store in one fixed order (``None``: file order), cycling."""
    import numpy as np

    rows = np.arange(len(labels)) if order is None else np.asarray(order)
    while True:
        for start in range(0, len(rows), batch):
            chosen = rows[start : start + batch]
            yield store[chosen], labels[chosen]
