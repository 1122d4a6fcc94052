"""The ``image-data-generator`` pipeline: Keras' legacy ``ImageDataGenerator``.

Exact steps per epoch
---------------------
On Keras 3, ``fit`` indexes a ``DirectoryIterator`` (a ``PyDataset`` of
``ceil(n / batch_size)`` batches) and keeps one iterator across epochs when
``steps_per_epoch`` is given: with 1027 images in batches of 128 (9 batches) and
``steps_per_epoch=8``, epochs alternate between 8 batches and 1 batch ("Your input ran
out of data"). Here the training flow is the iterator's own endless stream
(``next(iterator)``: reshuffled at every pass, last batch of a pass partial) wrapped
in a ``tf.data.Dataset.from_generator(...).prefetch``, which Keras sees as infinite:
every epoch trains exactly ``steps_per_epoch`` batches, and ``None`` means one pass.
Validation is finite: exactly ``validation_steps`` batches from its first batch at every
evaluation (cycling if more than one pass is asked for), so every epoch is validated on
the same images.

Determinism
-----------
The legacy iterator seeds NumPy's *global* generator with ``seed + batches seen`` and
draws augmentations from it. Each generator call works on a fresh copy of the iterator
(so Keras' first peek at the data or a restarted iterator replays the same stream),
and every batch is made under one lock, so the training and validation producers
never interleave their draws. One producer thread per flow (no multiprocessing): on
a 2-core CPU the model and the producer each get a core.
"""

from __future__ import annotations

import copy
import os
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import Field, field_validator

from framework import Flows, ImageFolders
from framework.api import IMAGE_FORMATS, load_images, load_pixels
from plugins.pipelines.common import (
    PipelineParams,
    SizedPipeline,
    check_class_mode,
    class_counts,
    partial_validation_order,
    resolve_steps,
    split_files,
    untuned,
)
from plugins.pipelines.file_checks import failure_explainer, readable_files, readable_splits

if TYPE_CHECKING:
    import numpy as np

#: NumPy's global random state is shared by every legacy iterator: make batches one at a time.
_BATCH_LOCK = threading.Lock()


class ImageDataGeneratorParams(PipelineParams):
    """Parameters of ``image-data-generator``: the shared ones plus ``brightness_range``."""

    brightness_range: tuple[float, float] | None = Field(
        None, description="[low, high] random brightness factor (PIL ImageEnhance), training only."
    )

    @field_validator("brightness_range")
    @classmethod
    def _check_brightness(cls, value: tuple[float, float] | None) -> tuple[float, float] | None:
        if value is not None and not 0 <= value[0] <= value[1]:
            raise ValueError(f"brightness_range [low, high] needs 0 <= low <= high, got {list(value)}")
        return value


def _stream(iterator: Any, cycle_from_start: bool) -> Iterator[tuple[Any, Any]]:
    """Endless batches from a fresh copy of a legacy ``DirectoryIterator``."""
    own = copy.copy(iterator)
    own.lock = threading.Lock()
    own.total_batches_seen = 0
    own.index_array = None
    own.index_generator = own._flow_index()
    index = 0
    while True:
        with _BATCH_LOCK:
            if cycle_from_start:  # validation: batches 0, 1, ..., len-1, 0, 1, ...
                batch = own[index % len(own)]
                index += 1
            else:  # training: the iterator's own reshuffling stream
                batch = next(own)
        yield batch


class ImageDataGeneratorPipeline(SizedPipeline):
    """``ImageDataGenerator.flow_from_directory`` with exact steps per epoch."""

    params: ImageDataGeneratorParams

    def _generator(self, augment: bool) -> Any:
        from keras.src.legacy.preprocessing.image import ImageDataGenerator

        p = self.params
        if not augment:
            return ImageDataGenerator(rescale=p.rescale)
        return ImageDataGenerator(
            rescale=p.rescale,
            rotation_range=p.rotation_range,
            width_shift_range=p.width_shift_range,
            height_shift_range=p.height_shift_range,
            shear_range=p.shear_range,
            zoom_range=list(p.zoom_bounds),
            horizontal_flip=p.horizontal_flip,
            fill_mode=p.fill_mode,
            brightness_range=list(p.brightness_range) if p.brightness_range else None,
        )

    def _flow(
        self,
        images: ImageFolders,
        split: str,
        *,
        augment: bool,
        batch: int,
        seed: int,
    ) -> Any:
        """``flow_from_directory``, listing the suffixes of :data:`framework.images.IMAGE_SUFFIXES`.

        Keras' own ``white_list_formats`` (png, jpg, jpeg, bmp, ppm, tif, tiff) would skip
        GIFs that the dataset checks and tf-data count, so the iterator is built with ours.
        """
        from keras.src.legacy.preprocessing.image import DirectoryIterator

        class _Iterator(DirectoryIterator):
            white_list_formats = IMAGE_FORMATS
            fixed_order: list[int] | None = None

            def _get_batches_of_transformed_samples(self, index_array: Any) -> tuple[Any, Any]:
                # Keras' own, with framework.api.load_pixels for load_img: the same pixels, turned
                # upright by EXIF orientation as in every other path (load_img ignores it).
                import numpy as np

                batch_x = np.zeros((len(index_array), *self.image_shape), dtype=self.dtype)
                for i, j in enumerate(index_array):
                    x = load_pixels(Path(self.filepaths[j]), self.target_size).astype(self.dtype)
                    if self.image_data_generator:
                        params = self.image_data_generator.get_random_transform(x.shape)
                        x = self.image_data_generator.apply_transform(x, params)
                        x = self.image_data_generator.standardize(x)
                    batch_x[i] = x
                labels = self.classes[np.asarray(index_array)]
                if self.class_mode == "categorical":
                    return batch_x, np.eye(len(self.class_indices), dtype=self.dtype)[labels]
                return batch_x, labels.astype(self.dtype)

            def _set_index_array(self) -> None:
                if self.fixed_order is None:
                    super()._set_index_array()
                else:  # a partial validation pass: the same fair sample every time
                    import numpy as np

                    self.index_array = np.asarray(self.fixed_order)

        listed = split in (images.file_lists or {})
        directory = images.train_dir if split == "train" or images.validation_dir is None else images.validation_dir
        classes = images.class_names
        files = split_files(images, split)  # a clear error for a missing or empty class folder
        readable = readable_files(files, directory, skip=self.params.skip_unreadable, split=split)
        generator = self._generator(augment)
        iterator = _Iterator(
            str(directory),
            generator,
            target_size=tuple(self.params.image_size),
            color_mode="rgb",
            classes=list(classes),
            class_mode=self.params.class_mode,
            batch_size=batch,
            shuffle=augment,
            seed=seed,
            data_format=generator.data_format,
            interpolation="nearest",
            dtype=generator.dtype,
        )
        if listed or len(readable.paths) < len(files.paths):  # a provider's list, or skip_unreadable
            import numpy as np

            keep = [str(path) for path in readable.paths]
            iterator.filenames = [os.path.relpath(path, directory) for path in keep]
            iterator._filepaths = keep
            iterator.classes = np.asarray(readable.labels, dtype="int32")
            iterator.samples = iterator.n = len(keep)
        return iterator

    def _dataset(self, iterator: Any, *, cycle_from_start: bool, classes: int) -> Any:
        import tensorflow as tf

        height, width = self.params.image_size
        labels = (None,) if self.params.class_mode == "binary" else (None, classes)
        signature = (
            tf.TensorSpec((None, height, width, 3), tf.float32),
            tf.TensorSpec(labels, tf.float32),
        )
        dataset = tf.data.Dataset.from_generator(
            lambda: _stream(iterator, cycle_from_start), output_signature=signature
        )
        return untuned(tf, dataset.prefetch(tf.data.AUTOTUNE))

    def flows(
        self,
        images: ImageFolders,
        *,
        seed: int,
        steps_per_epoch: int | None,
        validation_steps: int | None,
    ) -> Flows:
        check_class_mode(self.params.class_mode, images.class_names)
        p = self.params
        n_classes = len(images.class_names)
        validation = None
        val_steps = None
        val_count = 0

        def validation_flow() -> Any:
            return self._flow(images, "validation", augment=False, batch=p.validation_batch_size, seed=seed)

        train, val = readable_splits(
            lambda: self._flow(images, "train", augment=True, batch=p.batch_size, seed=seed),
            validation_flow if images.has_split("validation") else None,
        )
        if val is not None:  # counted as the iterator lists them: skip_unreadable applied
            val_count = val.samples
            val_steps = resolve_steps(val_count, p.validation_batch_size, validation_steps)
            val.fixed_order = partial_validation_order(val_count, p.validation_batch_size, val_steps, seed)
        steps = resolve_steps(train.samples, p.batch_size, steps_per_epoch)
        if val is not None:
            import tensorflow as tf

            validation = (
                self._dataset(val, cycle_from_start=True, classes=n_classes)
                .take(val_steps)
                .apply(tf.data.experimental.assert_cardinality(val_steps))  # known length: no "ran out" warning
            )
        return Flows(
            train=self._dataset(train, cycle_from_start=False, classes=n_classes),
            steps_per_epoch=steps,
            validation=validation,
            validation_steps=val_steps,
            train_count=train.samples,
            validation_count=val_count,
            validation_batch_size=p.validation_batch_size,
            train_class_counts=class_counts(train.classes, n_classes),
            # the iterators' own lists (skip_unreadable applied): no second walk of the folders
            explain_failure=failure_explainer(train.filepaths, *([val.filepaths] if val is not None else [])),
        )

    def load_images(self, paths: Sequence[Path]) -> np.ndarray:
        # Keras' load_img(color_mode="rgb", interpolation="nearest") with Pillow, as the flows read files.
        return load_images(paths, self.preprocessing())


def build_image_data_generator(params: ImageDataGeneratorParams) -> ImageDataGeneratorPipeline:
    """Factory of the ``image-data-generator`` provider."""
    return ImageDataGeneratorPipeline(params)
