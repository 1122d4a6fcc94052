"""Built-in optimizers: RMSprop (the tutorial's), Adam and SGD, each with an optional cosine decay."""

from __future__ import annotations

from typing import Any, Literal, Self

from pydantic import Field, PositiveInt, model_validator

from framework import Params, Provider, hookimpl


class ScheduleParams(Params):
    """The learning-rate schedule every built-in optimizer takes."""

    learning_rate: float = Field(0.001, gt=0, description="Step size (the first one, with a schedule).")
    schedule: Literal["constant", "cosine"] = Field(
        "constant",
        description="constant: learning_rate throughout; cosine: from learning_rate down to "
        "learning_rate * final_fraction over decay_steps training batches (keras CosineDecay).",
    )
    decay_steps: PositiveInt | None = Field(
        None, description="Batches the cosine schedule lasts: usually epochs x steps per epoch. Needed for cosine."
    )
    final_fraction: float = Field(0.0, ge=0, le=1, description="The cosine schedule's last rate, as a fraction.")
    ema_momentum: float | None = Field(
        None,
        gt=0,
        lt=1,
        description="Keep a moving average of the weights with this momentum (e.g. 0.99); the run ends with "
        "the averaged weights. The ema-validation callback validates each epoch with them.",
    )

    @model_validator(mode="after")
    def _cosine_has_steps(self) -> Self:
        if self.schedule == "cosine" and self.decay_steps is None:
            raise ValueError('schedule = "cosine" needs decay_steps (usually epochs x steps per epoch)')
        return self

    def keras_arguments(self) -> dict[str, Any]:
        """Keyword arguments of the Keras optimizer, the schedule built from ours."""
        import keras

        arguments = self.model_dump(exclude={"provider", "schedule", "decay_steps", "final_fraction", "ema_momentum"})
        if self.ema_momentum is not None:
            arguments.update(use_ema=True, ema_momentum=self.ema_momentum)
        if self.schedule == "cosine":
            arguments["learning_rate"] = keras.optimizers.schedules.CosineDecay(
                self.learning_rate, decay_steps=self.decay_steps, alpha=self.final_fraction
            )
        return arguments


class RMSpropParams(ScheduleParams):
    rho: float = Field(0.9, gt=0, lt=1, description="Discounting factor of the moving average of squared gradients.")
    momentum: float = Field(0.0, ge=0, lt=1, description="Momentum.")
    epsilon: float = Field(1e-7, gt=0, description="Small constant for numerical stability.")


class AdamParams(ScheduleParams):
    beta_1: float = Field(0.9, gt=0, lt=1, description="Decay rate of the first-moment estimates.")
    beta_2: float = Field(0.999, gt=0, lt=1, description="Decay rate of the second-moment estimates.")
    epsilon: float = Field(1e-7, gt=0, description="Small constant for numerical stability.")


class SGDParams(ScheduleParams):
    learning_rate: float = Field(0.01, gt=0, description="Step size (the first one, with a schedule).")
    momentum: float = Field(0.0, ge=0, lt=1, description="Momentum.")
    nesterov: bool = Field(False, description="Use Nesterov momentum.")


def build_rmsprop(params: RMSpropParams) -> Any:
    import keras

    return keras.optimizers.RMSprop(**params.keras_arguments())


def build_adam(params: AdamParams) -> Any:
    import keras

    return keras.optimizers.Adam(**params.keras_arguments())


def build_sgd(params: SGDParams) -> Any:
    import keras

    return keras.optimizers.SGD(**params.keras_arguments())


@hookimpl
def hoh_optimizer_providers() -> list[Provider]:
    return [
        Provider("rmsprop", RMSpropParams, build_rmsprop, "RMSprop (the tutorial's optimizer, lr 0.001)."),
        Provider("adam", AdamParams, build_adam, "Adam."),
        Provider("sgd", SGDParams, build_sgd, "Stochastic gradient descent with optional momentum."),
    ]
