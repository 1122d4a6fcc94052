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
def _decoded_cache_in_tmp(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """tf-data's on-disk decoded-image cache goes to a throw-away folder, never the user's cache."""
    if "HOH_DECODED_CACHE" not in os.environ:
        monkeypatch.setenv("HOH_DECODED_CACHE", str(tmp_path_factory.getbasetemp() / "decoded-cache"))
