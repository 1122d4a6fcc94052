"""The HTML report in a real headless browser: the page loads from disk and its pictures render."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from browser import screenshot
from inference_helpers import hoh

pytestmark = pytest.mark.slow


def _plot_pixels(pixels: np.ndarray) -> int:
    """Pixels in matplotlib's and the colour map's blues: the report's text and tables have none."""
    red, blue = pixels[..., 0], pixels[..., 2]
    return int(np.count_nonzero((blue - red > 60) & (blue > 100)))


def test_report_renders_in_a_browser(binary_run: Path, tmp_path: Path) -> None:
    done = hoh("hoh", "evaluate", str(binary_run), "-o", str(tmp_path / "report"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    page = tmp_path / "report" / "report.html"
    moved = tmp_path / "elsewhere" / "report.html"  # self-contained: the PNGs beside it are not needed
    moved.parent.mkdir()
    shutil.copy(page, moved)
    pixels = screenshot(moved, tmp_path / "shot.png")
    height = pixels.shape[0]
    assert height >= 2000
    top = pixels[:300]
    assert np.count_nonzero(top.sum(axis=2) < 200) > 500, "no dark title/table text at the top: the page did not load"
    plots = _plot_pixels(pixels)
    assert plots > 20000, f"only {plots} plot-coloured pixels: the pictures did not render"


def test_a_report_without_its_pictures_is_told_apart(binary_run: Path, tmp_path: Path) -> None:
    """The check above can fail: the same page with its images made unreadable has no plot pixels."""
    done = hoh("hoh", "evaluate", str(binary_run), "-o", str(tmp_path / "report"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    page = tmp_path / "report" / "report.html"
    broken = tmp_path / "broken.html"
    broken.write_text(page.read_text().replace("data:image/png;base64,", "data:image/png;base64,AAAA"))
    assert _plot_pixels(screenshot(broken, tmp_path / "shot.png")) < 2000
