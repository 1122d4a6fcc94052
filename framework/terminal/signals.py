"""SIGTERM handled as Ctrl-C, for the commands that clean up after an interrupt."""

from __future__ import annotations

import signal


class Terminated(KeyboardInterrupt):
    """SIGTERM (schedulers, ``docker stop``, ``kill``): handled exactly as Ctrl-C."""


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated("terminated (SIGTERM)")


def interrupt_on_sigterm() -> None:
    """From now on, SIGTERM raises :class:`Terminated` (a ``KeyboardInterrupt``) in the main thread.

    Example::

        interrupt_on_sigterm()
        try:
            work()
        except KeyboardInterrupt:  # Ctrl-C or `kill`
            clean_up()
    """
    signal.signal(signal.SIGTERM, _raise_terminated)
