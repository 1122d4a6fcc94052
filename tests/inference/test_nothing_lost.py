"""Someone else's files where ``hoh evaluate`` and ``hoh export`` write: refused, and left exactly as they were.

Each case puts real files (a thesis, the run itself, an edited report) at the output path and
runs the real command. The guard is :mod:`framework.output_folders`; breaking it (for example
making ``check_replaceable`` return at once) turns every refusal here red.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from inference_helpers import BIN, hoh

from framework.output_folders import MANIFEST_FILE

pytestmark = pytest.mark.slow


def _snapshot(folder: Path) -> dict[str, str]:
    """Every file below ``folder`` with its SHA-256: what must be there, unchanged, afterwards."""
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def _no_leftovers(parent: Path) -> list[str]:
    return [p.name for p in parent.iterdir() if ".staging-" in p.name or ".aside-" in p.name]


@pytest.fixture
def own_run(binary_run: Path, tmp_path: Path) -> Path:
    """A private copy of the trained run: these tests point commands at the run folder itself."""
    run = tmp_path / "run"
    shutil.copytree(binary_run, run, ignore=shutil.ignore_patterns("evaluation*", "export"))
    return run


def test_evaluate_output_into_a_folder_of_other_files_is_refused(own_run: Path, tmp_path: Path) -> None:
    theirs = tmp_path / "thesis"
    theirs.mkdir()
    (theirs / "thesis.txt").write_text("three years of work\n")
    (theirs / "figures").mkdir()
    (theirs / "figures" / "plot.png").write_bytes(b"\x89PNG not really")
    before = _snapshot(theirs)
    done = hoh("hoh", "evaluate", str(own_run), "--output", str(theirs), cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "holds files that hoh did not write" in done.stderr and "thesis.txt" in done.stderr
    assert "Traceback" not in done.stderr
    assert _snapshot(theirs) == before
    assert _no_leftovers(tmp_path) == []


def test_evaluate_output_pointed_at_the_run_keeps_the_run(own_run: Path, tmp_path: Path) -> None:
    before = _snapshot(own_run)
    done = hoh("hoh", "evaluate", str(own_run), "--output", str(own_run), cwd=tmp_path)
    assert done.returncode == 2 and "it is a run folder" in done.stderr, done.stderr
    assert _snapshot(own_run) == before


def test_evaluate_replaces_its_own_report_but_not_an_edited_one(own_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    first = hoh("hoh", "evaluate", str(own_run), "--output", str(out), cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert (out / MANIFEST_FILE).is_file()
    again = hoh("hoh", "evaluate", str(own_run), "--output", str(out), cwd=tmp_path)  # its own report: replaced
    assert again.returncode == 0, again.stderr
    (out / "report.html").write_text("<p>my notes on this model</p>")  # now it holds a person's edit
    (out / "notes.md").write_text("keep me")
    before = _snapshot(out)
    third = hoh("hoh", "evaluate", str(own_run), "--output", str(out), cwd=tmp_path)
    assert third.returncode == 2 and "report.html" in third.stderr and "notes.md" in third.stderr
    assert _snapshot(out) == before
    assert _no_leftovers(tmp_path) == []


def test_evaluate_writes_into_an_empty_folder(own_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "empty"
    out.mkdir()
    done = hoh("hoh", "evaluate", str(own_run), "--output", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (out / "report.html").is_file()


def test_export_force_never_replaces_a_run_or_other_files(own_run: Path, tmp_path: Path) -> None:
    before = _snapshot(own_run)
    into_run = hoh("hoh", "export", str(own_run), "-f", "tflite", "-o", str(own_run), "--force", cwd=tmp_path)
    assert into_run.returncode == 2 and "did not write" in into_run.stderr, into_run.stderr
    assert _snapshot(own_run) == before
    report = tmp_path / "report"  # a report is hoh's, but not an export: --force does not reach it either
    assert hoh("hoh", "evaluate", str(own_run), "--output", str(report), cwd=tmp_path).returncode == 0
    report_files = _snapshot(report)
    over_report = hoh("hoh", "export", str(own_run), "-f", "tflite", "-o", str(report), "--force", cwd=tmp_path)
    assert over_report.returncode == 2, over_report.stderr
    assert _snapshot(report) == report_files
    assert _no_leftovers(tmp_path) == []


def test_export_force_replaces_its_own_export(own_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "exported"
    assert hoh("hoh", "export", str(own_run), "-f", "tflite", "-o", str(out), cwd=tmp_path).returncode == 0
    (out / "model.tflite").write_bytes(b"tuned by hand")  # changed since hoh wrote it: someone's work now
    refused = hoh("hoh", "export", str(own_run), "-f", "tflite", "-o", str(out), "--force", cwd=tmp_path)
    assert refused.returncode == 2 and "model.tflite" in refused.stderr
    assert (out / "model.tflite").read_bytes() == b"tuned by hand"
    (out / "model.tflite").unlink()  # a file of its own deleted: nothing of anyone's would be lost
    forced = hoh("hoh", "export", str(own_run), "-f", "tflite", "-o", str(out), "--force", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert (out / "model.tflite").stat().st_size > 1000


def _terminate_while_staging(args: list[str], parent: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Start ``hoh ARGS``, send SIGTERM as soon as its staging folder appears in ``parent``, wait for it."""
    env = {k: v for k, v in os.environ.items() if k != "HOH_DISABLE_PLUGIN_AUTOLOAD"}
    env.update(TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="", PYTHONWARNINGS="ignore")
    process = subprocess.Popen(
        [str(BIN / "hoh"), *args], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 240
    while process.poll() is None and time.monotonic() < deadline:
        if _no_leftovers(parent):
            process.send_signal(signal.SIGTERM)
            break
        time.sleep(0.002)
    out, err = process.communicate(timeout=120)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


@pytest.mark.parametrize("command", ["evaluate", "export"])
def test_sigterm_mid_write_exits_130_and_leaves_nothing_staged(own_run: Path, tmp_path: Path, command: str) -> None:
    out = tmp_path / "out"
    args = [command, str(own_run), "--output", str(out)] + (["-f", "saved_model"] if command == "export" else [])
    done = _terminate_while_staging(args, tmp_path, tmp_path)
    assert done.returncode == 130, done.stdout[-2000:] + done.stderr[-2000:]
    assert "terminated (SIGTERM)" in done.stderr and "Traceback" not in done.stderr
    assert _no_leftovers(tmp_path) == []
    # the signal can land after the staged folder was published (a report's files are written in
    # milliseconds): then the output is whole, with the manifest written last; never half of it
    assert not out.exists() or (out / MANIFEST_FILE).is_file(), sorted(p.name for p in out.iterdir())
