"""The ``image-folder`` provider: labelled images already on disk, one sub-folder per class.

Also holds the folder checks that the downloaded datasets reuse.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from framework import DatasetContext, ImageFolders, Params, UserError
from framework.api import IMAGE_SUFFIXES, list_images, other_images


class ImageFolderParams(Params):
    """Parameters of ``image-folder``. Relative paths are resolved against the current working directory."""

    train_dir: Path = Field(
        description="Folder of training images, one sub-folder per class (relative to the working directory)."
    )
    validation_dir: Path | None = Field(
        None, description="Folder of validation images with the same class sub-folders; none when omitted."
    )


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
    others = other_images(folder)
    if others:
        named = ", ".join(str(path.relative_to(folder)) for path in others[:5]) + (", ..." if len(others) > 5 else "")
        kinds = ", ".join(sorted({path.suffix.lower() for path in others}))
        raise UserError(
            f"The {role} {folder} holds {len(others)} pictures in formats hoh cannot read ({kinds}): {named}. "
            f"Convert them to one it reads ({'/'.join(sorted(IMAGE_SUFFIXES))}), for example with ImageMagick's "
            "mogrify -format jpg, or move them out of the folder."
        )
    counts = count_images(folder)
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
    validation_dir = None
    if params.validation_dir is not None:
        validation_dir = resolve(params.validation_dir)
        validation_counts = check_classes(validation_dir, "validation folder")
        if list(validation_counts) != list(train_counts):
            only_train = sorted(set(train_counts) - set(validation_counts))
            only_validation = sorted(set(validation_counts) - set(train_counts))
            raise UserError(
                f"The validation folder {validation_dir} must have the same class folders as the training folder "
                f"{train_dir}: only in training: {', '.join(only_train) or 'none'}; "
                f"only in validation: {', '.join(only_validation) or 'none'}."
            )
    total = sum(train_counts.values())
    context.console.print(f"image-folder: {total} training images in {len(train_counts)} classes from {train_dir}")
    return ImageFolders(train_dir=train_dir, validation_dir=validation_dir, class_names=tuple(train_counts))
