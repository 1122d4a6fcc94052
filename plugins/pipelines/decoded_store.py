"""Decoded images kept for ``tf-data``: one uint8 array, in memory or in one file on disk.

The images of one split are decoded once (in parallel, by the pipeline's own decoder)
into an array of shape ``(count, height, width, 3)``: a NumPy array when they fit the
memory budget, else a raw file read back with ``pread``. Batches are then
gathered from it in a fresh seeded order every pass, so the whole set is shuffled
every pass with no shuffle buffer, and memory stays bounded however many images
there are: the operating system's page cache holds what it can of the file.

Format chosen on measurement (``benchmarks``, scale workload): a flat file of fixed-size
records gives random access to any image with one read, so each pass can take any order. Rejected:
``tf.data``'s own ``cache(filename)`` and ``snapshot`` (read back only in the order
written: shuffling then needs a buffer of images in memory, and a bounded buffer shuffles
only locally), TFRecord shards (the same sequential reads, plus a protobuf parse per
image), array_record and webdataset (another dependency, for what a flat file of
fixed-size records already does here: every decoded image has the same size).

The on-disk file is named by a key of the image size and every file's content (SHA-256),
so later runs and a sweep's trials reuse it, and a changed file makes a new one. It is
written under a temporary name and renamed when complete, under a lock, so two processes
never build the same file at once and none reads a half-written one.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from framework.api import sha256_file

if TYPE_CHECKING:
    import numpy as np

#: Bumped when the decoder's output changes, so that files decoded by an older one are not reused.
FORMAT_VERSION = 1


def content_key(paths: Sequence[Path], image_size: tuple[int, int]) -> str:
    """Key of the decoded images of ``paths`` (in order) at ``image_size``: their content, not their names.

    Hashes every file on a few threads (hashlib releases the GIL): about 1 s per GB read.
    """
    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
        digests = list(pool.map(sha256_file, paths))
    head = f"hoh-decoded-v{FORMAT_VERSION} {image_size[0]}x{image_size[1]} {len(paths)}"
    return hashlib.sha256("\n".join([head, *digests]).encode()).hexdigest()[:24]


def _fill(array: np.ndarray, batches: Iterator[np.ndarray], progress: Callable[[int], None]) -> None:
    start = 0
    for batch in batches:
        array[start : start + len(batch)] = batch
        start += len(batch)
        progress(len(batch))
    if start != len(array):
        raise RuntimeError(f"the decoder gave {start} images for {len(array)} files")


def _progress(total: int, what: str) -> tuple[Any, Callable[[int], None]]:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(
        TextColumn(what),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = bar.add_task(what, total=total)
    return bar, lambda n: bar.advance(task, n)


def decode_in_memory(count: int, shape: tuple[int, int], batches: Iterator[np.ndarray], what: str) -> np.ndarray:
    """A NumPy array of ``count`` images filled from ``batches`` (uint8), with a progress bar."""
    import numpy as np

    array = np.empty((count, *shape, 3), dtype=np.uint8)
    bar, advance = _progress(count, what)
    with bar:
        _fill(array, batches, advance)
    return array


class DiskImages:
    """Decoded images in a raw file, read with ``pread``: ``images[rows]`` is a uint8 array.

    Not a ``numpy.memmap``: pages of a mapping count in the process's resident memory for
    as long as the kernel leaves them mapped (a 50k-image pass showed 4.3 GB resident under a
    4 GB cgroup). Reads land in the page cache, which the kernel sizes and reclaims itself.
    """

    def __init__(self, path: Path, count: int, shape: tuple[int, int]) -> None:
        self.path, self.count, self.shape = path, count, shape
        self.row = shape[0] * shape[1] * 3
        self._fd: int | None = None

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, rows: Any) -> np.ndarray:
        import numpy as np

        rows = np.atleast_1d(np.asarray(rows))
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDONLY)
        out = np.empty((len(rows), *self.shape, 3), dtype=np.uint8)
        flat = out.reshape(len(rows), self.row)
        for index, row in enumerate(rows.tolist()):
            if os.preadv(self._fd, [flat[index]], row * self.row) != self.row:
                raise OSError(f"{self.path} is shorter than its {self.count} images: rebuild it by removing it")
        return out

    def __del__(self) -> None:
        if self._fd is not None:
            os.close(self._fd)


def decode_on_disk(
    folder: Path, key: str, count: int, shape: tuple[int, int], batches: Callable[[], Iterator[np.ndarray]], what: str
) -> tuple[DiskImages, bool]:
    """The images of ``<folder>/<key>.u8``, decoded from ``batches()`` first unless the file exists.

    Returns:
        The images and whether they were decoded now (``False``: reused).
    """
    from filelock import FileLock

    folder.mkdir(parents=True, exist_ok=True)
    final, meta = folder / f"{key}.u8", folder / f"{key}.json"
    description = {"format": FORMAT_VERSION, "count": count, "height": shape[0], "width": shape[1], "dtype": "uint8"}
    with FileLock(folder / f"{key}.lock"):  # a sweep's trials started together build it once
        built = False
        if not (final.exists() and meta.exists() and json.loads(meta.read_text()) == description):
            partial = folder / f"{key}.u8.partial-{os.getpid()}"
            try:
                written = 0
                bar, advance = _progress(count, what)
                with bar, open(partial, "wb") as out:
                    for batch in batches():
                        out.write(batch.tobytes())
                        written += len(batch)
                        advance(len(batch))
                    out.flush()
                    os.fsync(out.fileno())
                if written != count:
                    raise RuntimeError(f"the decoder gave {written} images for {count} files")
                os.replace(partial, final)
            finally:
                partial.unlink(missing_ok=True)
            tmp = meta.with_suffix(f".json.partial-{os.getpid()}")
            tmp.write_text(json.dumps(description))
            os.replace(tmp, meta)
            built = True
    return DiskImages(final, count, shape), built


def pass_order(count: int, seed: int, index: int) -> np.ndarray:
    """The order of pass ``index`` (0-based) over ``count`` images: a permutation seeded by ``(seed, index)``."""
    import numpy as np

    return np.random.default_rng([seed, index]).permutation(count)


def shuffled_batches(array: np.ndarray, labels: np.ndarray, batch: int, seed: int) -> Iterator[tuple[Any, Any]]:
    """Endless training batches: every pass a new seeded order, its last batch partial."""
    import itertools

    count = len(labels)
    for index in itertools.count():
        order = pass_order(count, seed, index)
        for start in range(0, count, batch):
            chosen = order[start : start + batch]
            yield array[chosen], labels[chosen]


def fixed_batches(array: np.ndarray, labels: np.ndarray, batch: int, order: Sequence[int] | None) -> Iterator[Any]:
    """Endless batches in one fixed order (``None``: file order), cycling: validation takes what it needs."""
    import numpy as np

    rows = np.arange(len(labels)) if order is None else np.asarray(order)
    while True:
        for start in range(0, len(rows), batch):
            chosen = rows[start : start + batch]
            yield array[chosen], labels[chosen]
