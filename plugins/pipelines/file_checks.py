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
from plugins.pipelines.common import FileKinds, LabelledFiles, map_on_threads, usable_cores
from plugins.pipelines.file_facts import remembered_headers
from plugins.pipelines.image_headers import WORKERS_FROM, Header, inspect, inspect_in_workers
from plugins.pipelines.progress import spinning


def exif_orientation(path: Path) -> int:
    """The EXIF orientation of an image file (1-8; 1 when it has none or cannot be read)."""
    return inspect(path).orientation


def file_kinds(headers: Sequence[Header]) -> FileKinds:
    """What ``headers`` (of readable files) share: all JPEG or none, and their sizes once upright."""
    jpegs = {header.jpeg for header in headers}
    jpeg = jpegs.pop() if len(jpegs) == 1 else None
    if not all(header.height for header in headers):  # a size Pillow gives but TensorFlow might not: unknown
        return FileKinds(jpeg, None)
    turned = (((h.width, h.height) if h.orientation >= 5 else (h.height, h.width)) for h in headers)
    return FileKinds(jpeg, frozenset(turned))


def _inspect_all(paths: Sequence[Path], *, decode: bool) -> list[Header]:
    """:func:`~plugins.pipelines.image_headers.inspect` of every path, in order, on all cores.

    Files checked by an earlier run and unchanged since are not read again
    (:mod:`plugins.pipelines.file_facts`). The others are checked in worker processes from
    :data:`~plugins.pipelines.image_headers.WORKERS_FROM` files (a JPEG's headers are read in
    Python, under the GIL), else, or if a worker fails, on a few threads here (Pillow releases
    the GIL while it decodes: 1027 real images decoded fully in ~2.9 s on 2 cores, against ~5.4 s on one).
    """

    def check(unknown: Sequence[Path]) -> list[Header]:
        what = "decoding" if decode else "checking the headers of"
        with spinning(f"{what} {len(unknown):,} image files", len(unknown)):
            workers = usable_cores()
            if len(unknown) >= WORKERS_FROM and workers > 1:
                found = inspect_in_workers(unknown, decode=decode, workers=workers)
                if found is not None:
                    return found
            return map_on_threads(lambda path: inspect(path, decode=decode), unknown)

    return remembered_headers(paths, check, decode=decode)


def undecodable(paths: Sequence[Path], *, decode: bool = True) -> list[tuple[Path, str]]:
    """The files of ``paths`` that cannot be read (decoded fully by default), with why, in order."""
    found = _inspect_all(paths, decode=decode)
    return [(path, header.reason) for path, header in zip(paths, found, strict=True) if header.reason]


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


SKIP_ADVICE = "Fix or remove them, or set pipeline.skip_unreadable = true to train without them."


class UnreadableImages(UserError):
    """Image files of one split that cannot be read (:func:`readable_files`)."""

    def __init__(self, count: int, total: int, where: str, named: str) -> None:
        self.finding = f"{count} of {total} {where} cannot be read: {named}"
        super().__init__(f"{self.finding}. {SKIP_ADVICE}")


def readable_splits(*checks: Callable[[], Any] | None) -> list[Any]:
    """Each split's ``check()`` (``None``: no such split), every split's unreadable files named in one error.

    A user who fixed the training files should not meet the validation ones in a second run.

    Raises:
        UserError: naming the unreadable files of every split whose check found some.
    """
    results, found = [], []
    for check in checks:
        try:
            results.append(check() if check is not None else None)
        except UnreadableImages as error:
            results.append(None)
            found.append(error.finding)
    if found:
        raise UserError(f"{'. '.join(found)}. {SKIP_ADVICE}")  # a sentence a split
    return results


def readable_files(files: LabelledFiles, root: Path, *, skip: bool, split: str = "") -> LabelledFiles:
    """``files`` without unreadable images when ``skip``; else an error naming them, before any training.

    A bad file found mid-training stops TensorFlow with an error that names no file; this
    check reads every file's headers and checksums first (~0.4 s for the 1027 real training
    images). With ``skip`` it decodes every file fully (~3 s for them on 2 cores), so that a
    file whose pixel data is corrupt is skipped too; without it, such a file is named by
    :func:`failure_explainer` if training fails on it. ``split`` (``"train"``, ``"validation"``) names them.

    Raises:
        UnreadableImages: naming the unreadable files (the first 5) and their count, unless ``skip``.
    """
    found = _inspect_all(files.paths, decode=skip)
    bad = [(path, header.reason) for path, header in zip(files.paths, found, strict=True) if header.reason]
    named = "; ".join(f"{path} ({reason})" for path, reason in bad[:5]) + ("; ..." if len(bad) > 5 else "")
    if bad and not skip:
        where = {"train": "training ", "": ""}.get(split, f"{split} ")
        raise UnreadableImages(len(bad), len(files.paths), f"{where}image files in {root}", named)
    paths, labels, headers = files.paths, files.labels, found
    if bad:
        kept = [row for row in zip(paths, labels, found, strict=True) if not row[2].reason]
        if not kept:
            raise UserError(f"no image file in {root} can be read: {named}.")
        files_word = "files" if len(bad) > 1 else "file"
        print(f"skipping {len(bad)} unreadable image {files_word} in {root}: {named}", file=sys.stderr)
        paths, labels, headers = (tuple(column) for column in zip(*kept, strict=True))
    orientations = tuple(header.orientation for header in headers)
    turned = orientations if any(orientation != 1 for orientation in orientations) else ()
    return LabelledFiles(paths, labels, turned, file_kinds(headers))
