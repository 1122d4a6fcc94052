"""A run's splits as trained: recorded in ``splits.json``, restored on resume, read back by ``hoh evaluate``.

A dataset provider that splits one folder (``validation_split``, ``test_split``) lists the
images of each split (:attr:`framework.providers.ImageFolders.file_lists`). The runner records
those lists in the run folder, so that a resumed run trains on the same images even if files
were added since, and ``hoh evaluate RUN --split test`` scores exactly the held-out images.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from framework.atomic import write_json
from framework.errors import UserError
from framework.providers import ImageFolders
from framework.rundir import SPLITS_FILE

SPLITS = ("train", "validation", "test")


def read_splits(run_dir: Path) -> dict[str, tuple[tuple[Path, ...], tuple[int, ...]]]:
    """The recorded file lists of ``run_dir`` (empty when it has none).

    Raises:
        UserError: when ``splits.json`` is damaged.
    """
    path = run_dir / SPLITS_FILE
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {
            split: (tuple(Path(p) for p in data[split]["files"]), tuple(int(n) for n in data[split]["labels"]))
            for split in SPLITS
            if split in data
        }
    except (ValueError, KeyError, TypeError) as error:
        raise UserError(f"{path} is damaged ({error}); restore it from a copy of the run.") from None


def record_splits(run_dir: Path, images: ImageFolders, *, resumed: bool) -> ImageFolders:
    """Record ``images.file_lists`` in ``run_dir``; on resume, return ``images`` with the recorded lists instead.

    Raises:
        UserError: on resume, when recorded images are missing now.
    """
    if resumed and (run_dir / SPLITS_FILE).exists():
        recorded = read_splits(run_dir)
        missing = [path for paths, _ in recorded.values() for path in paths if not path.exists()]
        if missing:
            named = ", ".join(str(p) for p in missing[:5]) + (", ..." if len(missing) > 5 else "")
            raise UserError(
                f"run {run_dir} was trained on images that are gone ({len(missing)}: {named}); it cannot resume on "
                f"the same split. Put them back, or start a new run."
            )
        return dataclasses.replace(images, file_lists=recorded)
    if images.file_lists:
        document = {
            # absolute: `hoh evaluate RUN` from another folder reads the same files (a provider may list them relative)
            split: {"files": [str(Path(p).absolute()) for p in paths], "labels": list(labels)}
            for split, (paths, labels) in images.file_lists.items()
        }
        write_json(run_dir / SPLITS_FILE, document)
    return images
