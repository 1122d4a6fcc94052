"""Report sections come from plugins (hoh_report_sections), the built-in curves plugin's "Training" too."""

from __future__ import annotations

import io
import textwrap
from pathlib import Path

from core_helpers import hand_written_run, tiny_five_conv
from PIL import Image

from framework.evaluation.sections import plugin_sections


def _png(colour: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(buffer, format="PNG")
    return buffer.getvalue()


PLUGIN = """
    import io
    from PIL import Image
    from framework import ReportSection, hookimpl

    @hookimpl
    def hoh_report_sections(run_dir):
        buffer = io.BytesIO()
        Image.new("RGB", (8, 8), "red").save(buffer, format="PNG")
        epochs = len((run_dir / "metrics.jsonl").read_text().splitlines())
        return [ReportSection("Saliency", [f"{epochs} epochs <b>seen</b>"], {"saliency": buffer.getvalue()}, "maps")]
"""


def _run_with_plugin(tmp_path: Path, body: str) -> Path:
    run = hand_written_run(tmp_path, "run", 0.001)
    (run / "sections_plugin.py").write_text(textwrap.dedent(body))
    text = tiny_five_conv(name="quick", output=str(tmp_path), data="data")  # a run's whole experiment.toml
    (run / "experiment.toml").write_text(text.replace("seed = 1\n", 'seed = 1\nplugins = ["sections_plugin.py"]\n'))
    (run / "plots").mkdir()
    (run / "plots" / "curves.png").write_bytes(_png("blue"))
    return run


def test_the_runs_plugins_and_the_curves_plugin_add_their_sections(tmp_path: Path) -> None:
    run = _run_with_plugin(tmp_path, PLUGIN)
    sections = {section.title: section for section in plugin_sections(run, autoload=False)}
    assert set(sections) == {"Saliency", "Training"}
    assert sections["Saliency"].paragraphs == ["3 epochs <b>seen</b>"]  # the plugin read this run's folder
    assert sections["Saliency"].pictures["saliency"].startswith(b"\x89PNG")
    assert sections["Training"].pictures == {"curves": (run / "plots" / "curves.png").read_bytes()}


def test_a_failing_plugin_costs_its_own_section_only(tmp_path: Path) -> None:
    run = _run_with_plugin(tmp_path, PLUGIN.replace("epochs = len(", "epochs = 1 / 0 + len("))
    sections = plugin_sections(run, autoload=False)
    assert [s.title for s in sections] == ["Sections left out", "Training"]
    assert "plugin 'sections_plugin'" in sections[0].paragraphs[0] and "ZeroDivisionError" in sections[0].paragraphs[0]


def test_a_picture_that_would_overwrite_the_reports_own_is_refused(tmp_path: Path) -> None:
    run = _run_with_plugin(tmp_path, PLUGIN.replace('{"saliency":', '{"mistakes":'))
    sections = plugin_sections(run, autoload=False)
    assert sections[0].title == "Sections left out" and "'mistakes' is taken" in sections[0].paragraphs[0]


def test_a_run_whose_plugin_is_gone_still_gets_the_built_in_sections(tmp_path: Path) -> None:
    run = _run_with_plugin(tmp_path, PLUGIN)
    (run / "sections_plugin.py").unlink()
    sections = plugin_sections(run, autoload=False)
    assert [s.title for s in sections] == ["Sections left out", "Training"]
    assert "could not be loaded with its own plugins" in sections[0].paragraphs[0]
    assert "sections_plugin.py" in sections[0].paragraphs[0]
