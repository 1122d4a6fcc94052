"""A damaged journal file: the readable records are kept, the damaged file too, and the sweep goes on."""

from __future__ import annotations

from pathlib import Path

import pytest
from sweep_helpers import run_script, tiny_sweep

from plugins.sweeps.spec import load_sweep
from plugins.sweeps.storage import JOURNAL_FILE, open_storage, repair_journal
from plugins.sweeps.trials import ask_trial, open_study


def _journal_with_two_trials(tmp_path: Path) -> tuple[Path, bytes]:
    sweep = load_sweep(tiny_sweep(tmp_path))
    path = tmp_path / JOURNAL_FILE
    study = open_study(sweep, open_storage(str(path)), create=True)
    for value in (0.5, 0.4):
        study.tell(ask_trial(study, sweep), value)
    return path, path.read_bytes()


@pytest.mark.parametrize(
    "damage",
    [
        b'{"op_code": 4, "worker_id": "w", "study_id": 0, "datetime_st',  # a kill in the middle of an append
        b"\xff\xfe garbage \x00\n",
        b'{"op_code": 99, "worker_id": "w"}\n',  # a record kind Optuna does not know
    ],
    ids=["torn-last-record", "garbage-bytes", "unknown-record"],
)
def test_the_records_before_the_damage_are_kept_and_the_damaged_file_too(tmp_path: Path, damage: bytes) -> None:
    import optuna

    path, sound = _journal_with_two_trials(tmp_path)
    path.write_bytes(sound + damage + b'{"op_code": 2, "worker_id": "w", "study_id": 0, "user_attr": {}}\n')
    said = repair_journal(path)
    records = len(sound.splitlines())
    assert said is not None and f"its first {records} records are kept" in said
    assert path.read_bytes() == sound
    [kept] = tmp_path.glob(f"{JOURNAL_FILE}.damaged-*")
    assert kept.read_bytes().startswith(sound + damage)
    storage = open_storage(str(path))
    assert [t.value for t in optuna.load_study(study_name="tiny", storage=storage).trials] == [0.5, 0.4]
    assert repair_journal(path) is None  # sound now: left as it is


def test_hoh_sweep_goes_on_after_a_torn_journal(tmp_path: Path) -> None:
    _, sound = _journal_with_two_trials(tmp_path)
    sweep_file = tmp_path / "sweep.toml"
    sweep_file.write_text(sweep_file.read_text().replace("trials = 6", "trials = 3"))
    folder = tmp_path / "runs" / "sweeps" / "tiny"
    folder.mkdir(parents=True)
    (folder / JOURNAL_FILE).write_bytes(sound + b'{"op_code": 4, "worker_id"')
    done = run_script("hoh", "sweep", str(sweep_file), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "repaired" in done.stdout and "its first" in done.stdout and "Traceback" not in done.stdout + done.stderr
    assert "3 of 3 trials finished" in done.stdout
