"""Warm starts: a new run's model starts from the weights of a finished run (``[training] init_from``).

The weights are loaded into the freshly built model before it is compiled, so the model must
be the same (architecture, image size, classes); what does not fit is refused, never loaded
in part. The run records where its weights came from in ``init.json`` (the file and its
SHA-256). A resumed run loads them again, then the resume callback's state replaces them, so
a run stopped before its first commit starts again exactly as it first did.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from framework.atomic import sha256_file, write_json
from framework.errors import UserError
from framework.rundir import MODEL_FILE

INIT_FILE = "init.json"
"""The run's record of the weights it started from."""


def weights_misfit(model: Any, path: Path) -> str | None:
    """Load the weights file ``path`` (.keras, .weights.h5 or Keras' legacy .h5) into ``model``; why it does not fit.

    Keras loads what matches of a file and only warns about the rest, leaving the other layers
    as they were initialized: a model that looks trained but is not. Any such warning, like an
    error, is returned as the reason, for the caller to refuse the file.

    Returns:
        ``None`` when every weight was loaded; else one line saying what did not fit.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model.load_weights(path)
        except (ValueError, KeyError, OSError) as error:
            return f"{type(error).__name__}: {str(error)[:300]}"
    for warning in caught:
        message = str(warning.message)
        if "could not be loaded" in message or "Skipping" in message:
            return message[:300]
    return None


def source_model(source: Path) -> Path:
    """The model file ``source`` names: a run folder's ``model.keras``, or the file itself."""
    return source / MODEL_FILE if source.is_dir() else source


def warm_start(model: Any, source: str, run_dir: Path, console: Any, *, state_saved: bool = False) -> None:
    """Load ``source``'s weights into ``model`` and record it in ``run_dir/init.json``.

    Args:
        state_saved: The run goes on from a saved training state (a resumed run past its first
            epoch, or an extension), which replaces every weight: a ``source`` deleted since the
            run started is then not needed, and is skipped with a note.

    Raises:
        UserError: naming ``training.init_from``, when the file is missing (and needed) or does not fit the model.
    """
    path = source_model(Path(source))
    if not path.is_file() and state_saved and (run_dir / INIT_FILE).is_file():
        console.print(
            f"training.init_from: {path} is gone; not needed, the run's saved training state replaces its weights",
            markup=False,
            highlight=False,
        )
        return
    if not path.is_file():
        raise UserError(
            f"training.init_from = {source!r}: {path} does not exist. Give a finished run folder (it holds "
            f"{MODEL_FILE}) or a .keras / .weights.h5 file."
        )
    problem = weights_misfit(model, path)
    if problem:
        raise UserError(
            f"training.init_from = {source!r}: the weights in {path} do not fit this experiment's model "
            f"({problem}). A warm start needs the same model, image size and classes."
        )
    write_json(run_dir / INIT_FILE, {"init_from": str(path.resolve()), "sha256": sha256_file(path)})
    console.print(f"weights from {path} (training.init_from)", markup=False, highlight=False)
