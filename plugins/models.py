"""Built-in model: the tutorial's five-conv CNN with a sigmoid (or softmax) head."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from framework import ModelSpec, Params, Provider, hookimpl

STANDARDIZE = (
    "Standardize each image (zero mean, unit variance over its pixels) before the first convolution, "
    "so that the model does not depend on overall brightness and contrast."
)


def standardize_layer(keras: Any) -> Any:
    """Per-image standardization as a built-in (serializable) layer: layer normalization over H, W and C."""
    return keras.layers.LayerNormalization(axis=[1, 2, 3], center=False, scale=False, name="standardize")


class FiveConvParams(Params):
    """Parameters of ``five-conv-sigmoid``."""

    filters: tuple[int, int, int, int, int] = Field(
        (16, 32, 64, 64, 64), description="Filters of the five 3x3 conv layers, each followed by 2x2 max-pooling."
    )
    dense_units: int = Field(512, gt=0, description="Units of the hidden dense layer.")
    dropout: float = Field(0.0, ge=0.0, lt=1.0, description="Dropout before the hidden dense layer (0 = none).")
    standardize: bool = Field(False, description=STANDARDIZE)


def build_five_conv(params: FiveConvParams, spec: ModelSpec) -> Any:
    """Conv2D 16-32-64-64-64 (3x3, relu) + 2x2 max-pool each, Flatten, Dense 512, sigmoid.

    With two classes the head is one sigmoid unit (probability of the second class);
    with more, one softmax unit per class.
    """
    import keras

    layers: list[Any] = [keras.Input(shape=spec.input_shape)]
    if params.standardize:
        layers.append(standardize_layer(keras))
    for filters in params.filters:
        layers += [keras.layers.Conv2D(filters, (3, 3), activation="relu"), keras.layers.MaxPooling2D(2, 2)]
    layers.append(keras.layers.Flatten())
    if params.dropout:
        layers.append(keras.layers.Dropout(params.dropout))
    layers.append(keras.layers.Dense(params.dense_units, activation="relu"))
    layers.append(output_layer(keras, spec))
    return keras.Sequential(layers, name="five_conv")


def output_layer(keras: Any, spec: ModelSpec) -> Any:
    """One sigmoid unit for two classes, else one softmax unit per class.

    Always float32, whatever ``training.precision`` is: under a mixed policy the layers
    before it compute in bfloat16/float16, but probabilities and the loss stay float32
    (Keras' mixed-precision guide; the runner refuses a model whose output is not float32).
    """
    if spec.num_classes == 2:
        return keras.layers.Dense(1, activation="sigmoid", dtype="float32", name="output")
    return keras.layers.Dense(spec.num_classes, activation="softmax", dtype="float32", name="output")


def smallest_side(blocks: int) -> int:
    """The least height or width that ``blocks`` (3x3 valid conv + 2x2 pool) blocks leave at least 1 pixel of."""
    side = 1
    for _ in range(blocks):
        side = 2 * side + 2  # (side - 2) // 2 >= previous, solved for the least side
    return side


def check_five_conv_input(params: FiveConvParams, input_shape: tuple[int, int, int]) -> None:
    """Refuse images too small for five conv + pool blocks (at least 94x94)."""
    least = smallest_side(len(params.filters))
    height, width = input_shape[:2]
    if min(height, width) < least:
        raise ValueError(
            f"five 3x3 convolutions each followed by 2x2 pooling need images of at least {least}x{least}, "
            f"got {height}x{width}; set pipeline.image_size to at least [{least}, {least}]"
        )


@hookimpl
def hoh_model_providers() -> list[Provider]:
    return [
        Provider(
            "five-conv-sigmoid",
            FiveConvParams,
            build_five_conv,
            "The tutorial's CNN: five conv + max-pool blocks, Dense 512, sigmoid output.",
            check_input=check_five_conv_input,
        )
    ]
