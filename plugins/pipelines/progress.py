"""What a pipeline shows while it works before training: checking files, decoding into the store.

Checking 50,000 files' headers takes 4-6 s on 2 cores, and decoding a large validation set
into the on-disk store as long as decoding takes (5,000 300x300 JPEGs: ~2 s; 50,000:
~20 s). Without a sign of life a user cannot tell that from a hang. Both are shown on
standard error, on a terminal only, for work large enough to be worth it, and leave no
lines behind (rich's transient displays). The training images' first pass is decoded
while training, under the epoch's own progress bar.

Pipelines get no console from the runner (a pipeline factory takes only its parameters),
so these draw on one of their own on standard error, as the backbone plugin's weight
downloads do. ``TTY_COMPATIBLE=1`` (rich's switch) shows them where standard error is not a
terminal; ``TTY_COMPATIBLE=0`` hides them on one.

Example::

    with counted("decoding 5,000 validation images", 5000) as advance:
        for batch in batches:
            ...
            advance(len(batch))
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

#: Files or images below which nothing is shown: a second or two of work at most.
SHOWN_FROM = 2_000


def _console(count: int) -> Console | None:
    """A console on standard error when ``count`` items are worth a display there, else ``None``."""
    if count < SHOWN_FROM:
        return None
    from rich.console import Console

    console = Console(stderr=True)
    return console if console.is_terminal else None


@contextmanager
def counted(description: str, total: int) -> Iterator[Callable[[int], None]]:
    """A progress bar of ``total`` items while the block runs; yields ``advance(n)``."""
    console = _console(total)
    if console is None:
        yield lambda n: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(description, total=total)
        yield lambda n: progress.advance(task, n)


@contextmanager
def spinning(description: str, count: int) -> Iterator[None]:
    """A spinner saying ``description`` while the block runs, for work on ``count`` items."""
    console = _console(count)
    if console is None:
        yield
        return
    with console.status(description):
        yield
