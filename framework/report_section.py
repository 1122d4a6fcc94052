"""A section of a run's evaluation report that a plugin adds (:func:`framework.hooks.lifecycle.hoh_report_sections`)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ReportSection:
    """One section of ``report.html``: a heading, paragraphs and pictures, in that order.

    Args:
        title: The section's heading.
        paragraphs: Plain text, one string a paragraph (hoh escapes it: no HTML).
        pictures: PNG images by name; each is shown with ``caption`` and also written to the
            report folder as ``<name>.png``. Names are letters, digits, ``-`` and ``_``.
        caption: The pictures' caption.

    Example::

        @hookimpl
        def hoh_report_sections(run_dir):
            path = run_dir / "plots" / "saliency.png"
            if path.is_file():
                return [ReportSection("Saliency", ["Where the model looks."], {"saliency": path.read_bytes()})]
            return []
    """

    title: str
    paragraphs: tuple[str, ...] | list[str] = ()
    pictures: dict[str, bytes] = field(default_factory=dict)
    caption: str = ""
