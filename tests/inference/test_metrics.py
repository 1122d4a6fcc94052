"""The report's numbers on hand-made predictions, where the right answer is known."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from framework.evaluation.metrics import evaluate, worst_mistakes


def _binary(positive: list[float]) -> np.ndarray:
    p = np.array(positive)
    return np.stack([1 - p, p], axis=1)


def test_known_binary_case() -> None:
    y = np.array([0, 0, 0, 1, 1, 1])
    result = evaluate(y, _binary([0.1, 0.4, 0.7, 0.6, 0.8, 0.9]), ("horse", "human"))
    assert result["confusion_matrix"] == [[2, 1], [0, 3]]
    assert result["summary"]["accuracy"] == pytest.approx(5 / 6)
    assert result["summary"]["roc_auc"] == pytest.approx(8 / 9)  # 8 of 9 (neg, pos) pairs ordered right
    horse, human = result["per_class"]
    assert (horse["precision"], horse["recall"]) == (1.0, pytest.approx(2 / 3))
    assert (human["precision"], human["recall"]) == (0.75, 1.0)
    assert result["thresholds"]["best_accuracy"]["accuracy"] == pytest.approx(5 / 6)  # 0.7 (horse) > 0.6 (human)


def test_best_thresholds_separate_the_classes_when_one_can() -> None:
    y = np.array([0, 0, 1, 1])
    thresholds = evaluate(y, _binary([0.2, 0.6, 0.7, 0.9]), ("a", "b"))["thresholds"]
    assert thresholds["f1_in_use"] == pytest.approx(0.8)  # p > 0.5 calls 0.6 "b" wrongly
    assert thresholds["best_accuracy"] == {"threshold": pytest.approx(0.7), "accuracy": 1.0}  # p >= 0.7
    assert thresholds["best_f1"] == {"threshold": pytest.approx(0.7), "f1": 1.0}


def test_the_threshold_in_use_decides_the_labels() -> None:
    y = np.array([0, 1])
    assert evaluate(y, _binary([0.3, 0.6]), ("a", "b"), threshold=0.5)["summary"]["accuracy"] == 1.0
    assert evaluate(y, _binary([0.3, 0.6]), ("a", "b"), threshold=0.65)["summary"]["accuracy"] == 0.5


def test_one_class_only_gives_null_not_nan() -> None:
    result = evaluate(np.array([1, 1, 1]), _binary([0.2, 0.9, 0.8]), ("a", "b"))
    assert result["summary"]["roc_auc"] is None
    assert result["calibration"]["ece"] is None
    json.dumps(result, allow_nan=False)  # strict JSON


def test_calibration_of_a_perfectly_calibrated_model() -> None:
    rng = np.random.default_rng(0)
    p = rng.uniform(0, 1, 20000)
    y = (rng.uniform(0, 1, p.size) < p).astype(int)
    calibration = evaluate(y, _binary(p.tolist()), ("a", "b"))["calibration"]
    assert calibration["ece"] < 0.02
    assert sum(calibration["counts"]) == p.size
    overconfident = evaluate(y, _binary(np.where(p > 0.5, 1.0, 0.0).tolist()), ("a", "b"))["calibration"]
    assert overconfident["ece"] > 0.2


def test_three_classes_one_vs_rest() -> None:
    y = np.array([0, 1, 2, 2])
    probabilities = np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.2, 0.7], [0.5, 0.1, 0.4]])
    result = evaluate(y, probabilities, ("a", "b", "c"))
    assert result["confusion_matrix"] == [[1, 0, 0], [0, 1, 0], [1, 0, 1]]
    assert set(result["curves"]) == {"a", "b", "c"}
    assert result["calibration"]["kind"] == "top class"


def test_worst_mistakes_come_most_confident_first() -> None:
    y = np.array([0, 0, 1])
    probabilities = _binary([0.7, 0.95, 0.2])
    predicted = (probabilities[:, 1] > 0.5).astype(int)
    rows = worst_mistakes(["a.png", "b.png", "c.png"], y, probabilities, predicted, ("horse", "human"))
    assert [r["file"] for r in rows] == ["b.png", "c.png", "a.png"]
    assert rows[0] == {
        "file": "b.png",
        "true": "horse",
        "predicted": "human",
        "confidence": 0.95,
        "p_true": pytest.approx(0.05),
    }


def test_log_loss_clips_as_keras_does() -> None:
    """A confidently wrong image costs -log(1e-7), as in Keras' binary cross-entropy, not -log(2e-16)."""
    import math

    result = evaluate(np.array([0, 1]), _binary([0.0, 0.0]), ("a", "b"))
    assert result["summary"]["log_loss"] == pytest.approx(-math.log(1e-7) / 2, rel=1e-6)


def test_probabilities_near_certainty_stay_distinguishable() -> None:
    from framework.evaluation.figures import probability

    assert [probability(p) for p in (0.5, 0.99999, 1.0, 0.0, 3e-5)] == [
        "0.500",
        "1 - 1.0e-05",
        "1 (saturated)",
        "0 (saturated)",
        "3.0e-05",
    ]


def test_the_page_says_why_its_log_loss_differs_from_keras() -> None:
    """Keras' loss comes from the logits (unclipped), the page's from clipped probabilities: said on the page."""
    from framework.evaluation.report import _loss_note

    [note] = _loss_note(1.757, 1.995)
    assert "1.9950" in note and "1.7570" in note and "logits" in note
    assert _loss_note(1.2345, 1.2346) == [] and _loss_note(1.0, None) == []


def test_a_folder_of_some_classes_scores_those_without_a_warning() -> None:
    """Images of classes a and b only, one predicted as c: balanced accuracy is the mean recall of a and b."""
    y = np.array([0, 0, 1, 1])
    probabilities = np.array([[0.8, 0.1, 0.1], [0.1, 0.1, 0.8], [0.1, 0.8, 0.1], [0.2, 0.7, 0.1]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # scikit-learn's "y_pred contains classes not in y_true" reached the terminal
        result = evaluate(y, probabilities, ("a", "b", "c"))
    assert result["summary"]["balanced_accuracy"] == pytest.approx((0.5 + 1.0) / 2)
