"""The ``tf-data`` pipeline: a cached, prefetched ``tf.data`` input pipeline.

Same semantics as ``image-data-generator`` (same parameter names and defaults, class
order and labels, RGBA -> RGB by dropping alpha, nearest-neighbour resize picking the
same pixels as Pillow, rescale), built as the tf.data performance guide recommends::

    file list (Python, sorted) -> from_tensor_slices((paths, labels))
      -> map(read + decode + resize, parallel, deterministic) -> cache (uint8)
      -> shuffle(whole set, seeded, reshuffled each pass) -> batch -> repeat
      -> map(float32, augment, rescale) -> prefetch

The cache holds uint8 pixels (4x less memory than float32); conversion, augmentation
and rescaling happen per batch after it. The training flow always repeats, so every
epoch trains exactly ``steps_per_epoch`` batches (``None``: one pass, last batch
partial, like flow_from_directory: batching before repeat keeps passes apart).
Validation is finite: exactly ``validation_steps`` batches (cycling through the set if
that is more than one pass), the same batches at every evaluation, cached as batches.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import Field, PositiveInt, model_validator

from framework import Flows, ImageFolders, UserError
from framework.api import unreadable
from plugins.pipelines.augment import augment_batch
from plugins.pipelines.common import (
    LabelledFiles,
    PipelineParams,
    SizedPipeline,
    check_class_mode,
    failure_explainer,
    list_images,
    partial_validation_order,
    readable_files,
    resolve_steps,
)

if TYPE_CHECKING:
    import numpy as np

#: ImageDataGenerator / flow_from_directory options tf-data has no equivalent for.
UNSUPPORTED_OPTIONS = (
    "brightness_range",
    "channel_shift_range",
    "featurewise_center",
    "samplewise_center",
    "featurewise_std_normalization",
    "samplewise_std_normalization",
    "zca_whitening",
    "zca_epsilon",
    "vertical_flip",
    "cval",
    "preprocessing_function",
    "interpolation_order",
    "interpolation",
)


class TfDataParams(PipelineParams):
    """Parameters of ``tf-data``: the shared ones plus caching and shuffling."""

    cache: str = Field(
        "memory",
        description='"memory" (decoded uint8 images in RAM), "none", or a folder for an on-disk cache.',
    )
    shuffle_buffer: PositiveInt | None = Field(None, description="Shuffle buffer in images; default: the whole set.")

    @model_validator(mode="before")
    @classmethod
    def _refuse_unsupported(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for name in UNSUPPORTED_OPTIONS:
                if name in data:
                    raise ValueError(
                        f"{name} is an ImageDataGenerator option with no tf-data equivalent; "
                        f'remove it or use provider = "image-data-generator"'
                    )
        return data


def _pil_nearest(tf: Any, size: Any, target: int) -> Any:
    """Source indices Pillow's NEAREST resize picks along one axis (``ImagingScaleAffine``).

    Pillow walks ``x = scale / 2, x += scale, ...`` in float64 and truncates; a
    cumulative sum in float64 reproduces it exactly (checked against Pillow 13 for all
    sizes 1..119 -> 1..129 and more). ``tf.image.resize(method="nearest")`` rounds
    ties differently and picked another pixel for ~7% of pixels at 32 -> 20.
    """
    scale = tf.cast(size, tf.float64) / tf.cast(target, tf.float64)
    steps = tf.concat([[scale * 0.5], tf.fill([target - 1], scale)], axis=0)
    return tf.minimum(tf.cast(tf.math.cumsum(steps), tf.int32), tf.cast(size, tf.int32) - 1)


def _file_key(path: Path) -> str:
    """What identifies one file's content in the on-disk cache key: path, size and mtime.

    A file replaced under the same name gets another size or modification time, so the
    cache made from the old pixels is not reused.
    """
    stat = path.stat()
    return f"{path}\t{stat.st_size}\t{stat.st_mtime_ns}"


def _decode(tf: Any, data: Any, height: int, width: int) -> Any:
    """PNG/JPEG/BMP/GIF bytes -> uint8 ``[height, width, 3]`` exactly like Keras' ``load_img``.

    ``channels=3`` drops alpha without compositing (as PIL ``convert("RGB")``) and
    expands grey; the resize picks the same pixels as PIL's NEAREST (identity when
    the size already matches).
    """
    image = tf.io.decode_image(data, channels=3, expand_animations=False, dtype=tf.uint8)
    shape = tf.shape(image)

    def resized() -> Any:
        rows = tf.gather(image, _pil_nearest(tf, shape[0], height), axis=0)
        return tf.gather(rows, _pil_nearest(tf, shape[1], width), axis=1)

    same_size = tf.logical_and(tf.equal(shape[0], height), tf.equal(shape[1], width))
    image = tf.cond(same_size, lambda: image, resized)  # no copies when the size already matches
    image.set_shape((height, width, 3))
    return image


class TfDataPipeline(SizedPipeline):
    """Cached, shuffled, prefetched ``tf.data`` batches with exact steps per epoch."""

    params: TfDataParams

    def _files(self, root: Path, class_names: tuple[str, ...]) -> LabelledFiles:
        # Every suffix listed (framework.images.IMAGE_SUFFIXES) is one tf.io.decode_image reads.
        files = list_images(root, class_names)
        if not files.paths:
            raise UserError(f"No images found under {root} for classes {list(class_names)}.")
        return readable_files(files, root, skip=self.params.skip_unreadable)

    def _decoded(self, tf: Any, files: LabelledFiles) -> Any:
        height, width = self.params.image_size
        dataset = tf.data.Dataset.from_tensor_slices(([str(p) for p in files.paths], list(files.labels)))
        return dataset.map(
            lambda path, label: (_decode(tf, tf.io.read_file(path), height, width), label),
            num_parallel_calls=tf.data.AUTOTUNE,
            deterministic=True,
        )

    def _cache(self, dataset: Any, files: LabelledFiles, split: str) -> Any:
        height, width = self.params.image_size
        if self.params.cache == "memory":
            return dataset.cache()
        if self.params.cache == "none":
            return dataset
        folder = Path(self.params.cache).expanduser()
        folder.mkdir(parents=True, exist_ok=True)
        key = hashlib.sha256("\n".join([f"{height}x{width}", *map(_file_key, files.paths)]).encode()).hexdigest()[:16]
        return dataset.cache(str(folder / f"{split}-{key}"))

    def _batched(
        self,
        tf: Any,
        dataset: Any,
        batch: int,
        classes: int,
        *,
        augment: bool,
        seed: int,
        take: int | None = None,
        cache: Callable[[Any], Any] | None = None,
    ) -> Any:
        """Batches (uint8) -> repeat -> [take -> cache] -> float32, augment, rescale -> prefetch."""
        params = self.params
        dataset = dataset.batch(batch).repeat()  # batch before repeat: each pass ends with its own partial batch
        if take is not None:
            dataset = dataset.take(take)
        if cache is not None:
            dataset = cache(dataset)
        dataset = tf.data.Dataset.zip((tf.data.Dataset.counter(), dataset))

        def finish(index: Any, pair: tuple[Any, Any]) -> tuple[Any, Any]:
            images, labels = pair
            images = tf.cast(images, tf.float32)
            if augment and params.augments:
                images = augment_batch(images, tf.stack([tf.constant(seed, tf.int64), index]), params)
            images = images * tf.constant(params.rescale, tf.float32)
            if params.class_mode == "binary":
                return images, tf.cast(labels, tf.float32)
            return images, tf.one_hot(labels, classes, dtype=tf.float32)

        dataset = dataset.map(finish, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        return dataset.prefetch(tf.data.AUTOTUNE)

    def flows(
        self,
        images: ImageFolders,
        *,
        seed: int,
        steps_per_epoch: int | None,
        validation_steps: int | None,
    ) -> Flows:
        import tensorflow as tf

        check_class_mode(self.params.class_mode, images.class_names)
        p = self.params
        n_classes = len(images.class_names)
        files = self._files(images.train_dir, images.class_names)
        count = len(files.paths)
        train = self._cache(self._decoded(tf, files), files, "train")
        train = train.shuffle(p.shuffle_buffer or count, seed=seed, reshuffle_each_iteration=True)
        train = self._batched(tf, train, p.batch_size, n_classes, augment=True, seed=seed)

        validation = None
        val_steps = None
        val_count = 0
        if images.validation_dir is not None:
            val_files = self._files(images.validation_dir, images.class_names)
            val_count = len(val_files.paths)
            val_steps = resolve_steps(val_count, p.validation_batch_size, validation_steps)
            order = partial_validation_order(val_count, p.validation_batch_size, val_steps, seed)
            if order is not None:
                val_files = LabelledFiles(
                    tuple(val_files.paths[i] for i in order), tuple(val_files.labels[i] for i in order)
                )
            # Exactly val_steps batches, the same ones at every evaluation: a finite dataset,
            # cached after `take` so that the cache is complete after the first evaluation.
            validation = self._batched(
                tf,
                self._decoded(tf, val_files),
                p.validation_batch_size,
                n_classes,
                augment=False,
                seed=seed,
                take=val_steps,
                cache=lambda batches: self._cache(batches, val_files, f"validation-{val_steps}"),
            )
        return Flows(
            train=train,
            steps_per_epoch=resolve_steps(count, p.batch_size, steps_per_epoch),
            validation=validation,
            validation_steps=val_steps,
            train_count=count,
            validation_count=val_count,
            explain_failure=failure_explainer(
                files.paths, *([val_files.paths] if images.validation_dir is not None else [])
            ),
        )

    def load_images(self, paths: Sequence[Path]) -> np.ndarray:
        import numpy as np
        import tensorflow as tf

        height, width = self.params.image_size
        out = np.empty((len(paths), height, width, 3), dtype=np.float32)
        for i, path in enumerate(paths):
            try:
                image = _decode(tf, tf.io.read_file(str(path)), height, width)
            except (tf.errors.OpError, ValueError) as error:
                raise unreadable(path, error) from error
            out[i] = tf.cast(image, tf.float32).numpy() * np.float32(self.params.rescale)
        return out


def build_tf_data(params: TfDataParams) -> TfDataPipeline:
    """Factory of the ``tf-data`` provider."""
    return TfDataPipeline(params)
