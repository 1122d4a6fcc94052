"""``[training] class_weight``: how much each class's images count in the training loss.

``"balanced"`` weighs each class by ``images / (classes x images of the class)``
(scikit-learn's ``compute_class_weight``), so that every class counts as much in total; a
table gives a weight per class name (classes left out weigh 1). Keras applies the weights
to the training loss only: validation loss and metrics stay unweighted.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence

from framework.errors import UserError

CLASS_WEIGHTS_FILE = "class_weights.json"
"""The weights a run trained with, by class name, in its folder (none without ``class_weight``)."""


def resolve_class_weight(
    setting: str | Mapping[str, float] | None, class_names: Sequence[str], counts: Sequence[int]
) -> dict[str, float] | None:
    """The weight of each class, by name, for ``setting``; ``None`` when no weights are asked for.

    Args:
        setting: ``"balanced"``, a table ``{class name: weight}``, or ``None``.
        class_names: The dataset's classes, in label order.
        counts: Training images per class, in label order (from the pipeline's flows); empty when
            the pipeline does not report them.

    Raises:
        UserError: for a class the dataset does not have, or ``"balanced"`` without counts.
    """
    if setting is None:
        return None
    if setting == "balanced":
        if len(counts) != len(class_names) or not all(counts):
            raise UserError(
                'training.class_weight = "balanced" needs the number of training images of each class, which '
                "this pipeline does not report; give a table of weights by class name instead "
                f"(classes: {', '.join(class_names)})."
            )
        import numpy as np
        from sklearn.utils.class_weight import compute_class_weight

        labels = np.repeat(np.arange(len(counts)), counts)
        weights = compute_class_weight("balanced", classes=np.arange(len(counts)), y=labels)
        return {name: float(weight) for name, weight in zip(class_names, weights, strict=True)}
    unknown = [name for name in setting if name not in class_names]
    if unknown:
        named = ", ".join(f"{name!r}{_did_you_mean(name, class_names)}" for name in unknown)
        raise UserError(
            f"training.class_weight names classes the dataset does not have: {named}. Its classes are: "
            f"{', '.join(class_names)}."
        )
    return {name: float(setting.get(name, 1.0)) for name in class_names}


def _did_you_mean(name: str, names: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, names, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def by_index(weights: Mapping[str, float], class_names: Sequence[str]) -> dict[int, float]:
    """``weights`` keyed by label index, as ``keras.Model.fit(class_weight=...)`` takes them."""
    return {index: weights[name] for index, name in enumerate(class_names)}


def describe(weights: Mapping[str, float]) -> str:
    """``"horses 0.97, humans 1.03"``."""
    return ", ".join(f"{name} {weight:.3g}" for name, weight in weights.items())
