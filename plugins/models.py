"""Built-in model: the tutorial's five-conv CNN with a sigmoid (or softmax) head."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from framework import ModelSpec, Params, Provider, hookimpl


class FiveConvParams(Params):
    """Parameters of ``five-conv-sigmoid``."""

    filters: tuple[int, int, int, int, int] = Field(
        (16, 32, 64, 64, 64), description="Filters of the five 3x3 conv layers, each followed by 2x2 max-pooling."
    )
    dense_units: int = Field(512, gt=0, description="Units of the hidden dense layer.")
    dropout: float = Field(0.0, ge=0.0, lt=1.0, description="Dropout before the hidden dense layer (0 = none).")


def build_five_conv(params: FiveConvParams, spec: ModelSpec) -> Any:
    """Conv2D 16-32-64-64-64 (3x3, relu) + 2x2 max-pool each, Flatten, Dense 512, sigmoid.

    With two classes the head is one sigmoid unit (probability of the second class);
    with more, one softmax unit per class.
    """
    import keras

    layers: list[Any] = [keras.Input(shape=spec.input_shape)]
    for filters in params.filters:
        layers += [keras.layers.Conv2D(filters, (3, 3), activation="relu"), keras.layers.MaxPooling2D(2, 2)]
    layers.append(keras.layers.Flatten())
    if params.dropout:
        layers.append(keras.layers.Dropout(params.dropout))
    layers.append(keras.layers.Dense(params.dense_units, activation="relu"))
    if spec.num_classes == 2:
        layers.append(keras.layers.Dense(1, activation="sigmoid"))
    else:
        layers.append(keras.layers.Dense(spec.num_classes, activation="softmax"))
    return keras.Sequential(layers, name="five_conv")


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
