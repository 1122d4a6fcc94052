"""Batch memory reused only when nothing refers to it: TensorFlow's tensors, views and callers keep theirs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from store_helpers import decoder
from store_helpers import picture as store_picture

from plugins.pipelines import decoded_store
from plugins.pipelines.batch_buffers import ALIGN, BatchBuffers

COUNT, BATCH, SHAPE = 40, 4, (6, 5)


def picture(row: int) -> np.ndarray:
    return store_picture(row, SHAPE)


fill = decoder(SHAPE, BATCH)


def test_memory_is_reused_once_released_and_never_while_a_view_holds_it() -> None:
    buffers = BatchBuffers()
    first = buffers.take((BATCH, *SHAPE, 3))
    address = first.ctypes.data
    assert address % ALIGN == 0  # TensorFlow wraps an aligned array instead of copying it
    del first
    second = buffers.take((BATCH, *SHAPE, 3))
    assert second.ctypes.data == address  # no fresh pages for every batch
    row = second[1]  # a view keeps the memory as well
    del second
    assert buffers.take((BATCH, *SHAPE, 3)).ctypes.data != address
    del row
    assert buffers.take((BATCH, *SHAPE, 3)).ctypes.data == address


def test_batches_tensorflow_still_holds_are_never_overwritten(tmp_path: Path) -> None:
    import tensorflow as tf

    store = decoded_store.fill_all(decoded_store.DiskImages(tmp_path, "key", COUNT, SHAPE), fill)
    labels = np.arange(COUNT, dtype=np.int32)
    signature = (tf.TensorSpec((None, *SHAPE, 3), tf.uint8), tf.TensorSpec((None,), tf.int32))
    dataset = tf.data.Dataset.from_generator(
        lambda: decoded_store.shuffled_batches(store, fill, labels, BATCH, seed=3), output_signature=signature
    )
    kept = list(dataset.take(3 * COUNT // BATCH))  # three passes held at once: far more than the buffers kept
    for images, rows in kept:
        np.testing.assert_array_equal(images.numpy(), np.stack([picture(int(row)) for row in rows.numpy()]))
