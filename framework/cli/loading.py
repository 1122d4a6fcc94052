"""Shared by commands: turn command-line arguments into a validated experiment."""

from __future__ import annotations

import argparse
from pathlib import Path

from framework.config.loader import Loaded, load_experiment


def load_from_args(args: argparse.Namespace, overrides: list[str] | None = None) -> Loaded:
    """Load ``args.experiment`` with the overrides and plugin options given on the command line."""
    return load_experiment(
        Path(args.experiment),
        overrides if overrides is not None else list(getattr(args, "overrides", []) or []),
        plugins=list(args.plugin),
        autoload=not args.no_plugin_autoload,
    )
