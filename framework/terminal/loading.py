"""Shared by commands: turn command-line arguments into a validated experiment."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from framework.errors import PluginError
from framework.loading import Loaded, load_experiment
from framework.rundir import resolve_run_dir

if TYPE_CHECKING:
    from framework.inference import TrainedRun


def plugin_args(args: argparse.Namespace) -> list[str]:
    """``--plugin`` values; ``.py`` paths are relative to the working directory.

    Raises:
        PluginError: for a ``.py`` path that is not a file (named with where it was looked for).
    """
    resolved = []
    for spec in args.plugin:
        if spec.endswith(".py"):
            path = Path(spec).resolve()
            if not path.is_file():
                raise PluginError(
                    f"--plugin {spec}: no such file (looked for {path}; --plugin paths are relative to the "
                    f"working directory, {Path.cwd()}). Name an existing .py file or an importable module."
                )
            spec = str(path)
        resolved.append(spec)
    return resolved


def load_from_args(args: argparse.Namespace, overrides: list[str] | None = None) -> Loaded:
    """Load ``args.experiment`` with the overrides and plugin options given on the command line."""
    return load_experiment(
        Path(args.experiment),
        overrides if overrides is not None else list(getattr(args, "overrides", []) or []),
        plugins=plugin_args(args),
        autoload=not args.no_plugin_autoload,
    )


def open_run_from_args(
    args: argparse.Namespace, target: str, *, before_tensorflow: Callable[[TrainedRun], None] | None = None
) -> TrainedRun:
    """Open the run ``target`` with ``--checkpoint`` and the plugin options, then import TensorFlow quietly.

    The run's files are checked first, then ``before_tensorflow(run)`` (a command's own checks),
    so a wrong folder or option is reported without waiting for TensorFlow.
    """
    from framework.inference import TrainedRun
    from framework.terminal.quiet_tensorflow import import_tensorflow_quietly

    run = TrainedRun.open(
        resolve_run_dir(Path(target)),
        checkpoint=getattr(args, "checkpoint", None),
        plugins=plugin_args(args),
        autoload=not args.no_plugin_autoload,
    )
    if before_tensorflow is not None:
        before_tensorflow(run)
    import_tensorflow_quietly(verbose=getattr(args, "debug", False))
    return run
