"""TensorFlow settings hoh gives every command's process before TensorFlow starts.

Each is an environment variable TensorFlow reads once, when it creates what the variable
configures; hoh sets it only where the user has not (``os.environ.setdefault``), so
``TF_CPU_ALLOCATOR_USE_BFC=false hoh-run ...`` restores TensorFlow's own behaviour. Child
processes (sweep workers, benchmark workers) inherit them. Nothing here imports TensorFlow.

``TF_CPU_ALLOCATOR_USE_BFC=true``
    TensorFlow's default CPU allocator hands every tensor to ``malloc``, and glibc serves
    large blocks (a 128-image 300x300 float32 batch is 138 MB) with a fresh ``mmap`` each
    time: every page of every activation, gradient and input batch is faulted in and zeroed
    again at each step. TensorFlow's BFC allocator keeps freed blocks and reuses them.
    Measured on a 2-core AMD EPYC without AVX-512 (docs/contributing/measurements.md, "The CPU
    allocator"): the tutorial's ``baseline.toml`` epochs 30 % shorter with identical metrics,
    ``tf-data``'s steady pass from memory about 4x faster, peak resident memory 0.3-1.2 GB
    higher (the allocator keeps what it freed for reuse).

``TF_CPU_BFC_MEM_LIMIT_IN_MB``
    The BFC allocator's cap, which TensorFlow otherwise fixes at 64 GB whatever the machine:
    set to the machine's physical memory, so that a large in-memory cache on a large machine
    is not refused by the cap before the memory is actually short.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping


def _physical_memory_mb() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // (1 << 20)
    except (ValueError, OSError, AttributeError):  # not POSIX, or the figures are unavailable
        return None


def tensorflow_defaults() -> dict[str, str]:
    """The variables hoh sets and their values on this machine."""
    defaults = {"TF_CPU_ALLOCATOR_USE_BFC": "true"}
    memory = _physical_memory_mb()
    if memory:
        defaults["TF_CPU_BFC_MEM_LIMIT_IN_MB"] = str(memory)
    return defaults


def apply_tensorflow_defaults(environ: MutableMapping[str, str] = os.environ) -> dict[str, str]:
    """Set each of :func:`tensorflow_defaults` the user has not set; return those set now.

    Call it before TensorFlow is imported: TensorFlow reads them when it starts.
    """
    applied = {}
    for name, value in tensorflow_defaults().items():
        if name not in environ:
            environ[name] = value
            applied[name] = value
    return applied
