"""A real headless Chromium for tests that look at pages hoh writes (the report, the documentation site)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

BROWSER = next(
    (shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome") if shutil.which(name)), None
)
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]


def _browser() -> str:
    if BROWSER is None:
        if os.environ.get("CI"):
            pytest.fail("no headless Chromium found: .ci/run installs Debian's chromium package")
        pytest.skip("no Chromium on this machine (apt-get install chromium); CI installs it")
    return BROWSER


def screenshot(page: Path, out: Path, size: tuple[int, int] = (1280, 4200)) -> np.ndarray:
    """Open ``page`` (a file) and return its screenshot's pixels (RGB, int16)."""
    done = subprocess.run(
        [
            _browser(),
            *FLAGS,
            f"--user-data-dir={out.parent / 'profile'}",
            f"--window-size={size[0]},{size[1]}",
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


def rendered_text(page: Path, profile: Path) -> str:
    """The page's DOM after its scripts ran, as the browser serializes it."""
    done = subprocess.run(
        [_browser(), *FLAGS, f"--user-data-dir={profile}", "--dump-dom", page.resolve().as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout
