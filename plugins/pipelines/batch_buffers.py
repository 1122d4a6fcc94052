"""Memory for batches read from the disk cache, handed out again once nothing refers to it.

A batch of 128 decoded 300x300 images is 34.5 MB. A fresh ``numpy.empty`` that large is a
fresh ``mmap`` from the C library (above its 32 MB threshold) and is unmapped when freed, so
every batch read into one faults in ~8,400 new pages the kernel must zero: measured on 50,000
images in the page cache, 110 us an image against 62 us into memory used before. The
buffers are also aligned to 64 bytes: TensorFlow (``Dataset.from_generator``) then wraps the
array instead of copying it, which it does for any array not aligned to Eigen's 64 bytes.
Together, the disk cache read through ``from_generator`` and the float32 conversion: 3,300-5,200
-> 6,500-7,500 images/s (docs/contributing/measurements.md, "Scale").

A buffer is handed out again only when the pool's own reference is the only one left
(CPython's reference count): a tensor TensorFlow made from it, a view of it, a caller still
holding the batch each hold a reference, so memory in use is never written. Where counts
are not exact (a free-threaded build) every batch gets fresh memory, as before.
"""

from __future__ import annotations

import math
import sys
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

#: Eigen's largest alignment: TensorFlow copies arrays whose data is not aligned to it.
ALIGN = 64


class BatchBuffers:
    """Reusable 64-byte-aligned uint8 buffers, at most ``keep`` of them kept.

    Example::

        buffers = BatchBuffers()
        batch = buffers.take((128, 300, 300, 3))  # fill it, hand it on
        del batch  # once no one holds it (nor a tensor made from it), take() may return its memory again
    """

    def __init__(self, keep: int = 4) -> None:
        import numpy as np

        self.keep = keep
        self._buffers: list[np.ndarray] = []
        self._lock = threading.Lock()  # two iterations over one store: never one buffer to both
        is_gil_enabled = getattr(sys, "_is_gil_enabled", lambda: True)
        # What sys.getrefcount reads for a buffer only the list holds, measured the way take() reads it
        # (interpreters differ in the references they count): a held buffer reads more.
        probe = [np.empty(1, np.uint8)]
        self._unused = sys.getrefcount(probe[0]) if is_gil_enabled() else None

    def take(self, shape: tuple[int, ...]) -> np.ndarray:
        """An uninitialised uint8 array of ``shape`` whose memory no one else refers to."""
        import numpy as np

        size = math.prod(shape)
        with self._lock:
            if self._unused is not None:
                for index in range(len(self._buffers)):
                    unused = sys.getrefcount(self._buffers[index]) == self._unused
                    if unused and self._buffers[index].size >= size + ALIGN:
                        return _aligned(self._buffers[index], size).reshape(shape)
            buffer = np.empty(size + ALIGN, np.uint8)
            if len(self._buffers) < self.keep:  # beyond that (a caller keeping many batches): plain memory
                self._buffers.append(buffer)
            return _aligned(buffer, size).reshape(shape)


def _aligned(buffer: np.ndarray, size: int) -> np.ndarray:
    start = -buffer.ctypes.data % ALIGN
    return buffer[start : start + size]
