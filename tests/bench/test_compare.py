"""hoh bench compare end to end: a revision against itself, and against an injected slowdown."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
HOH = Path(sys.executable).parent / "hoh"


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clone of this repository's HEAD with the working tree's benchmark and bench code."""
    target = tmp_path_factory.mktemp("clone") / "hoh"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(target)], check=True)
    return target


def _compare(clone: Path, *args: str) -> tuple[subprocess.CompletedProcess, dict]:
    report = clone.parent / "report.json"
    command = [str(HOH), "bench", "compare", "HEAD", "--quick", "--threshold", "5"]
    done = subprocess.run(
        [*command, "--json", str(report), *args],
        cwd=clone,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    return done, json.loads(report.read_text()) if report.exists() else {}


def test_a_revision_against_itself_shows_no_change_and_an_injected_model_slowdown_is_named(clone: Path) -> None:
    """The model workload only: its CPU intervals stay within about ±10 % under load, so a 5 %
    threshold (a slowdown's interval must clear 2.5 %) still sees no change in identical code,
    and sees the injected convolution (+11-15 % CPU per step in quick mode)."""
    same, report = _compare(clone, "--only", "train step float32")
    assert same.returncode == 0, same.stdout[-3000:] + same.stderr[-3000:]
    assert "no significant slowdown" in same.stdout
    assert [r["workload"] for r in report["results"]] == ["train step float32"]
    assert report["results"][0]["cpu"]["verdict"] != "slower"
    assert report["results"][0]["cpu"]["rounds"] > 8  # a short workload: several pairs in each of the 8 rounds

    subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "inject_regressions.py"), "model", str(clone)], check=True
    )
    slow, report = _compare(clone, "--only", "train step float32")
    assert slow.returncode == 1, slow.stdout[-3000:] + slow.stderr[-3000:]
    assert report["results"][0]["cpu"]["verdict"] == "slower"
    assert report["results"][0]["cpu"]["ratio"] > 1.05
    assert "slower: train step float32" in slow.stdout


def test_a_revision_that_is_not_a_commit_is_a_clear_error(clone: Path) -> None:
    done = subprocess.run(
        [str(HOH), "bench", "compare", "no-such-branch", "--quick"],
        cwd=clone,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "'no-such-branch' is not a commit" in done.stderr and "Traceback" not in done.stderr
