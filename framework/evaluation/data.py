"""Which images ``hoh evaluate`` scores: a labelled folder, or one of the run's recorded splits."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from framework.errors import UserError
from framework.images import labelled_images
from framework.inference import TrainedRun
from framework.splits import read_splits


def labelled_files(folder: Path, class_names: Sequence[str]) -> tuple[list[Path], list[int]]:
    """Image files of ``folder/<class>/`` with their class index (the run's class folder names).

    Raises:
        UserError: when the folder is missing, has a sub-folder that is no class of the run, or no images.
    """
    if not folder.is_dir():
        raise UserError(
            f"{folder} is not a folder; give a folder with one sub-folder per class ({', '.join(class_names)})."
        )
    subfolders = sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    unknown = [name for name in subfolders if name not in class_names]
    if unknown:
        raise UserError(
            f"{folder} has sub-folders that are no class of the run: {', '.join(unknown)}. The run's classes "
            f"are {', '.join(class_names)}; each sub-folder must be named after one."
        )
    paths, labels = labelled_images(folder, class_names)
    if not paths:
        raise UserError(f"{folder} holds no images in class sub-folders ({', '.join(class_names)}).")
    return paths, labels


def split_data(run: TrainedRun, split: str) -> tuple[list[Path], list[int], str]:
    """The images of one of the run's splits with their labels, and where they come from.

    The lists in ``splits.json`` when the dataset split a folder, else the split's recorded folder.

    Raises:
        UserError: when the run has no such split.
    """
    recorded = read_splits(run.run_dir)
    if split in recorded:
        paths, labels = recorded[split]
        return list(paths), list(labels), f"the {split} split of {run.split_dir('train')} (splits.json)"
    folder = run.split_dir(split)
    if folder is None:
        how = {"test": "test_dir or test_split", "validation": "validation_dir or validation_split"}.get(split, "")
        raise UserError(
            f"run {run.run_dir} records no {split} set (its dataset had no {how}, or the run predates "
            "inference.json): give a labelled FOLDER, with one sub-folder per class."
        )
    paths, labels = labelled_files(folder, run.class_names)
    return paths, labels, str(folder)
