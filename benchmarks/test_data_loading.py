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


@pytest.mark.benchmark(group="data-loading-first-pass")
def test_first_pass_tf_data_vs_image_data_generator(benchmark, bench: Session) -> None:
    speeds = bench.interleaved(benchmark, ("idg_first_pass", "tfdata_first_pass"), bench.cfg.first_pass_rounds)
    bench.record(benchmark, "first pass, image-data-generator", bench.measured["idg_first_pass"])
    figure = bench.record_paired(
        benchmark,
        "first pass, tf-data",
        speeds["tfdata_first_pass"],
        "idg_first_pass",
        speeds["idg_first_pass"],
        gate="tfdata_first_pass_vs_idg",
    )
    bench.check(figure)


@pytest.mark.benchmark(group="data-loading-steady")
def test_steady_tf_data_vs_image_data_generator(benchmark, bench: Session) -> None:
    speeds = bench.interleaved(benchmark, ("idg_steady", "tfdata_steady"), bench.cfg.steady_rounds)
    bench.record(benchmark, "steady state, image-data-generator", bench.measured["idg_steady"])
    figure = bench.record_paired(
        benchmark,
        "steady state, tf-data",
        speeds["tfdata_steady"],
        "idg_steady",
        speeds["idg_steady"],
        gate="tfdata_steady_vs_idg",
    )
    bench.check(figure)
