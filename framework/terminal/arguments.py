"""Arguments and handlers shared by hoh's sub-commands (only argparse is imported here)."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence

Handler = Callable[[argparse.Namespace], int]


def add_plugin_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--plugin",
        action="append",
        default=[],
        metavar="MODULE",
        help="load a plugin module (dotted name or .py file); repeatable",
    )
    parser.add_argument(
        "--no-plugin-autoload",
        action="store_true",
        help="do not load plugins from installed packages' entry points (or set HOH_DISABLE_PLUGIN_AUTOLOAD=1)",
    )


def add_common(parser: argparse.ArgumentParser) -> None:
    # SUPPRESS: a sub-command's own default must not reset ``hoh --debug COMMAND`` (see _dispatch).
    parser.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="show Python tracebacks for errors"
    )


def count(text: str) -> int:
    """An argparse type: a whole number >= 0."""
    value = int(text) if text.lstrip("-").isdigit() else -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number >= 0")
    return value


def positive(text: str) -> int:
    """An argparse type: a whole number >= 1."""
    value = count(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number >= 1")
    return value


def at_least(least: int) -> Callable[[str], int]:
    """An argparse type: a whole number >= ``least``."""

    def parse(text: str) -> int:
        value = count(text)
        if value < least:
            raise argparse.ArgumentTypeError(f"{text!r} is less than {least}")
        return value

    return parse


def add_checkpoint_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--checkpoint",
        metavar="NAME",
        help="use the run's checkpoints/NAME.keras (e.g. best, last) instead of model.keras",
    )


def add_format_option(parser: argparse.ArgumentParser, choices: Sequence[str] = ("table", "json")) -> None:
    parser.add_argument(
        "--format", choices=list(choices), default="table", help="output for people (table) or programs (json)"
    )


def lazy(module: str, name: str) -> Handler:
    def handler(args: argparse.Namespace) -> int:
        import importlib

        return getattr(importlib.import_module(module), name)(args)

    return handler
