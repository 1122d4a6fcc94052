"""``hoh runs`` and ``hoh compare`` over damaged run records: a message naming the file, the other runs listed.

Run folders are written here as hoh writes them (the records are what is under test, not
training), then one record of one run is damaged on disk the way a cut copy, a disk error
or a hand edit would. The commands run as a user runs them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from core_helpers import hand_written_run

from framework.rundir import read_history
from framework.runs.records import read_records

BIN = Path(sys.executable).parent


DAMAGE = {
    "metrics half-written": (lambda r: _cut(r / "metrics.jsonl"), "metrics.jsonl line 3 is cut short"),
    "metrics binary": (
        lambda r: (r / "metrics.jsonl").write_bytes(b"\x89\xff\x00garbage"),
        "metrics.jsonl is not text",
    ),
    "metrics row not an object": (lambda r: _append(r / "metrics.jsonl", "[1, 2]\n"), "line 4 is not a JSON object"),
    "status a list": (lambda r: (r / "status.json").write_text("[1, 2]"), "status.json is not a JSON object"),
    "status null": (lambda r: (r / "status.json").write_text("null"), "status.json is not a JSON object"),
    "started unparseable": (lambda r: _status(r, started="yesterday"), "started 'yesterday' is not a time"),
    "started without timezone": (lambda r: _status(r, started="2026-11-25T10:10:10"), "is not a time with a timezone"),
    "evaluation a list": (
        lambda r: (r / "evaluation.json").write_text("[0.5]"),
        "evaluation.json is not a JSON object",
    ),
    "experiment not TOML": (lambda r: (r / "experiment.toml").write_text("[[["), "experiment.toml is not valid TOML"),
}


def _cut(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:-20])


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text() + text)


def _status(run: Path, **changes: str) -> None:
    data = json.loads((run / "status.json").read_text())
    data.update(changes)
    (run / "status.json").write_text(json.dumps(data))


def _hoh(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "hoh"), *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "250", "HOH_DISABLE_PLUGIN_AUTOLOAD": "1"},
    )  # fmt: skip


@pytest.mark.parametrize("case", list(DAMAGE))
def test_a_damaged_record_is_named_and_the_other_runs_listed(tmp_path: Path, case: str) -> None:
    damage, said = DAMAGE[case]
    good = hand_written_run(tmp_path / "runs", "20261125T101010Z", 0.001)
    bad = hand_written_run(tmp_path / "runs", "20261125T111111Z", 0.01)
    damage(bad)
    records = read_records(bad)
    assert any(said in problem for problem in records.problems), records.problems
    assert read_records(good).problems == []

    listed = _hoh("runs", "runs", cwd=tmp_path)
    assert listed.returncode == 0 and "Traceback" not in listed.stderr, listed.stderr
    assert said in listed.stdout.replace("\n", "") and "damaged" in listed.stdout
    assert "20261125T101010Z" in listed.stdout
    as_json = json.loads(_hoh("runs", "runs", "--format", "json", cwd=tmp_path).stdout)
    assert [bool(r["damaged"]) for r in as_json] == [False, True] or [bool(r["damaged"]) for r in as_json] == [
        True,
        False,
    ]

    compared = _hoh("compare", str(good), str(bad), "--no-picture", cwd=tmp_path)
    assert compared.returncode == 0 and "Traceback" not in compared.stderr, compared.stderr
    assert said in compared.stdout.replace("\n", "")
    drawn = _hoh("compare", str(good), str(bad), "--output", "c.png", cwd=tmp_path)
    assert drawn.returncode == 0 and (tmp_path / "c.png").stat().st_size > 1000, drawn.stderr


def test_compare_never_draws_over_a_picture_it_did_not_write(tmp_path: Path) -> None:
    good = hand_written_run(tmp_path / "runs", "20261125T101010Z", 0.001)
    other = hand_written_run(tmp_path / "runs", "20261125T111111Z", 0.01)
    (tmp_path / "c.png").write_bytes(b"my holiday picture")
    refused = _hoh("compare", str(good), str(other), "--output", "c.png", cwd=tmp_path)
    assert refused.returncode == 2 and "hoh did not write it" in refused.stderr
    assert (tmp_path / "c.png").read_bytes() == b"my holiday picture"
    (tmp_path / "c.png").unlink()
    for _ in range(2):  # then its own picture is replaced
        drawn = _hoh("compare", str(good), str(other), "--output", "c.png", cwd=tmp_path)
        assert drawn.returncode == 0, drawn.stderr


def test_resuming_over_damaged_metrics_is_a_message(tmp_path: Path) -> None:
    from framework.errors import UserError

    run = hand_written_run(tmp_path, "r", 0.1)
    _cut(run / "metrics.jsonl")
    with pytest.raises(UserError, match=r"metrics\.jsonl line 3 is cut short"):
        read_history(run)
