"""The ``image-folder`` provider: labelled images already on disk, one sub-folder per class.

Also holds the folder checks that the downloaded datasets reuse.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator

from framework import DatasetContext, ImageFolders, Params, UserError
from framework.api import IMAGE_SUFFIXES, list_images, scan_images
from plugins.datasets import splitting


class ImageFolderParams(Params):
    """Parameters of ``image-folder``. Relative paths are resolved against the current working directory."""

    train_dir: Path = Field(
        description="Folder of training images, one sub-folder per class (relative to the working directory)."
    )
    validation_dir: Path | None = Field(
        None, description="Folder of validation images with the same class sub-folders; none when omitted."
    )
    validation_split: float | None = Field(
        None,
        gt=0,
        lt=1,
        description="Fraction of train_dir's images kept for validation instead of validation_dir (stratified by "
        "class, seeded by split_seed; the lists are recorded in the run's splits.json).",
    )
    test_dir: Path | None = Field(
        None, description="Folder of held-out test images, never trained on: hoh evaluate RUN --split test."
    )
    test_split: float | None = Field(
        None, gt=0, lt=1, description="Fraction of train_dir's images held out for testing instead of test_dir."
    )
    split_seed: int = Field(
        0,
        ge=0,
        description="Seeds validation_split and test_split; not the experiment's seed, so that runs with other "
        "seeds keep the same split.",
    )

    @model_validator(mode="after")
    def _one_source_per_split(self) -> ImageFolderParams:
        if self.validation_split is not None and self.validation_dir is not None:
            raise ValueError("give validation_dir or validation_split, not both")
        if self.test_split is not None and self.test_dir is not None:
            raise ValueError("give test_dir or test_split, not both")
        if (self.validation_split or 0) + (self.test_split or 0) >= 0.9:
            raise ValueError("validation_split + test_split must leave at least 10% of the images for training")
        return self


def count_images(folder: Path) -> dict[str, int]:
    """Image files per class sub-folder of ``folder``, by sorted class name.

    Files are counted as the pipelines list them (:func:`framework.images.list_images`:
    sub-folders included). Hidden sub-folders (names starting with ``.``) are not classes.
    """
    counts: dict[str, int] = {}
    for sub in sorted(folder.iterdir(), key=lambda p: p.name):
        if sub.is_dir() and not sub.name.startswith("."):
            counts[sub.name] = len(list_images(sub))
    return counts


def _scan_classes(folder: Path) -> tuple[dict[str, int], list[Path]]:
    """``count_images(folder)`` and ``other_images(folder)`` from one walk of the folder."""
    counts = {p.name: 0 for p in sorted(folder.iterdir(), key=lambda p: p.name) if p.is_dir() and p.name[0] != "."}
    images, others = scan_images(folder)  # os.walk does not enter links to folders below the top
    for path in images:
        parts = path.relative_to(folder).parts
        if len(parts) > 1 and parts[0] in counts:  # in a class folder: not a file of the folder itself
            counts[parts[0]] += 1
    for name in counts:
        if (folder / name).is_symlink():  # a linked class folder is walked on its own, as list_images walks it
            linked, odd = scan_images(folder / name)
            counts[name] = len(linked)
            others += odd
    return counts, others


def check_classes(folder: Path, role: str) -> dict[str, int]:
    """Check that ``folder`` holds at least two class sub-folders, each with images.

    Args:
        folder: The folder to check.
        role: What the folder is for, used in messages (``"training folder"``).

    Returns:
        Image count per class, by sorted class name.

    Raises:
        UserError: naming the folder and what is wrong with it.
    """
    if not folder.exists():
        raise UserError(f"The {role} {folder} does not exist.")
    if not folder.is_dir():
        raise UserError(f"The {role} {folder} is not a folder.")
    counts, others = _scan_classes(folder)
    if others:
        named = ", ".join(str(path.relative_to(folder)) for path in others[:5]) + (", ..." if len(others) > 5 else "")
        kinds = ", ".join(sorted({path.suffix.lower() for path in others}))
        raise UserError(
            f"The {role} {folder} holds {len(others)} pictures in formats hoh cannot read ({kinds}): {named}. "
            f"Convert them to one it reads ({'/'.join(sorted(IMAGE_SUFFIXES))}), for example with ImageMagick's "
            "mogrify -format jpg, or move them out of the folder."
        )
    empty = [name for name, count in counts.items() if count == 0]
    if empty:
        kinds = "/".join(sorted(IMAGE_SUFFIXES))  # the suffixes every pipeline reads
        raise UserError(f"The {role} {folder} has class folders without images ({kinds}): {', '.join(empty)}.")
    if len(counts) < 2:
        found = ", ".join(counts) or "none"
        raise UserError(
            f"The {role} {folder} needs at least two class sub-folders of images "
            f"(<folder>/<class>/<image>); found {len(counts)} ({found})."
        )
    return counts


def resolve(path: Path) -> Path:
    """``path`` with ``~`` expanded, made absolute against the current working directory."""
    return (Path.cwd() / path.expanduser()).resolve()


def build_image_folder(params: ImageFolderParams, context: DatasetContext) -> ImageFolders:
    """Check the folders and return them with their class names (sorted sub-folder names).

    Raises:
        UserError: when a folder is missing, has fewer than two classes, a class
            without images, or when the validation classes differ from the training ones.
    """
    train_dir = resolve(params.train_dir)
    train_counts = check_classes(train_dir, "training folder")
    classes = tuple(train_counts)
    folders = {}
    for split, folder in (("validation", params.validation_dir), ("test", params.test_dir)):
        if folder is not None:
            folders[split] = resolve(folder)
            counts = check_classes(folders[split], f"{split} folder")
            check_same_classes(folders[split], counts, train_dir, classes, split)
    lists: dict[str, splitting.Files] = {}
    rest = splitting.labelled(train_dir, classes)
    taken = 0.0  # fractions are of all of train_dir's images: the second is cut from what the first left
    for split, fraction in (("test", params.test_split), ("validation", params.validation_split)):
        if fraction is not None:
            rest, lists[split] = splitting.split_off(
                rest, fraction / (1 - taken), params.split_seed, f"{split}_split = {fraction}"
            )
            taken += fraction
    if lists:
        lists["train"] = rest
    # a split folder, or a split cut from train_dir (no file twice there, but a copy under another name)
    held_out = {split: splitting.labelled(folder, classes)[0] for split, folder in folders.items()}
    held_out |= {split: lists[split][0] for split in ("validation", "test") if split in lists}
    warn_shared(context, rest[0], held_out)
    sizes = ", ".join(f"{len(files[0])} {split}" for split, files in lists.items() if split != "train")
    context.console.print(
        f"image-folder: {len(rest[0])} training images in {len(classes)} classes from {train_dir}"
        + (f" (split off: {sizes}, split_seed {params.split_seed})" if sizes else "")
    )
    return ImageFolders(
        train_dir=train_dir,
        validation_dir=folders.get("validation"),
        class_names=classes,
        test_dir=folders.get("test"),
        file_lists=lists or None,
    )


def check_same_classes(
    folder: Path, counts: dict[str, int], train_dir: Path, classes: tuple[str, ...], split: str
) -> None:
    """Refuse a validation or test folder whose class folders differ from the training folder's.

    Raises:
        UserError: naming the classes found only on one side.
    """
    if list(counts) != list(classes):
        only_train = sorted(set(classes) - set(counts))
        only_other = sorted(set(counts) - set(classes))
        raise UserError(
            f"The folder {folder} must have the same class folders as the training folder {train_dir}: only in "
            f"training: {', '.join(only_train) or 'none'}; only in {split}: {', '.join(only_other) or 'none'}."
        )


def warn_shared(context: DatasetContext, training: tuple[Path, ...], held_out: dict[str, tuple[Path, ...]]) -> None:
    """Warn, split by split, when training images are also held out (same file, or same content)."""
    for split, shared in splitting.shared_images(training, held_out).items():
        if not shared:
            continue
        named = "; ".join(f"{a} = {b}" for a, b in shared[:3]) + ("; ..." if len(shared) > 3 else "")
        context.console.print(
            f"[yellow]warning:[/] {len(shared)} of the {len(held_out[split])} {split} images are also training "
            f"images (same file or same content): {named}. {split.capitalize()} scores will look better than the "
            "model is on new images.",
            highlight=False,
        )
