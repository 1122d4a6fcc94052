"""The ``backbone`` model provider: a Keras Applications network with a new head, ready for staged fine-tuning.

The model is ``input -> Rescaling -> backbone (training=False) -> pooling -> dropout -> [dense] ->
output``. Everything an image needs between the pipeline and the network's first layer is in
the model itself: a ``Rescaling`` layer turns the pipeline's pixels (``0-255 x rescale``) into
the range the network's weights expect, and networks that normalize inside themselves (Keras'
``include_preprocessing``) keep doing so. So ``hoh predict``, ``hoh evaluate`` and
``hoh export`` apply exactly what training applied, from the saved model alone.

The network is a nested model named ``backbone`` (the provider declares ``backbone=True``), so
``[[training.stages]]`` can freeze it or unfreeze its top layers. With pretrained weights its
batch normalization layers are built frozen, so they keep ImageNet's statistics (inference
mode) in every stage, as Keras' transfer-learning guide advises; with ``weights = "none"``
they train as usual.

Example experiment::

    [model]
    provider = "backbone"
    architecture = "MobileNetV3Small"
    weights = "imagenet"          # or "none", or a path to a weights file

    [[training.stages]]
    epochs = 3
    train = "head"

    [[training.stages]]
    epochs = 5
    train = 30                    # the top 30 layers of the backbone, plus the head
    learning_rate_factor = 0.1
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator

from framework import ModelSpec, Params, Provider, UserError, hookimpl
from framework.api import weights_misfit
from plugins.backbones.architectures import ARCHITECTURES, Architecture
from plugins.backbones.weights import DIR_ENV, MIRROR_ENV, imagenet_weights
from plugins.models import output_layer


class BackboneParams(Params):
    """Parameters of ``backbone``."""

    architecture: str = Field(
        "MobileNetV3Small", description=f"The keras.applications network: {', '.join(ARCHITECTURES)}."
    )
    weights: str = Field(
        "imagenet",
        description='"imagenet" (pretrained, fetched once into the weights cache), "none" (random), or the path '
        "of a weights file of this network without its classifier (Keras .h5 or .weights.h5).",
    )
    weights_mirror: str | None = Field(
        None,
        description="Folder or http(s) URL holding ImageNet weights files under Keras' names and a SHA256SUMS "
        f"file; overrides ${MIRROR_ENV}. Default: Keras' origin, checked against Keras' published checksums.",
    )
    weights_dir: str | None = Field(
        None, description=f"Weights cache folder. Default: ${DIR_ENV}, else the user cache folder + hoh/weights."
    )
    pooling: Literal["avg", "max"] = Field("avg", description="Global pooling of the backbone's last feature map.")
    dropout: float = Field(0.2, ge=0.0, lt=1.0, description="Dropout before the head's dense layers (0 = none).")
    dense_units: int = Field(0, ge=0, description="Units of a hidden dense layer in the head (0 = none).")
    batch_norm_momentum: float | None = Field(
        None,
        gt=0,
        lt=1,
        description="Momentum of the backbone's batch normalization statistics (default: the network's own, "
        "0.999 for MobileNetV3). Trained from scratch for a few hundred steps, 0.999 leaves the statistics "
        "near their initial values and the model predicts one class; 0.9 settles within ~50 steps.",
    )

    @field_validator("architecture")
    @classmethod
    def _known_architecture(cls, value: str) -> str:
        if value in ARCHITECTURES:
            return value
        by_lower = {name.lower(): name for name in ARCHITECTURES}
        close = (
            [by_lower[value.lower()]]
            if value.lower() in by_lower
            else difflib.get_close_matches(value, list(ARCHITECTURES), n=1, cutoff=0.5)
        )
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise ValueError(f"{value!r} is not an architecture hoh offers; {hint}Offered: {', '.join(ARCHITECTURES)}")

    @field_validator("weights")
    @classmethod
    def _weights_file_exists(cls, value: str) -> str:
        if value in ("imagenet", "none"):
            return value
        path = Path(value).expanduser()
        if not path.is_file():
            raise ValueError(
                f'{value!r} is neither "imagenet", "none", nor an existing weights file (looked for {path.resolve()})'
            )
        if not path.name.endswith(".h5"):
            raise ValueError(f"{value!r}: weights files are Keras .h5 or .weights.h5 files")
        return value


def build_backbone_model(params: BackboneParams, spec: ModelSpec) -> Any:
    """The backbone (weights loaded), wrapped as the nested model ``backbone``, with its rescaling and head."""
    import keras

    arch = ARCHITECTURES[params.architecture]
    network = _network(keras, arch, spec.input_shape)
    _load_weights(network, arch, params, spec)
    backbone = keras.Model(network.input, network.output, name="backbone")
    norms = [layer for layer in backbone.layers if isinstance(layer, keras.layers.BatchNormalization)]
    if params.batch_norm_momentum is not None:
        for layer in norms:
            layer.momentum = params.batch_norm_momentum
    if params.weights != "none":
        # Pretrained batch normalization keeps its statistics in every stage (Keras' transfer-learning
        # guide). Keras 3 runs it in inference mode only when it is frozen: fit's training=True
        # overrides a backbone(x, training=False) call. The runner keeps layers built frozen frozen.
        for layer in norms:
            layer.trainable = False

    inputs = keras.Input(shape=spec.input_shape, name="image")
    x = inputs
    scale, offset = _rescaling(arch, spec.rescale)
    if (scale, offset) != (1.0, 0.0):
        x = keras.layers.Rescaling(scale, offset, name="to_backbone_range", dtype="float32")(x)
    x = backbone(x)
    pool = keras.layers.GlobalAveragePooling2D if params.pooling == "avg" else keras.layers.GlobalMaxPooling2D
    x = pool(name="pool")(x)
    if params.dropout:
        x = keras.layers.Dropout(params.dropout, name="head_dropout")(x)
    if params.dense_units:
        x = keras.layers.Dense(params.dense_units, activation="relu", name="head_dense")(x)
    return keras.Model(inputs, output_layer(keras, spec)(x), name=f"backbone_{arch.name}")


def check_backbone_input(params: BackboneParams, input_shape: tuple[int, int, int]) -> None:
    """Refuse images smaller than the network takes, or not RGB."""
    arch = ARCHITECTURES[params.architecture]
    height, width, channels = input_shape
    if min(height, width) < arch.min_side:
        raise ValueError(
            f"{arch.name} needs images of at least {arch.min_side}x{arch.min_side}, got {height}x{width}; set "
            f"pipeline.image_size to at least [{arch.min_side}, {arch.min_side}]"
        )
    if channels != 3:
        raise ValueError(f"{arch.name} takes RGB images (3 channels), got {channels}")


def _network(keras: Any, arch: Architecture, input_shape: tuple[int, int, int]) -> Any:
    """The network without its classifier and without weights (they are loaded by :func:`_load_weights`)."""
    constructor = getattr(keras.applications, arch.name)
    return constructor(include_top=False, weights=None, input_shape=input_shape)


def _load_weights(network: Any, arch: Architecture, params: BackboneParams, spec: ModelSpec) -> None:
    if params.weights == "none":
        return
    if params.weights == "imagenet":
        from rich.console import Console

        path = imagenet_weights(
            arch,
            mirror=params.weights_mirror,
            weights_dir=params.weights_dir,
            offline=spec.offline,
            console=Console(stderr=True),
        )
    else:
        path = Path(params.weights).expanduser()
    problem = weights_misfit(network, path)
    if problem:
        raise UserError(
            f"the weights file {path} does not fit {arch.name} without its classifier ({problem}). "
            f"Use a file saved from keras.applications.{arch.name}(include_top=False)."
        )


def _rescaling(arch: Architecture, rescale: float | None) -> tuple[float, float]:
    """``(scale, offset)`` from the pipeline's pixels (``0-255 x rescale``) to what ``arch`` expects.

    A pipeline that does not record its rescale is taken to give 0-1 pixels, hoh's convention.
    """
    to_255 = 1.0 / (rescale if rescale is not None else 1 / 255)
    if arch.pixels == "-1..1":  # Keras' preprocess_input, mode "tf": x / 127.5 - 1
        return to_255 / 127.5, -1.0
    return to_255, 0.0


@hookimpl
def hoh_model_providers() -> list[Provider]:
    return [
        Provider(
            "backbone",
            BackboneParams,
            build_backbone_model,
            "A keras.applications network (MobileNetV3, EfficientNetV2, ResNet50V2, ConvNeXtTiny, InceptionV3), "
            "ImageNet weights or none, with a new head; [[training.stages]] fine-tune it in stages.",
            check_input=check_backbone_input,
            backbone=True,
        )
    ]
