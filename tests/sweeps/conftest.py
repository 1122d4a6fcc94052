"""Fixtures of the sweep tests."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from postgres_server import postgres_bin, postgres_server


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A real PostgreSQL server on a loopback port (skipped, outside CI only, when none is installed)."""
    bin_dir = postgres_bin()
    if bin_dir is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have PostgreSQL (.ci/run installs it): no initdb/pg_ctl found.")
        pytest.skip("no PostgreSQL binaries (initdb, pg_ctl) found: apt-get install postgresql to run this test")
    with postgres_server(bin_dir) as url:
        yield url
