"""The report sections plugins add (``hoh_report_sections``), gathered one plugin at a time.

A plugin that fails, or returns something else than sections, costs its own section, not the
report: the page shows what went wrong in its place.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from framework.errors import UserError
from framework.report_section import ReportSection
from framework.rundir import EXPERIMENT_FILE
from framework.terminal.signals import reraise_if_interrupted

PICTURE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
RESERVED = frozenset({"confusion_matrix", "roc_pr", "calibration", "mistakes"})
"""Picture names the report's own figures use."""


def plugin_sections(run_dir: Path, *, plugins: Sequence[str] = (), autoload: bool = True) -> list[ReportSection]:
    """Every section the active plugins of the run in ``run_dir`` add, in hook-call order.

    Args:
        run_dir: The run folder; its ``experiment.toml`` names its plugins.
        plugins: Extra plugin modules (``--plugin``).
        autoload: Whether installed plugins are loaded.
    """
    from framework.loading import load_experiment
    from framework.session import Session

    found: list[ReportSection] = []
    try:
        view = load_experiment(run_dir / EXPERIMENT_FILE, plugins=list(plugins), autoload=autoload, recorded=True)
    except UserError as error:  # e.g. a .py plugin of the run's that is gone: the others still add theirs
        view = Session(autoload=autoload).activate()
        why = (
            "its experiment could not be loaded with its own plugins, so only built-in and installed ones add "
            f"sections: {error}"
        )
        found.append(_failed("the run's plugins", why))
    taken = set(RESERVED)
    for impl in reversed(view.hook.hoh_report_sections.get_hookimpls()):  # pluggy calls the last first
        plugin = view.pm.get_name(impl.plugin) or repr(impl.plugin)
        try:
            sections = impl.function(**{name: run_dir for name in impl.argnames}) or []
            problem = _check(sections, taken)
        except Exception as error:  # a plugin's bug: its section is lost, not the report
            reraise_if_interrupted(error)  # but an interrupt arriving as an error stops the command
            problem = f"{type(error).__name__}: {str(error)[:500]}"
        if problem:
            found.append(_failed(f"plugin {plugin!r}", problem))
            continue
        found += sections
        taken |= {name for section in sections for name in section.pictures}
    return found


def _check(sections: object, taken: set[str]) -> str | None:
    if not isinstance(sections, list | tuple) or not all(isinstance(s, ReportSection) for s in sections):
        return f"hoh_report_sections() must return a list of ReportSection, got {type(sections).__name__}"
    for section in sections:
        for name, data in section.pictures.items():
            if not PICTURE_NAME.match(name) or name in taken:
                return f"picture name {name!r} is taken or not letters, digits, - and _"
            if not isinstance(data, bytes) or not data.startswith(b"\x89PNG"):
                return f"picture {name!r} is not PNG bytes"
    return None


def _failed(who: str, why: str) -> ReportSection:
    return ReportSection("Sections left out", [f"{who}: {why}"])


def section_pictures(sections: list[ReportSection]) -> dict[str, bytes]:
    """Every section's pictures by name (written beside ``report.html``)."""
    return {name: data for section in sections for name, data in section.pictures.items()}
