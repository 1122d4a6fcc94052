"""The output-folder guard on real folders: what may be replaced, what is refused, what a kill leaves."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from framework.output_folders import (
    MANIFEST_FILE,
    ForeignOutput,
    check_replaceable,
    remove_leftovers,
    staged_folder,
)


def _write(folder: Path, text: str) -> None:
    with staged_folder(folder, "report") as staging:
        (staging / "page.html").write_text(text)
        (staging / "pictures").mkdir()
        (staging / "pictures" / "a.png").write_bytes(b"png")


def test_a_folder_it_wrote_is_replaced_whole(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _write(out, "first")
    _write(out, "second")
    assert (out / "page.html").read_text() == "second"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda out: (out / "thesis.txt").write_text("mine"), id="a file added"),
        pytest.param(lambda out: (out / "page.html").write_text("edited"), id="a file edited"),
        pytest.param(lambda out: (out / "pictures" / "b.png").write_text("mine"), id="a file added deeper"),
        pytest.param(lambda out: (out / MANIFEST_FILE).write_text("{}"), id="the manifest replaced"),
        pytest.param(lambda out: (out / "page.html").unlink() or os.symlink("/etc", out / "link"), id="a symlink"),
    ],
)
def test_a_changed_folder_is_refused_and_kept(tmp_path: Path, change) -> None:
    out = tmp_path / "out"
    _write(out, "first")
    change(out)
    before = sorted((p.relative_to(out), p.is_file() and p.read_bytes()) for p in out.rglob("*"))
    with pytest.raises(ForeignOutput, match="did not write"):
        _write(out, "second")
    assert sorted((p.relative_to(out), p.is_file() and p.read_bytes()) for p in out.rglob("*")) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_another_kind_of_output_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _write(out, "first")
    with pytest.raises(ForeignOutput):
        check_replaceable(out, "export")


def test_a_deleted_file_of_its_own_does_not_block(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _write(out, "first")
    (out / "page.html").unlink()
    _write(out, "second")
    assert (out / "page.html").read_text() == "second"


def test_a_file_at_the_target_and_legacy_folders(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("mine")
    with pytest.raises(ForeignOutput, match="not a folder"):
        check_replaceable(target, "report")
    legacy = tmp_path / "legacy"
    legacy.mkdir()
    (legacy / "report.html").write_text("old")
    check_replaceable(legacy, "report", legacy_names={"report.html"})  # an older hoh's own output
    (legacy / "notes.txt").write_text("mine")
    with pytest.raises(ForeignOutput, match=r"notes\.txt"):
        check_replaceable(legacy, "report", legacy_names={"report.html"})


def test_a_failure_leaves_the_old_folder_and_no_staging(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _write(out, "first")
    with pytest.raises(RuntimeError), staged_folder(out, "report") as staging:
        (staging / "page.html").write_text("half")
        raise RuntimeError("disk gone")
    assert (out / "page.html").read_text() == "first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_leftovers_of_a_killed_process_are_removed_others_kept(tmp_path: Path) -> None:
    out = tmp_path / "out"
    script = (
        "import os, sys\nfrom pathlib import Path\nfrom framework.output_folders import staged_folder\n"
        "with staged_folder(Path(sys.argv[1]), 'report') as s:\n"
        "    (s / 'half.html').write_text('x')\n    os._exit(9)\n"
    )
    killed = subprocess.run([sys.executable, "-c", script, str(out)], check=False)
    assert killed.returncode == 9
    [leftover] = [p for p in tmp_path.iterdir() if ".staging-" in p.name]
    host = socket.gethostname()
    alive = tmp_path / f".out.staging-{host}-{os.getpid()}-0123abcd"  # this process: still writing
    alive.mkdir()
    mine = tmp_path / ".out.staging-notes"  # not a name hoh makes
    mine.mkdir()
    assert remove_leftovers(out) == [leftover]
    assert alive.is_dir() and mine.is_dir() and not leftover.exists()


def test_a_huge_folder_is_refused_without_walking_all_of_it(tmp_path: Path) -> None:
    big = tmp_path / "home"
    for index in range(50):
        (big / f"dir{index:02d}").mkdir(parents=True)
        for file in range(20):
            (big / f"dir{index:02d}" / f"{file}.txt").write_text("x")
    from framework.output_folders import foreign_entries

    assert len(foreign_entries(big, "report")) == 6  # stops early: ~/ is refused at once
    with pytest.raises(ForeignOutput, match="and more"):
        check_replaceable(big, "report")
