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


@hookimpl
def hoh_model_providers() -> list[Provider]:
    return [
        Provider(
            "five-conv-sigmoid",
            FiveConvParams,
            build_five_conv,
            "The tutorial's CNN: five conv + max-pool blocks, Dense 512, sigmoid output.",
        )
    ]
