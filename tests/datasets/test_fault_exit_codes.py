"""``hoh data info`` against a failing mirror or a full disk: exit 1 (the environment), a message naming it.

Real loopback HTTP server, real closed port, real small tmpfs (skipped where mounting needs
root and is not allowed); the command runs as a user runs it, in a subprocess.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fault_makers import tmpfs

BIN = Path(sys.executable).parent

EXPERIMENT = """\
[experiment]
name = "faults"

[dataset]
provider = "horse-or-human"
mirror = "{mirror}"
data_dir = "{data_dir}"
retries = {retries}
backoff = 0.01
timeout = {timeout}

[pipeline]
provider = "tf-data"

[model]
provider = "five-conv-sigmoid"

[optimizer]
provider = "rmsprop"
"""


def _experiment(tmp_path: Path, mirror: str, data_dir: Path, retries: int = 1, timeout: float = 2.0) -> Path:
    path = tmp_path / "faults.toml"
    path.write_text(EXPERIMENT.format(mirror=mirror, data_dir=data_dir, retries=retries, timeout=timeout))
    return path


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("HOH_DATASET_MIRROR", "HOH_DATA_DIR")}
    env.update(PYTHONWARNINGS="ignore", COLUMNS="200")
    return env


def _data_info(experiment: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "hoh"), "data", "info", str(experiment)],
        cwd=experiment.parent,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _serve(server, tiny) -> None:
    server.state.files.update(tiny.files)
    server.state.files["SHA256SUMS"] = (tiny.folder / "SHA256SUMS").read_bytes()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again when the block ends: nobody listens there


@pytest.mark.parametrize(
    ("fault", "said"),
    [
        ("500", "HTTP 500"),
        ("truncates", "connection closed early"),
        ("stalls", "timed out"),
        ("refuses the port", "Connection refused"),
    ],
)
def test_a_failing_mirror_is_the_environment_exit_1(server, tiny, tmp_path: Path, fault: str, said: str) -> None:
    _serve(server, tiny)
    mirror = server.url
    if fault == "500":
        server.state.always["horse-or-human.zip"] = 500
    elif fault == "truncates":
        server.state.cut_always.add("horse-or-human.zip")
    elif fault == "stalls":
        server.state.stall_once["horse-or-human.zip"] = 3.0
    else:
        mirror = f"http://127.0.0.1:{_closed_port()}"
    retries = 0 if fault == "stalls" else 1
    done = _data_info(_experiment(tmp_path, mirror, tmp_path / "data", retries=retries, timeout=1.0))
    assert done.returncode == 1, done.stdout[-2000:] + done.stderr[-2000:]
    assert said in done.stderr and "Traceback" not in done.stderr


def test_a_missing_file_on_the_mirror_is_the_users_input_exit_2(server, tiny, tmp_path: Path) -> None:
    _serve(server, tiny)
    done = _data_info(_experiment(tmp_path, server.url + "/wrong-folder", tmp_path / "data"))
    assert done.returncode == 2 and "HTTP 404" in done.stderr, done.stderr


@pytest.mark.parametrize("mirror_kind", ["folder", "url"])
def test_a_full_disk_is_named_and_exits_1(server, tiny, tmp_path: Path, make_zip, mirror_kind: str) -> None:
    # archives larger than the disk (random bytes do not compress)
    big = {"horses/big.png": os.urandom(300_000), "humans/big.png": os.urandom(300_000)}
    mirror = tmp_path / "mirror"
    make_zip(mirror / "horse-or-human.zip", {"horses": 1, "humans": 1}, extra=big)
    make_zip(mirror / "validation-horse-or-human.zip", {"horses": 1, "humans": 1})
    import hashlib

    files = {p.name: p.read_bytes() for p in mirror.glob("*.zip")}
    (mirror / "SHA256SUMS").write_text("".join(f"{hashlib.sha256(d).hexdigest()}  {n}\n" for n, d in files.items()))
    server.state.files.update(files)
    server.state.files["SHA256SUMS"] = (mirror / "SHA256SUMS").read_bytes()
    with tmpfs(tmp_path / "disk", "size=200k") as disk:
        source = str(mirror) if mirror_kind == "folder" else server.url
        done = _data_info(_experiment(tmp_path, source, disk))
    assert done.returncode == 1, done.stdout[-2000:] + done.stderr[-2000:]
    assert "No space left on device" in done.stderr and str(disk) in done.stderr
    assert "HOH_DATASET_MIRROR" not in done.stderr  # the mirror is not to blame
    assert "Traceback" not in done.stderr


def test_sigterm_during_a_download_exits_130(server, tiny, tmp_path: Path) -> None:
    _serve(server, tiny)
    server.state.stall_once["horse-or-human.zip"] = 20.0
    experiment = _experiment(tmp_path, server.url, tmp_path / "data", timeout=60.0)
    process = subprocess.Popen(
        [str(BIN / "hoh"), "data", "info", str(experiment)],
        cwd=tmp_path,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not server.state.requests_for("horse-or-human.zip") and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, out[-2000:] + err[-2000:]
    assert "terminated (SIGTERM)" in err and "Traceback" not in err
    leftovers = [p.name for p in (tmp_path / "data" / "horse-or-human").iterdir() if p.name.startswith(".tmp-")]
    assert leftovers == []
