"""What the runner needs to know about a distribution strategy, whichever plugin made it."""

from __future__ import annotations

from typing import Any


def is_chief(strategy: Any) -> bool:
    """Whether this process writes the run folder.

    One machine (``default``, ``mirrored``): always. A multi-worker strategy: only the
    worker whose cluster resolver says it is the chief (task type ``chief``, or worker 0
    when the cluster has no chief), as TensorFlow's multi-worker guide does it.
    """
    resolver = getattr(strategy, "cluster_resolver", None)
    task_type = getattr(resolver, "task_type", None)
    if resolver is None or task_type is None:
        return True
    if task_type == "chief":
        return True
    cluster = resolver.cluster_spec().as_dict() if hasattr(resolver, "cluster_spec") else {}
    return task_type == "worker" and getattr(resolver, "task_id", 0) == 0 and "chief" not in cluster
