"""Consoles for command output and error messages."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.text import Text


class _PipedConsole(Console):
    """A console whose closed pipe (``hoh runs | head``) ends the command as hoh's other writes do: exit 0."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError  # rich's own exits 1, an error; the CLI quiets stdout and exits 0


def stdout_console() -> Console:
    """The console commands print their results on (standard output)."""
    return _PipedConsole(highlight=False)


def print_error(message: str) -> None:
    """Print a user-facing error to standard error, without a traceback."""
    console = Console(stderr=True, highlight=False, soft_wrap=True)
    first, _, rest = message.partition("\n")
    console.print(Text.assemble(("error:", "bold red"), " ", first), emoji=False)  # user text is never markup
    if rest:
        console.print(rest, markup=False, emoji=False)
    if not console.is_terminal:
        sys.stderr.flush()
