"""Checks the runner makes before training: the loss fits the labels' form."""

from __future__ import annotations

import numpy as np
import pytest

from framework import Flows, UserError
from framework.run_checks import check_loss_fits_labels


def _flows(labels: np.ndarray) -> Flows:
    import tensorflow as tf

    images = np.zeros((len(labels), 4, 4, 3), dtype=np.float32)
    return Flows(train=tf.data.Dataset.from_tensor_slices((images, labels)).batch(2), steps_per_epoch=1)


def test_binary_crossentropy_on_one_hot_labels_is_refused() -> None:
    one_hot = _flows(np.eye(3, dtype=np.float32))
    with pytest.raises(UserError, match=r'one-hot labels of 3 classes .* use loss = "categorical_crossentropy"'):
        check_loss_fits_labels("binary_crossentropy", one_hot)
    check_loss_fits_labels("categorical_crossentropy", one_hot)


def test_categorical_crossentropy_on_one_label_per_image_is_refused() -> None:
    binary = _flows(np.array([0, 1, 1], dtype=np.float32))
    with pytest.raises(UserError, match=r'one label per image .* use loss = "binary_crossentropy"'):
        check_loss_fits_labels("categorical_crossentropy", binary)
    check_loss_fits_labels("binary_crossentropy", binary)
    check_loss_fits_labels("mse", binary)  # other losses are not judged
