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


def cpu_description(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """``"AMD EPYC 9R14; avx512_bf16 yes, amx_bf16 no, ..."``, or why it is unknown."""
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "CPU features unknown (no /proc/cpuinfo)"
    model, flags = "unknown CPU", set()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "model name" and model == "unknown CPU":
            model = value.strip()
        elif key.strip() == "flags" and not flags:
            flags = set(value.split())
    found = ", ".join(f"{flag} {'yes' if flag in flags else 'no'}" for flag in CPU_FEATURES)
    return f"{model}; {found}"


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
