"""Lifecycle hooks: called by the runner at fixed points of every run.

Every implementation of a hook is called (in pluggy's order: the most recently
registered plugin first); return values are ignored. An exception raised by a
lifecycle hook fails the run, so keep them robust.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from framework.markers import hookspec

if TYPE_CHECKING:
    from framework.providers import RunContext


@hookspec
def hoh_before_run(run: RunContext, model: Any) -> None:
    """Called once the model is built and compiled, before the first epoch.

    Args:
        run: The run's context: resolved experiment, run folder, seed, console.
        model: The compiled ``keras.Model`` about to be trained.

    Returns:
        Nothing.
    """


@hookspec
def hoh_after_epoch(run: RunContext, epoch: int, logs: dict[str, float], history: list[dict[str, float]]) -> None:
    """Called after each finished epoch, validation included.

    Args:
        run: The run's context.
        epoch: The zero-based index of the epoch that just finished.
        logs: This epoch's metrics (``loss``, ``accuracy``, ``val_loss``, ...).
        history: Every finished epoch's metrics so far, this one included, also
            those of an earlier, resumed part of the run.

    Returns:
        Nothing.
    """


@hookspec
def hoh_after_run(run: RunContext, history: list[dict[str, float]]) -> None:
    """Called after training and final evaluation succeeded and the model was saved.

    Args:
        run: The run's context.
        history: Every epoch's metrics, in order, one dict per epoch.

    Returns:
        Nothing.
    """


@hookspec
def hoh_on_run_error(run: RunContext, error: BaseException) -> None:
    """Called when a run fails or is interrupted, before the error propagates.

    Args:
        run: The run's context.
        error: The exception that stopped the run (``KeyboardInterrupt`` included).

    Returns:
        Nothing.
    """
