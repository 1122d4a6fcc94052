"""Downloads: resume, retries, verification and clear errors, against a loopback server."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from rich.console import Console

from framework import UserError
from plugins.datasets.download import RetryPolicy, fetch, sha256_file

DATA = os.urandom(3 * 1024 * 1024 + 123)  # several read chunks


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


FAST = RetryPolicy(retries=3, backoff=0.01, timeout=5)


def _fetch(server, dest: Path, console: Console, *, data: bytes = DATA, size: bool = True, **kw) -> Path:
    return fetch(
        f"{server.url}/f.zip",
        dest,
        sha256=sha256(data),
        size=len(data) if size else None,
        console=console,
        policy=kw.pop("policy", FAST),
        **kw,
    )


def test_plain_download_verifies_and_renames(server, tmp_path: Path, context) -> None:
    server.state.files["f.zip"] = DATA
    dest = _fetch(server, tmp_path / "f.zip", context.console)
    assert dest.read_bytes() == DATA
    assert not (tmp_path / "f.zip.part").exists()
    assert server.state.requests_for("f.zip") == [None]


def test_cut_connection_is_resumed_with_range(server, tmp_path: Path, context) -> None:
    server.state.files["f.zip"] = DATA
    server.state.cut_once.add("f.zip")
    dest = _fetch(server, tmp_path / "f.zip", context.console)
    assert sha256_file(dest) == sha256(DATA)
    first, second = server.state.requests_for("f.zip")
    assert first is None
    assert second == f"bytes={len(DATA) // 2}-"


def test_part_file_from_earlier_run_is_resumed(server, tmp_path: Path, context) -> None:
    server.state.files["f.zip"] = DATA
    (tmp_path / "f.zip.part").write_bytes(DATA[:1000])
    dest = _fetch(server, tmp_path / "f.zip", context.console)
    assert dest.read_bytes() == DATA
    assert server.state.requests_for("f.zip") == ["bytes=1000-"]


def test_server_ignoring_range_restarts_from_zero(server, tmp_path: Path, context) -> None:
    server.state.files["f.zip"] = DATA
    server.state.ranges = False
    (tmp_path / "f.zip.part").write_bytes(DATA[:1000])
    dest = _fetch(server, tmp_path / "f.zip", context.console)
    assert dest.read_bytes() == DATA  # not the 1000 bytes followed by the whole file


def test_unknown_size_cut_connection_resumes(server, tmp_path: Path, context) -> None:
    server.state.files["f.zip"] = DATA
    server.state.cut_once.add("f.zip")
    dest = _fetch(server, tmp_path / "f.zip", context.console, size=False)
    assert dest.read_bytes() == DATA
    assert server.state.requests_for("f.zip")[1] == f"bytes={len(DATA) // 2}-"


def test_http_500_once_is_retried(server, tmp_path: Path, context, output) -> None:
    server.state.files["f.zip"] = DATA
    server.state.fail_once["f.zip"] = 500
    dest = _fetch(server, tmp_path / "f.zip", context.console)
    assert dest.read_bytes() == DATA
    assert len(server.state.requests_for("f.zip")) == 2
    assert "retry 1/3" in output.getvalue()


def test_timeout_is_retried(server, tmp_path: Path, context) -> None:
    server.state.files["f.zip"] = DATA
    server.state.stall_once["f.zip"] = 1.0
    policy = RetryPolicy(retries=2, backoff=0.01, timeout=0.3)
    dest = _fetch(server, tmp_path / "f.zip", context.console, policy=policy)
    assert dest.read_bytes() == DATA
    assert len(server.state.requests_for("f.zip")) == 2


def test_persistent_5xx_gives_up_after_retries(server, tmp_path: Path, context) -> None:
    server.state.always["f.zip"] = 503
    with pytest.raises(UserError, match=r"after 4 attempts.*HTTP 503") as info:
        _fetch(server, tmp_path / "f.zip", context.console)
    assert f"{server.url}/f.zip" in str(info.value)
    assert len(server.state.requests_for("f.zip")) == 4
    assert not (tmp_path / "f.zip").exists()


def test_404_is_a_clear_error_naming_url_and_mirror(server, tmp_path: Path, context) -> None:
    with pytest.raises(UserError) as info:
        _fetch(server, tmp_path / "f.zip", context.console)
    message = str(info.value)
    assert f"{server.url}/f.zip" in message and "404" in message and "HOH_DATASET_MIRROR" in message
    assert len(server.state.requests_for("f.zip")) == 1  # 4xx is not retried


def test_wrong_bytes_retried_once_then_clear_error(server, tmp_path: Path, context) -> None:
    wrong = bytes(len(DATA))  # right size, wrong content
    server.state.files["f.zip"] = wrong
    with pytest.raises(UserError) as info:
        _fetch(server, tmp_path / "f.zip", context.console)
    message = str(info.value)
    assert f"{server.url}/f.zip" in message
    assert sha256(DATA) in message and sha256(wrong) in message
    assert server.state.requests_for("f.zip") == [None, None]  # second try from scratch, no Range
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no final file, no .part


def test_wrong_part_file_is_discarded_and_refetched(server, tmp_path: Path, context) -> None:
    server.state.files["f.zip"] = DATA
    (tmp_path / "f.zip.part").write_bytes(b"x" * 1000)  # stale bytes of some other file
    dest = _fetch(server, tmp_path / "f.zip", context.console)
    assert dest.read_bytes() == DATA
    assert server.state.requests_for("f.zip") == ["bytes=1000-", None]


def test_verified_destination_is_reused_without_network(server, tmp_path: Path, context) -> None:
    (tmp_path / "f.zip").write_bytes(DATA)
    _fetch(server, tmp_path / "f.zip", context.console)
    assert server.state.log == []


def test_offline_refuses_urls(server, tmp_path: Path, context) -> None:
    with pytest.raises(UserError, match="offline"):
        _fetch(server, tmp_path / "f.zip", context.console, offline=True)
    assert server.state.log == []


def test_local_copy_verifies(tmp_path: Path, context) -> None:
    source = tmp_path / "src.zip"
    source.write_bytes(DATA)
    dest = fetch(str(source), tmp_path / "out" / "f.zip", sha256=sha256(DATA), size=None, console=context.console)
    assert dest.read_bytes() == DATA


def test_local_copy_mismatch_is_an_error_and_leaves_nothing(tmp_path: Path, context) -> None:
    source = tmp_path / "src.zip"
    source.write_bytes(b"not the file")
    out = tmp_path / "out"
    with pytest.raises(UserError, match=r"src\.zip did not verify twice") as info:
        fetch(str(source), out / "f.zip", sha256=sha256(DATA), size=None, console=context.console, offline=True)
    assert list(out.iterdir()) == []
    assert info.value.exit_code == 1  # the source is damaged or changed: the environment


def test_local_copy_missing_file(tmp_path: Path, context) -> None:
    with pytest.raises(UserError, match=r"Could not read .*missing\.zip") as info:
        fetch(str(tmp_path / "missing.zip"), tmp_path / "f.zip", sha256="0" * 64, size=None, console=context.console)
    assert info.value.exit_code == 2  # a mirror file the user named that is not there: the user's input
