"""The documentation site builds with ``mkdocs build --strict`` and renders in a real browser.

The reference pages are generated from the code at build time; these tests check that what the
browser shows holds every command and every provider the code has, and that a broken link or a
broken include fails the build (so it fails CI).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from browser import rendered_text, screenshot

ROOT = Path(__file__).resolve().parents[2]
QUIET = {"NO_MKDOCS_2_WARNING": "1", "DISABLE_MKDOCS_2_WARNING": "true"}  # Material's and a plugin's banners


def build(project: Path, site: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=project,
        env={**os.environ, **QUIET},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("site")
    done = build(ROOT, site)
    assert done.returncode == 0, done.stderr[-4000:]
    return site


def _providers() -> dict[str, list[str]]:
    listed = subprocess.run(
        [sys.executable, "-m", "framework.cli.main", "plugins", "--no-plugin-autoload", "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    return {
        section: [p["name"] for p in offered] for section, offered in json.loads(listed.stdout)["providers"].items()
    }


def test_the_reference_shows_every_provider_and_parameter(site: Path, tmp_path: Path) -> None:
    dom = rendered_text(site / "reference" / "experiment-file" / "index.html", tmp_path / "profile")
    providers = _providers()
    assert sum(len(names) for names in providers.values()) >= 10
    for section, names in providers.items():
        for name in names:
            assert f"<code>{name}</code>" in dom, f"provider {name!r} of [{section}] is not on the rendered page"
    for key in ("steps_per_epoch", "architecture", "learning_rate", "image_size", "class_weight"):
        assert f"<code>{key}</code>" in dom


def test_the_cli_reference_shows_every_command(site: Path, tmp_path: Path) -> None:
    from framework.cli.builtin_commands import BUILTIN_NAMES

    dom = rendered_text(site / "reference" / "cli" / "index.html", tmp_path / "profile")
    for name in [*BUILTIN_NAMES, "sweep"]:
        assert f"<code>hoh {name}</code>" in dom, f"hoh {name} is missing from the CLI reference"
    assert "--resume" in dom and "--extend" in dom


@pytest.mark.parametrize("page", ["index.html", "tutorial/index.html", "reference/experiment-file/index.html"])
def test_pages_render_with_text_and_the_theme(site: Path, tmp_path: Path, page: str) -> None:
    pixels = screenshot(site / page, tmp_path / "shot.png", size=(1280, 1600))
    dark_text = np.count_nonzero(pixels.sum(axis=2) < 200)
    header = pixels[:48]  # Material's indigo header bar: the theme's CSS loaded
    indigo = np.count_nonzero((header[..., 2] - header[..., 0] > 60) & (header[..., 1] < 120))
    assert dark_text > 3000, f"{page}: little dark text on the screenshot: the page did not render"
    assert indigo > 0.5 * header.shape[0] * header.shape[1], f"{page}: no theme header: the stylesheets did not load"


def test_the_home_page_shows_its_picture_and_every_picture_is_shown(site: Path, tmp_path: Path) -> None:
    dom = rendered_text(site / "index.html", tmp_path / "profile")
    assert 'src="images/report.png"' in dom
    pages = "".join(path.read_text() for path in [ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])
    pictures = sorted(path.name for path in (ROOT / "docs" / "images").glob("*.png"))
    assert len(pictures) >= 8
    unused = [name for name in pictures if f"images/{name}" not in pages]
    assert not unused, f"pictures no page shows (drop them from docs/make_pictures.py): {unused}"


def _project_copy(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    shutil.copytree(ROOT / "docs", project / "docs", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "mkdocs.yml", project)
    for name in ("experiments", "framework", "plugins"):  # includes and the code the reference is made from
        (project / name).symlink_to(ROOT / name)
    return project


@pytest.mark.parametrize(
    ("page", "old", "new", "said"),
    [
        ("docs/tutorial.md", "](", "](no-such-page.md#nowhere) [x](", "no-such-page.md"),
        ("docs/how-to/plugins.md", "experiments/wide_cnn.py", "experiments/wide_cnn_renamed.py", "wide_cnn_renamed"),
    ],
    ids=["broken link", "include of a moved file"],
)
def test_a_deliberate_break_fails_the_strict_build(tmp_path: Path, page: str, old: str, new: str, said: str) -> None:
    project = _project_copy(tmp_path)
    path = project / page
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    done = build(project, tmp_path / "site")
    assert done.returncode != 0
    assert said in done.stderr
