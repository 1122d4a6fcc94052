"""Where ``tf-data`` keeps decoded images: the memory they need against the memory there is.

Decoded images take ``height x width x 3`` bytes each (uint8): 0.27 MB at 300x300, so a
set of 50,000 needs 13.5 GB. Before any image is decoded, :func:`plan_cache` compares that
with a memory budget (``pipeline.memory_budget``) and with the memory available to this
process (cgroup limits included), and picks memory when it fits, else an on-disk cache
(:mod:`plugins.pipelines.decoded_store`), saying why. :func:`check_batches_fit` refuses,
before any work, batches that alone would not fit.

Nothing here imports TensorFlow.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from framework import EnvironmentProblem, UserError
from framework.api import GB
from framework.api import available_memory as framework_available_memory

#: Batches the disk plan holds at once: one being filled, two prefetched, one in the model,
#: each as uint8 and as float32 (the cast before augmentation and rescaling).
BATCHES_IN_FLIGHT = 4


def available_memory() -> tuple[int, str]:
    """Bytes of memory this process can still take, and where the figure comes from (cgroup limits included).

    :func:`framework.api.available_memory`, with a cautious 4 GB where nothing says (not Linux).
    """
    return framework_available_memory() or (int(4 * GB), "assumed (no /proc/meminfo here)")


@dataclass(frozen=True)
class CachePlan:
    """Where decoded images are kept, and why.

    Attributes:
        kind: ``"memory"``, ``"disk"`` or ``"none"`` (decode every pass).
        reason: One sentence for the run's output.
        folder: The on-disk cache's folder (``disk`` only).
    """

    kind: str
    reason: str
    folder: Path | None = None


def decoded_bytes(count: int, image_size: tuple[int, int]) -> int:
    """Bytes ``count`` decoded uint8 RGB images of ``image_size`` take."""
    height, width = image_size
    return count * height * width * 3


def plan_cache(
    cache: str,
    count: int,
    image_size: tuple[int, int],
    budget_gb: float,
    default_folder: Path,
) -> CachePlan:
    """Choose where ``count`` decoded images are kept, for the ``tf-data`` ``cache`` setting.

    ``"auto"`` keeps them in memory when they fit ``budget_gb`` and the process has at least
    twice what they need available (:func:`available_memory`: TensorFlow's cache and shuffle
    buffer), else on disk; the run's output says which and why.

    Args:
        cache: ``"auto"``, ``"memory"``, ``"disk"``, ``"none"`` or a folder (a disk cache there).
        count: Training plus validation images.
        image_size: ``(height, width)`` they are decoded to.
        budget_gb: Memory the decoded images may take, in GB (``pipeline.memory_budget``).
        default_folder: The disk cache's folder when ``cache`` is ``"auto"`` or ``"disk"``.

    Raises:
        UserError: when ``cache = "memory"`` is asked for and the images do not fit in memory.
    """
    need = decoded_bytes(count, image_size)
    sizing = f"{count} images decoded at {image_size[0]}x{image_size[1]} take {need / GB:.2f} GB"
    if cache == "none":
        return CachePlan("none", "no cache: every image is read and decoded at every pass")
    available, source = available_memory()
    fits_budget, fits_memory = need <= budget_gb * GB, 2 * need <= available
    room = f"{available / GB:.1f} GB {source}"
    if cache == "memory":
        if not fits_memory:
            raise UserError(
                f'pipeline.cache = "memory": {sizing}, and with the shuffle buffer about twice that, but only {room}; '
                'training would run out of memory. Use cache = "auto" (on disk when they do not fit), "disk", or '
                "a smaller pipeline.image_size."
            )
        return CachePlan("memory", f'{sizing}; pipeline.cache = "memory" ({room})')
    if cache == "auto" and fits_budget and fits_memory:
        return CachePlan("memory", f"{sizing}, within pipeline.memory_budget ({budget_gb:g} GB)")
    folder = default_folder if cache in ("auto", "disk") else Path(cache).expanduser()
    if cache != "auto":
        why = f"{sizing}; pipeline.cache = {cache!r}"
    elif not fits_budget:
        why = f"{sizing}, more than pipeline.memory_budget ({budget_gb:g} GB)"
    else:
        why = f"{sizing}, and twice that is more than the {room}"
    return CachePlan("disk", f"{why}: decoded during the first pass into {folder}, reused by later runs", folder)


def check_disk_room(folder: Path, need: int) -> None:
    """Refuse, before decoding, a disk cache that the disk under ``folder`` has no room for.

    Raises:
        EnvironmentProblem: naming the folder, what it needs and what is free.
    """
    probe = folder
    while not probe.exists():
        probe = probe.parent
    free = shutil.disk_usage(probe).free
    if need + int(0.5 * GB) > free:
        raise EnvironmentProblem(
            f"the decoded-image cache needs {need / GB:.2f} GB in {folder}, but its disk has {free / GB:.2f} GB "
            "free (keeping 0.5 GB spare). Free some space, set pipeline.cache to a folder on a larger disk, or "
            "lower pipeline.image_size."
        )


def check_batches_fit(batch_size: int, validation_batch_size: int, image_size: tuple[int, int]) -> None:
    """Refuse, before any work, batches that alone take more memory than there is.

    Raises:
        EnvironmentProblem: naming the batch size, what the batches need and what is available.
    """
    per_image = decoded_bytes(1, image_size) * 5  # uint8 + float32
    need = BATCHES_IN_FLIGHT * per_image * max(batch_size, validation_batch_size)
    available, source = available_memory()
    if need > available:
        raise EnvironmentProblem(
            f"batches of {max(batch_size, validation_batch_size)} images at {image_size[0]}x{image_size[1]} need "
            f"about {need / GB:.1f} GB in the input pipeline alone ({BATCHES_IN_FLIGHT} batches in flight, uint8 "
            f"and float32), but only {available / GB:.1f} GB are {source}. Lower pipeline.batch_size "
            "(and validation_batch_size) or pipeline.image_size."
        )
