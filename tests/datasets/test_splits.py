"""image-folder's validation_split / test_split: stratified, seeded, disjoint; shared images warned about."""

from __future__ import annotations

import dataclasses
import io
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from rich.console import Console

from framework import DatasetContext, ImageFolders, UserError
from framework.splits import read_splits, record_splits
from plugins.datasets.image_folder import ImageFolderParams, build_image_folder

COUNTS = {"ants": 20, "bees": 12, "wasps": 8}


def _images(root: Path, counts: dict[str, int], seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    for name, count in counts.items():
        (root / name).mkdir(parents=True)
        for index in range(count):
            Image.fromarray(rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)).save(root / name / f"{index:02d}.png")
    return root


def _build(**params) -> tuple[ImageFolders, str]:
    console = Console(file=io.StringIO(), width=400)
    images = build_image_folder(ImageFolderParams(**params), DatasetContext(console=console, offline=True))
    return images, console.file.getvalue()


def test_splits_are_stratified_disjoint_and_seeded(tmp_path: Path) -> None:
    train = _images(tmp_path / "train", COUNTS)
    images, printed = _build(train_dir=train, validation_split=0.25, test_split=0.25)
    lists = images.file_lists
    assert set(lists) == {"train", "validation", "test"} and images.has_split("test")
    every = [path for paths, _ in lists.values() for path in paths]
    assert len(every) == len(set(every)) == sum(COUNTS.values())  # disjoint, nothing lost
    for split, want in (("test", [5, 3, 2]), ("validation", [5, 3, 2]), ("train", [10, 6, 4])):
        paths, labels = lists[split]
        assert np.bincount(labels).tolist() == want, split  # each class keeps its share
        assert all(path.parent.name == images.class_names[label] for path, label in zip(paths, labels, strict=True))
    assert "20 training images in 3 classes" in printed and "split off: 10 test, 10 validation" in printed
    again, _ = _build(train_dir=train, validation_split=0.25, test_split=0.25)
    assert again.file_lists == lists
    other, _ = _build(train_dir=train, validation_split=0.25, test_split=0.25, split_seed=1)
    assert other.file_lists["test"] != lists["test"]


def test_a_split_that_leaves_a_class_empty_is_refused(tmp_path: Path) -> None:
    train = _images(tmp_path / "train", {"ants": 10, "bees": 1})
    with pytest.raises(UserError, match=r"dataset.validation_split = 0.2 leaves a class without images"):
        _build(train_dir=train, validation_split=0.2)


def test_a_folder_and_a_fraction_for_one_split_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="give validation_dir or validation_split, not both"):
        ImageFolderParams(train_dir=tmp_path, validation_dir=tmp_path, validation_split=0.2)


def test_training_images_in_the_validation_folder_are_warned_about(tmp_path: Path) -> None:
    train = _images(tmp_path / "train", {"ants": 3, "bees": 3})
    validation = _images(tmp_path / "validation", {"ants": 2, "bees": 2}, seed=9)
    shutil.copy(train / "bees" / "01.png", validation / "bees" / "copy-of-01.png")  # same content, other name
    _, printed = _build(train_dir=train, validation_dir=validation)
    assert "warning: 1 of the 5 validation images are also training images" in printed
    assert f"{train / 'bees' / '01.png'} = {validation / 'bees' / 'copy-of-01.png'}" in printed
    _, printed = _build(train_dir=train, validation_dir=train)  # the same folder twice
    assert "warning: 6 of the 6 validation images are also training images" in printed
    _, printed = _build(train_dir=train, validation_dir=_images(tmp_path / "other", {"ants": 1, "bees": 1}, seed=5))
    assert "warning" not in printed


def test_copies_that_a_split_puts_on_both_sides_are_warned_about(tmp_path: Path) -> None:
    train = _images(tmp_path / "train", COUNTS)
    _, printed = _build(train_dir=train, validation_split=0.25, test_split=0.25)
    assert "warning" not in printed  # every image is different
    for index in range(20):  # every ant twice, under another name: a split cannot keep both copies on one side
        shutil.copy(train / "ants" / f"{index:02d}.png", train / "ants" / f"copy-{index:02d}.png")
    images, printed = _build(train_dir=train, validation_split=0.25, test_split=0.25)
    validation, test = (set(images.file_lists[split][0]) for split in ("validation", "test"))
    for split, held in (("validation", validation), ("test", test)):
        trained = set(images.file_lists["train"][0])
        pairs = sum(1 for path in held if path.parent.name == "ants" and _twin(path) in trained)
        assert pairs > 0, split  # the seeded split did put copies on both sides
        assert f"warning: {pairs} of the {len(held)} {split} images are also training images" in printed


def _twin(path: Path) -> Path:
    name = path.name.removeprefix("copy-")
    return path.with_name(name if name != path.name else f"copy-{name}")


def test_a_resumed_run_keeps_its_recorded_split(tmp_path: Path) -> None:
    train = _images(tmp_path / "train", COUNTS)
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    images, _ = _build(train_dir=train, validation_split=0.25)
    record_splits(run_dir, images, resumed=False)
    assert read_splits(run_dir) == images.file_lists
    _images(tmp_path / "train" / "ants" / "new", {"more": 6}, seed=3)  # files added since
    changed, _ = _build(train_dir=train, validation_split=0.25)
    assert changed.file_lists != images.file_lists
    assert record_splits(run_dir, changed, resumed=True).file_lists == images.file_lists
    images.file_lists["validation"][0][0].unlink()
    with pytest.raises(UserError, match="was trained on images that are gone"):
        record_splits(run_dir, changed, resumed=True)


def test_splits_listed_relative_to_the_working_folder_are_recorded_absolute(tmp_path: Path, monkeypatch) -> None:
    """A provider's relative paths: the run's splits.json still names the files from any other folder."""
    train = _images(tmp_path / "train", COUNTS)
    images, _ = _build(train_dir=train, validation_split=0.25)
    monkeypatch.chdir(tmp_path)
    relative = {
        split: (tuple(p.relative_to(tmp_path) for p in paths), labels)
        for split, (paths, labels) in images.file_lists.items()
    }
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    record_splits(run_dir, dataclasses.replace(images, file_lists=relative), resumed=False)
    monkeypatch.chdir(run_dir)  # hoh evaluate RUN from elsewhere
    recorded = read_splits(run_dir)
    assert recorded == images.file_lists and all(p.is_file() for paths, _ in recorded.values() for p in paths)
