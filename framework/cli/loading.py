"""Shared by commands: turn command-line arguments into a validated experiment."""

from __future__ import annotations

import argparse
from pathlib import Path

from framework.config.loader import Loaded, load_experiment


def plugin_args(args: argparse.Namespace) -> list[str]:
    """``--plugin`` values; ``.py`` paths are relative to the working directory."""
    return [str(Path(p).resolve()) if p.endswith(".py") else p for p in args.plugin]


def load_from_args(args: argparse.Namespace, overrides: list[str] | None = None) -> Loaded:
    """Load ``args.experiment`` with the overrides and plugin options given on the command line."""
    return load_experiment(
        Path(args.experiment),
        overrides if overrides is not None else list(getattr(args, "overrides", []) or []),
        plugins=plugin_args(args),
        autoload=not args.no_plugin_autoload,
    )
