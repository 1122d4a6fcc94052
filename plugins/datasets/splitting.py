"""Splitting one labelled folder into training, validation and test images; finding images two folders share.

The split is stratified (each class keeps its share in every split: scikit-learn's
``train_test_split``) and seeded by ``split_seed``, not by the experiment's seed, so that
replicates over seeds train and validate on the same images.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from framework import UserError
from framework.api import labelled_images, sha256_file

Files = tuple[tuple[Path, ...], tuple[int, ...]]


def labelled(folder: Path, class_names: Sequence[str]) -> Files:
    """Every image of ``folder/<class>/`` in class order, with its class index."""
    paths, labels = labelled_images(folder, class_names)
    return tuple(paths), tuple(labels)


def split_off(files: Files, fraction: float, seed: int, what: str) -> tuple[Files, Files]:
    """``files`` cut in two, ``fraction`` of each class going to the second part.

    Raises:
        UserError: when a class has too few images to give both parts one.
    """
    from sklearn.model_selection import train_test_split

    paths, labels = files
    counts = defaultdict(int)
    for label in labels:
        counts[label] += 1
    if min(counts.values()) < 2 or round(fraction * len(paths)) < len(counts):
        raise UserError(
            f"dataset.{what} leaves a class without images on one side: every class needs at least "
            f"2 images and the split at least one per class ({len(paths)} images, {len(counts)} classes, smallest "
            f"class {min(counts.values())}). Use a larger fraction, or give a separate folder."
        )
    keep, cut = train_test_split(list(range(len(paths))), test_size=fraction, random_state=seed, stratify=labels)
    keep, cut = sorted(keep), sorted(cut)  # file order inside each part, as a folder lists it
    return (
        (tuple(paths[i] for i in keep), tuple(labels[i] for i in keep)),
        (tuple(paths[i] for i in cut), tuple(labels[i] for i in cut)),
    )


def shared_images(first: Sequence[Path], others: dict[str, Sequence[Path]]) -> dict[str, list[tuple[Path, Path]]]:
    """For each list of ``others``, pairs of files, one from ``first``, that are the same file or have the same content.

    ``first`` is indexed once for all of ``others`` (a stat and a resolve a file). Only files
    whose size some file of ``first`` has are hashed, each once: lists with nothing in common
    cost a ``stat`` a file, and folders of equal-size files (BMPs) stay linear.
    """
    by_size: dict[int, list[Path]] = defaultdict(list)
    for path in first:
        by_size[path.stat().st_size].append(path)
    same_file = {path.resolve(): path for path in first}
    hashed: dict[int, dict[str, Path]] = {}
    found: dict[str, list[tuple[Path, Path]]] = {}
    for name, second in others.items():
        pairs = found[name] = []
        for other in second:
            if other.resolve() in same_file:
                pairs.append((same_file[other.resolve()], other))
                continue
            size = other.stat().st_size
            if size not in by_size:
                continue
            if size not in hashed:
                hashed[size] = {sha256_file(path): path for path in by_size[size]}
            match = hashed[size].get(sha256_file(other))
            if match is not None:
                pairs.append((match, other))
    return found
