"""Mixed precision: the five-conv ``train_on_batch`` step under ``mixed_bfloat16`` vs ``float32``.

Informational, not gated: whether bfloat16 is faster depends on the processor (AVX-512
BF16 / AMX on CPUs; tensor cores on GPUs), not on hoh's code. Both policies are measured
in the same process in interleaved rounds, and the figure is the median of the per-round
ratios, so that other jobs on the machine slow both alike.
"""

from __future__ import annotations

import pytest
from bench_figures import Session

from framework.precision import cpu_description


@pytest.mark.benchmark(group="precision")
def test_bfloat16_vs_float32_step(benchmark, bench: Session) -> None:
    assert bench.measurer is not None
    rounds = 3 if bench.cfg.quick else 5
    pairs: list[tuple[float, float]] = []

    def measure() -> None:
        pairs.extend(bench.measurer.precision_pairs(("float32", "mixed_bfloat16"), rounds))

    benchmark.pedantic(measure, rounds=1, iterations=1)
    figure = bench.record_pairs(benchmark, "train_on_batch, mixed_bfloat16 vs float32", "float32 step", pairs)
    benchmark.extra_info["cpu"] = cpu_description()
    assert figure.ratio is not None and figure.ratio > 0
