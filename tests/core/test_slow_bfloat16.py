"""A mixed_bfloat16 run on a CPU without bfloat16 instructions is warned, before it trains for hours."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from framework.precision import report_precision, slow_bfloat16

FLAGS = "fpu sse2 avx avx2 fma"


def _cpuinfo(tmp_path: Path, flags: str) -> Path:
    path = tmp_path / "cpuinfo"
    path.write_text(f"processor\t: 0\nmodel name\t: Test CPU 9000\nflags\t\t: {flags}\n\nprocessor\t: 1\n")
    return path


@pytest.mark.parametrize("extra", ["avx512_bf16", "amx_bf16 amx_tile"])
def test_cpus_with_bfloat16_instructions_are_not_warned(tmp_path, extra: str) -> None:
    assert slow_bfloat16("mixed_bfloat16", 0, _cpuinfo(tmp_path, f"{FLAGS} avx512f {extra}")) is None


def test_a_cpu_without_them_is_warned_unless_a_gpu_trains_or_the_run_is_not_bfloat16(tmp_path) -> None:
    cpuinfo = _cpuinfo(tmp_path, f"{FLAGS} avx512f avx512_fp16")
    warning = slow_bfloat16("mixed_bfloat16", 0, cpuinfo)
    assert warning is not None and "Test CPU 9000" in warning and "training.precision=float32" in warning
    assert slow_bfloat16("mixed_bfloat16", 1, cpuinfo) is None
    assert slow_bfloat16("mixed_float16", 0, cpuinfo) is None
    assert slow_bfloat16("mixed_bfloat16", 0, tmp_path / "missing") is None


def test_the_run_prints_the_warning_under_the_cpu_features(tmp_path) -> None:
    import tensorflow as tf

    gpus = bool(tf.config.list_physical_devices("GPU"))  # a GPU trains there: no warning
    for flags, warned in ((FLAGS, not gpus), (f"{FLAGS} avx512_bf16", False)):
        console = Console(file=io.StringIO(), width=300)
        report_precision(console, "mixed_bfloat16", _cpuinfo(tmp_path, flags))
        printed = console.file.getvalue()
        assert printed.startswith("precision mixed_bfloat16: Test CPU 9000; avx512f no")
        assert ("warning:" in printed) is warned
