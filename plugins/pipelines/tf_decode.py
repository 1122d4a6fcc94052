"""Decoding for ``tf-data``: image bytes to uint8 RGB pixels of one size, in TensorFlow ops.

The pixels are exactly those Keras' ``load_img`` (Pillow) gives, so that training and
prediction (:mod:`framework.inference.preprocessing`, Pillow alone) see the same images.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from plugins.pipelines.common import FileKinds


def plain_graph(tf: Any, function: Callable) -> Callable:
    """``function`` marked for ``Dataset.map`` to trace as written, without AutoGraph's rewrite.

    tf.data otherwise runs AutoGraph over every mapped function, to turn Python ``if`` and
    ``for`` on tensors into graph ops. That rewrite was most of ``flows()``'s time at the start
    of every run: 1.6-2.2 s with it, 0.5-0.7 s without it, on 1,000 JPEGs on an idle 2-core
    machine. The functions here branch with ``tf.cond`` and ``tf.switch_case`` themselves and
    test only Python values with ``if``; a tensor tested with ``if`` would now fail when
    traced, not run differently.
    """
    return tf.autograph.experimental.do_not_convert(function)


def pil_nearest(tf: Any, size: Any, target: int) -> Any:
    """Source indices Pillow's NEAREST resize picks along one axis (``ImagingScaleAffine``).

    Pillow walks ``x = scale / 2, x += scale, ...`` in float64 and truncates; a
    cumulative sum in float64 reproduces it exactly (checked against Pillow 13 for all
    sizes 1..119 -> 1..129 and more). ``tf.image.resize(method="nearest")`` rounds
    ties differently and picked another pixel for ~7% of pixels at 32 -> 20.
    """
    scale = tf.cast(size, tf.float64) / tf.cast(target, tf.float64)
    steps = tf.concat([[scale * 0.5], tf.fill([target - 1], scale)], axis=0)
    return tf.minimum(tf.cast(tf.math.cumsum(steps), tf.int32), tf.cast(size, tf.int32) - 1)


def upright(tf: Any, image: Any, orientation: Any, *, turned: bool = True) -> Any:
    """``image`` turned by its EXIF ``orientation`` (1-8) as ``PIL.ImageOps.exif_transpose`` turns it.

    ``turned`` ``False``: no orientation is above 4 (mirrored or upside down only), so the graph
    holds no transpose. On a processor without AVX-512, TensorFlow logs an error-level line the
    first time a graph holds a uint8 transpose (oneDNN falls back to Eigen), rotated photo or not.
    """
    swapped = lambda: tf.transpose(image, [1, 0, 2])  # noqa: E731  (rows become columns)
    branches = [
        lambda: image,  # 1: upright
        lambda: tf.reverse(image, [1]),  # 2: mirrored left-right
        lambda: tf.reverse(image, [0, 1]),  # 3: upside down
        lambda: tf.reverse(image, [0]),  # 4: mirrored top-bottom
        swapped,  # 5: transposed
        lambda: tf.reverse(swapped(), [1]),  # 6: turned 90 degrees clockwise to be upright
        lambda: tf.reverse(swapped(), [0, 1]),  # 7: transversed
        lambda: tf.reverse(swapped(), [0]),  # 8: turned 90 degrees counter-clockwise to be upright
    ]
    count = 8 if turned else 4
    return tf.switch_case(tf.clip_by_value(tf.cast(orientation, tf.int32), 1, count) - 1, branches[:count])


def decode_image(
    tf: Any,
    data: Any,
    height: int,
    width: int,
    orientation: Any = None,
    *,
    jpeg: bool | None = None,
    resize: bool | None = None,
    turned: bool = True,
) -> Any:
    """PNG/JPEG/BMP/GIF/WebP bytes -> uint8 ``[height, width, 3]`` as Pillow decodes them, turned upright.

    ``channels=3`` drops alpha without compositing (as PIL ``convert("RGB")``) and
    expands grey; the image is turned by its EXIF ``orientation`` (read beforehand with
    Pillow: TensorFlow's decoders ignore EXIF), then the resize picks the same pixels as
    PIL's NEAREST (identity when the size already matches).

    What is known of the files beforehand (:func:`decoder_choice`) takes the matching branches
    out of the graph; the pixels are the same. ``orientation`` ``None`` (or ``1``): upright.
    ``jpeg`` ``True``/``False``: the bytes are/are not a JPEG. ``resize`` ``False``: the image
    has the size already (checked: an error if not); ``True``: it has not. ``turned`` ``False``:
    no file's orientation is above 4 (:func:`upright`).
    """
    accurate = lambda: tf.io.decode_jpeg(data, channels=3, dct_method="INTEGER_ACCURATE")  # noqa: E731
    others = lambda: tf.io.decode_image(data, channels=3, expand_animations=False, dtype=tf.uint8)  # noqa: E731
    # Pillow's IDCT: decode_image's default (INTEGER_FAST) differs from Pillow by up to 6 levels a pixel.
    image = tf.cond(tf.io.is_jpeg(data), accurate, others) if jpeg is None else accurate() if jpeg else others()
    if orientation is not None and not (isinstance(orientation, int) and orientation == 1):
        image = upright(tf, image, orientation, turned=turned)
    if resize is False:
        return tf.ensure_shape(image, (height, width, 3))
    shape = tf.shape(image)

    def resized() -> Any:
        rows = tf.gather(image, pil_nearest(tf, shape[0], height), axis=0)
        return tf.gather(rows, pil_nearest(tf, shape[1], width), axis=1)

    if resize:
        image = resized()
    else:
        same_size = tf.logical_and(tf.equal(shape[0], height), tf.equal(shape[1], width))
        image = tf.cond(same_size, lambda: image, resized)  # no copies when the size already matches
    image.set_shape((height, width, 3))
    return image


def decoder_choice(kinds: FileKinds | None, height: int, width: int) -> dict[str, bool | None]:
    """:func:`decode_image`'s ``jpeg`` and ``resize`` for files of these ``kinds``: what all of them share.

    Each branch a graph decides per image costs: 10,000 300x300 JPEGs decoded at 2,560-2,800
    images/s with the JPEG test, the EXIF turn and the size test in the graph, 3,100-3,460 without
    (2-vCPU EPYC; ``tf.io.decode_image`` alone: 3,460-3,590).
    """
    if kinds is None:
        return {"jpeg": None, "resize": None}
    resize = None  # some files have the size, some not: decided per image
    if kinds.sizes == {(height, width)}:
        resize = False
    elif kinds.sizes is not None and (height, width) not in kinds.sizes:
        resize = True
    return {"jpeg": kinds.jpeg, "resize": resize}


def rescaled(tf: Any, images: Any, rescale: float) -> Any:
    """uint8 ``images`` as float32 times ``rescale``: the same values as ``tf.cast(images, tf.float32) * rescale``.

    In one op where that is exact: ``Dequantize`` (MIN_COMBINED, quint8, from 0) computes
    ``float(x) * (max_range / 255)``, which is ``float(x) * rescale`` bit for bit when
    ``max_range / 255`` rounds back to ``rescale`` in float32 (1/255 does). The cast and
    the multiplication write the float32 batch twice; this writes it once. A batch of
    128 300x300 images: 17-21 ms against 22-27 ms on a 2-vCPU EPYC, as fast as Keras'
    ``x * (1 / 255)`` on an already float32 batch.
    """
    import numpy as np

    scale = np.float32(rescale)
    top = np.float32(scale * np.float32(255))
    if np.float32(top / np.float32(255)) != scale:  # rare scales: two ops, the same values
        return tf.cast(images, tf.float32) * tf.constant(scale, tf.float32)
    return tf.quantization.dequantize(tf.bitcast(images, tf.quint8), 0.0, float(top), mode="MIN_COMBINED")
