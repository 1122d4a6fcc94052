"""Built-in optimizers: RMSprop (the tutorial's), Adam and SGD."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from framework import Params, Provider, hookimpl


class RMSpropParams(Params):
    learning_rate: float = Field(0.001, gt=0, description="Step size.")
    rho: float = Field(0.9, gt=0, lt=1, description="Discounting factor of the moving average of squared gradients.")
    momentum: float = Field(0.0, ge=0, lt=1, description="Momentum.")
    epsilon: float = Field(1e-7, gt=0, description="Small constant for numerical stability.")


class AdamParams(Params):
    learning_rate: float = Field(0.001, gt=0, description="Step size.")
    beta_1: float = Field(0.9, gt=0, lt=1, description="Decay rate of the first-moment estimates.")
    beta_2: float = Field(0.999, gt=0, lt=1, description="Decay rate of the second-moment estimates.")
    epsilon: float = Field(1e-7, gt=0, description="Small constant for numerical stability.")


class SGDParams(Params):
    learning_rate: float = Field(0.01, gt=0, description="Step size.")
    momentum: float = Field(0.0, ge=0, lt=1, description="Momentum.")
    nesterov: bool = Field(False, description="Use Nesterov momentum.")


def build_rmsprop(params: RMSpropParams) -> Any:
    import keras

    return keras.optimizers.RMSprop(**params.model_dump(exclude={"provider"}))


def build_adam(params: AdamParams) -> Any:
    import keras

    return keras.optimizers.Adam(**params.model_dump(exclude={"provider"}))


def build_sgd(params: SGDParams) -> Any:
    import keras

    return keras.optimizers.SGD(**params.model_dump(exclude={"provider"}))


@hookimpl
def hoh_optimizer_providers() -> list[Provider]:
    return [
        Provider("rmsprop", RMSpropParams, build_rmsprop, "RMSprop (the tutorial's optimizer, lr 0.001)."),
        Provider("adam", AdamParams, build_adam, "Adam."),
        Provider("sgd", SGDParams, build_sgd, "Stochastic gradient descent with optional momentum."),
    ]
