"""The end-of-run evaluation report: ``RUN/evaluation/`` when ``[training] report = true``.

The same report ``hoh evaluate RUN`` writes (metrics, pictures, ``report.html``), drawn by
an ordinary ``hoh_after_run`` hook once ``model.keras`` and ``evaluation.json`` are written.
A built-in plugin like any other: ``disable_plugins = ["report"]`` switches it off, and a
plugin of your own can draw its own report the same way.
"""

from __future__ import annotations

from framework import RunContext, hookimpl


@hookimpl(trylast=True)  # after the other plugins: the curves plugin draws its final picture first
def hoh_after_run(run: RunContext, history: list[dict[str, float]]) -> None:
    """Write the run's evaluation report, when the experiment asks for it."""
    if not run.experiment.training.report:
        return
    if run.flows is not None and run.flows.validation is None:
        run.console.print(
            "No evaluation report: this run has no validation set to score. `hoh evaluate RUN --split test` writes "
            "one for its test split, if it has one, and `hoh evaluate RUN FOLDER` for a labelled folder."
        )
        return
    from framework.api import TrainedRun, evaluate_run

    evaluate_run(TrainedRun.open(run.run_dir), console=run.console)
