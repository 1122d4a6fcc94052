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


class Cluster:
    """A throw-away PostgreSQL cluster that a test may stop and start again (a database going away)."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.folder = Path(tempfile.mkdtemp(prefix="hoh-pg-"))
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.folder, user.pw_uid, user.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self.data, self.port = self.folder / "data", free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")

    def _run(self, tool: str, *arguments: str, check: bool = True) -> None:
        command = [*self.as_user, str(self.bin_dir / tool), *arguments]
        subprocess.run(command, check=check, capture_output=True, timeout=120)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c max_connections=50 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.folder / "server.log"), "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop", check=False)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


@contextmanager
def postgres_cluster(bin_dir: Path) -> Iterator[Cluster]:
    """A started cluster, removed afterwards."""
    cluster = Cluster(bin_dir)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.remove()


@contextmanager
def postgres_server(bin_dir: Path) -> Iterator[str]:
    """Start a cluster; yields ``postgresql://postgres@127.0.0.1:PORT/postgres``."""
    with postgres_cluster(bin_dir) as cluster:
        yield cluster.url
