"""Example plugin (shown in docs/how-to/plugins.md): a model provider named ``wide-cnn``."""

from pydantic import Field

from framework import ModelSpec, Params, Provider, hookimpl


class WideParams(Params):
    filters: int = Field(64, gt=0, description="Filters of each conv layer.")
    blocks: int = Field(3, ge=1, le=6, description="Conv + max-pool blocks.")


def build_wide(params: WideParams, spec: ModelSpec):
    import keras  # import TensorFlow/Keras inside factories: listing plugins stays fast

    model = keras.Sequential([keras.Input(spec.input_shape)])
    for _ in range(params.blocks):
        model.add(keras.layers.Conv2D(params.filters, 3, activation="relu"))
        model.add(keras.layers.MaxPooling2D(2))
    model.add(keras.layers.GlobalAveragePooling2D())
    model.add(keras.layers.Dense(1, activation="sigmoid"))
    return model


@hookimpl
def hoh_model_providers():
    return [Provider("wide-cnn", WideParams, build_wide, "Wide conv blocks, global pooling.")]
