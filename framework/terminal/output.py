"""Consoles for command output and error messages."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.text import Text


def stdout_console() -> Console:
    return Console(highlight=False)


def print_error(message: str) -> None:
    """Print a user-facing error to standard error, without a traceback."""
    console = Console(stderr=True, highlight=False, soft_wrap=True)
    first, _, rest = message.partition("\n")
    console.print(Text.assemble(("error:", "bold red"), " ", first), emoji=False)  # user text is never markup
    if rest:
        console.print(rest, markup=False, emoji=False)
    if not console.is_terminal:
        sys.stderr.flush()
