"""tf-data builds its decoder for what all the files share (JPEG or not, size, turn): the pixels stay the same."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from framework import ImageFolders
from framework.api import Preprocessing, load_images
from plugins.pipelines.common import FileKinds, list_images
from plugins.pipelines.file_checks import file_kinds, readable_files
from plugins.pipelines.image_headers import Header
from plugins.pipelines.tf_data import TfDataParams, build_tf_data
from plugins.pipelines.tf_decode import decoder_choice

T = Image.Transpose
#: EXIF orientation -> how the camera stored the upright picture (5-8 store it turned: 30 high, 20 wide).
STORED_AS = {1: None, 3: T.ROTATE_180, 6: T.ROTATE_90, 8: T.ROTATE_270}


def write_photos(root: Path, suffix: str, sizes: list[tuple[int, int]]) -> ImageFolders:
    """One upright picture a size (height, width), stored turned as each orientation of STORED_AS, in 2 classes."""
    rng = np.random.default_rng(5)
    for index, (height, width) in enumerate(sizes):
        small = rng.integers(0, 256, (4, 6, 3), dtype=np.uint8)  # smooth: JPEG keeps it close
        picture = Image.fromarray(small).resize((width, height), Image.Resampling.BILINEAR)
        for orientation, stored_as in STORED_AS.items():
            exif = Image.Exif()
            exif[0x0112] = orientation
            path = root / ("a" if orientation < 5 else "b") / f"{index}-{orientation}{suffix}"
            path.parent.mkdir(parents=True, exist_ok=True)
            (picture if stored_as is None else picture.transpose(stored_as)).save(path, exif=exif)
    return ImageFolders(root, root, ("a", "b"))


CASES = {
    # name: (suffix, upright sizes of the pictures, decoder_choice wanted at SIZE)
    "JPEGs of the size, turned": (".jpg", [(20, 30)], {"jpeg": True, "resize": False}),
    "JPEGs all resized": (".jpg", [(24, 32), (40, 30)], {"jpeg": True, "resize": True}),
    "JPEGs of mixed sizes": (".jpg", [(20, 30), (40, 30)], {"jpeg": True, "resize": None}),
    "PNGs of mixed sizes": (".png", [(20, 30), (12, 8)], {"jpeg": False, "resize": None}),
}
SIZE = (20, 30)


@pytest.mark.parametrize("case", CASES)
def test_a_decoder_for_what_the_files_share_gives_the_same_pixels(tmp_path, case: str) -> None:
    suffix, sizes, wanted = CASES[case]
    folders = write_photos(tmp_path, suffix, sizes)
    checked = readable_files(list_images(folders.train_dir, folders.class_names), tmp_path, skip=False)
    assert decoder_choice(checked.kinds, *SIZE) == wanted
    pipeline = build_tf_data(TfDataParams(image_size=SIZE, validation_batch_size=64))
    flows = pipeline.flows(folders, seed=1, steps_per_epoch=None, validation_steps=None)
    batch = next(iter(flows.validation))[0].numpy()  # validation: file order
    general = pipeline.load_images(checked.paths)  # every branch decided per image in the graph
    with_pillow = load_images(checked.paths, Preprocessing(SIZE))  # prediction and export
    assert len(batch) == len(checked.paths) == len(sizes) * len(STORED_AS)
    for index, path in enumerate(checked.paths):
        np.testing.assert_array_equal(batch[index], general[index], err_msg=path.name)
        np.testing.assert_array_equal(batch[index], with_pillow[index], err_msg=path.name)


def test_files_whose_size_changed_after_the_checks_stop_training_rather_than_train_wrong(tmp_path) -> None:
    folders = write_photos(tmp_path, ".png", [(20, 30)])
    flows = build_tf_data(TfDataParams(image_size=SIZE, batch_size=1, cache="none")).flows(
        folders, seed=1, steps_per_epoch=None, validation_steps=None
    )
    for path in tmp_path.glob("*/*.png"):  # checked at 20x30 (upright), so no resize planned: now 20x31
        Image.new("RGB", (31, 20)).save(path)
    with pytest.raises(Exception, match="shape"):
        next(iter(flows.train))


def header(jpeg: bool, height: int, width: int, orientation: int = 1) -> Header:
    return Header(None, orientation, jpeg, height, width)


def test_file_kinds_are_what_every_file_shares_sizes_once_upright() -> None:
    assert file_kinds([header(True, 20, 30), header(True, 30, 20, orientation=6)]) == FileKinds(
        True, frozenset({(20, 30)})
    )
    assert file_kinds([header(False, 20, 30), header(False, 30, 20, orientation=3)]) == FileKinds(
        False, frozenset({(20, 30), (30, 20)})
    )
    assert file_kinds([header(True, 20, 30), header(False, 20, 30)]).jpeg is None
    assert file_kinds([header(True, 20, 30), header(False, 0, 0)]) == FileKinds(None, None)  # a GIF: size unknown


def test_nothing_known_decides_every_branch_per_image() -> None:
    assert decoder_choice(None, 20, 30) == {"jpeg": None, "resize": None}
    assert decoder_choice(FileKinds(False, None), 20, 30) == {"jpeg": False, "resize": None}
