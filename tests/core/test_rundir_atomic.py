"""Atomic writes and never-overwritten run folders."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from core_helpers import stub_experiment

from framework.atomic import write_json, write_text, write_with
from framework.cli.main import run_main
from framework.errors import UserError
from framework.rundir import new_run_dir, read_history, write_history


def test_write_text_and_json_replace_atomically(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "file.json"
    write_json(target, {"a": 1})
    assert target.read_text() == '{\n  "a": 1\n}\n'
    write_text(target, "new")
    assert target.read_text() == "new"
    assert sorted(p.name for p in target.parent.iterdir()) == ["file.json"]


def test_failing_writer_leaves_old_file_and_no_temp_files(tmp_path: Path) -> None:
    target = tmp_path / "model.keras"
    target.write_text("old model")

    def writer(tmp: Path) -> None:
        assert tmp.parent == target.parent and tmp != target
        assert tmp.suffix == ".keras"  # Keras insists on the suffix
        tmp.write_text("half a mod")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_with(target, writer)
    assert target.read_text() == "old model"
    assert [p.name for p in tmp_path.iterdir()] == ["model.keras"]


def test_interrupted_writer_leaves_no_temp_files(tmp_path: Path) -> None:
    def writer(tmp: Path) -> None:
        tmp.write_text("partial")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_with(tmp_path / "x.txt", writer)
    assert list(tmp_path.iterdir()) == []


def test_new_run_dir_is_fresh_each_time(tmp_path: Path) -> None:
    first = new_run_dir(tmp_path, "exp")
    second = new_run_dir(tmp_path, "exp")
    assert first != second
    assert first.parent == second.parent == tmp_path / "exp"
    assert first.is_dir() and second.is_dir()


def test_explicit_run_dir_must_not_exist(tmp_path: Path) -> None:
    existing = tmp_path / "run"
    existing.mkdir()
    with pytest.raises(UserError, match="exists already; hoh never overwrites a run"):
        new_run_dir(tmp_path, "exp", existing)
    assert new_run_dir(tmp_path, "exp", tmp_path / "a" / "b") == tmp_path / "a" / "b"


def test_history_round_trip(tmp_path: Path) -> None:
    assert read_history(tmp_path) == []
    rows = [{"epoch": 1, "loss": 0.5}, {"epoch": 2, "loss": 0.25}]
    write_history(tmp_path, rows)
    assert read_history(tmp_path) == rows
    assert len((tmp_path / "metrics.jsonl").read_text().splitlines()) == 2


def test_existing_run_dir_exits_2_and_is_untouched(write_file, tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    run_dir = tmp_path / "taken"
    run_dir.mkdir()
    (run_dir / "notes.txt").write_text("mine")
    before = {p: p.stat().st_mtime_ns for p in run_dir.rglob("*")}
    assert run_main([str(write_file(stub_experiment())), "--run-dir", str(run_dir)]) == 2
    err = capsys.readouterr().err
    assert f"run folder {run_dir} exists already" in err
    assert "Traceback" not in err
    assert {p: p.stat().st_mtime_ns for p in run_dir.rglob("*")} == before
    assert not (tmp_path / "runs").exists()


def test_atomic_files_get_the_umask_mode_not_mkstemps_0600(tmp_path: Path) -> None:
    mask = os.umask(0)
    os.umask(mask)
    path = write_text(tmp_path / "result.txt", "ok\n")
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask
