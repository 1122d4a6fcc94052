"""The import contracts of ``pyproject.toml`` (import-linter) hold, and go red when a module breaks them.

Each case copies ``framework/``, ``plugins/`` and ``pyproject.toml`` to a scratch folder, adds
one import that breaks a contract, and runs ``lint-imports`` there as CI does.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT = Path(sys.executable).parent / "lint-imports"


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [str(LINT), "--config", "pyproject.toml", "--no-cache"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for name in ("framework", "plugins"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    return tmp_path


def test_the_contracts_hold(tree: Path) -> None:
    done = _lint(tree)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "3 kept, 0 broken" in done.stdout


def _append(path: Path, line: str) -> None:
    path.write_text((path.read_text() if path.exists() else "") + f"\n{line}\n")


@pytest.mark.parametrize(
    ("file", "line", "said"),
    [
        ("plugins/naughty.py", "from framework.rundir import METRICS_FILE", "plugins.naughty -> framework.rundir"),
        ("plugins/curves.py", "import framework.atomic", "plugins.curves -> framework.atomic"),
        ("framework/runner.py", "import plugins.curves", "framework.runner -> plugins.curves"),
        ("framework/atomic.py", "import framework.runner", "framework.atomic -> framework.runner"),
        ("framework/config/schema.py", "from framework import session", "framework.config.schema -> framework.session"),
    ],
)
def test_a_forbidden_import_turns_the_contracts_red(tree: Path, file: str, line: str, said: str) -> None:
    _append(tree / file, line)
    done = _lint(tree)
    assert done.returncode == 1, done.stdout[-3000:]
    assert said in done.stdout


def test_a_module_outside_every_layer_is_refused(tree: Path) -> None:
    (tree / "framework" / "new_feature.py").write_text('"""A module nobody placed in a layer."""\n')
    done = _lint(tree)
    assert done.returncode == 1 and "framework.new_feature" in done.stdout, done.stdout[-3000:]
