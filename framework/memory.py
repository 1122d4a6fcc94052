"""Memory: what this process may still take, and a floor under what training a model needs.

A process that asks for more memory than its machine or container has is killed by the
kernel with no message (``Killed``, exit 137): the run just stops. The checks before a run
compare what it will need with :func:`available_memory`, and refuse what cannot fit.

Nothing here imports TensorFlow; :func:`training_memory_floor` reads a built Keras model.
"""

from __future__ import annotations

import contextlib
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Bytes in a GB, as the messages count them.
GB = 1e9


def _read_int(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _stat(folder: Path, key: str) -> int:
    """A value of the cgroup's ``memory.stat`` (0 when absent)."""
    with contextlib.suppress(OSError, ValueError):
        for line in (folder / "memory.stat").read_text().splitlines():
            name, _, value = line.partition(" ")
            if name == key:
                return int(value)
    return 0


def _cgroup_room() -> int | None:
    """Bytes this process's memory cgroup may still take, or ``None`` without a limit.

    cgroup v2 (``memory.max`` - ``memory.current``) or v1 (``memory.limit_in_bytes`` -
    ``memory.usage_in_bytes``), plus the inactive page cache the kernel reclaims first, at
    the path ``/proc/self/cgroup`` names or, in a container whose cgroup is mounted as the
    root, at the root.
    """
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    rooms: list[int] = []
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controllers == "":
            base, files = Path("/sys/fs/cgroup"), ("memory.max", "memory.current", "inactive_file")
        elif "memory" in controllers.split(","):
            base = Path("/sys/fs/cgroup/memory")
            files = ("memory.limit_in_bytes", "memory.usage_in_bytes", "total_inactive_file")
        else:
            continue
        for folder in (base / path.lstrip("/"), base):
            limit, usage = _read_int(folder / files[0]), _read_int(folder / files[1])
            if limit is not None and usage is not None and limit < 2**60:
                # usage counts the page cache; its inactive part the kernel reclaims before it kills (as docker does)
                rooms.append(max(0, limit - usage + _stat(folder, files[2])))
                break
    return min(rooms) if rooms else None


def available_memory() -> tuple[int, str] | None:
    """Bytes of memory this process can still take, and where the figure comes from; ``None``: unknown.

    The smaller of the kernel's ``MemAvailable`` and the room left under a cgroup limit (a
    container's, or a ``systemd-run -p MemoryMax=`` one). Read from ``/proc`` and ``/sys``
    rather than with psutil, which knows nothing of cgroup limits (a container's 4 GB is not
    the host's 64 GB).
    """
    available = None
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                available = int(line.split()[1]) * 1024
    room = _cgroup_room()
    if room is not None and (available is None or room < available):
        return room, "left under this process's cgroup memory limit"
    if available is not None:
        return available, "available (MemAvailable)"
    if hasattr(os, "sysconf"):
        with contextlib.suppress(ValueError, OSError):
            return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"), "free (sysconf)"
    return None


@dataclass(frozen=True)
class TrainingMemory:
    """A floor under the memory one training step of a model takes, in bytes.

    Attributes:
        activations: The input and the outputs of the layers with weights for one batch,
            which the backward pass needs, plus the gradient of the largest one.
        weights: The weights, and the gradients of the trainable ones.
    """

    activations: int
    weights: int

    @property
    def total(self) -> int:
        return self.activations + self.weights


def _layers(model: Any) -> list[Any]:
    """Every layer of ``model`` but its inputs, nested models' layers in place of the models (a backbone's, say)."""
    found: dict[int, Any] = {}  # by identity: a layer inside a nested model and the outer one is one layer
    for layer in getattr(model, "layers", []):
        if type(layer).__name__ == "InputLayer":  # its output is the model's input, counted once from model.inputs
            continue
        for inner in _layers(layer) if getattr(layer, "layers", None) else [layer]:
            found.setdefault(id(inner), inner)
    return list(found.values())


def _known(shape: Any) -> bool:
    return all(isinstance(n, int) for n in tuple(shape)[1:])


def training_memory_floor(model: Any, batch_size: int) -> TrainingMemory:
    """A floor under what training ``model`` on batches of ``batch_size`` takes: it needs at least this.

    Counts only tensors every training step makes and keeps for its backward pass: the
    input batch, the output of every layer with trainable weights but normalization (a
    convolution's, a dense layer's: their gradients need them, nothing computes them in place), the
    gradient of the largest of those, and the weights and their gradients. Not counted, so
    that the figure stays a floor: outputs of layers without weights and of normalization
    layers (TensorFlow may compute them in place or fuse them with their neighbours: counting
    every layer's output gave 1.4x what ResNet50V2 took), the optimizer's slots, the
    framework's workspace, outputs whose shape is unknown before training (a layer called
    twice, a subclassed model). Measured at batch 32: training grew the process by 2.0x
    this floor (five-conv, 300x300), 2.3x (ResNet50V2, 224x224), 4.0x (EfficientNetV2B0), 4.8x
    (MobileNetV3Small).
    """
    sizes = [math.prod(tuple(x.shape)[1:]) * 4 for x in getattr(model, "inputs", None) or [] if _known(x.shape)]
    for layer in _layers(model):
        if not getattr(layer, "trainable_weights", None) or "Normalization" in type(layer).__name__:
            continue  # a frozen layer (a backbone's, say) keeps nothing for the backward pass
        try:
            shape = tuple(layer.output.shape)
        except (AttributeError, ValueError, TypeError):  # called more than once, or never: its output unknown
            continue
        if _known(shape):
            itemsize = 2 if str(getattr(layer, "compute_dtype", "float32")) in ("bfloat16", "float16") else 4
            sizes.append(math.prod(shape[1:]) * itemsize)
    activations = (sum(sizes) + max(sizes, default=0)) * batch_size
    weights = sum(math.prod(tuple(w.shape)) * 4 for w in getattr(model, "weights", []))
    gradients = sum(math.prod(tuple(w.shape)) * 4 for w in getattr(model, "trainable_weights", []))
    return TrainingMemory(activations=activations, weights=weights + gradients)
