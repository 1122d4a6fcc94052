"""A sweep's records on disk: one run folder ``trial-NNNN/`` a trial, with its ``trial.json``.

The study (journal or database) and these folders must tell the same story. When they do not
(the journal was deleted or emptied, or the sweep's folder belongs to another study), hoh
refuses before any trial starts: a new trial 0 would otherwise meet the old ``trial-0000/``.
A finished trial's records are never written over.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from framework.api import UserError, write_json, write_text
from plugins.sweeps.spec import Sweep
from plugins.sweeps.storage import shown_url

TRIAL_FILE = "trial.json"


def trial_folder(folder: Path, number: int) -> Path:
    return folder / f"trial-{number:04d}"


def write_record(path: Path, sweep: Sweep, url: str, trial: Any, **fields: Any) -> None:
    """``path/trial.json``: sweep, storage (no password), number, params, objective and ``fields``."""
    write_json(
        path / TRIAL_FILE,
        {
            "sweep": sweep.name,
            "storage": shown_url(url),
            "number": trial.number,
            "params": trial.params,
            "objective": {**sweep.objective.model_dump(), "value": None},
            **fields,
        },
    )


def mark_dead(folder: Path, number: int, reason: str) -> None:
    """A trial failed because its worker died: its ``trial.json`` says so (it said RUNNING)."""
    path = trial_folder(folder, number)
    record = _read(path / TRIAL_FILE)
    if record is None or record.get("state") != "RUNNING":
        return
    write_json(path / TRIAL_FILE, {**record, "state": "FAIL", "reason": reason})


def best_experiment(sweep: Sweep, number: int) -> Path | None:
    """``<sweep folder>/best.toml``: the best trial's experiment, ready for ``hoh-run`` (progress shown again)."""
    import tomllib

    import tomli_w

    folder = trial_folder(sweep.folder(), number)
    source = folder / "experiment.toml"
    if not source.is_file():  # replicates: one run a seed; the file keeps the first seed
        source = next(iter(sorted(folder.glob("seed-*/experiment.toml"))), source)
    try:
        data = tomllib.loads(source.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    data.get("training", {}).pop("progress", None)  # the trials ran without a progress display
    header = (
        f"# The best trial of sweep {sweep.name!r} so far: trial {number} ({source.parent}).\n"
        f"# Written by hoh sweep; train it again with: hoh-run {sweep.folder() / 'best.toml'}\n\n"
    )
    return write_text(sweep.folder() / "best.toml", header + tomli_w.dumps(data))


def _read(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def check_records_match_study(study: Any, sweep: Sweep, url: str) -> None:
    """Refuse when the sweep's folder holds trials its study does not know.

    A trial folder of this machine whose number the study has not given out, or that the study
    gave out with other parameters, means the study is not the one these folders were made for.

    Raises:
        UserError: naming the storage, how many trials it holds, the folders it does not know and
            what to do; nothing is changed.
    """
    folder = sweep.folder()
    if not folder.is_dir():
        return
    trials = {trial.number: trial for trial in study.get_trials(deepcopy=False)}
    unknown: list[str] = []
    for path in sorted(folder.glob("trial-[0-9][0-9][0-9][0-9]")):
        record = _read(path / TRIAL_FILE)
        if record is None or record.get("sweep") != sweep.name or not isinstance(record.get("number"), int):
            continue  # not a record of this sweep (or damaged): not ours to judge
        trial = trials.get(record["number"])
        if trial is None or _jsonable(trial.params) != record.get("params"):
            unknown.append(f"{path.name} ({record.get('state', '?').lower()})")
    if unknown:
        shown = ", ".join(unknown[:5]) + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else "")
        raise UserError(
            f"sweep {sweep.name!r}: its storage {shown_url(url)} holds {len(trials)} trial(s), but {folder} holds "
            f"trials it does not know: {shown}. The study was lost or replaced (a deleted or emptied journal?). "
            "Nothing was changed. Restore the storage, or move those trial folders elsewhere (or give the sweep a "
            "new [sweep] name) to start the search again."
        )


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value))
