"""Tiny decoded images for the image stores' tests: image ``row`` is filled with the value ``row``."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np


def picture(row: int, shape: tuple[int, int]) -> np.ndarray:
    """The decoded image of ``row``: ``shape`` pixels, every value ``row``."""
    return np.full((*shape, 3), row, dtype=np.uint8)


def decoder(shape: tuple[int, int], batch: int) -> Callable[[np.ndarray], Iterator[np.ndarray]]:
    """A store's ``fill``, as the decoder gives it: the images of ``rows``, in that order, in batches."""

    def fill(rows: np.ndarray) -> Iterator[np.ndarray]:
        for start in range(0, len(rows), batch):
            yield np.stack([picture(int(row), shape) for row in rows[start : start + batch]])

    return fill
