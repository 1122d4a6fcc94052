"""Checking image files before training: which cannot be read (named), and their EXIF orientation.

A bad file found mid-training stops TensorFlow with an error that names no file, so the
pipelines read every file's headers first (:func:`readable_files`), and name the files at
fault when training fails on pixel data that only a full decode finds (:func:`failure_explainer`).
Nothing here imports TensorFlow.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from framework import UserError
from plugins.pipelines.common import LabelledFiles, map_on_threads

ORIENTATION_TAG = 0x0112
"""EXIF tag of the orientation (1-8) a camera records instead of turning the pixels."""


def _orientation(image: Any) -> int:
    """The EXIF orientation in an opened image's headers, without decoding it (``getexif`` decodes PNGs)."""
    from PIL import Image

    raw = image.info.get("exif")
    if not raw:
        return 1
    exif = Image.Exif()
    exif.load(raw)
    return int(exif.get(ORIENTATION_TAG, 1) or 1)


def _inspect(path: Path, *, decode: bool = False) -> tuple[str | None, int]:
    """Why ``path`` is not a readable image (or ``None``), and its EXIF orientation (1: upright).

    Args:
        decode: Decode the pixels fully (Pillow's ``load``: ~5 ms a 300x300 PNG) rather than
            check the headers and checksums (``verify``: ~0.4 ms). Only a full decode finds pixel
            data that is corrupt under valid checksums.
    """
    from PIL import Image

    try:
        with Image.open(path) as image:
            orientation = _orientation(image)  # from the headers read by open: verify may follow
            if decode:
                image.load()
            else:
                image.verify()
    except Exception as error:  # PIL raises many types: OSError, SyntaxError, DecompressionBombError...
        return f"{type(error).__name__}: {str(error).split(' <_io.')[0]}", 1
    return None, orientation if 1 <= orientation <= 8 else 1


def exif_orientation(path: Path) -> int:
    """The EXIF orientation of an image file (1-8; 1 when it has none or cannot be read)."""
    return _inspect(path)[1]


def _inspect_all(paths: Sequence[Path], *, decode: bool) -> list[tuple[str | None, int]]:
    """:func:`_inspect` of every path, on a few threads (Pillow releases the GIL while it decodes).

    2 cores: 1027 real images decoded fully in ~2.9 s, against ~5.4 s on one.
    """
    return map_on_threads(lambda path: _inspect(path, decode=decode), paths)


def undecodable(paths: Sequence[Path], *, decode: bool = True) -> list[tuple[Path, str]]:
    """The files of ``paths`` that cannot be read (decoded fully by default), with why, in order."""
    found = _inspect_all(paths, decode=decode)
    return [(path, reason) for path, (reason, _) in zip(paths, found, strict=True) if reason is not None]


def failure_explainer(*path_lists: Sequence[Path | str]) -> Callable[[BaseException], str | None]:
    """:attr:`Flows.explain_failure` for flows of the files in ``path_lists``: names those that cannot be decoded.

    Before training, files are only verified (headers and checksums: fast); a PNG whose
    pixel data is corrupt under valid checksums passes, and TensorFlow's decoder then fails
    mid-fit naming no file. Only then is every file decoded, to say which.
    """

    def explain(error: BaseException) -> str | None:
        paths = [Path(path) for paths in path_lists for path in paths]
        bad = undecodable(paths)
        if not bad:
            return None
        named = "; ".join(f"{path} ({reason})" for path, reason in bad[:5]) + ("; ..." if len(bad) > 5 else "")
        return (
            f"training stopped on an image that cannot be decoded ({type(error).__name__}); decoding all "
            f"{len(paths)} images found {len(bad)} that cannot: {named}. Fix or remove them, or set "
            "pipeline.skip_unreadable = true to train without them (every image is then decoded before training)."
        )

    return explain


def readable_files(files: LabelledFiles, root: Path, *, skip: bool) -> LabelledFiles:
    """``files`` without unreadable images when ``skip``; else an error naming them, before any training.

    A bad file found mid-training stops TensorFlow with an error that names no file; this
    check reads every file's headers and checksums first (~0.4 s for the 1027 real training
    images). With ``skip`` it decodes every file fully (~3 s for them on 2 cores), so that a
    file whose pixel data is corrupt is skipped too; without it, such a file is named by
    :func:`failure_explainer` if training fails on it.

    Raises:
        UserError: naming the unreadable files (the first 5) and their count, unless ``skip``.
    """
    found = _inspect_all(files.paths, decode=skip)
    orientations = tuple(orientation for _, orientation in found)
    bad = [(path, reason) for path, (reason, _) in zip(files.paths, found, strict=True) if reason is not None]
    if not bad:
        return LabelledFiles(files.paths, files.labels, orientations if any(o != 1 for o in orientations) else ())
    named = "; ".join(f"{path} ({reason})" for path, reason in bad[:5]) + ("; ..." if len(bad) > 5 else "")
    if not skip:
        raise UserError(
            f"{len(bad)} of {len(files.paths)} image files in {root} cannot be read: {named}. Fix or remove them, "
            "or set pipeline.skip_unreadable = true to train without them."
        )
    print(f"skipping {len(bad)} unreadable image files in {root}: {named}", file=sys.stderr)
    dropped = {path for path, _ in bad}
    kept = [
        (path, label, orientation)
        for path, label, orientation in zip(files.paths, files.labels, orientations, strict=True)
        if path not in dropped
    ]
    if not kept:
        raise UserError(f"no image file in {root} can be read: {named}.")
    return LabelledFiles(*(tuple(column) for column in zip(*kept, strict=True)))
