"""Staged fine-tuning: which epochs each ``[[training.stages]]`` table covers, and what trains in it.

A model that can be fine-tuned in stages holds its pretrained part as a nested model named
:data:`BACKBONE` (``model.get_layer("backbone")``); everything else is its head. A stage's
``train`` is ``"head"`` (the backbone frozen), ``"all"``, or a number N: the top N layers of
the backbone that have weights, batch normalization layers left out and kept frozen (as
Keras' EfficientNet fine-tuning example does). Layers the model was built with frozen stay
frozen in every stage: a pretrained backbone's batch normalization, which Keras 3 runs in
inference mode only when it is frozen (a ``training=False`` call is overridden by ``fit``).

Plain values only: Keras is imported by the callers (the runner), not here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from framework.errors import UserError

BACKBONE = "backbone"
"""Name of the nested model that stages freeze and unfreeze."""


@dataclass(frozen=True)
class Stage:
    """One stage of a run: epochs ``[first, end)`` (0-based), what trains, the learning-rate factor.

    Attributes:
        number: 1-based stage number.
        first: The stage's first epoch, 0-based.
        end: One past its last epoch, 0-based (Keras' ``epochs`` argument).
        train: ``"head"``, ``"all"`` or a number of the backbone's top layers.
        learning_rate_factor: Multiplies the optimizer's learning rate in this stage.
    """

    number: int
    first: int
    end: int
    train: str | int = "all"
    learning_rate_factor: float = 1.0

    def describe(self) -> str:
        """What trains, in words: "head only (backbone frozen)", "everything", "top 30 backbone layers + head"."""
        if self.train == "head":
            return "head only (backbone frozen)"
        if self.train == "all":
            return "everything"
        return f"top {self.train} backbone layers + head"


def plan(training: Any) -> list[Stage]:
    """The stages of ``[training]``: its ``stages`` tables in order, or one stage of all epochs.

    Args:
        training: The validated ``[training]`` section (``epochs``, ``stages``).
    """
    if not training.stages:
        return [Stage(1, 0, training.epochs)]
    stages, first = [], 0
    for number, table in enumerate(training.stages, start=1):
        stages.append(Stage(number, first, first + table.epochs, table.train, table.learning_rate_factor))
        first += table.epochs
    return stages


def stage_of(stages: list[Stage], epoch: int) -> Stage:
    """The stage that trains 0-based ``epoch`` (the last stage for an epoch past the end)."""
    return next((stage for stage in stages if epoch < stage.end), stages[-1])


def needs_backbone(stages: list[Stage]) -> bool:
    """True when some stage freezes part of the model (its ``train`` is not ``"all"``)."""
    return any(stage.train != "all" for stage in stages)


def built_frozen(model: Any) -> frozenset[int]:
    """The layers (by ``id``) that ``model`` was built with frozen: every stage keeps them frozen.

    A model's author freezes what must never train: a pretrained backbone's batch normalization,
    for one (Keras' transfer-learning guide: in Keras 3 only a frozen batch normalization layer is
    sure to run in inference mode, whatever ``training`` the backbone was called with).
    """
    return frozenset(id(layer) for layer in _leaf_layers(model) if not layer.trainable)


def apply_trainable(model: Any, stage: Stage, provider: str, keep_frozen: frozenset[int] = frozenset()) -> None:
    """Set ``trainable`` on ``model``'s layers as ``stage`` says (before ``compile``, which then sees it).

    Args:
        model: The run's model.
        stage: What trains.
        provider: The model provider's name, for messages.
        keep_frozen: Layers that stay frozen in every stage (:func:`built_frozen`).

    Raises:
        UserError: naming the model provider, when a stage freezes a backbone the model does not have.
    """
    _all_trainable(model)  # each stage starts from everything trainable, whatever the stage before froze
    if stage.train == "head":
        _backbone(model, provider, stage).trainable = False
    elif stage.train != "all":
        with_weights = [layer for layer in _leaf_layers(_backbone(model, provider, stage)) if layer.weights]
        for layer in with_weights:
            layer.trainable = False
        can_train = [layer for layer in with_weights if not _is_batch_norm(layer) and id(layer) not in keep_frozen]
        for layer in can_train[-int(stage.train) :]:
            layer.trainable = True
    for layer in _leaf_layers(model):
        if id(layer) in keep_frozen:
            layer.trainable = False


def count_parameters(variables: list[Any]) -> int:
    """Number of scalar parameters in ``variables`` (``model.trainable_weights`` for the trainable ones)."""
    return sum(math.prod(variable.shape) for variable in variables)


def _has_backbone(model: Any) -> bool:
    return any(layer.name == BACKBONE for layer in getattr(model, "layers", ()))


def _backbone(model: Any, provider: str, stage: Stage) -> Any:
    if not _has_backbone(model):
        raise UserError(
            f"[[training.stages]] stage {stage.number} trains {stage.describe()}, but the model of provider "
            f"{provider!r} has no nested model named {BACKBONE!r} to freeze. Use a model with a backbone "
            f'(provider = "backbone"), or train = "all" in every stage.'
        )
    return model.get_layer(BACKBONE)


def _all_trainable(layer: Any) -> None:
    """Set ``trainable = True`` on ``layer`` and every layer nested in it.

    Keras' own ``trainable`` setter does not reach the layers of a functional model's
    nested models, so a layer frozen one by one in an earlier stage would stay frozen.
    """
    layer.trainable = True
    for inner in getattr(layer, "layers", ()):
        _all_trainable(inner)


def _leaf_layers(model: Any) -> list[Any]:
    """The layers of ``model`` in order, nested models opened up."""
    found: list[Any] = []
    for layer in model.layers:
        found.extend(_leaf_layers(layer) if hasattr(layer, "layers") else [layer])
    return found


def _is_batch_norm(layer: Any) -> bool:
    return type(layer).__name__ in ("BatchNormalization", "SyncBatchNormalization")


def scale_learning_rate(optimizer: Any, factor: float, stage: Stage) -> None:
    """Multiply a constant learning rate by ``factor``.

    Raises:
        UserError: when the optimizer's rate is a schedule (a schedule's config is not scaled
            here: each stage's optimizer starts its schedule anew, which a factor would not describe).
    """
    if factor == 1:
        return
    if isinstance(optimizer.get_config().get("learning_rate"), dict):  # a serialized LearningRateSchedule
        raise UserError(
            f"[[training.stages]] stage {stage.number} has learning_rate_factor = {factor}, but the optimizer's "
            'learning rate is a schedule: use a constant rate (optimizer.schedule = "constant"), or '
            "learning_rate_factor = 1."
        )
    optimizer.learning_rate = float(optimizer.learning_rate) * factor


def stages_table(rows: list[dict[str, Any]]) -> str:
    """The per-stage summary appended to ``summary.txt``: epochs, what trains, parameters that train."""
    lines = ["", "Stages (staged fine-tuning):"]
    for row in rows:
        first, last = row["epochs"]
        lines.append(
            f"  stage {row['stage']}: epochs {first}-{last}, {row['describe']}, "
            f"learning rate x{row['learning_rate_factor']:g}: "
            f"{row['trainable_parameters']:,} of {row['parameters']:,} parameters train"
        )
    return "\n".join(lines) + "\n"


def check_stages(
    model: Any, stages: list[Stage], apply: Callable[[Stage], None], new_optimizer: Callable[[], Any]
) -> list[dict[str, Any]]:
    """Try every stage's trainable layers (``apply(stage)``) and learning rate on ``model``; one row per stage.

    Leaves ``model`` set for the last stage: the caller compiles it for the first one next.

    Raises:
        UserError: from :func:`apply_trainable` or :func:`scale_learning_rate`, before any epoch.
    """
    rows = []
    for stage in stages:
        apply(stage)
        scale_learning_rate(new_optimizer(), stage.learning_rate_factor, stage)
        rows.append(
            {
                "stage": stage.number,
                "epochs": [stage.first + 1, stage.end],
                "train": stage.train,
                "describe": stage.describe(),
                "learning_rate_factor": stage.learning_rate_factor,
                "trainable_parameters": count_parameters(model.trainable_weights),
                "parameters": count_parameters(model.weights),
            }
        )
    return rows
