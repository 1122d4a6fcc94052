"""Hooks of the evaluation report (``report.html``, from ``hoh evaluate`` and ``[training] report``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from framework.markers import hookspec

if TYPE_CHECKING:
    from framework.report_section import ReportSection


@hookspec
def hoh_report_sections(run_dir: Path) -> list[ReportSection]:
    """Add sections to a run's evaluation report.

    Called once per report, by ``hoh evaluate RUN`` and by the end-of-run report (the built-in
    ``report`` plugin), after the model has been evaluated and before ``report.html`` is written,
    with the run's active plugins (those of its ``experiment.toml``). The sections follow the
    metrics tables, in pluggy's order (the most recently registered plugin first; the built-in
    ``curves`` plugin's "Training" section comes this way). A plugin that fails here costs
    its section, not the report: the page says which plugin failed and why.

    Args:
        run_dir: The run's folder (``metrics.jsonl``, ``plots/``, whatever the plugin wrote).

    Returns:
        :class:`framework.ReportSection` objects (an empty list for none).
    """
