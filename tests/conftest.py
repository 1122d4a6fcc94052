"""Settings every test shares."""

from __future__ import annotations

import os
import signal

import pytest

# A test suite started in the background of a non-interactive shell (`pytest &`, some CI
# runners) inherits SIGINT ignored, and so would every hoh process the tests start: Python
# installs no Ctrl-C handler for an ignored SIGINT. Handling it here makes the children start
# with the default (a handled signal is reset to the default on exec), as from a terminal.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(autouse=True)
def _caches_in_tmp(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """tf-data's decoded-image cache and remembered file checks go to a throw-away folder, not the user's cache."""
    if "HOH_DECODED_CACHE" not in os.environ:
        monkeypatch.setenv("HOH_DECODED_CACHE", str(tmp_path_factory.getbasetemp() / "decoded-cache"))
    if "HOH_FILE_FACTS" not in os.environ:  # remembered file checks, one store a test: a test's files are its own
        monkeypatch.setenv("HOH_FILE_FACTS", str(tmp_path_factory.mktemp("file-facts") / "file-facts.sqlite3"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Slow test files first, the ones with more tests before the others; quick files last.

    Under ``pytest -n auto --dist loadfile`` a worker takes a whole file at a time, in this
    order (``--no-loadscope-reorder`` in ``pyproject.toml``). xdist's own order, most tests
    first, handed out a few long sweep files last: the suite's last minutes ran on one worker
    while the other sat idle. Heaviest first, the quick files fill the gaps at the end.
    """
    by_file: dict[str, list[pytest.Item]] = {}
    for item in items:
        by_file.setdefault(str(item.path), []).append(item)

    def weight(tests: list[pytest.Item]) -> tuple[bool, int]:
        return (not any(t.get_closest_marker("slow") for t in tests), -len(tests))

    items[:] = [item for tests in sorted(by_file.values(), key=weight) for item in tests]
