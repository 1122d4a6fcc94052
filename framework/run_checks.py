"""Checks made before a run does any work: what the pipeline, model and loss must agree on.

Each raises a :class:`~framework.errors.UserError` that names the setting to change.
"""

from __future__ import annotations

from framework.config.loader import Loaded
from framework.errors import UserError
from framework.plugin_manager import build
from framework.providers import Flows, InputPipeline, Kind


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


ONE_LABEL_LOSSES = frozenset({"binary_crossentropy", "bce", "binary_focal_crossentropy"})
ONE_HOT_LOSSES = frozenset({"categorical_crossentropy", "categorical_focal_crossentropy"})


def check_loss_fits_labels(loss: str, flows: Flows) -> None:
    """Refuse a cross-entropy that does not fit the labels' form, before training (Keras would train on).

    Binary cross-entropy on one-hot labels of several classes trains a multi-label model
    without a word; categorical cross-entropy on 0/1 labels fails after the first batch.
    """
    spec = getattr(flows.train, "element_spec", None)
    if not isinstance(spec, tuple) or len(spec) < 2 or getattr(spec[1], "shape", None) is None:
        return  # not a tf.data flow: nothing to look at before training
    shape = spec[1].shape
    one_hot = shape.rank == 2 and (shape[-1] or 0) > 1
    if one_hot and loss in ONE_LABEL_LOSSES:
        raise UserError(
            f"training.loss = {loss!r} needs one 0/1 label per image, but the pipeline gives one-hot labels of "
            f'{shape[-1]} classes (class_mode = "categorical"); use loss = "categorical_crossentropy".'
        )
    if not one_hot and loss in ONE_HOT_LOSSES:
        raise UserError(
            f"training.loss = {loss!r} needs one-hot labels, but the pipeline gives one label per image "
            f'(class_mode = "binary"); use loss = "binary_crossentropy", or class_mode = "categorical" with more '
            "than 2 classes."
        )
