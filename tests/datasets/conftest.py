"""Fixtures for the dataset plugin tests: tiny generated zips and a loopback HTTP server."""

from __future__ import annotations

import hashlib
import io
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from PIL import Image
from rich.console import Console

from framework import DatasetContext
from plugins.datasets.horse_or_human import DatasetSpec, SplitSpec

TRAIN_COUNTS = {"horses": 3, "humans": 4}
VALIDATION_COUNTS = {"horses": 2, "humans": 2}


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Never read the user's mirror or write into the user's cache."""
    monkeypatch.delenv("HOH_DATASET_MIRROR", raising=False)
    monkeypatch.setenv("HOH_DATA_DIR", str(tmp_path / "env-data-dir"))


def png_bytes(seed: int) -> bytes:
    """A distinct 32x32 PNG."""
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), (seed * 37 % 256, seed * 91 % 256, seed * 13 % 256)).save(buffer, "PNG")
    return buffer.getvalue()


def make_zip(path: Path, counts: dict[str, int], extra: dict[str, bytes] | None = None) -> Path:
    """A zip with ``counts[cls]`` PNGs under ``<cls>/``, plus ``extra`` entries."""
    path.parent.mkdir(parents=True, exist_ok=True)
    seed = 0
    with zipfile.ZipFile(path, "w") as zf:
        for cls, count in counts.items():
            zf.writestr(f"{cls}/", b"")
            for i in range(count):
                seed += 1
                zf.writestr(f"{cls}/{cls}-{i}.png", png_bytes(seed + len(path.name)))
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return path


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(name="make_zip")
def make_zip_fixture():
    """The :func:`make_zip` helper, for test modules."""
    return make_zip


@dataclass
class TinyDataset:
    """Two tiny zips named like the official ones, and a mirror folder holding them."""

    folder: Path
    files: dict[str, bytes]

    def spec(self, base_url: str) -> DatasetSpec:
        """A spec whose 'official' URLs point at ``base_url`` (pinned sizes and checksums)."""
        return DatasetSpec(
            name="horse-or-human",
            splits=(
                self._split("train", "horse-or-human.zip", base_url, TRAIN_COUNTS),
                self._split("validation", "validation-horse-or-human.zip", base_url, VALIDATION_COUNTS),
            ),
        )

    def _split(self, split: str, name: str, base_url: str, counts: dict[str, int]) -> SplitSpec:
        data = self.files[name]
        return SplitSpec(split, name, f"{base_url}/{name}", sha256(data), len(data), dict(counts))


@pytest.fixture
def tiny(tmp_path: Path) -> TinyDataset:
    folder = tmp_path / "mirror"
    make_zip(folder / "horse-or-human.zip", TRAIN_COUNTS, extra={"__MACOSX/horses/._x.png": b"junk"})
    make_zip(folder / "validation-horse-or-human.zip", VALIDATION_COUNTS, extra={"humans/.DS_Store": b"junk"})
    files = {p.name: p.read_bytes() for p in sorted(folder.glob("*.zip"))}
    (folder / "SHA256SUMS").write_text("".join(f"{sha256(d)}  {n}\n" for n, d in files.items()))
    return TinyDataset(folder, files)


@dataclass
class ServerState:
    """What the loopback server serves, how it misbehaves, and what it was asked."""

    files: dict[str, bytes] = field(default_factory=dict)
    ranges: bool = True
    cut_once: set[str] = field(default_factory=set)
    cut_always: set[str] = field(default_factory=set)
    fail_once: dict[str, int] = field(default_factory=dict)
    always: dict[str, int] = field(default_factory=dict)
    stall_once: dict[str, float] = field(default_factory=dict)
    log: list[tuple[str, str | None]] = field(default_factory=list)

    def requests_for(self, name: str) -> list[str | None]:
        """Range headers of the requests for ``name`` (``None`` for no Range)."""
        return [rng for path, rng in self.log if path == name]


class Handler(BaseHTTPRequestHandler):
    state: ServerState

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        state = self.server.state  # type: ignore[attr-defined]
        name = self.path.lstrip("/")
        range_header = self.headers.get("Range")
        state.log.append((name, range_header))
        if name in state.stall_once:
            time.sleep(state.stall_once.pop(name))
        code = state.always.get(name) or state.fail_once.pop(name, None)
        if code or name not in state.files:
            self.send_error(code or 404)
            return
        data = state.files[name]
        start = 0
        if range_header and state.ranges:
            start = int(range_header.removeprefix("bytes=").split("-")[0])
            if start >= len(data):
                self.send_error(416)
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        if name in state.cut_once or name in state.cut_always:
            state.cut_once.discard(name)
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)


@dataclass
class Server:
    url: str
    state: ServerState


@pytest.fixture
def server() -> Iterator[Server]:
    """A ThreadingHTTPServer on 127.0.0.1, port 0, serving ``state.files``."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    httpd.state = ServerState()  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield Server(f"http://127.0.0.1:{httpd.server_address[1]}", httpd.state)  # type: ignore[attr-defined]
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


@pytest.fixture
def output() -> io.StringIO:
    """What the console printed."""
    return io.StringIO()


@pytest.fixture
def context(output: io.StringIO) -> DatasetContext:
    return DatasetContext(console=Console(file=output, width=200))
