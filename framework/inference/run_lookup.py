"""Which run folder and model file a command's RUN argument names, with advice when it has none."""

from __future__ import annotations

from pathlib import Path

from framework.errors import UserError
from framework.rundir import CHECKPOINTS_DIR, EXPERIMENT_FILE, MODEL_FILE


def _checkpoint_names(run_dir: Path) -> list[str]:
    """The names ``--checkpoint`` takes in ``run_dir`` (``best``, ``last``, ...), sorted."""
    return sorted(p.stem for p in (run_dir / CHECKPOINTS_DIR).glob("*.keras"))


def _unfinished_advice(run_dir: Path) -> str:
    """What to give instead of a run without a model: its checkpoints, or the newest finished run beside it."""
    found = _checkpoint_names(run_dir)
    if found:
        return (
            f"Give a finished run folder, or one of its checkpoints with --checkpoint NAME (it has {', '.join(found)})."
        )
    try:  # resolved: `hoh predict . x.png` inside a run looks beside it, not in it
        beside = run_dir.resolve().parent.iterdir()
        finished = sorted(p for p in beside if p.is_dir() and (p / MODEL_FILE).is_file())
    except OSError:  # a folder it may not list: no advice rather than a failure
        finished = []
    if finished:
        newest = finished[-1]
        shown = newest.relative_to(Path.cwd()) if newest.is_relative_to(Path.cwd()) else newest
        return f"It has no checkpoints either; the newest finished run beside it is {shown}: give that folder."
    return "It has no checkpoints either, and no run beside it finished: train one first."


def find_model(target: Path, checkpoint: str | None) -> tuple[Path, Path]:
    """The model file and the run folder it belongs to."""
    if target.is_dir():
        run_dir = target
        if not (run_dir / EXPERIMENT_FILE).is_file():
            runs = Path("runs") / target  # `NAME` means runs/NAME only where no folder NAME is here
            also = (
                f" (to mean the newest run of {runs}, give {runs})"
                if not target.is_absolute() and runs.is_dir()
                else ""
            )
            raise UserError(
                f"{target} is not a run folder: it has no {EXPERIMENT_FILE}. Give the folder of a run{also}."
            )
        if checkpoint is not None:
            model = run_dir / CHECKPOINTS_DIR / f"{checkpoint}.keras"
            if not model.is_file():
                found = _checkpoint_names(run_dir)
                have = f"it has {', '.join(found)}" if found else f"it has no {CHECKPOINTS_DIR}/*.keras"
                raise UserError(f"run {run_dir} has no checkpoint {checkpoint!r} ({have}).")
            return model, run_dir
        model = run_dir / MODEL_FILE
        if not model.is_file():
            raise UserError(f"{target} has no {MODEL_FILE}: the run did not finish. {_unfinished_advice(run_dir)}")
        return model, run_dir
    if checkpoint is not None:
        raise UserError(f"--checkpoint needs a run folder, but {target} is not a folder.")
    if not target.is_file() or target.suffix != ".keras":
        raise UserError(f"{target} is neither a run folder nor a .keras model file.")
    for parent in (target.parent, target.parent.parent):
        if (parent / EXPERIMENT_FILE).is_file():
            return target, parent
    raise UserError(
        f"{target} is not inside a run folder (no {EXPERIMENT_FILE} beside it or one level up), so the "
        "preprocessing and class names it was trained with are unknown. Give the run folder instead."
    )
