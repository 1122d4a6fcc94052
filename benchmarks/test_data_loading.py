"""Data loading on the training set: images/s of tf-data against image-data-generator.

First pass: a fresh pipeline's first epoch (file listing, PNG decode, resize).
Steady state: later epochs of the same pipeline (after one warm-up pass), where
tf-data serves its cache and image-data-generator decodes every file again.

Both pipelines are measured in the same rounds, alternating which goes first; the gated
figure is the median of the per-round ratios (``floors.toml``).
"""

from __future__ import annotations

import pytest
from bench_figures import Session

PHASES = [
    pytest.param("first_pass", "first pass", marks=pytest.mark.benchmark(group="data-loading-first-pass"), id="first"),
    pytest.param("steady", "steady state", marks=pytest.mark.benchmark(group="data-loading-steady"), id="steady"),
]


@pytest.mark.parametrize(("phase", "label"), PHASES)
def test_tf_data_vs_image_data_generator(benchmark, bench: Session, phase: str, label: str) -> None:
    reference, candidate = f"idg_{phase}", f"tfdata_{phase}"
    speeds = bench.interleaved(benchmark, (reference, candidate), getattr(bench.cfg, f"{phase}_rounds"))
    bench.record(benchmark, f"{label}, image-data-generator", bench.measured[reference])
    figure = bench.record_paired(
        benchmark, f"{label}, tf-data", speeds[candidate], reference, speeds[reference], gate=f"tfdata_{phase}_vs_idg"
    )
    bench.check(figure)
