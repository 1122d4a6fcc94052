"""Sub-commands that plugins add to ``hoh`` (see :func:`framework.hooks.plugins.hoh_commands`)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Command:
    """One ``hoh`` sub-command offered by a plugin.

    Args:
        name: What users type after ``hoh``.
        help: One line for ``hoh --help``.
        arguments: Adds the command's arguments to its ``argparse`` parser.
        run: Runs the command with the parsed arguments and returns the exit status.
            Raise :class:`framework.UserError` for the user's mistakes: ``hoh`` prints
            the message without a traceback and exits 2 (``--debug`` shows it).

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
    arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]
