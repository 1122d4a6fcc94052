"""The paired statistics of hoh bench compare, on made-up timings with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from framework.bench.stats import compare_pairs


def _noisy(rng: np.random.Generator, rounds: int, load_swing: float) -> np.ndarray:
    """Seconds per image of a side whose machine load changes from round to round."""
    return 0.01 * (1 + load_swing * rng.random(rounds))


def test_a_revision_against_itself_is_no_change_even_when_the_load_swings() -> None:
    rng = np.random.default_rng(1)
    load = _noisy(rng, 12, load_swing=1.0)  # the load doubles some rounds: both halves of a pair see it
    base = load * (1 + 0.02 * rng.standard_normal(12))
    head = load * (1 + 0.02 * rng.standard_normal(12))
    result = compare_pairs(base, head)
    assert result.verdict == "no significant change"
    assert result.low < 1 < result.high and result.width < 0.1


def test_a_fifteen_percent_slowdown_is_flagged_with_its_interval() -> None:
    rng = np.random.default_rng(2)
    load = _noisy(rng, 10, load_swing=1.0)
    base = load * (1 + 0.02 * rng.standard_normal(10))
    head = 1.15 * load * (1 + 0.02 * rng.standard_normal(10))
    result = compare_pairs(base, head)
    assert result.verdict == "slower"
    assert 1.10 < result.ratio < 1.20 and result.low > 1.05
    assert compare_pairs(head, base).verdict == "faster"


def test_an_interval_reaching_below_half_the_threshold_does_not_count() -> None:
    base = np.full(8, 0.01)
    head = base * np.array([1.15, 1.16, 1.04, 1.30, 1.02, 1.18, 1.50, 1.14])  # median 1.15, but wide
    result = compare_pairs(base, head, threshold=0.10)
    assert result.ratio > 1.10 and result.low < 1.05
    assert result.verdict == "no significant change"


def test_a_significant_change_below_the_threshold_does_not_count() -> None:
    base = np.full(8, 0.01)
    head = base * np.array([1.05, 1.04, 1.06, 1.05, 1.05, 1.04, 1.06, 1.05])
    result = compare_pairs(base, head, threshold=0.10)
    assert result.low > 1  # significant ...
    assert result.verdict == "no significant change"  # ... but only 5 %
    assert compare_pairs(base, head, threshold=0.03).verdict == "slower"  # 1.04 > 1.015 and 1.05 > 1.03


def test_unpaired_or_empty_rounds_are_refused() -> None:
    with pytest.raises(ValueError, match="same number"):
        compare_pairs([0.1, 0.2], [0.1])
    with pytest.raises(ValueError, match="positive"):
        compare_pairs([0.0], [0.1])
