"""Fixtures of the backbone tests: a weights file made here, and a loopback HTTP mirror that serves it."""

from __future__ import annotations

import functools
import hashlib
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from backbone_helpers import SMALL


@pytest.fixture(autouse=True)
def _no_user_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("HOH_WEIGHTS_MIRROR", raising=False)
    monkeypatch.setenv("HOH_WEIGHTS_DIR", str(tmp_path / "default-cache"))


@pytest.fixture(scope="session")
def small_weights(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list]:
    """MobileNetV3Small without its classifier, random (seed 3), saved in the legacy .h5 layout Keras publishes.

    Returns the file and the weights it holds (to compare with what a built model got).
    """
    import h5py
    import keras
    from keras.src.legacy.saving import legacy_h5_format  # the layout of Keras' published ImageNet files

    keras.utils.set_random_seed(3)
    network = keras.applications.MobileNetV3Small(include_top=False, weights=None, input_shape=(32, 32, 3))
    path = tmp_path_factory.mktemp("made") / SMALL
    with h5py.File(path, "w") as file:
        legacy_h5_format.save_weights_to_hdf5_group(file, network)
    return path, network.get_weights()


class Mirror:
    """A folder served over loopback HTTP, counting the requests for each file."""

    def __init__(self, folder: Path, url: str, requests: list[str]) -> None:
        self.folder, self.url, self.requests = folder, url, requests

    def add(self, source: Path, *, checksum: str | None = None) -> None:
        (self.folder / source.name).write_bytes(source.read_bytes())
        digest = checksum or hashlib.sha256(source.read_bytes()).hexdigest()
        with open(self.folder / "SHA256SUMS", "a", encoding="utf-8") as sums:
            sums.write(f"{digest}  {source.name}\n")


@pytest.fixture
def mirror(tmp_path: Path) -> Iterator[Mirror]:
    folder = tmp_path / "mirror"
    folder.mkdir()
    requests: list[str] = []

    class Handler(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            requests.append(self.path.lstrip("/"))
            super().do_GET()

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Mirror(folder, f"http://127.0.0.1:{server.server_address[1]}/", requests)
    finally:
        server.shutdown()
        server.server_close()
