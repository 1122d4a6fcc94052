"""SIGTERM handled as Ctrl-C, for the commands that clean up after an interrupt."""

from __future__ import annotations

import signal

_received: KeyboardInterrupt | None = None  # the interrupt a signal raised in this command, once one arrived


class Terminated(KeyboardInterrupt):
    """SIGTERM (schedulers, ``docker stop``, ``kill``): handled exactly as Ctrl-C."""


def _raise_terminated(signum: int, frame: object) -> None:
    global _received
    _received = Terminated("terminated (SIGTERM)")
    raise _received


def _raise_interrupted(signum: int, frame: object) -> None:
    global _received
    _received = KeyboardInterrupt("interrupted (Ctrl-C)")
    raise _received


def reraise_if_interrupted(error: BaseException) -> None:
    """Raise the interrupt ``error`` stands for, when a signal arrived in this command; else do nothing.

    The exception a signal raises does not always reach the command's caller as itself: raised
    while a C extension module initializes (``import matplotlib.backends._backend_agg``, say),
    it becomes ``ImportError: initialization failed``. This is for a broad ``except Exception``
    that would otherwise swallow it.

    Example::

        try:
            draw()
        except Exception as error:  # a picture must never cost a run...
            reraise_if_interrupted(error)  # ...but an interrupt must stop it
            warn(error)
    """
    if _received is not None:
        raise type(_received)(*_received.args) from error


def interrupt_on_sigterm() -> None:
    """From now on, SIGTERM raises :class:`Terminated` (a ``KeyboardInterrupt``) in the main thread.

    Ctrl-C (SIGINT) still raises ``KeyboardInterrupt``, unless it was ignored when the process
    started (``nohup``); both are recorded for :func:`reraise_if_interrupted`, afresh for each command.

    Example::

        interrupt_on_sigterm()
        try:
            work()
        except KeyboardInterrupt:  # Ctrl-C or `kill`
            clean_up()
    """
    global _received
    _received = None
    signal.signal(signal.SIGTERM, _raise_terminated)
    if signal.getsignal(signal.SIGINT) in (signal.default_int_handler, _raise_interrupted):
        signal.signal(signal.SIGINT, _raise_interrupted)
