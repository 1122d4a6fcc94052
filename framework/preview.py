"""A grid of sample images from each class of a dataset, as a PNG."""

from __future__ import annotations

import math
import random
from pathlib import Path
from typing import Any

from framework.atomic import write_with
from framework.errors import UserError
from framework.images import IMAGE_SUFFIXES
from framework.output_files import check_file_replaceable, png_metadata, png_written_by_hoh
from framework.providers import ImageFolders

THUMBNAIL_SIZE = 256


def write_preview(
    images: ImageFolders,
    path: Path,
    per_class: int = 8,
    columns: int = 4,
    seed: int | None = None,
) -> Path:
    """Write a PNG grid of ``per_class`` training images of every class, in class order.

    Each tile is captioned with its class and file name. By default the first
    files in name order are shown; with ``seed``, a random choice made with that
    seed. A class with fewer images shows all it has.

    Args:
        images: The dataset; images come from its training split (``images.train_dir/<class>/``, less the
            validation and test images a split of that folder set aside).
        path: The PNG to write (atomically); its folder is created when missing.
        per_class: Images per class.
        columns: Tiles per row.
        seed: Seed of a random choice, or ``None`` for the first files.

    Returns:
        ``path``.

    Raises:
        UserError: when a class folder is missing, holds no images, or an image cannot be read.
        ValueError: when ``per_class`` or ``columns`` is not positive.
    """
    from matplotlib.figure import Figure

    if per_class < 1 or columns < 1:
        raise ValueError(f"per_class and columns must be positive, got {per_class} and {columns}")
    if not images.class_names:
        raise UserError(f"no classes to preview in {images.train_dir}")
    rng = random.Random(seed) if seed is not None else None
    chosen: list[tuple[str, Path]] = []
    # the training split's files, as the pipelines list them: a split of one folder leaves out its held-out images
    by_class = images.files_by_class("train") or [[] for _ in images.class_names]
    for name, files in zip(images.class_names, by_class, strict=True):
        folder = images.train_dir / name
        if not files:
            raise UserError(
                f"class {name!r} has no images in {folder} "
                f"(looked for {', '.join(sorted(IMAGE_SUFFIXES))} files); nothing to preview"
            )
        picked = sorted(rng.sample(files, min(per_class, len(files)))) if rng else files[:per_class]
        chosen.extend((name, f) for f in picked)

    rows = math.ceil(len(chosen) / columns)
    figure = Figure(figsize=(2.4 * columns, 2.6 * rows), dpi=100, layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    for ax in axes:
        ax.set_axis_off()
    for ax, (name, file) in zip(axes, chosen, strict=False):
        ax.imshow(thumbnail(file))
        ax.set_title(f"{name}\n{_short(file.name)}", fontsize=8)
    path = Path(path)
    check_file_replaceable(path, "preview", png_written_by_hoh)
    write_with(path, lambda tmp: figure.savefig(tmp, format="png", metadata=png_metadata("preview")))
    return path


def thumbnail(file: Path) -> Any:
    """``file`` as an RGB PIL image at most ``THUMBNAIL_SIZE`` on a side, upright as training sees it (EXIF turn).

    Raises:
        UserError: naming the file, when it cannot be read.
    """
    from PIL import Image, ImageOps

    try:
        with Image.open(file) as img:
            upright = ImageOps.exif_transpose(img)  # a phone photo's orientation, applied as the pipelines do
            upright.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE))
            return upright.convert("RGB")
    except Exception as error:  # Pillow raises many kinds: OSError, SyntaxError, EOFError, DecompressionBombError...
        raise UserError(f"cannot read image {file}: {type(error).__name__}: {error}") from error


def _short(name: str, limit: int = 28) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"
