"""Fixtures of the core's tests; helpers are in core_helpers.py."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest


@pytest.fixture
def write_file(tmp_path: Path) -> Callable[..., Path]:
    """Write ``text`` to ``tmp_path / name`` (folders created) and return the path."""

    def write(text: str, name: str = "experiment.toml") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def forget_modules() -> Iterator[Callable[[str], None]]:
    """Register top-level module names to drop from ``sys.modules`` after the test."""
    names: list[str] = []
    yield names.append
    for module in list(sys.modules):
        if module.split(".")[0] in names:
            del sys.modules[module]


@pytest.fixture(autouse=True)
def _no_autoload_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOH_DISABLE_PLUGIN_AUTOLOAD", raising=False)
