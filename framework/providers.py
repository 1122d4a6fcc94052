"""Provider objects and the values that pass between them.

A plugin offers providers through the hooks in :mod:`framework.hooks.providers`.
A whole model plugin fits in one small file::

    from framework import Params, Provider, hookimpl


    class WideParams(Params):
        filters: int = Field(64, gt=0, description="Filters of the only conv layer.")


    def build_wide(params: WideParams, spec):
        import keras  # imported lazily: listing plugins must not load TensorFlow

        return keras.Sequential([
            keras.Input(spec.input_shape),
            keras.layers.Conv2D(params.filters, 3, activation="relu"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(1, activation="sigmoid"),
        ])


    @hookimpl
    def hoh_model_providers():
        return [Provider("wide", WideParams, build_wide, "One wide conv layer.")]
"""

from __future__ import annotations

import abc
import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from framework.images import list_images

if TYPE_CHECKING:
    import numpy as np
    from rich.console import Console

    from framework.preprocessing import Preprocessing


class Kind(enum.Enum):
    """The parts of an experiment that providers fill, with their hook, section and factory arguments."""

    DATASET = ("dataset", "hoh_dataset_providers", ("params", "context"))
    PIPELINE = ("pipeline", "hoh_pipeline_providers", ("params",))
    MODEL = ("model", "hoh_model_providers", ("params", "spec"))
    OPTIMIZER = ("optimizer", "hoh_optimizer_providers", ("params",))
    STRATEGY = ("strategy", "hoh_strategy_providers", ("params",), "default")
    CALLBACK = ("callbacks", "hoh_callback_providers", ("params", "run"))

    def __init__(self, section: str, hook: str, factory_args: tuple[str, ...], default: str | None = None) -> None:
        self.section = section
        self.hook = hook
        self.factory_args = factory_args
        """What the runner passes to a factory of this kind, positionally."""
        self.default = default
        """The provider a left-out section means (``None``: the section is required)."""

    @property
    def many(self) -> bool:
        """Whether an experiment lists any number of these (``[[callbacks]]``) rather than one."""
        return self is Kind.CALLBACK

    @property
    def label(self) -> str:
        """Singular, human-readable name of the kind (``"callback"``)."""
        return self.section.rstrip("s")


class Params(BaseModel):
    """Base class of provider parameter models: unknown keys are errors, and so are NaN and infinities."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class NoParams(Params):
    """Parameter model of a provider that takes no parameters."""


@dataclass(frozen=True)
class Provider:
    """One named thing a plugin offers: a parameter model and a factory.

    Args:
        name: The name experiment files use in ``provider = "..."``.
        params: Pydantic model (subclass of :class:`Params`) of the parameters.
        factory: Builds the thing; its arguments depend on the kind (see the hooks).
        description: One line shown by ``hoh plugins``.
        check_input: Model providers only, optional: ``check_input(params, input_shape)`` raises
            ``ValueError`` saying why the model cannot take images of ``input_shape``
            (``(height, width, channels)``). The runner calls it before any data is fetched.
        backbone: Model providers only: the model holds its pretrained part as a nested model
            named ``"backbone"``, which ``[[training.stages]]`` may freeze (``train = "head"``)
            or partly unfreeze (``train = N``); ``hoh validate`` refuses such stages otherwise.
        resumable: Callback providers only: the callback saves the training state that
            ``hoh-run --resume`` continues from. Its factory, on a resumed run, cuts
            ``run.history`` back to the epochs that state holds; training starts after them.
        progress: Callback providers only: the callback shows training progress. ``[training]
            progress = "auto"`` (the default) adds the one installed provider that says so.
        local: Dataset providers only: the factory reads files that are already here and never
            fetches (no download, copy or extraction), so ``hoh validate`` builds it, checking the
            data (folders, classes, splits) before any work as ``hoh-run`` will.
    """

    name: str
    params: type[Params]
    factory: Callable[..., Any]
    description: str = ""
    check_input: Callable[[Any, tuple[int, int, int]], None] | None = None
    backbone: bool = False
    resumable: bool = False
    progress: bool = False
    local: bool = False


@dataclass(frozen=True)
class ImageFolders:
    """Labelled images on disk: one sub-folder per class, in each split.

    Attributes:
        train_dir: Folder of training images (``train_dir/<class>/<image>``).
        validation_dir: Folder of validation images, or ``None`` when there is none.
        class_names: Class names in label order (sorted sub-folder names).
        label_names: What a prediction calls each class (``"horse"`` for the folder
            ``horses``), in label order; ``None`` means the class names.
        test_dir: Folder of held-out test images that training never reads (``hoh evaluate RUN
            --split test``), or ``None``.
        file_lists: Explicit images of some splits (``"train"``, ``"validation"``, ``"test"``), each
            ``(paths, labels)``: such a split is these files, not its folder's. Set by a provider
            that splits one folder; the runner records them in the run's ``splits.json``.
    """

    train_dir: Path
    validation_dir: Path | None
    class_names: tuple[str, ...]
    label_names: tuple[str, ...] | None = None
    test_dir: Path | None = None
    file_lists: dict[str, tuple[tuple[Path, ...], tuple[int, ...]]] | None = None

    def split_dir(self, split: str) -> Path | None:
        """The folder of ``split`` (``"train"``, ``"validation"`` or ``"test"``), or ``None``."""
        return {"train": self.train_dir, "validation": self.validation_dir, "test": self.test_dir}[split]

    def has_split(self, split: str) -> bool:
        """Whether the dataset has images for ``split`` (``"train"``, ``"validation"`` or ``"test"``)."""
        return self.split_dir(split) is not None or split in (self.file_lists or {})

    def files_by_class(self, split: str) -> list[list[Path]] | None:
        """The image files of ``split`` of each class, in label order; ``None`` without such a split.

        A split in ``file_lists`` is those files, sorted; else its folder's (:func:`~framework.images.list_images`).
        """
        if split in (self.file_lists or {}):
            paths, labels = self.file_lists[split]  # type: ignore[index]
            return [
                sorted(p for p, label in zip(paths, labels, strict=True) if label == i)
                for i in range(len(self.class_names))
            ]
        folder = self.split_dir(split)
        return None if folder is None else [list_images(folder / name) for name in self.class_names]

    @property
    def labels(self) -> tuple[str, ...]:
        """Names for predictions, in label order: ``label_names``, else ``class_names``."""
        return self.label_names or self.class_names


@dataclass(frozen=True)
class DatasetContext:
    """What a dataset factory may use besides its parameters.

    Attributes:
        console: Where to report progress (downloads, extraction).
        offline: When true, the factory must not touch the network.
    """

    console: Console
    offline: bool = False


@dataclass(frozen=True)
class Flows:
    """Batches ready for ``keras.Model.fit``.

    Attributes:
        train: Training batches. Infinite (repeated) when ``steps_per_epoch`` was
            asked for, so that every epoch trains exactly that many batches.
        steps_per_epoch: Batches per training epoch.
        validation: Validation batches, or ``None``. Finite: exactly ``validation_steps``
            batches, the same at every evaluation (Keras then starts a fresh pass over
            them each epoch; an endless validation stream makes Keras 3 keep one
            iterator across epochs, which stalled training for seconds per epoch here).
        validation_steps: Batches per validation, or ``None`` when there is no validation.
        train_count: Number of training images.
        validation_count: Number of validation images.
        validation_batch_size: Optional. Images per validation batch (the last batch of a
            pass may hold fewer); lets the runner say whether ``validation_steps`` batches
            score the validation set once, part of it, or some images more than once.
        explain_failure: Optional. Called by the runner when training raises an error that is
            not the user's (such as TensorFlow's ``InvalidArgumentError`` from a decoder); returns
            a message that names the input files at fault, or ``None``. Lets a pipeline check
            cheaply before training and explain a failure only when one happens.
        train_class_counts: Training images per class, in label order; needed by
            ``[training] class_weight = "balanced"``. Empty when the pipeline does not count them.
        notes: Lines the runner prints before training: what the pipeline chose and why
            (such as where decoded images are kept).
    """

    train: Any
    steps_per_epoch: int
    validation: Any | None = None
    validation_steps: int | None = None
    train_count: int = 0
    validation_count: int = 0
    validation_batch_size: int | None = None
    explain_failure: Callable[[BaseException], str | None] | None = None
    train_class_counts: tuple[int, ...] = ()
    notes: tuple[str, ...] = ()


class InputPipeline(abc.ABC):
    """Turns :class:`ImageFolders` into batches; returned by pipeline factories."""

    @property
    @abc.abstractmethod
    def input_shape(self) -> tuple[int, int, int]:
        """Shape of one image as the model sees it: ``(height, width, channels)``."""

    @abc.abstractmethod
    def flows(
        self,
        images: ImageFolders,
        *,
        seed: int,
        steps_per_epoch: int | None,
        validation_steps: int | None,
    ) -> Flows:
        """Build training and validation batches.

        Args:
            images: The dataset's folders and class names.
            seed: Seed for shuffling and augmentation.
            steps_per_epoch: Batches per epoch; ``None`` means one full pass.
            validation_steps: Validation batches; ``None`` means one full pass.

        Returns:
            The batches, with the resolved step counts.
        """

    @abc.abstractmethod
    def load_images(self, paths: Sequence[Path]) -> np.ndarray:
        """Load image files exactly as training sees them, without augmentation.

        Raises:
            ValueError: naming the file, when one is not a readable image.
        """

    def preprocessing(self) -> Preprocessing | None:
        """What :meth:`load_images` does, as data, or ``None`` when it cannot be described so.

        The runner records it in the run folder, so that ``hoh predict``, ``hoh evaluate``
        and ``hoh export`` work without this pipeline's plugin. A pipeline that returns
        ``None`` is needed (installed) whenever its runs are used for inference.
        """
        return None


@dataclass(frozen=True)
class ModelSpec:
    """What a model factory needs to know about its input and output.

    Attributes:
        input_shape: ``(height, width, channels)`` of the pipeline's images.
        class_names: Class names in label order.
        rescale: The pipeline's images are the files' 0-255 pixel values times this (its recorded
            :class:`~framework.preprocessing.Preprocessing`); ``None`` when the pipeline does not say.
            A model whose weights expect another range converts inside itself, so that whatever
            runs the saved model (predict, evaluate, export) applies the same.
        offline: ``hoh-run --offline``: the factory must not touch the network (pretrained weights).
    """

    input_shape: tuple[int, int, int]
    class_names: tuple[str, ...]
    rescale: float | None = None
    offline: bool = False

    @property
    def num_classes(self) -> int:
        return len(self.class_names)
