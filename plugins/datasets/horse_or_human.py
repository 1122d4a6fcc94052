"""The ``horse-or-human`` provider: download, verify, extract and cache the dataset.

Layout of the cache (``<data root>/horse-or-human/``, see :func:`plugins.datasets.cache.data_root`)::

    train/horses/*.png  train/humans/*.png
    validation/horses/*.png  validation/humans/*.png
    .complete.json      # written last; without it the folder is rebuilt
    .lock               # flock-ed while the folder is being built (concurrent first runs take turns)

Archives are downloaded into ``downloads/`` (``*.part`` while incomplete, resumed
after an interruption) and deleted once extracted.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import Field, field_validator

from framework import DatasetContext, ImageFolders, Params, UserError
from framework.api import list_images
from plugins.datasets import cache
from plugins.datasets.download import RetryPolicy, fetch
from plugins.datasets.extract import DEFAULT_MAX_BYTES, extract_zip
from plugins.datasets.image_folder import count_images
from plugins.datasets.sources import MIRROR_ENV, Source, choose_mirror, mirror_sources

MARKER_FORMAT = 2  # 2: the marker records each split's image count and bytes, checked at every use


@dataclass(frozen=True)
class SplitSpec:
    """One split of a downloadable dataset: its archive and what it must contain.

    Attributes:
        split: Folder name of the split in the cache (``"train"``, ``"validation"``).
        archive: File name of the zip (also its name in a mirror).
        url: Official download URL.
        sha256: Pinned sha256 of the official zip.
        size: Size in bytes of the official zip, or ``None``.
        counts: Images expected per class folder at the top of the zip.
    """

    split: str
    archive: str
    url: str
    sha256: str
    size: int | None
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class DatasetSpec:
    """A downloadable dataset: its cache folder name and its splits (the first one trains)."""

    name: str
    splits: tuple[SplitSpec, ...]
    label_names: tuple[str, ...] | None = None  # what predictions call each class, in label order


HORSE_OR_HUMAN = DatasetSpec(
    name="horse-or-human",
    label_names=("horse", "human"),
    splits=(
        SplitSpec(
            split="train",
            archive="horse-or-human.zip",
            url="https://storage.googleapis.com/download.tensorflow.org/data/horse-or-human.zip",
            sha256="e2e6f70d3d549c5dd10a57165e55af253ee66ad750403f95c0fb76bb943633a9",
            size=149_574_867,
            counts={"horses": 500, "humans": 527},
        ),
        SplitSpec(
            split="validation",
            archive="validation-horse-or-human.zip",
            url="https://storage.googleapis.com/download.tensorflow.org/data/validation-horse-or-human.zip",
            sha256="ae5fff2f4f5554791f05358108e2e05d9801b191f1896ea101402f0e7f6c32c0",
            size=11_480_187,
            counts={"horses": 128, "humans": 128},
        ),
    ),
)
"""The official Horse-or-Human release, as published by TensorFlow Datasets."""


class HorseOrHumanParams(Params):
    """Parameters of ``horse-or-human``."""

    mirror: str | None = Field(
        None,
        description=f"Local folder or http(s) base URL holding the zips and a SHA256SUMS file; "
        f"overrides ${MIRROR_ENV}. Default: the official URLs with pinned checksums.",
    )
    data_dir: Path | None = Field(
        None,
        description="Folder holding downloaded datasets (this one goes to <data_dir>/horse-or-human); "
        "relative to the working directory. Default: $HOH_DATA_DIR, else the user cache folder + hoh/datasets.",
    )
    check_counts: bool = Field(
        True, description="Require the published image counts per class (500/527 training, 128/128 validation)."
    )

    retries: int = Field(4, ge=0, le=20, description="Extra attempts after a failed download (timeouts, resets, 5xx).")
    backoff: float = Field(1.0, ge=0.0, description="Seconds before the first retry; doubled for each next one.")
    timeout: float = Field(30.0, gt=0.0, description="Seconds a connection or read may stall before it is retried.")
    max_extracted_bytes: int = Field(
        DEFAULT_MAX_BYTES, gt=0, description="Refuse archives whose files add up to more than this many bytes."
    )

    @field_validator("data_dir")
    @classmethod
    def _data_dir_is_a_folder(cls, value: Path | None) -> Path | None:
        if value is not None and value.exists() and not value.is_dir():
            raise ValueError(
                f"{str(value)!r} is a file, not a folder: datasets need a folder (it is made when missing)"
            )
        return value


def build_horse_or_human(
    params: HorseOrHumanParams, context: DatasetContext, spec: DatasetSpec = HORSE_OR_HUMAN
) -> ImageFolders:
    """Return the cached dataset, downloading and extracting it first when needed.

    Args:
        params: Validated parameters.
        context: Console for progress; ``offline`` forbids network access.
        spec: The archives and expected contents (tests pass small ones).

    Returns:
        Training and validation folders with class names ``("horses", "humans")``.

    Raises:
        UserError: when the dataset cannot be fetched, does not verify, or is unsafe.
    """
    folder = cache.data_root(params.data_dir) / spec.name
    marker = cache.read_marker(folder)
    if marker is not None and _usable(marker, folder, spec, params.check_counts):
        return _folders(folder, spec)

    def waiting() -> None:
        context.console.print(f"{spec.name}: another process is preparing {folder}; waiting for it")

    if context.offline:
        _sources(spec, params, context)  # no source offline: refused before a folder or lock file is made
    cache.check_ours(folder, spec.name)  # before the lock file is made: a folder of someone else's is left alone
    with cache.locked(folder, on_wait=waiting):
        # Another process may have built the folder while this one waited for the lock.
        marker = cache.read_marker(folder)
        if marker is not None and _usable(marker, folder, spec, params.check_counts):
            return _folders(folder, spec)
        if marker is not None and marker.get("contents"):
            splits = [s.split for s in spec.splits if marker["contents"].get(s.split) != _contents(folder / s.split)]
            kept = [str(cache.set_aside(folder / name)) for name in splits if (folder / name).exists()]
            context.console.print(
                f"{spec.name}: the files in {folder} changed since they were verified; fetching again"
                + (
                    f" (the changed folders are kept as {', '.join(kept)}: delete them when you no longer need them)"
                    if kept
                    else ""
                )
            )
        _build(folder, spec, params, context)
    return _folders(folder, spec)


def _build(folder: Path, spec: DatasetSpec, params: HorseOrHumanParams, context: DatasetContext) -> None:
    """Download, verify and extract every split into ``folder``; write the marker last (lock held)."""
    started = time.monotonic()
    cache.clear_marker(folder)
    cache.remove_leftovers(folder, names=tuple(s.split for s in spec.splits))
    sources = _sources(spec, params, context)
    policy = RetryPolicy(retries=params.retries, backoff=params.backoff, timeout=params.timeout)
    downloads = folder / "downloads"
    counts: dict[str, dict[str, int]] = {}
    archives: dict[str, str] = {}
    for split in spec.splits:
        source = sources[split.archive]
        archive = fetch(
            source.location,
            downloads / split.archive,
            sha256=source.sha256,
            size=source.size,
            console=context.console,
            policy=policy,
            offline=context.offline,
        )
        split_dir = extract_zip(
            archive, folder / split.split, console=context.console, max_bytes=params.max_extracted_bytes
        )
        counts[split.split] = _check_split(split, split_dir, source, params.check_counts)
        archives[split.archive] = source.sha256
    contents = {split.split: _contents(folder / split.split) for split in spec.splits}
    cache.write_marker(
        folder,
        {"format": MARKER_FORMAT, "dataset": spec.name, "archives": archives, "counts": counts, "contents": contents},
    )
    cache.remove(downloads)  # the archives, and partial downloads an interrupted attempt left
    summary = ", ".join(f"{name} {sum(c.values())}" for name, c in counts.items())
    context.console.print(f"{spec.name}: ready in {folder} ({summary} images, {time.monotonic() - started:.1f}s)")


def _sources(spec: DatasetSpec, params: HorseOrHumanParams, context: DatasetContext) -> dict[str, Source]:
    mirror = choose_mirror(params.mirror)
    if mirror is None:
        if context.offline:
            raise UserError(
                f"The {spec.name} dataset is not in the cache and offline mode is on. Run once with network "
                f"access, or set ${MIRROR_ENV} to a local folder holding the zips and a SHA256SUMS file."
            )
        return {s.archive: Source(s.url, s.sha256, s.size) for s in spec.splits}
    policy = RetryPolicy(retries=params.retries, backoff=params.backoff, timeout=params.timeout)
    names = [s.archive for s in spec.splits]
    return mirror_sources(mirror, names, policy=policy, console=context.console, offline=context.offline)


def _check_split(split: SplitSpec, split_dir: Path, source: Source, check_counts: bool) -> dict[str, int]:
    found = count_images(split_dir)
    missing = [name for name in split.counts if name not in found]
    if missing:
        raise UserError(
            f"{source.location} has no {'/, '.join(missing)}/ folder at its top level "
            f"(found: {', '.join(f'{n}/' for n in found) or 'nothing'}); it is not the expected archive."
        )
    if check_counts and any(found[name] != count for name, count in split.counts.items()):
        want = ", ".join(f"{n} {c}" for n, c in split.counts.items())
        got = ", ".join(f"{n} {found.get(n, 0)}" for n in split.counts)
        raise UserError(
            f"{source.location} does not hold the expected images: expected {want}; found {got}. "
            "Set `check_counts = false` to accept a different version of the dataset."
        )
    return {name: found[name] for name in split.counts}


def _contents(split_dir: Path) -> dict[str, int]:
    """What a marker vouches for in one split: its image files and their bytes (a stat each, ~10 ms in all)."""
    files = [path for name in count_images(split_dir) for path in list_images(split_dir / name)]
    return {"files": len(files), "bytes": sum(path.stat().st_size for path in files)}


def _usable(marker: dict, folder: Path, spec: DatasetSpec, check_counts: bool) -> bool:
    if marker.get("format") != MARKER_FORMAT or not all((folder / s.split).is_dir() for s in spec.splits):
        return False
    recorded = marker.get("contents", {})
    if any(recorded.get(s.split) != _contents(folder / s.split) for s in spec.splits):
        return False  # files deleted, added or changed since the marker was written: build again
    if check_counts:
        recorded = marker.get("counts", {})
        return all(recorded.get(s.split) == s.counts for s in spec.splits)
    return True


def _folders(folder: Path, spec: DatasetSpec) -> ImageFolders:
    train = folder / spec.splits[0].split
    validation = folder / spec.splits[1].split if len(spec.splits) > 1 else None
    names = tuple(sorted(p.name for p in train.iterdir() if p.is_dir() and not p.name.startswith(".")))
    return ImageFolders(train_dir=train, validation_dir=validation, class_names=names, label_names=spec.label_names)
