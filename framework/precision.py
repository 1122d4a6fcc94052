"""The precision policy of a run (``[training] precision``), set in phase ``configure``.

Under ``mixed_bfloat16`` or ``mixed_float16`` layers compute in 16 bits and keep float32
weights (Keras' mixed-precision policies). Keras wraps the optimizer in a
``LossScaleOptimizer`` for ``mixed_float16`` itself when the model is compiled. A
model's output must stay float32 (give its last layer ``dtype="float32"``): the runner
checks it, since a 16-bit sigmoid rounds probabilities near 0 and 1.

Whether 16 bits are faster depends on the processor: on CPUs, bfloat16 needs the
AVX-512 BF16 or AMX instructions, and even then it is not always faster (docs/how-to/precision-and-devices.md).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from framework.errors import UserError

PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")

CPU_FEATURES = ("avx512f", "avx512_bf16", "avx512_fp16", "amx_bf16", "amx_tile", "avx_vnni")
"""CPU flags (``/proc/cpuinfo``) that decide whether 16-bit arithmetic is fast on a CPU."""


@contextlib.contextmanager
def precision_policy(name: str) -> Iterator[None]:
    """Make ``name`` Keras' global dtype policy, and restore the previous one afterwards.

    Restoring matters when several runs share a process (sweeps, tests).
    """
    import keras

    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(name)
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(previous)


BF16_FLAGS = ("avx512_bf16", "amx_bf16")
"""CPU flags of the instructions that compute bfloat16 natively; without them TensorFlow emulates it."""


def _cpuinfo(cpuinfo: Path) -> tuple[str, set[str]] | None:
    """The first processor's model name and flags in ``cpuinfo``, or ``None`` when it cannot be read."""
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    model, flags = "unknown CPU", set()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "model name" and model == "unknown CPU":
            model = value.strip()
        elif key.strip() == "flags" and not flags:
            flags = set(value.split())
    return model, flags


def cpu_description(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """``"AMD EPYC 9R14; avx512_bf16 yes, amx_bf16 no, ..."``, or why it is unknown."""
    found = _cpuinfo(cpuinfo)
    if found is None:
        return "CPU features unknown (no /proc/cpuinfo)"
    model, flags = found
    return f"{model}; " + ", ".join(f"{flag} {'yes' if flag in flags else 'no'}" for flag in CPU_FEATURES)


def slow_bfloat16(precision: str, gpus: int, cpuinfo: Path = Path("/proc/cpuinfo")) -> str | None:
    """A warning when ``mixed_bfloat16`` will run on a CPU without bfloat16 instructions, else ``None``.

    TensorFlow then emulates bfloat16: the five-conv step ran at 0.15x the speed of float32
    on a 2-vCPU AMD EPYC without AVX-512 (3.2-3.3 against 20.0-21.6 img/s, batch 32,
    300x300). Nothing is said when a GPU is visible or the flags cannot be read.
    """
    found = _cpuinfo(cpuinfo)
    if precision != "mixed_bfloat16" or gpus or found is None or any(flag in found[1] for flag in BF16_FLAGS):
        return None
    return (
        f'training.precision = "mixed_bfloat16" on a CPU without bfloat16 instructions ({found[0]}: no '
        f"{' or '.join(BF16_FLAGS)}): TensorFlow emulates bfloat16 there, and training is several times slower "
        "than in float32 (0.15x measured on one such CPU). To train in float32, add training.precision=float32 "
        "to the command line or set it in the experiment file."
    )


def report_precision(console: Any, precision: str, cpuinfo: Path = Path("/proc/cpuinfo")) -> None:
    """Print the CPU features that decide whether ``precision`` pays off, and :func:`slow_bfloat16`'s warning."""
    import tensorflow as tf

    console.print(f"precision {precision}: {cpu_description(cpuinfo)}")
    warning = slow_bfloat16(precision, len(tf.config.list_physical_devices("GPU")), cpuinfo)
    if warning:
        console.print(f"[yellow]warning:[/] {warning}", highlight=False)


def check_output_dtype(model: Any, precision: str, provider: str) -> None:
    """Refuse a model whose output is not float32 under a mixed policy.

    Raises:
        UserError: naming the model provider and what to change.
    """
    if precision == "float32":
        return
    dtypes = {str(getattr(output, "dtype", "float32")) for output in model.outputs}
    wrong = sorted(d for d in dtypes if "float32" not in d)
    if wrong:
        raise UserError(
            f"model provider {provider!r} outputs {', '.join(wrong)} under training.precision = {precision!r}; "
            'probabilities and the loss must stay float32. Give the model\'s last layer dtype="float32" '
            '(as the built-in models do), or set training.precision = "float32".'
        )
