"""The loss and metric names Keras 3 accepts in ``compile``, so experiment files are checked without TensorFlow.

Importing Keras to ask it would load TensorFlow (seconds), which ``hoh validate`` must not do;
``tests/core/test_keras_names.py`` checks these lists against the installed Keras, so a Keras
upgrade that adds or drops a name is noticed. Names registered by plugins
(``"package>name"``, ``keras.saving.register_keras_serializable``) are let through.
"""

from __future__ import annotations

import difflib

LOSSES = frozenset(
    {
        "bce",
        "binary_crossentropy",
        "binary_focal_crossentropy",
        "categorical_crossentropy",
        "categorical_focal_crossentropy",
        "categorical_hinge",
        "circle",
        "cosine_similarity",
        "ctc",
        "dice",
        "hinge",
        "huber",
        "kl_divergence",
        "kld",
        "log_cosh",
        "mae",
        "mape",
        "mean_absolute_error",
        "mean_absolute_percentage_error",
        "mean_squared_error",
        "mean_squared_logarithmic_error",
        "mse",
        "msle",
        "poisson",
        "sparse_categorical_crossentropy",
        "squared_hinge",
        "tversky",
    }
)

COMPILE_METRIC_ALIASES = frozenset({"acc"})
"""Names ``Model.compile`` maps to a metric by the labels' shape; ``keras.metrics.get`` does not know them."""

METRICS = (
    frozenset(
        {
            "accuracy",
            "auc",
            "bce",
            "binary_accuracy",
            "binary_crossentropy",
            "binary_io_u",
            "categorical_accuracy",
            "categorical_crossentropy",
            "categorical_hinge",
            "concordance_correlation",
            "cosine_similarity",
            "f1_score",
            "f_beta_score",
            "false_negatives",
            "false_positives",
            "hinge",
            "kl_divergence",
            "log_cosh_error",
            "mae",
            "mape",
            "mean_absolute_error",
            "mean_absolute_percentage_error",
            "mean_squared_error",
            "mean_squared_logarithmic_error",
            "mse",
            "msle",
            "pearson_correlation",
            "poisson",
            "precision",
            "r2_score",
            "recall",
            "root_mean_squared_error",
            "sparse_categorical_accuracy",
            "sparse_categorical_crossentropy",
            "sparse_top_k_categorical_accuracy",
            "squared_hinge",
            "top_k_categorical_accuracy",
            "true_negatives",
            "true_positives",
        }
    )
    | COMPILE_METRIC_ALIASES
)
"""Metrics Keras builds from their name alone (``io_u`` and others need arguments: not listed)."""


def check_name(value: str, known: frozenset[str], what: str) -> str:
    """``value`` when Keras knows it (or a plugin may have registered it), else ``ValueError`` with close names."""
    if value in known or ">" in value:
        return value
    close = difflib.get_close_matches(value, sorted(known), n=3, cutoff=0.6)
    if close:
        raise ValueError(f"{value!r} is not a Keras {what}; did you mean {' or '.join(repr(c) for c in close)}?")
    raise ValueError(f"{value!r} is not a Keras {what}; known: {', '.join(sorted(known))}")
