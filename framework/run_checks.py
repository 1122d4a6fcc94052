"""Checks made before a run does any work: what the pipeline, model and loss must agree on.

Each raises a :class:`~framework.errors.UserError` that names the setting to change.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from framework.class_weights import resolve_class_weight
from framework.errors import EnvironmentProblem, PluginError, UserError
from framework.loading import Loaded
from framework.memory import TrainingMemory, available_memory, training_memory_floor
from framework.providers import DatasetContext, Flows, ImageFolders, InputPipeline, Kind
from framework.registry import build
from framework.stages import Stage, needs_backbone, plan


def check_model_input(loaded: Loaded, pipeline: InputPipeline | None = None) -> None:
    """The model provider's ``check_input`` on the pipeline's images, as a :class:`UserError` naming the provider."""
    provider = loaded.registry.get(Kind.MODEL, loaded.experiment.model.provider)
    if provider.check_input is None:
        return
    if pipeline is None:
        choice = loaded.experiment.pipeline
        pipeline = build(loaded.registry, Kind.PIPELINE, choice)
    try:
        provider.check_input(loaded.experiment.model.params, tuple(pipeline.input_shape))
    except ValueError as error:
        raise UserError(f"model {provider.name!r} cannot take the pipeline's images: {error}.") from None
    except Exception as error:  # the plugin's own bug: named, without a traceback (--debug shows it)
        plugin = loaded.registry.find(Kind.MODEL, provider.name)
        raise PluginError(
            f"model provider {provider.name!r} (plugin {plugin.plugin if plugin else '?'!r}): its check_input failed "
            f"with {type(error).__name__}: {str(error)[:300]}. A check_input raises ValueError to refuse a shape."
        ) from error


def check_before_work(loaded: Loaded) -> None:
    """Every check that needs neither data nor TensorFlow: ``hoh validate`` and ``hoh-run`` make them alike."""
    pipeline = build(loaded.registry, Kind.PIPELINE, loaded.experiment.pipeline)
    check_model_input(loaded, pipeline)
    check_stages_fit_model(loaded)
    check_batch_memory(loaded, pipeline)


def check_monitor_has_validation(training: Any, flows: Flows) -> None:
    """Refuse ``training.keep = "best"`` by a ``val_`` metric in a run without a validation set.

    Raises:
        UserError: naming training.monitor and what would do instead.
    """
    if training.keep == "best" and training.monitor.startswith("val_") and flows.validation is None:
        raise UserError(
            f"training.keep = 'best' picks the best epoch by training.monitor = {training.monitor!r}, but this run "
            "has no validation set (its dataset settings give no validation split or folder). Set "
            f"training.monitor = {training.monitor.removeprefix('val_')!r}, training.keep = 'last', or give the "
            "dataset a validation set."
        )


def check_local_dataset(loaded: Loaded, console: Any) -> ImageFolders | None:
    """Build a dataset whose provider is :attr:`~framework.providers.Provider.local`, as ``hoh-run`` will.

    Returns its images, or ``None`` for a provider that may fetch (nothing is fetched here).

    Raises:
        UserError: the provider's own, naming the folder or class at fault.
        EnvironmentProblem: when a folder cannot be read.
    """
    if not loaded.registry.get(Kind.DATASET, loaded.experiment.dataset.provider).local:
        return None
    try:
        return build(loaded.registry, Kind.DATASET, loaded.experiment.dataset, DatasetContext(console, offline=True))
    except OSError as error:  # a folder that cannot be read (permissions): the machine's, not the file's
        where = f"{error.filename}: " if error.filename else ""
        raise EnvironmentProblem(f"{where}{error.strerror or error}; the dataset's folders cannot be read.") from error


def check_class_weight_names(loaded: Loaded, console: Any, images: ImageFolders | None = None) -> bool | None:
    """Refuse a ``training.class_weight`` table naming a class the dataset lacks, when the data is here already.

    Checks against ``images``, else builds the dataset offline (it never downloads). Returns whether
    a table was checked: ``None`` without a table, ``False`` when the dataset is not available
    offline (the run checks the table once the data is there, before training).

    Raises:
        UserError: naming each unknown class, with "did you mean", and the dataset's classes.
    """
    table = loaded.experiment.training.class_weight
    if not isinstance(table, dict):
        return None
    if images is None:
        try:
            context = DatasetContext(console, offline=True)
            images = build(loaded.registry, Kind.DATASET, loaded.experiment.dataset, context)
        except (UserError, EnvironmentProblem):
            return False
    resolve_class_weight(table, images.class_names, [])
    return True


def check_stages_fit_model(loaded: Loaded) -> None:
    """Refuse ``[[training.stages]]`` that freeze a backbone when the model provider declares none."""
    stages = plan(loaded.experiment.training)
    provider = loaded.registry.get(Kind.MODEL, loaded.experiment.model.provider)
    if provider.backbone or not needs_backbone(stages):
        return
    stage = next(stage for stage in stages if stage.train != "all")
    raise UserError(
        f"[[training.stages]] stage {stage.number} trains {stage.describe()}, but model {provider.name!r} has no "
        f'backbone to freeze. Use a model with one (provider = "backbone"), or train = "all" in every stage.'
    )


def _size(count: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB", "PB"):
        if count < 1000 or unit == "PB":
            return f"{count:.0f} {unit}" if unit == "bytes" else f"{count:.1f} {unit}"
        count /= 1000
    return f"{count:.1f} PB"  # pragma: no cover


def check_batch_memory(loaded: Loaded, pipeline: InputPipeline, available: int | None = None) -> None:
    """Refuse a batch whose pixels alone, as float32, do not fit in the memory left (a lower bound of training's).

    Training holds at least one batch of input pixels, the first layer's activations and their
    gradients; so a batch whose float32 pixels alone exceed the memory left cannot train, and
    would fail deep inside TensorFlow with an out-of-memory message. The model's own needs come
    on top: this refuses the impossible, not everything that will not fit.
    """
    params = loaded.experiment.pipeline.params
    batch = max(getattr(params, "batch_size", 1) or 1, getattr(params, "validation_batch_size", 1) or 1)
    height, width, channels = (int(n) for n in pipeline.input_shape)
    needed = batch * height * width * channels * 4
    if available is None:
        found = available_memory()
        available = found[0] if found else None
    if available is None or needed <= available:
        return
    raise UserError(
        f"pipeline.image_size = [{height}, {width}] with batches of {batch} images needs {_size(needed)} for the "
        f"pixels of one batch alone (float32), more than the {_size(available)} of memory available here; "
        "training could not start. Use a smaller pipeline.image_size or pipeline.batch_size."
    )


#: Training took 2.0-4.8x :func:`~framework.memory.training_memory_floor` in measurements: a run whose
#: floor times this does not fit is warned that the kernel may kill it.
LIKELY_FACTOR = 2.0


def check_training_memory(
    model: Any,
    batch_size: int,
    console: Any,
    available: int | None = None,
    *,
    stages: Sequence[Stage] = (),
    apply: Callable[[Stage], None] | None = None,
) -> None:
    """Refuse a model whose training cannot fit in the memory left; warn when it likely will not.

    Runs once the model is built, before the first step: the kernel kills a process that runs
    out of memory with no message (``Killed``, exit 137), so the run would just stop, in a
    staged run perhaps hours in, when a later stage unfreezes the backbone. With ``stages``
    and ``apply`` (which sets a stage's trainable layers), every stage is checked and the
    one that needs the most is named; the model is left set for the last stage. Not on a
    GPU, where training's tensors are in the GPU's memory.

    Raises:
        UserError: when :func:`~framework.memory.training_memory_floor` alone exceeds the memory left.
    """
    if available is None:
        found = available_memory()
        if found is None:
            return
        available, source = found
    else:
        source = "available"
    try:
        import tensorflow as tf

        if tf.config.list_logical_devices("GPU"):  # activations and weights live in the GPU's memory, not here
            return
        floor, stage = _largest_floor(model, batch_size, stages, apply)
    except UserError:
        raise
    except Exception:  # a model this estimate cannot read: no check rather than no run
        return
    which = f"stage {stage.number} ({stage.describe()}, from epoch {stage.first + 1}) of " if stage else ""
    need = (
        f"{which}training this model on batches of {batch_size} needs at least {_size(floor.total)} "
        f"(the outputs of its trainable layers for a batch: {_size(floor.activations)}; weights and gradients: "
        f"{_size(floor.weights)}), and measured runs took 2 to 5 times that"
    )
    if floor.total > available:
        raise UserError(
            f"{need}, but only {_size(available)} of memory is {source}: the kernel would kill the run. Lower "
            "pipeline.batch_size (memory grows with it), or pipeline.image_size, or give the run more memory."
        )
    if LIKELY_FACTOR * floor.total > available:
        console.print(
            f"warning: {need}; {_size(available)} of memory is {source}. If the run stops with 'Killed' (exit "
            "137), it ran out of memory: lower pipeline.batch_size.",
            markup=False,
            highlight=False,
        )


def _largest_floor(
    model: Any, batch_size: int, stages: Sequence[Stage], apply: Callable[[Stage], None] | None
) -> tuple[TrainingMemory, Stage | None]:
    """The model's floor as it is, or (``stages``) the largest of its stages' floors and that stage."""
    if not stages or apply is None:
        return training_memory_floor(model, batch_size), None
    floors = []
    for stage in stages:
        apply(stage)
        floors.append((training_memory_floor(model, batch_size), stage))
    return max(floors, key=lambda pair: pair[0].total)


def _label_width(flows: Flows) -> int | None:
    """Values per image in the labels: 1 (one 0/1 label) or N (one-hot); ``None`` when not known before training."""
    spec = getattr(flows.train, "element_spec", None)
    shape = getattr(spec[1], "shape", None) if isinstance(spec, tuple) and len(spec) >= 2 else None
    if shape is None:
        return None  # not a tf.data flow: nothing to look at before training
    return int(shape[-1]) if shape.rank == 2 and (shape[-1] or 0) > 1 else 1


def check_model_fits_labels(model: Any, flows: Flows, provider: str) -> None:
    """Refuse a model whose output does not fit the labels' form, before training (Keras fails mid-fit).

    One label per image (binary) needs one output unit; one-hot labels of N classes need N.
    """
    wanted = _label_width(flows)
    output = getattr(model, "output_shape", None)
    if wanted is None or not isinstance(output, tuple) or not output:
        return  # not a tf.data flow, or a model with several outputs: nothing to compare before training
    units = output[-1]
    if units is None or units == wanted:
        return
    one_hot = wanted > 1
    labels = f"one-hot labels of {wanted} classes" if one_hot else 'one 0/1 label per image (class_mode = "binary")'
    fix = (
        f"make the model end in {wanted} units (softmax)"
        if one_hot
        else "make the model end in 1 unit with a sigmoid (two classes are one 0/1 label per image)"
    )
    raise UserError(f"model {provider!r} outputs {units} values per image, but the pipeline gives {labels}; {fix}.")


ONE_LABEL_LOSSES = frozenset({"binary_crossentropy", "bce", "binary_focal_crossentropy"})
ONE_HOT_LOSSES = frozenset({"categorical_crossentropy", "categorical_focal_crossentropy"})


def check_loss_fits_labels(loss: str, flows: Flows) -> None:
    """Refuse a cross-entropy that does not fit the labels' form, before training (Keras would train on).

    Binary cross-entropy on one-hot labels of several classes trains a multi-label model
    without a word; categorical cross-entropy on 0/1 labels fails after the first batch.
    """
    width = _label_width(flows)
    if width is None:
        return
    one_hot = width > 1
    if one_hot and loss in ONE_LABEL_LOSSES:
        raise UserError(
            f"training.loss = {loss!r} needs one 0/1 label per image, but the pipeline gives one-hot labels of "
            f'{width} classes (class_mode = "categorical"); use loss = "categorical_crossentropy".'
        )
    if not one_hot and loss in ONE_HOT_LOSSES:
        raise UserError(
            f"training.loss = {loss!r} needs one-hot labels, but the pipeline gives one label per image "
            f'(class_mode = "binary"); use loss = "binary_crossentropy", or class_mode = "categorical" with more '
            "than 2 classes."
        )
