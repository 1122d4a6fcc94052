"""Paired statistics of interleaved benchmark rounds.

Each round measures BASE and HEAD back to back (in alternating order), so a change of the
machine's load hits both halves of a pair alike. The figure is the **median of the paired
ratios** HEAD/BASE of seconds per image, with a **percentile bootstrap interval** of that
median (resampling whole pairs). We chose the bootstrap of paired ratios over a rank test
(asv uses Mann-Whitney on unpaired samples; pyperf a t-test on many-process samples): it
keeps the pairing that interleaving bought, it needs no normality, and its interval reads
directly as "HEAD takes 1.12x [1.08, 1.17] the time of BASE", which is what a threshold is
stated in. NumPy does the resampling; nothing here imports TensorFlow.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

BOOTSTRAP_SAMPLES = 4000


@dataclass(frozen=True)
class Comparison:
    """HEAD/BASE time ratio of one benchmark and what it means.

    Attributes:
        ratio: Median of the paired ratios (above 1: HEAD is slower).
        low: Lower end of the bootstrap interval of the median.
        high: Upper end.
        rounds: Number of pairs.
        verdict: ``"slower"``, ``"faster"`` or ``"no significant change"``.
    """

    ratio: float
    low: float
    high: float
    rounds: int
    verdict: str

    @property
    def width(self) -> float:
        """Width of the interval, relative (0.06 = the interval spans 6 %)."""
        return self.high - self.low


def compare_pairs(
    base: Sequence[float],
    head: Sequence[float],
    *,
    threshold: float = 0.10,
    confidence: float = 0.95,
    seed: int = 0,
) -> Comparison:
    """Compare paired seconds-per-image figures of BASE and HEAD.

    A change counts when the median ratio is beyond the threshold (large enough to matter)
    *and* the whole interval is beyond half the threshold (significant, with a margin):
    ``asv continuous``'s two conditions, the second made stricter because a shared 2-core
    machine running another job moved a multi-threaded workload's interval to [1.007, 1.52]
    for a revision against itself.

    Args:
        base: Seconds per image of BASE, one per round.
        head: Seconds per image of HEAD, same rounds, same order.
        threshold: Smallest change that counts, as a fraction (0.10 = 10 %).
        confidence: Coverage of the bootstrap interval.
        seed: Seed of the resampling, so that a report is reproducible.

    Raises:
        ValueError: for no rounds, unequal lengths or non-positive times.
    """
    a, b = np.asarray(base, dtype=float), np.asarray(head, dtype=float)
    if a.size == 0 or a.shape != b.shape:
        raise ValueError(f"need the same number (>= 1) of BASE and HEAD rounds, got {a.size} and {b.size}")
    if (a <= 0).any() or (b <= 0).any():
        raise ValueError("times must be positive (a round too short for the clock: give it more work)")
    ratios = b / a
    median = float(np.median(ratios))
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, ratios.size, size=(BOOTSTRAP_SAMPLES, ratios.size))
    medians = np.median(ratios[picks], axis=1)
    tail = (1 - confidence) / 2
    low, high = (float(v) for v in np.quantile(medians, [tail, 1 - tail]))
    margin = threshold / 2
    if low > 1 + margin and median > 1 + threshold:
        verdict = "slower"
    elif high < 1 / (1 + margin) and median < 1 / (1 + threshold):
        verdict = "faster"
    else:
        verdict = "no significant change"
    return Comparison(median, low, high, int(ratios.size), verdict)
