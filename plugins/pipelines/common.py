"""What both pipelines share: parameters, file listing and step counts.

Nothing here imports TensorFlow.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from pydantic import Field, PositiveInt, field_validator

from framework import ImageFolders, InputPipeline, Params, UserError
from framework import api as framework_api

if TYPE_CHECKING:
    from framework.api import Preprocessing

FillMode = Literal["nearest", "constant", "reflect", "wrap"]
Item, Result = TypeVar("Item"), TypeVar("Result")
#: Items a thread takes at a time in :func:`map_on_threads`.
CHUNK = 256


class PipelineParams(Params):
    """Parameters both pipelines take, with the same names, defaults and meaning.

    Augmentation applies to training batches only; validation batches are only rescaled.
    """

    image_size: tuple[PositiveInt, PositiveInt] = Field(
        (300, 300), description="[height, width] images are resized to (nearest neighbour, as Keras' load_img)."
    )
    batch_size: PositiveInt = Field(128, description="Training batch size.")
    validation_batch_size: PositiveInt = Field(32, description="Validation batch size.")
    rescale: float = Field(1 / 255, gt=0, description="Pixel values (0-255) are multiplied by this.")
    class_mode: Literal["binary", "categorical"] = Field(
        "binary",
        description="binary: one float label (0/1, sorted class folders) for 2 classes; "
        "categorical: one-hot labels, needed for more than 2 classes.",
    )
    rotation_range: float = Field(0.0, ge=0, le=180, description="Random rotation in degrees, in [-r, r].")
    width_shift_range: float = Field(0.0, ge=0, lt=1, description="Random horizontal shift, fraction of the width.")
    height_shift_range: float = Field(0.0, ge=0, lt=1, description="Random vertical shift, fraction of the height.")
    shear_range: float = Field(0.0, ge=0, lt=90, description="Random shear angle in degrees, in [-s, s].")
    zoom_range: float | tuple[float, float] = Field(
        0.0, description="Random zoom: z means [1-z, 1+z]; or [low, high]. Above 1 zooms out."
    )
    horizontal_flip: bool = Field(False, description="Randomly flip images left-right.")
    skip_unreadable: bool = Field(
        False,
        description="Train without the image files that cannot be read (named, and counted, on standard error); "
        "by default they stop the run before training, named.",
    )
    fill_mode: FillMode = Field("nearest", description="How points outside the image are filled after a transform.")

    @field_validator("zoom_range")
    @classmethod
    def _check_zoom(cls, value: float | tuple[float, float]) -> float | tuple[float, float]:
        if isinstance(value, tuple):
            low, high = value
            if not 0 < low <= high:
                raise ValueError(f"zoom_range [low, high] needs 0 < low <= high, got {list(value)}")
        elif not 0 <= value < 1:
            raise ValueError(f"zoom_range as one number must be in [0, 1), got {value}")
        return value

    @property
    def zoom_bounds(self) -> tuple[float, float]:
        """Zoom range as ``(low, high)``, the way ``ImageDataGenerator`` reads it."""
        if isinstance(self.zoom_range, tuple):
            return self.zoom_range
        return (1 - self.zoom_range, 1 + self.zoom_range)

    @property
    def augments(self) -> bool:
        """True when any augmentation is asked for."""
        return bool(
            self.rotation_range
            or self.width_shift_range
            or self.height_shift_range
            or self.shear_range
            or self.zoom_bounds != (1.0, 1.0)
            or self.horizontal_flip
        )


@dataclass(frozen=True)
class FileKinds:
    """What checking a split's files found about all of them, so that a decoder can be built for them alone."""

    jpeg: bool | None
    """``True``: every file is a JPEG; ``False``: none is; ``None``: some are."""
    sizes: frozenset[tuple[int, int]] | None
    """The distinct (height, width) of the files once turned upright; ``None`` when some file's is not known."""


@dataclass(frozen=True)
class LabelledFiles:
    """Image files of one split, in a fixed order, with their class index.

    ``orientations``: each file's EXIF orientation (1-8, 1 upright), when read; empty: all upright.
    ``kinds``: what the checks found about the files (:func:`~plugins.pipelines.file_checks.readable_files`);
    ``None`` when they were not checked.
    """

    paths: tuple[Path, ...]
    labels: tuple[int, ...]
    orientations: tuple[int, ...] = ()
    kinds: FileKinds | None = None


def list_images(root: Path, class_names: tuple[str, ...]) -> LabelledFiles:
    """List the image files of one split the way both pipelines read them.

    Classes are taken in ``class_names`` order (label = index); inside a class the
    files are those of :func:`framework.images.list_images` (the ``flow_from_directory``
    walk: sub-folders included, links not followed, names ending in
    :data:`framework.images.IMAGE_SUFFIXES`).

    Raises:
        UserError: when a class folder is missing or holds no image files.
    """
    kinds = ", ".join(sorted(framework_api.IMAGE_SUFFIXES))
    for name in class_names:
        folder = Path(root) / name
        if not folder.is_dir():
            raise UserError(f"Class folder {folder} does not exist; expected one folder per class {list(class_names)}.")
    paths, labels = framework_api.labelled_images(Path(root), class_names)
    present = set(labels)
    for label, name in enumerate(class_names):
        if label not in present:
            raise UserError(
                f"Class {name!r} has no image files in {Path(root) / name} (looked for {kinds}, sub-folders "
                f"included); every class of the split {root} needs at least one image."
            )
    return LabelledFiles(tuple(paths), tuple(labels))


def split_files(images: ImageFolders, split: str) -> LabelledFiles:
    """The image files of ``split`` (``"train"`` or ``"validation"``): the provider's list, else its folder's.

    Raises:
        UserError: as :func:`list_images`, for a folder.
    """
    listed = (images.file_lists or {}).get(split)
    if listed is not None:
        return LabelledFiles(*listed)
    folder = images.split_dir(split)
    assert folder is not None, f"the dataset has no {split} split"
    return list_images(folder, images.class_names)


def check_class_mode(class_mode: str, class_names: tuple[str, ...]) -> None:
    """Refuse ``binary`` labels for anything but two classes, and ``categorical`` for two.

    The built-in model has one sigmoid unit for 2 classes (it needs 0/1 labels) and one
    softmax unit per class for more (one-hot labels).

    Raises:
        UserError: when ``class_mode`` does not fit the number of classes.
    """
    count = len(class_names)
    if class_mode == "binary" and count != 2:
        raise UserError(
            f'pipeline class_mode = "binary" needs exactly 2 classes, the dataset has {count} '
            f'({", ".join(class_names)}); set class_mode = "categorical".'
        )
    if class_mode == "categorical" and count == 2:
        raise UserError(
            f'2 classes use class_mode = "binary" (one sigmoid unit), but the pipeline has '
            f'class_mode = "categorical" (one-hot labels for more than 2 classes) and the dataset has 2 '
            f'({", ".join(class_names)}); set class_mode = "binary".'
        )


def class_counts(labels: Sequence[int], classes: int) -> tuple[int, ...]:
    """Images per class, in label order, from each image's label."""
    counts = [0] * classes
    for label in labels:
        counts[int(label)] += 1
    return tuple(counts)


def resolve_steps(count: int, batch_size: int, steps: int | None) -> int:
    """Batches per epoch: ``steps`` when given, else one full pass (last batch partial)."""
    if steps is not None:
        if steps <= 0:
            raise UserError(f"steps must be positive, got {steps}.")
        return steps
    return max(1, math.ceil(count / batch_size))


def partial_validation_order(count: int, batch_size: int, steps: int, seed: int) -> list[int] | None:
    """A fixed, seeded order of the validation images when ``steps`` batches do not cover them all.

    Files are listed class by class, so the first batches of a partial pass would hold one
    class only (validation accuracy 1.0 on a model that is right 77% of the time). A seeded
    permutation makes the batches a fair sample, the same at every evaluation. ``None`` when
    the batches cover the whole set: then the order changes nothing and files stay in order.
    """
    if steps * batch_size >= count:
        return None
    import numpy as np

    return np.random.default_rng(seed).permutation(count).tolist()


class SizedPipeline(InputPipeline):
    """Base of the built-in pipelines: RGB images of ``params.image_size``."""

    def __init__(self, params: PipelineParams) -> None:
        self.params = params

    @property
    def input_shape(self) -> tuple[int, int, int]:
        height, width = self.params.image_size
        return (height, width, 3)

    def preprocessing(self) -> Preprocessing:
        """Nearest-neighbour resize to ``image_size``, RGB (alpha dropped), times ``rescale``."""
        from framework.api import Preprocessing

        height, width = self.params.image_size
        return Preprocessing(image_size=(height, width), rescale=self.params.rescale)


def untuned(tf: Any, dataset: Any) -> Any:
    """``dataset`` without tf.data's autotuning: every flow a built-in pipeline returns.

    An autotuned iterator, once dropped, often waits for its tuning thread's next wake-up
    (TensorFlow's period, doubling from 10 ms): ``model.fit`` returned 2.0-2.3 s late in 3 of
    12 runs (the training iterator), ``model.evaluate`` 0.6-1.1 s (tf-data) or 4.3-4.5 s
    (image-data-generator) late in about half the evaluations of the real validation set, and
    a bare ``Dataset.range(...).map(..., AUTOTUNE).prefetch(2)`` 2.1 s late in 6 of 20
    deletions. Untuned, never; parallel maps still use every core
    (docs/contributing/measurements.md, "The wait when an iterator is dropped").
    """
    options = tf.data.Options()
    options.autotune.enabled = False
    return dataset.with_options(options)


def usable_cores(limit: int = 8) -> int:
    """The cores this process may run on (its CPU affinity, as taskset or a container sets it), at most ``limit``."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(cores, limit))


def map_on_threads(function: Callable[[Item], Result], items: Sequence[Item]) -> list[Result]:
    """``[function(item) for item in items]`` on a few threads, in order, ``CHUNK`` items a task.

    For per-file work that releases the GIL in part (reading, hashing, Pillow's parsing).
    A task per chunk rather than per file: on 50,000 JPEGs, ``ThreadPoolExecutor.map`` with a
    future per file took 11 s to check them and 5.9 s to hash them, in chunks 6.5 s and 2.7 s.
    """
    from concurrent.futures import ThreadPoolExecutor

    chunks = [items[start : start + CHUNK] for start in range(0, len(items), CHUNK)]
    with ThreadPoolExecutor(max_workers=usable_cores()) as pool:
        done = pool.map(lambda chunk: [function(item) for item in chunk], chunks)
        return [result for results in done for result in results]
