"""Data loading on the training set: images/s of image-data-generator vs tf-data.

First pass: a fresh pipeline's first epoch (file listing, PNG decode, resize).
Steady state: later epochs of the same pipeline (after one warm-up pass), where
tf-data serves its cache and image-data-generator decodes every file again.
"""

from __future__ import annotations

import pytest
from bench_figures import Session


@pytest.mark.benchmark(group="data-loading-first-pass")
def test_first_pass_image_data_generator(benchmark, bench: Session) -> None:
    value = bench.measure("idg_first_pass", benchmark)
    bench.record(benchmark, "first pass, image-data-generator", value)


@pytest.mark.benchmark(group="data-loading-first-pass")
def test_first_pass_tf_data(benchmark, bench: Session) -> None:
    value = bench.measure("tfdata_first_pass", benchmark)
    figure = bench.record(
        benchmark, "first pass, tf-data", value, reference="idg_first_pass", gate="tfdata_first_pass_vs_idg"
    )
    bench.check(figure)


@pytest.mark.benchmark(group="data-loading-steady")
def test_steady_image_data_generator(benchmark, bench: Session) -> None:
    value = bench.measure("idg_steady", benchmark)
    bench.record(benchmark, "steady state, image-data-generator", value)


@pytest.mark.benchmark(group="data-loading-steady")
def test_steady_tf_data(benchmark, bench: Session) -> None:
    value = bench.measure("tfdata_steady", benchmark)
    figure = bench.record(
        benchmark, "steady state, tf-data", value, reference="idg_steady", gate="tfdata_steady_vs_idg"
    )
    bench.check(figure)
