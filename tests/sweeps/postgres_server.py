"""A real PostgreSQL server for the distributed-sweep tests: a throw-away cluster on a loopback port.

``initdb`` makes a cluster in a temporary folder; ``pg_ctl`` starts it listening on
127.0.0.1 only, with trust authentication (nothing else on the machine can reach it);
it is stopped and removed after the tests. As root, the server runs as the ``postgres``
user (PostgreSQL refuses to run as root). ``.ci/run`` installs the binaries.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sweep_helpers import free_port


def postgres_bin() -> Path | None:
    """The folder of ``initdb``/``pg_ctl``: on PATH, or Debian's /usr/lib/postgresql/<version>/bin."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(os.path.realpath(found)).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(versions[-1]).parent if versions else None


@contextmanager
def postgres_server(bin_dir: Path) -> Iterator[str]:
    """Start a cluster; yields ``postgresql://postgres@127.0.0.1:PORT/postgres``."""
    folder = Path(tempfile.mkdtemp(prefix="hoh-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(folder, user.pw_uid, user.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = folder / "data", free_port()
    run = lambda *command: subprocess.run([*as_user, *command], check=True, capture_output=True, timeout=120)  # noqa: E731
    run(str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c max_connections=50 -c fsync=off"
    run(str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "server.log"), "-w", "start")
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
            timeout=60,
            check=False,
        )
        shutil.rmtree(folder, ignore_errors=True)
