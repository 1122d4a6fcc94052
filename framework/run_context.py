"""The run's handle: what hooks and callback factories may use about one run (:class:`RunContext`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from framework.providers import Flows, Params

if TYPE_CHECKING:
    from rich.console import Console

    from framework.config.loader import Experiment
    from framework.registry import Registry


Phase = Literal["configure", "build", "fit", "finish"]


@dataclass
class RunContext:
    """Everything about one run that hooks and callback factories may use.

    Which fields are set depends on the run's phase (see :mod:`framework.hooks.lifecycle`):

    ======================  =====================================================
    from phase ``configure``  ``experiment``, ``seed``, ``run_dir``, ``console``, ``resumed``,
                            ``history``, ``providers``, ``strategy``, ``settings()``
    from phase ``build``      ``flows`` (before the model is built), then ``model``
    ======================  =====================================================

    Attributes:
        experiment: The validated experiment (:class:`framework.config.loader.Experiment`).
        providers: The providers this run's experiment was validated against (its registry).
        run_dir: The run's folder.
        console: The rich console runs report to.
        resumed: True when this run continues an interrupted one, or extends a finished one.
        extends: The finished run an extension (``hoh-run --extend``) continues; its records were
            copied into ``run_dir`` and the run is ``resumed`` from them. ``None`` for other runs.
            Set again when a killed extension is resumed (from its ``extends.json``).
        extends_epochs: The epochs that finished run had: the extension trains from the next one.
        history: Metrics of every finished epoch, filled in as the run goes.
        seed: ``[experiment] seed`` (read-only): seeds Python, NumPy, TensorFlow and the pipeline.
        phase: The phase the run is in.
        strategy: The ``tf.distribute.Strategy`` (``None`` before ``configure``).
        flows: The training and validation batches (``None`` before ``build``).
        model: The compiled ``keras.Model`` (``None`` until built).
        is_chief: Whether this process writes the run folder (always true on one machine;
            a multi-worker strategy makes only its chief write).
        outcome: Set by a plugin that ends the run early on purpose, e.g. ``"pruned"`` (a sweep's
            pruner): ``status.json`` records it instead of ``"finished"`` and ``hoh_after_run`` sees it.
        outcome_reason: Why, in a sentence (recorded with it).
        extras: Free space for plugins to share state during a run.
    """

    experiment: Experiment
    providers: Registry
    run_dir: Path
    console: Console
    resumed: bool = False
    extends: Path | None = None
    extends_epochs: int | None = None
    history: list[dict[str, float]] = field(default_factory=list)
    phase: Phase = "configure"
    strategy: Any = None
    flows: Flows | None = None
    model: Any = None
    is_chief: bool = True
    outcome: Literal["pruned"] | None = None
    outcome_reason: str | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def seed(self) -> int:
        return self.experiment.experiment.seed

    def settings(self, plugin: str) -> Params:
        """The validated ``[plugins.<plugin>]`` settings (defaults when the table is left out).

        Raises:
            KeyError: naming the plugins that take settings, when ``plugin`` takes none.
        """
        found = self.experiment.plugin_settings.get(plugin)
        if found is None:
            names = ", ".join(sorted(self.experiment.plugin_settings)) or "none"
            raise KeyError(f"plugin {plugin!r} takes no settings in this run (plugins with settings: {names})")
        return found
