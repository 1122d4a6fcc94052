"""The image-folder provider: folder checks and class names."""

from __future__ import annotations

from pathlib import Path

import pytest

from framework import ImageFolders, UserError
from plugins.datasets.image_folder import ImageFolderParams, build_image_folder


def _tree(root: Path, classes: dict[str, list[str]]) -> Path:
    for cls, names in classes.items():
        (root / cls).mkdir(parents=True, exist_ok=True)
        for name in names:
            (root / cls / name).parent.mkdir(parents=True, exist_ok=True)
            (root / cls / name).write_bytes(b"not decoded here")
    return root


def _build(context, **params) -> ImageFolders:
    return build_image_folder(ImageFolderParams(**params), context)


def test_valid_folders_give_sorted_class_names(tmp_path: Path, context) -> None:
    train = _tree(tmp_path / "train", {"zebra": ["a.PNG"], "cat": ["b.jpg", "c.jpeg"], "dog": ["d.bmp", "e.gif"]})
    validation = _tree(tmp_path / "val", {"cat": ["x.png"], "dog": ["y.png"], "zebra": ["z.png"]})
    (train / "notes.txt").write_text("ignored")
    (train / ".hidden").mkdir()
    images = _build(context, train_dir=train, validation_dir=validation)
    assert images == ImageFolders(train_dir=train, validation_dir=validation, class_names=("cat", "dog", "zebra"))


def test_relative_paths_resolve_against_working_directory(tmp_path: Path, context, monkeypatch) -> None:
    _tree(tmp_path / "data" / "train", {"a": ["1.png"], "b": ["2.png"]})
    monkeypatch.chdir(tmp_path)
    images = _build(context, train_dir="data/train")
    assert images.train_dir == (tmp_path / "data" / "train").resolve()
    assert images.validation_dir is None


def test_missing_folder(tmp_path: Path, context) -> None:
    with pytest.raises(UserError, match=r"training folder .*nope does not exist"):
        _build(context, train_dir=tmp_path / "nope")


def test_file_instead_of_folder(tmp_path: Path, context) -> None:
    (tmp_path / "f.png").write_bytes(b"x")
    with pytest.raises(UserError, match="is not a folder"):
        _build(context, train_dir=tmp_path / "f.png")


def test_needs_two_classes(tmp_path: Path, context) -> None:
    train = _tree(tmp_path / "train", {"only": ["1.png"]})
    with pytest.raises(UserError, match=r"at least two class sub-folders.*found 1 \(only\)"):
        _build(context, train_dir=train)


def test_class_without_images(tmp_path: Path, context) -> None:
    train = _tree(tmp_path / "train", {"a": ["1.png"], "b": ["readme.txt"]})
    with pytest.raises(UserError, match=r"class folders without images .*: b"):
        _build(context, train_dir=train)


def test_validation_classes_must_match(tmp_path: Path, context) -> None:
    train = _tree(tmp_path / "train", {"a": ["1.png"], "b": ["2.png"]})
    validation = _tree(tmp_path / "val", {"a": ["1.png"], "c": ["2.png"]})
    with pytest.raises(UserError, match=r"only in training: b; only in validation: c"):
        _build(context, train_dir=train, validation_dir=validation)


def test_params_require_train_dir_and_forbid_unknown_keys() -> None:
    with pytest.raises(ValueError, match="train_dir"):
        ImageFolderParams()
    with pytest.raises(ValueError, match="extra"):
        ImageFolderParams(train_dir="x", shuffle=True)


def test_one_walk_counts_nested_and_linked_class_folders_and_finds_odd_files_anywhere(tmp_path: Path) -> None:
    from plugins.datasets.image_folder import check_classes

    train = _tree(tmp_path / "train", {"cat": ["a.png", "deep/b.jpg"], "dog": ["c.png"]})
    elsewhere = _tree(tmp_path / "elsewhere", {"bird": ["d.png", "e.webp"]})
    (train / "bird").symlink_to(elsewhere / "bird", target_is_directory=True)  # a class kept on another disk
    (train / "top.png").write_bytes(b"a file of the folder itself: no class")
    (train / ".cache").mkdir()
    (train / ".cache" / "f.png").write_bytes(b"hidden folder: no class")
    assert check_classes(train, "training folder") == {"bird": 2, "cat": 2, "dog": 1}
    (elsewhere / "bird" / "g.heic").write_bytes(b"a format hoh cannot read, inside the linked folder")
    (train / "cat" / "deep" / "h.tiff").write_bytes(b"and one in a nested folder")
    with pytest.raises(UserError, match=r"holds 2 pictures in formats hoh cannot read \(.heic, .tiff\)"):
        check_classes(train, "training folder")
