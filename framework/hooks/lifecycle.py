"""Lifecycle hooks: called by the runner in the phases of every run.

A run goes through four phases, named in ``run.phase``:

1. ``configure``: the precision policy and the distribution strategy are set
   (``run.strategy``); then :func:`hoh_configure_run`.
2. ``build``: dataset and input pipeline (``run.flows``), then, inside the strategy's
   scope, :func:`hoh_build_model` (``run.model``), the optimizer and ``compile``; then
   :func:`hoh_before_run`.
3. ``fit``: ``model.fit``; :func:`hoh_after_epoch` after each epoch.
4. ``finish``: ``model.keras`` saved, final evaluation and report; then :func:`hoh_after_run`.

:func:`hoh_on_run_error` is called when any phase fails.

Except for :func:`hoh_build_model`, every implementation of a hook is called (in
pluggy's order: the most recently registered plugin first) and return values are
ignored. An exception raised by a lifecycle hook fails the run, so keep them robust.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from framework.markers import hookspec

if TYPE_CHECKING:
    from framework.providers import ModelSpec
    from framework.run_context import RunContext


@hookspec
def hoh_configure_run(run: RunContext) -> None:
    """Called first in a run (phase ``configure``), before any data or model is built.

    The global precision policy (``training.precision``) is set and ``run.strategy``
    holds the distribution strategy; ``run.flows`` and ``run.model`` are still ``None``.
    Set process-wide options here (threading, XLA, logging).

    Args:
        run: The run's context.

    Returns:
        Nothing.
    """


@hookspec(firstresult=True)
def hoh_build_model(run: RunContext, spec: ModelSpec) -> Any:
    """Build the model to train (phase ``build``), inside ``run.strategy.scope()``.

    A "pick one" hook: the first implementation that returns something other than
    ``None`` wins. The core's own implementation runs last and builds the ``[model]``
    provider's model, so a plugin usually *wraps* this hook instead, as pluggy wrappers do::

        @hookimpl(wrapper=True)
        def hoh_build_model(run, spec):
            model = yield  # the model the [model] provider (or another plugin) built
            return model

    ``run.flows`` is set already. After the hook, the runner refuses a model whose
    output is not float32 under a mixed precision policy.

    Args:
        run: The run's context.
        spec: Input shape and class names.

    Returns:
        An uncompiled ``keras.Model``, or ``None`` to leave the choice to others.
    """


@hookspec
def hoh_before_run(run: RunContext, model: Any) -> None:
    """Called once the model is built and compiled, before the first epoch (end of phase ``build``).

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
        logs: This epoch's row of ``metrics.jsonl``: its metrics (``loss``, ``accuracy``,
            ``val_loss``, ...), ``epoch`` (one-based, as the run's output counts: ``epoch + 1``)
            and ``seconds`` (the epoch's wall time).
        history: Every finished epoch's metrics so far, this one included, also
            those of an earlier, resumed part of the run.

    Returns:
        Nothing.
    """


@hookspec
def hoh_after_run(run: RunContext, history: list[dict[str, float]]) -> None:
    """Called last in phase ``finish``: after the model was saved and evaluated.

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
