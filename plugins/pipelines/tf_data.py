"""The ``tf-data`` pipeline: images decoded once, shuffled every pass, prefetched ``tf.data`` batches.

Same semantics as ``image-data-generator`` (same parameter names and defaults, class
order and labels, RGBA -> RGB by dropping alpha, nearest-neighbour resize picking the
same pixels as Pillow, rescale), with bounded memory at any number of images.
:mod:`plugins.pipelines.memory_plan` chooses where decoded images are kept::

    memory: file list -> map(read + decode + resize, parallel) -> cache (uint8, TensorFlow's)
              -> shuffle(whole set, seeded, every pass) -> batch -> repeat
    disk:   file list -> decoded during the first pass into one file (decoded_store), then
              every pass a seeded permutation, batches read back from the file
    none:   every pass a seeded permutation -> map(read + decode + resize, parallel) -> batch

then map(float32, augment, rescale) -> prefetch. The training flow always repeats, so every
epoch trains exactly ``steps_per_epoch`` batches (``None``: one pass, last batch partial,
like flow_from_directory). Validation is finite: exactly ``validation_steps`` batches
(cycling through the set if that is more than one pass), the same batches at every evaluation.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import Field, PositiveFloat, model_validator

from framework import Flows, ImageFolders, UserError
from framework.api import unreadable
from plugins.pipelines import decoded_store
from plugins.pipelines.augment import augment_batch
from plugins.pipelines.common import (
    LabelledFiles,
    PipelineParams,
    SizedPipeline,
    check_class_mode,
    class_counts,
    partial_validation_order,
    resolve_steps,
    split_files,
    untuned,
)
from plugins.pipelines.file_checks import exif_orientation, failure_explainer, readable_files, readable_splits
from plugins.pipelines.memory_plan import CachePlan, check_batches_fit, check_disk_room, decoded_bytes, plan_cache
from plugins.pipelines.progress import counted
from plugins.pipelines.tf_decode import decode_image, decoder_choice, plain_graph, rescaled

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
    """Parameters of ``tf-data``: the shared ones plus where decoded images are kept."""

    cache: str = Field(
        "auto",
        description='Where decoded images are kept: "auto" (in memory when they fit pipeline.memory_budget, else '
        'on disk), "memory", "disk" (in the user cache folder, reused by later runs), "none" (decoded at every '
        "pass), or a folder for the on-disk cache.",
    )
    memory_budget: PositiveFloat = Field(
        4.0,
        description='GB the decoded images may take in memory with cache = "auto" (4 GB: 14,800 images at 300x300); '
        "more go to disk. Fixed, not measured, so that a file chooses the same way on every machine and a resumed "
        "run sees the images in the same order; below it, memory is used only if the process has twice as much.",
    )

    @model_validator(mode="before")
    @classmethod
    def _refuse_unsupported(cls, data: Any) -> Any:
        if isinstance(data, dict):
            if "shuffle_buffer" in data:
                raise ValueError(
                    "shuffle_buffer is gone: tf-data now shuffles the whole set at every pass, with no buffer in "
                    "memory; remove it"
                )
            for name in UNSUPPORTED_OPTIONS:
                if name in data:
                    raise ValueError(
                        f"{name} is an ImageDataGenerator option with no tf-data equivalent; "
                        f'remove it or use provider = "image-data-generator"'
                    )
        return data


def decoded_root() -> Path:
    """The on-disk cache's folder for ``cache = "auto"``/``"disk"``: ``$HOH_DECODED_CACHE`` or the user cache."""
    import os

    import platformdirs

    env = os.environ.get("HOH_DECODED_CACHE", "").strip()
    return Path(env).expanduser() if env else Path(platformdirs.user_cache_dir("hoh")) / "decoded"


class TfDataPipeline(SizedPipeline):
    """Images decoded once, shuffled every pass, in batches of exact steps per epoch."""

    params: TfDataParams

    def _files(self, images: ImageFolders, split: str) -> LabelledFiles:
        # Every suffix listed (framework.images.IMAGE_SUFFIXES) is one tf.io.decode_image reads.
        files = split_files(images, split)
        root = images.train_dir if split == "train" or images.validation_dir is None else images.validation_dir
        if not files.paths:
            raise UserError(f"No {split} images found under {root} for classes {list(images.class_names)}.")
        return readable_files(files, root, skip=self.params.skip_unreadable, split=split)

    def _decode_dataset(self, tf: Any, files: LabelledFiles, rows: Any = None) -> Any:
        """The images of ``files`` (or of its ``rows``, a dataset of indices) decoded, in order, on all cores."""
        height, width = self.params.image_size
        names = tf.constant([str(p) for p in files.paths])
        turns = tf.constant(files.orientations, tf.int32) if files.orientations else None
        known = decoder_choice(files.kinds, height, width)  # branches every file would take: out of the graph
        known["turned"] = any(turn > 4 for turn in files.orientations)  # else no rotation (transpose) in the graph

        def decode(i: Any) -> Any:
            turn = tf.gather(turns, i) if turns is not None else None
            return decode_image(tf, tf.io.read_file(tf.gather(names, i)), height, width, turn, **known)

        rows = rows if rows is not None else tf.data.Dataset.range(len(files.paths))
        return rows.map(plain_graph(tf, decode), num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)

    def _store(self, tf: Any, files: LabelledFiles, plan: CachePlan) -> tuple[Any, Any]:
        """The on-disk store of the decoded images of ``files``, and ``fill(rows)``, their decoder."""
        shape = tuple(self.params.image_size)

        def fill(rows: Any) -> Any:
            decoded = self._decode_dataset(tf, files, tf.data.Dataset.from_tensor_slices(tf.constant(rows, tf.int64)))
            return decoded.batch(self.params.batch_size).prefetch(2).as_numpy_iterator()

        assert plan.kind == "disk" and plan.folder is not None, "in memory, TensorFlow's cache keeps the images"
        key = decoded_store.content_key(files.paths, shape)
        if not (plan.folder / f"{key}.u8").exists():
            check_disk_room(plan.folder, decoded_bytes(len(files.paths), shape))
        return decoded_store.DiskImages(plan.folder, key, len(files.paths), shape), fill

    def _filled(self, tf: Any, files: LabelledFiles, plan: CachePlan) -> Any:
        """The decoded images of ``files``, all decoded now (validation: read at the end of the first epoch)."""
        store, fill = self._store(tf, files, plan)
        try:
            with counted(f"decoding {len(files.paths):,} validation images into {plan.folder}", len(store)) as advance:
                return decoded_store.fill_all(store, fill, advance)
        except tf.errors.OpError as error:  # pixel data corrupt under valid checksums: name the file
            message = failure_explainer(files.paths)(error)
            raise UserError(message or f"decoding the validation images failed: {error.message}") from None

    def _train_batches(self, tf: Any, files: LabelledFiles, plan: CachePlan, seed: int) -> Any:
        """Endless uint8 training batches; each pass in the seeded order of :func:`decoded_store.pass_order`."""
        import numpy as np

        labels = np.asarray(files.labels, dtype=np.int32)
        batch = self.params.batch_size
        if plan.kind == "memory":  # TensorFlow's own cache and a shuffle of the whole set: native, fastest
            # The first pass decodes the files in a seeded order and yields each batch as it is decoded; later
            # passes shuffle the cache. Shuffling the cache in the first pass as well made it decode the whole
            # set before its first batch (10,000 JPEGs: 7.5 s to the first batch).
            order = decoded_store.pass_order(len(labels), seed, 0)
            rows = tf.data.Dataset.from_tensor_slices(tf.constant(order, tf.int64))
            images = self._decode_dataset(tf, files, rows)
            decoded = tf.data.Dataset.zip((images, tf.data.Dataset.from_tensor_slices(labels[order]))).cache()
            later = decoded.shuffle(len(labels), seed=seed, reshuffle_each_iteration=True)
            # batch before repeat: each pass ends with its own partial batch
            return decoded.batch(batch).concatenate(later.batch(batch).repeat())
        if plan.kind == "disk":
            store, fill = self._store(tf, files, plan)
            return tf.data.Dataset.from_generator(
                lambda: decoded_store.shuffled_batches(store, fill, labels, batch, seed),
                output_signature=self._signature(tf),
            ).apply(tf.data.experimental.assert_cardinality(tf.data.INFINITE_CARDINALITY))

        def one_pass(index: Any) -> Any:
            order = tf.data.Dataset.from_generator(
                lambda i: decoded_store.pass_order(len(labels), seed, int(i)),
                args=(index,),
                output_signature=tf.TensorSpec((), tf.int64),
            )
            images = self._decode_dataset(tf, files, order)
            ordered_labels = order.map(plain_graph(tf, lambda i: tf.gather(labels, i)))
            return tf.data.Dataset.zip((images, ordered_labels)).batch(batch)

        return tf.data.Dataset.counter().flat_map(one_pass)

    def _validation_batches(self, tf: Any, files: LabelledFiles, plan: CachePlan, order: list[int] | None) -> Any:
        """Endless uint8 validation batches in one fixed order."""
        import numpy as np

        labels = np.asarray(files.labels, dtype=np.int32)
        batch = self.params.validation_batch_size
        if plan.kind == "disk":
            store = self._filled(tf, files, plan)
            return tf.data.Dataset.from_generator(
                lambda: decoded_store.fixed_batches(store, labels, batch, order),
                output_signature=self._signature(tf),
            )
        rows = list(range(len(labels))) if order is None else order
        images = self._decode_dataset(tf, files, tf.data.Dataset.from_tensor_slices(tf.constant(rows, tf.int64)))
        labelled = tf.data.Dataset.zip((images, tf.data.Dataset.from_tensor_slices(labels[rows])))
        return labelled.batch(batch).repeat()

    def _signature(self, tf: Any) -> tuple[Any, Any]:
        height, width = self.params.image_size
        return (tf.TensorSpec((None, height, width, 3), tf.uint8), tf.TensorSpec((None,), tf.int32))

    def _finish(self, tf: Any, batches: Any, classes: int, *, augment: bool, seed: int) -> Any:
        """uint8 batches -> float32, augmented (seeded per batch), rescaled, labels as the loss wants -> prefetch."""
        params = self.params
        dataset = tf.data.Dataset.zip((tf.data.Dataset.counter(), batches))

        def finish(index: Any, pair: tuple[Any, Any]) -> tuple[Any, Any]:
            images, labels = pair
            if augment and params.augments:
                images = augment_batch(
                    tf.cast(images, tf.float32), tf.stack([tf.constant(seed, tf.int64), index]), params
                )
                images = images * tf.constant(params.rescale, tf.float32)
            else:
                images = rescaled(tf, images, params.rescale)
            if params.class_mode == "binary":
                return images, tf.cast(labels, tf.float32)
            return images, tf.one_hot(labels, classes, dtype=tf.float32)

        dataset = dataset.map(plain_graph(tf, finish), num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        return untuned(tf, dataset.prefetch(2))  # bounded: AUTOTUNE may hold many float32 batches

    def flows(
        self,
        images: ImageFolders,
        *,
        seed: int,
        steps_per_epoch: int | None,
        validation_steps: int | None,
    ) -> Flows:
        import tensorflow as tf

        p = self.params
        check_class_mode(p.class_mode, images.class_names)
        check_batches_fit(p.batch_size, p.validation_batch_size, p.image_size)
        n_classes = len(images.class_names)
        files, val_files = readable_splits(
            lambda: self._files(images, "train"),
            (lambda: self._files(images, "validation")) if images.has_split("validation") else None,
        )
        count, val_count = len(files.paths), len(val_files.paths) if val_files else 0
        plan = plan_cache(p.cache, count + val_count, p.image_size, p.memory_budget, decoded_root())
        notes = (f"tf-data: decoded images {'on disk' if plan.kind == 'disk' else 'in ' + plan.kind}: {plan.reason}",)
        if plan.kind == "none":
            notes = (f"tf-data: {plan.reason}",)
        train = self._finish(tf, self._train_batches(tf, files, plan, seed), n_classes, augment=True, seed=seed)

        validation = None
        val_steps = None
        if val_files is not None:
            val_steps = resolve_steps(val_count, p.validation_batch_size, validation_steps)
            order = partial_validation_order(val_count, p.validation_batch_size, val_steps, seed)
            # Exactly val_steps batches, the same ones at every evaluation.
            batches = self._validation_batches(tf, val_files, plan, order).take(val_steps)
            if plan.kind == "memory":  # the same val_steps batches at every evaluation: cached as batches
                batches = batches.cache()
            batches = batches.apply(tf.data.experimental.assert_cardinality(val_steps))  # Keras counts on it
            validation = self._finish(tf, batches, n_classes, augment=False, seed=seed)
        return Flows(
            train=train,
            steps_per_epoch=resolve_steps(count, p.batch_size, steps_per_epoch),
            validation=validation,
            validation_steps=val_steps,
            train_count=count,
            validation_count=val_count,
            validation_batch_size=p.validation_batch_size,
            train_class_counts=class_counts(files.labels, n_classes),
            explain_failure=failure_explainer(files.paths, *([val_files.paths] if val_files is not None else [])),
            notes=notes,
        )

    def load_images(self, paths: Sequence[Path]) -> np.ndarray:
        import numpy as np
        import tensorflow as tf

        height, width = self.params.image_size
        out = np.empty((len(paths), height, width, 3), dtype=np.float32)
        for i, path in enumerate(paths):
            try:
                image = decode_image(tf, tf.io.read_file(str(path)), height, width, exif_orientation(path))
            except (tf.errors.OpError, ValueError) as error:
                raise unreadable(path, error) from error
            out[i] = tf.cast(image, tf.float32).numpy() * np.float32(self.params.rescale)
        return out


def build_tf_data(params: TfDataParams) -> TfDataPipeline:
    """Factory of the ``tf-data`` provider."""
    return TfDataPipeline(params)
