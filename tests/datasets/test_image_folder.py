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
