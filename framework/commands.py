"""Sub-commands of ``hoh``, built-in or added by plugins (:func:`framework.hooks.plugins.hoh_commands`)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass, field


def _no_arguments(parser: argparse.ArgumentParser) -> None:
    """A command without arguments of its own."""


@dataclass(frozen=True)
class Command:
    """One ``hoh`` sub-command. hoh's own commands are made of this too, each defined next to its handler.

    Args:
        name: What users type after ``hoh``.
        help: One line for ``hoh --help``.
        arguments: Adds the command's arguments to its ``argparse`` parser (``--debug`` is
            added for you).
        run: Runs the command with the parsed arguments and returns the exit status.
            Raise :class:`framework.UserError` for the user's mistakes: ``hoh`` prints
            the message without a traceback and exits 2 (``--debug`` shows it). ``None``
            for a command that only groups ``subcommands``.
        description: The paragraph ``hoh NAME --help`` shows (default: ``help``).
        epilog: Shown after the options in ``hoh NAME --help``, e.g. examples.
        subcommands: Commands under this one (``hoh data info``); the user must name one.
        intermixed: Parse this command alone with ``parse_intermixed_args``, so that options
            may follow positional arguments given with ``nargs="*"`` (``hoh run FILE
            training.epochs=3 --offline``).

    Keep the module that defines a command light at import (argparse only, say): ``hoh`` imports
    every built-in command's module to build its parser, and imports the heavy parts (TensorFlow,
    rich, numpy) inside ``run``.

    Example::

        @hookimpl
        def hoh_commands():
            def arguments(parser):
                parser.add_argument("run", help="a run folder")

            def run(args):
                print(Path(args.run, "evaluation.json").read_text())
                return 0

            return [Command("show-evaluation", "print a run's evaluation.json", arguments, run)]
    """

    name: str
    help: str
    arguments: Callable[[argparse.ArgumentParser], None] = _no_arguments
    run: Callable[[argparse.Namespace], int] | None = None
    description: str = ""
    epilog: str = ""
    subcommands: tuple[Command, ...] = field(default=())
    intermixed: bool = False

    def __post_init__(self) -> None:
        if (self.run is None) == (not self.subcommands):
            raise ValueError(f"command {self.name!r}: give either run or subcommands, not both or neither")
