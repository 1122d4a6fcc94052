"""Seeded, stateless augmentation of image batches in TensorFlow (used by ``tf-data``).

It mirrors ``ImageDataGenerator.get_random_transform`` / ``apply_affine_transform``:
per image, a rotation in [-rotation_range, rotation_range] degrees, a shift of up to
``width_shift_range`` * width and ``height_shift_range`` * height pixels, a shear in
[-shear_range, shear_range] degrees and zooms ``zx, zy`` drawn from ``zoom_range``
are composed into ONE affine map about the image centre (rotation @ shift @ shear @
zoom, output -> input coordinates), applied once with bilinear interpolation and
``fill_mode``; then a random left-right flip. Points outside are filled with 0 for
``fill_mode = "constant"`` (ImageDataGenerator's default ``cval``).

Random numbers come from stateless ops seeded by ``(seed, batch index)``, so a
pipeline is deterministic given its seed however tf.data schedules or restarts it
(Keras' random layers keep a seed *state* that would advance with every discarded
prefetch). TensorFlow is imported inside the functions only.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from plugins.pipelines.common import PipelineParams

_FILL_MODES = {"nearest": "NEAREST", "constant": "CONSTANT", "reflect": "REFLECT", "wrap": "WRAP"}


def _uniform(tf: Any, seed: Any, batch: Any, low: float, high: float) -> Any:
    return tf.random.stateless_uniform([batch], seed=seed, minval=low, maxval=high, dtype=tf.float32)


def affine_transforms(params: PipelineParams, seed: Any, batch: Any, height: int, width: int) -> Any:
    """Random projective transforms, shape ``[batch, 8]``, mapping output to input pixels.

    Args:
        params: Pipeline parameters (ranges of each transform).
        seed: Stateless seed, an int tensor of shape ``[2]``.
        batch: Number of images (scalar tensor).
        height: Image height in pixels.
        width: Image width in pixels.
    """
    import tensorflow as tf

    seeds = tf.random.experimental.stateless_split(seed, num=5)
    rot = math.radians(params.rotation_range)
    theta = _uniform(tf, seeds[0], batch, -rot, rot)
    tx = _uniform(tf, seeds[1], batch, -params.width_shift_range, params.width_shift_range) * width
    ty = _uniform(tf, seeds[2], batch, -params.height_shift_range, params.height_shift_range) * height
    shr = math.radians(params.shear_range)
    shear = _uniform(tf, seeds[3], batch, -shr, shr)
    low, high = params.zoom_bounds
    zoom = tf.random.stateless_uniform([batch, 2], seed=seeds[4], minval=low, maxval=high, dtype=tf.float32)
    if low == high:
        zoom = tf.fill([batch, 2], tf.constant(low, tf.float32))
    zx, zy = zoom[:, 0], zoom[:, 1]

    cos, sin = tf.cos(theta), tf.sin(theta)
    # Linear part of rotation @ shear @ zoom in (x = column, y = row) coordinates.
    a00, a01 = cos * zx, -tf.sin(theta + shear) * zy
    a10, a11 = sin * zx, tf.cos(theta + shear) * zy
    # Translation: rotation @ shift, then move the origin to the image centre.
    cx, cy = (width - 1) / 2.0, (height - 1) / 2.0
    b0 = cos * tx - sin * ty + cx - (a00 * cx + a01 * cy)
    b1 = sin * tx + cos * ty + cy - (a10 * cx + a11 * cy)
    zeros = tf.zeros_like(theta)
    return tf.stack([a00, a01, b0, a10, a11, b1, zeros, zeros], axis=1)


def augment_batch(images: Any, seed: Any, params: PipelineParams) -> Any:
    """Augment a float32 batch ``[batch, height, width, channels]`` with a stateless seed."""
    import tensorflow as tf

    height, width = params.image_size
    batch = tf.shape(images)[0]
    geometric = params.rotation_range or params.width_shift_range or params.height_shift_range
    geometric = geometric or params.shear_range or params.zoom_bounds != (1.0, 1.0)
    affine_seed, flip_seed = tf.unstack(tf.random.experimental.stateless_split(seed, num=2))
    if geometric:
        images = tf.raw_ops.ImageProjectiveTransformV3(
            images=images,
            transforms=affine_transforms(params, affine_seed, batch, height, width),
            output_shape=tf.constant([height, width], tf.int32),
            fill_value=tf.constant(0.0, tf.float32),
            interpolation="BILINEAR",
            fill_mode=_FILL_MODES[params.fill_mode],
        )
    if params.horizontal_flip:
        flip = _uniform(tf, flip_seed, batch, 0.0, 1.0) < 0.5
        images = tf.where(flip[:, None, None, None], tf.reverse(images, axis=[2]), images)
    return images
