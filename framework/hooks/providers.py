"""Provider hooks: each returns the providers a plugin offers for one part of an experiment.

A provider is a :class:`framework.providers.Provider`: a name, a pydantic model of its
parameters and a factory. An experiment file picks one provider per section with
``provider = "name"``; every other key of that table is validated by the provider's
parameter model and handed to its factory.

Factories are called only when a run needs them, so plugin modules stay cheap to
import: import TensorFlow or Keras inside the factory, never at module level.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from framework.markers import hookspec

if TYPE_CHECKING:
    from framework.providers import Provider


@hookspec
def hoh_dataset_providers() -> list[Provider]:
    """Offer sources of labelled images.

    The factory is called as ``factory(params, context)`` with the validated
    parameters and a :class:`framework.providers.DatasetContext`, and returns
    :class:`framework.providers.ImageFolders`: a training folder and an optional
    validation folder, each holding one sub-folder of images per class.

    Returns:
        The dataset providers this plugin offers (an empty list for none).
    """


@hookspec
def hoh_pipeline_providers() -> list[Provider]:
    """Offer input pipelines: how image folders become batches.

    The factory is called as ``factory(params)`` and returns a
    :class:`framework.providers.InputPipeline`, which builds training and
    validation batches from :class:`framework.providers.ImageFolders` and loads
    single images with the same preprocessing for prediction.

    Returns:
        The pipeline providers this plugin offers (an empty list for none).
    """


@hookspec
def hoh_model_providers() -> list[Provider]:
    """Offer model architectures.

    The factory is called as ``factory(params, spec)`` with a
    :class:`framework.providers.ModelSpec` (input shape and class names) and returns
    an uncompiled ``keras.Model``. For two classes the model should end in one
    sigmoid unit; for more, in ``len(spec.class_names)`` softmax units.

    Returns:
        The model providers this plugin offers (an empty list for none).
    """


@hookspec
def hoh_optimizer_providers() -> list[Provider]:
    """Offer optimizers.

    The factory is called as ``factory(params)`` and returns a
    ``keras.optimizers.Optimizer``.

    Returns:
        The optimizer providers this plugin offers (an empty list for none).
    """


@hookspec
def hoh_strategy_providers() -> list[Provider]:
    """Offer distribution strategies: how training is spread over devices (``[strategy]``).

    The factory is called as ``factory(params)`` in phase ``configure``, before anything
    is built, and returns a ``tf.distribute.Strategy``; the model, optimizer and
    ``compile`` then happen inside its ``scope()``. The batch sizes in the experiment
    file are global: a strategy splits each batch between its replicas. Left out, the
    section is ``provider = "default"``.

    Returns:
        The strategy providers this plugin offers (an empty list for none).
    """


@hookspec
def hoh_callback_providers() -> list[Provider]:
    """Offer Keras callbacks, enabled per experiment with ``[[callbacks]]`` tables.

    The factory is called as ``factory(params, run)`` with the
    :class:`framework.providers.RunContext` of the run (run folder, seed, console)
    and returns a ``keras.callbacks.Callback``.

    Returns:
        The callback providers this plugin offers (an empty list for none).
    """
