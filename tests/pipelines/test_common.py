"""Parameters, file listing, hooks and import hygiene shared by both pipelines."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image
from pydantic import ValidationError

from framework import ImageFolders, UserError, images
from plugins.pipelines import common
from plugins.pipelines.common import check_class_mode, list_images, resolve_steps
from plugins.pipelines.hooks import hoh_pipeline_providers
from plugins.pipelines.image_data_generator import ImageDataGeneratorParams, build_image_data_generator
from plugins.pipelines.tf_data import TfDataParams, build_tf_data


def test_importing_the_plugin_does_not_import_tensorflow() -> None:
    code = "import sys, plugins.pipelines.hooks; assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="needs CPU affinity (Linux)")
def test_usable_cores_follow_the_process_affinity_not_the_machine() -> None:
    # As taskset or a container's cpuset limits a process: the file checks must not start a worker per machine core.
    code = "import os; from plugins.pipelines import common; os.sched_setaffinity(0, {0}); print(common.usable_cores())"
    one = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert one.strip() == "1"
    assert common.usable_cores(limit=1) == 1


def test_providers() -> None:
    names = {p.name: p for p in hoh_pipeline_providers()}
    assert set(names) == {"image-data-generator", "tf-data"}
    assert "categorical" in names["tf-data"].description


@pytest.mark.parametrize("model", [ImageDataGeneratorParams, TfDataParams])
def test_defaults_are_the_same(model: type) -> None:
    params = model()
    assert params.image_size == (300, 300)
    assert (params.batch_size, params.validation_batch_size) == (128, 32)
    assert params.rescale == pytest.approx(1 / 255)
    assert params.class_mode == "binary"
    assert params.fill_mode == "nearest"


@pytest.mark.parametrize("model", [ImageDataGeneratorParams, TfDataParams])
@pytest.mark.parametrize(
    "bad",
    [
        {"batch_size": 0},
        {"image_size": [300]},
        {"rotation_range": -1},
        {"width_shift_range": 1.5},
        {"zoom_range": 1.2},
        {"zoom_range": [1.2, 0.8]},
        {"fill_mode": "mirror"},
        {"class_mode": "sparse"},
        {"no_such_option": 1},
    ],
)
def test_invalid_params_are_refused(model: type, bad: dict) -> None:
    with pytest.raises(ValidationError):
        model(**bad)


def test_zoom_bounds() -> None:
    assert TfDataParams(zoom_range=0.2).zoom_bounds == pytest.approx((0.8, 1.2))
    assert TfDataParams(zoom_range=[0.9, 1.1]).zoom_bounds == (0.9, 1.1)
    assert not TfDataParams().augments
    assert TfDataParams(horizontal_flip=True).augments


def test_list_images_orders_like_flow_from_directory(tiny_folders) -> None:
    files = list_images(tiny_folders.train_dir, tiny_folders.class_names)
    assert files.labels == (0,) * 5 + (1,) * 4
    assert [p.name for p in files.paths[:2]] == ["horses-00.png", "horses-01.png"]
    with pytest.raises(UserError, match="cows"):
        list_images(tiny_folders.train_dir, ("cows", "horses"))


def test_resolve_steps() -> None:
    assert resolve_steps(1027, 128, None) == 9
    assert resolve_steps(1027, 128, 8) == 8


def _gif_and_png_tree(root, write_split) -> ImageFolders:
    """horses/*.png and humans/*.gif (one of them in a sub-folder), like a real mixed dataset."""
    write_split(root, {"horses": 3}, (32, 32), seed=7)
    (root / "humans" / "more").mkdir(parents=True)
    for i, folder in enumerate([root / "humans", root / "humans", root / "humans" / "more"]):
        Image.new("RGB", (32, 32), (40 * i, 200, 100)).save(folder / f"human-{i}.gif")
    return ImageFolders(root, None, ("horses", "humans"))


def test_one_list_of_image_suffixes() -> None:
    from framework import preview
    from plugins.datasets import image_folder

    assert {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"} == images.IMAGE_SUFFIXES
    assert preview.IMAGE_SUFFIXES is images.IMAGE_SUFFIXES
    assert image_folder.IMAGE_SUFFIXES is images.IMAGE_SUFFIXES


@pytest.mark.parametrize("build", [build_tf_data, build_image_data_generator])
def test_gif_classes_are_read_by_both_pipelines(tmp_path, write_split, build) -> None:
    folders = _gif_and_png_tree(tmp_path / "train", write_split)
    params_type = TfDataParams if build is build_tf_data else ImageDataGeneratorParams
    p = build(params_type(image_size=(32, 32), batch_size=6))
    flows = p.flows(folders, seed=1, steps_per_epoch=None, validation_steps=None)
    assert flows.train_count == 6
    _, y = next(iter(flows.train))
    assert sorted(y.numpy().tolist()) == [0, 0, 0, 1, 1, 1]
    gif = p.load_images([tmp_path / "train" / "humans" / "human-1.gif"])[0]
    np.testing.assert_allclose(gif[0, 0], np.array([40, 200, 100]) / 255, atol=1e-6)


def test_list_images_matches_flow_from_directory(tmp_path, write_split) -> None:
    from keras.src.legacy.preprocessing.image import DirectoryIterator, ImageDataGenerator

    folders = _gif_and_png_tree(tmp_path / "train", write_split)
    (tmp_path / "train" / "humans" / "a-sub").mkdir()
    Image.new("RGB", (8, 8)).save(tmp_path / "train" / "humans" / "a-sub" / "z.PNG")
    (tmp_path / "train" / "humans" / "notes.txt").write_text("not an image")

    class Iterator(DirectoryIterator):
        white_list_formats = images.IMAGE_FORMATS

    keras_files = Iterator(str(folders.train_dir), ImageDataGenerator(), classes=list(folders.class_names)).filepaths
    ours = list_images(folders.train_dir, folders.class_names)
    assert [str(p) for p in ours.paths] == keras_files
    assert ours.labels == (0, 0, 0, 1, 1, 1, 1)
    assert images.list_images(folders.train_dir / "humans") == list(ours.paths[3:])
    # The image-folder check and `hoh data info` count the same files.
    from plugins.datasets.image_folder import count_images

    assert count_images(folders.train_dir) == {"horses": 3, "humans": 4}


def test_a_class_without_images_is_a_clear_error(tmp_path, write_split) -> None:
    write_split(tmp_path / "train", {"horses": 2}, (32, 32), seed=8)
    (tmp_path / "train" / "humans").mkdir()
    (tmp_path / "train" / "humans" / "photo.heic").write_bytes(b"not listed")
    with pytest.raises(UserError, match=r"Class 'humans' has no image files in .*train/humans .*split .*train"):
        list_images(tmp_path / "train", ("horses", "humans"))
    folders = ImageFolders(tmp_path / "train", None, ("horses", "humans"))
    for p in (build_tf_data(TfDataParams()), build_image_data_generator(ImageDataGeneratorParams())):
        with pytest.raises(UserError, match="Class 'humans' has no image files"):
            p.flows(folders, seed=1, steps_per_epoch=None, validation_steps=None)


def test_check_class_mode() -> None:
    check_class_mode("binary", ("a", "b"))
    check_class_mode("categorical", ("a", "b", "c"))
    with pytest.raises(UserError, match=r'2 classes use class_mode = "binary" \(one sigmoid unit\)'):
        check_class_mode("categorical", ("a", "b"))
    for names in [("a",), ("a", "b", "c")]:
        with pytest.raises(UserError, match=r'needs exactly 2 classes.*set class_mode = "categorical"'):
            check_class_mode("binary", names)


def test_map_on_threads_keeps_the_order_across_chunks() -> None:
    items = [f"file-{index}" for index in range(3 * common.CHUNK + 7)]  # 4 chunks, the last one short
    assert common.map_on_threads(str.upper, items) == [item.upper() for item in items]
    assert common.map_on_threads(str.upper, []) == []
