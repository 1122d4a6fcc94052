"""Photos with an EXIF orientation load upright in every path: training, validation, prediction, export."""

from __future__ import annotations

from collections.abc import Callable, Collection
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from framework import ImageFolders
from framework.api import Preprocessing, load_images
from plugins.pipelines.image_data_generator import ImageDataGeneratorParams, build_image_data_generator
from plugins.pipelines.tf_data import TfDataParams, build_tf_data

T = Image.Transpose
#: How a camera stores a picture for each EXIF orientation: the inverse of what turns it upright.
STORED_AS = {1: None, 2: T.FLIP_LEFT_RIGHT, 3: T.ROTATE_180, 4: T.FLIP_TOP_BOTTOM, 5: T.TRANSPOSE,
             6: T.ROTATE_90, 7: T.TRANSVERSE, 8: T.ROTATE_270}  # fmt: skip
SIZE = (24, 18)  # (height, width) the pipelines resize to


def upright_picture(seed: int) -> Image.Image:
    """A 30 wide x 20 high picture whose every pixel differs: any turn or mirror shows."""
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (20, 30, 3), dtype=np.uint8))


def expected(picture: Image.Image) -> np.ndarray:
    pixels = np.asarray(picture.resize((SIZE[1], SIZE[0]), Image.Resampling.NEAREST), dtype=np.float32)
    return pixels * np.float32(1 / 255)  # as the pipelines rescale


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> tuple[ImageFolders, dict[Path, np.ndarray]]:
    """The 8 orientations as PNGs with an EXIF block, in two classes, and each one's upright pixels."""
    root = tmp_path_factory.mktemp("exif")
    return ImageFolders(root, root, ("a", "b")), write_photos(root, STORED_AS, lambda turn: turn <= 4)


def write_photos(root: Path, orientations: Collection[int], in_a: Callable[[int], bool]) -> dict[Path, np.ndarray]:
    """``root/{a,b}/<orientation>.png``, stored as a camera stores each, with each one's upright pixels."""
    upright: dict[Path, np.ndarray] = {}
    for orientation in orientations:
        picture = upright_picture(orientation)
        stored = picture if STORED_AS[orientation] is None else picture.transpose(STORED_AS[orientation])
        exif = Image.Exif()
        exif[0x0112] = orientation
        path = root / ("a" if in_a(orientation) else "b") / f"{orientation}.png"
        path.parent.mkdir(exist_ok=True)
        stored.save(path, exif=exif)
        upright[path] = expected(picture)
    return upright


def test_prediction_and_evaluation_load_photos_upright(photos) -> None:
    _, upright = photos
    paths = sorted(upright)
    loaded = load_images(paths, Preprocessing(SIZE))
    for path, pixels in zip(paths, loaded, strict=True):
        np.testing.assert_array_equal(pixels, upright[path], err_msg=path.name)
    # A run recorded before orientation was applied keeps loading the pixels it trained on.
    legacy = Preprocessing.from_dict({"image_size": list(SIZE), "rescale": 1 / 255})
    assert legacy.orientation == "none"
    assert not np.array_equal(load_images(paths[5:6], legacy)[0], upright[paths[5]])


@pytest.mark.parametrize("provider", ["tf-data", "image-data-generator"])
def test_pipelines_load_photos_upright(photos, provider: str) -> None:
    folders, upright = photos
    if provider == "tf-data":
        pipeline = build_tf_data(TfDataParams(image_size=SIZE, batch_size=8, validation_batch_size=8))
    else:
        pipeline = build_image_data_generator(
            ImageDataGeneratorParams(image_size=SIZE, batch_size=8, validation_batch_size=8)
        )
    paths = sorted(upright)
    for path, pixels in zip(paths, pipeline.load_images(paths), strict=True):
        np.testing.assert_array_equal(pixels, upright[path], err_msg=f"load_images {path.name}")
    flows = pipeline.flows(folders, seed=1, steps_per_epoch=None, validation_steps=None)
    validation, _ = next(iter(flows.validation))
    ordered = sorted(upright, key=lambda p: (p.parent.name, p.name))
    for path, pixels in zip(ordered, validation.numpy(), strict=True):
        np.testing.assert_array_equal(pixels, upright[path], err_msg=f"validation {path.name}")
    training, _ = next(iter(flows.train))  # shuffled: compare as sets
    want = sorted(p.tobytes() for p in upright.values())
    assert sorted(np.asarray(p, np.float32).tobytes() for p in training.numpy()) == want


def test_tf_data_without_a_cache_and_on_disk_loads_photos_upright(photos, tmp_path) -> None:
    folders, upright = photos
    want = sorted(p.tobytes() for p in upright.values())
    for cache in ("none", str(tmp_path / "decoded")):
        pipeline = build_tf_data(TfDataParams(image_size=SIZE, batch_size=8, cache=cache))
        training, _ = next(iter(pipeline.flows(folders, seed=1, steps_per_epoch=None, validation_steps=None).train))
        assert sorted(p.tobytes() for p in training.numpy()) == want, cache


def test_tf_data_with_mirrored_photos_only_loads_them_upright(tmp_path) -> None:
    """Orientations 2-4 only (no turn by 90 degrees): the graph leaves the rotations out, the pixels are the same."""
    upright = write_photos(tmp_path, (1, 2, 3, 4), lambda turn: turn <= 2)
    pipeline = build_tf_data(TfDataParams(image_size=SIZE, batch_size=4, validation_batch_size=4))
    flows = pipeline.flows(
        ImageFolders(tmp_path, tmp_path, ("a", "b")), seed=1, steps_per_epoch=None, validation_steps=None
    )
    validation, _ = next(iter(flows.validation))
    for path, pixels in zip(sorted(upright), validation.numpy(), strict=True):
        np.testing.assert_array_equal(pixels, upright[path], err_msg=path.name)


def test_the_decoder_holds_a_rotation_only_where_a_file_is_turned_by_90_degrees() -> None:
    """A uint8 transpose in a graph makes TensorFlow log an error-level oneDNN line on processors without AVX-512."""
    import tensorflow as tf

    from plugins.pipelines.tf_decode import decode_image

    def ops(turned: bool) -> set[str]:
        signature = [tf.TensorSpec([], tf.string), tf.TensorSpec([], tf.int32)]
        decode = tf.function(
            lambda data, turn: decode_image(tf, data, 8, 8, turn, turned=turned), input_signature=signature
        )
        graph = decode.get_concrete_function().graph.as_graph_def()
        return {node.op for node in graph.node} | {node.op for f in graph.library.function for node in f.node_def}

    assert "Transpose" in ops(True) and "Transpose" not in ops(False)
