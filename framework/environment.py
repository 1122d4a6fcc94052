"""What a run ran on: versions of Python, TensorFlow, Keras and every plugin."""

from __future__ import annotations

import functools
import importlib.metadata
import platform
import socket
import sys
from typing import Any

import pluggy


@functools.cache
def _distributions_by_package() -> dict[str, list[str]]:
    """Top-level package -> distributions, read once a process: it reads every installed
    distribution's file list (~0.3 s with TensorFlow installed, idle). Called once per plugin,
    uncached, it cost each run ~4 s of its start (12 plugins), which the runner-fit benchmark
    workloads had been measuring."""
    return importlib.metadata.packages_distributions()


def _distribution_version(module_name: str) -> str | None:
    top = module_name.split(".")[0]
    for dist in _distributions_by_package().get(top, []):
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
    return None


def plugin_versions(pm: pluggy.PluginManager) -> list[dict[str, Any]]:
    """Name, module, file and version of every registered plugin."""
    rows = []
    for name, plugin in pm.list_name_plugin():
        module = getattr(plugin, "__name__", type(plugin).__module__)
        rows.append(
            {
                "name": name,
                "module": module,
                "file": getattr(plugin, "__file__", None),
                "version": getattr(plugin, "__version__", None) or _distribution_version(module),
            }
        )
    return rows


def describe_environment(pm: pluggy.PluginManager, seed: int, strategy: Any = None) -> dict[str, Any]:
    """Everything ``environment.json`` records. Imports TensorFlow: call it during a run only."""
    import keras
    import tensorflow as tf

    return {
        "python": sys.version,
        "platform": platform.platform(),
        "host": socket.gethostname(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": importlib.metadata.version("numpy"),
        "devices": [d.name for d in tf.config.list_physical_devices()],
        "seed": seed,
        "argv": sys.argv,
        "plugins": plugin_versions(pm),
        "precision": keras.mixed_precision.global_policy().name,
        "strategy": None
        if strategy is None
        else {
            "type": type(strategy).__name__,
            "replicas": int(strategy.num_replicas_in_sync),
            "devices": _strategy_devices(strategy),
        },
    }


def _strategy_devices(strategy: Any) -> list[str]:
    """The devices a strategy trains on (the default strategy has no list: it places ops as TensorFlow does)."""
    try:
        return [str(device) for device in strategy.extended.worker_devices]
    except (AttributeError, RuntimeError):
        return []
