"""The HTML report in a real headless browser: the page loads from disk and its pictures render."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from inference_helpers import hoh
from PIL import Image

pytestmark = pytest.mark.slow

BROWSER = next(
    (shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome") if shutil.which(name)), None
)


def _screenshot(page: Path, out: Path) -> np.ndarray:
    if BROWSER is None:
        if os.environ.get("CI"):
            pytest.fail("no headless Chromium found: .ci/run installs Debian's chromium package")
        pytest.skip("no Chromium on this machine (apt-get install chromium); CI installs it")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"]
    flags += ["--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars"]
    done = subprocess.run(
        [
            BROWSER,
            *flags,
            f"--user-data-dir={out.parent / 'profile'}",
            "--window-size=1280,4200",
            f"--screenshot={out}",
            page.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0 and out.is_file(), done.stderr[-2000:]
    with Image.open(out) as shot:
        return np.asarray(shot.convert("RGB")).astype(np.int16)


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
    pixels = _screenshot(moved, tmp_path / "shot.png")
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
    assert _plot_pixels(_screenshot(broken, tmp_path / "shot.png")) < 2000
