"""The tf-data pipeline: exact steps, determinism, refusals, load_images."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image
from pydantic import ValidationError

from framework import ImageFolders
from plugins.pipelines.tf_data import TfDataParams, build_tf_data


def pipeline(**params):
    return build_tf_data(TfDataParams(image_size=(32, 32), **params))


def first_batch(folders, seed: int, **params) -> np.ndarray:
    flows = pipeline(batch_size=9, **params).flows(folders, seed=seed, steps_per_epoch=None, validation_steps=None)
    return next(iter(flows.train))[0].numpy()


def test_every_epoch_runs_exactly_the_asked_steps(tiny_folders, fit_counts) -> None:
    p = pipeline(batch_size=4, validation_batch_size=4, rotation_range=10, zoom_range=0.1, horizontal_flip=True)
    flows = p.flows(tiny_folders, seed=1, steps_per_epoch=2, validation_steps=1)
    assert (flows.train_count, flows.validation_count) == (9, 5)
    train, val = fit_counts(flows, p.input_shape, epochs=4)
    assert train == [2, 2, 2, 2]
    assert val == [1, 1, 1, 1]


def test_none_steps_mean_one_full_pass(tiny_folders, fit_counts) -> None:
    p = pipeline(batch_size=4, validation_batch_size=2, cache="none")
    flows = p.flows(tiny_folders, seed=1, steps_per_epoch=None, validation_steps=None)
    assert (flows.steps_per_epoch, flows.validation_steps) == (3, 3)
    train, val = fit_counts(flows, p.input_shape, epochs=3)
    assert (train, val) == ([3, 3, 3], [3, 3, 3])
    sizes = [len(y) for _, y in flows.train.take(6)]
    assert sizes == [4, 4, 1, 4, 4, 1]  # passes line up with epochs, as image-data-generator


def test_same_seed_same_order_other_seed_other_order(tiny_folders) -> None:
    a, b, c = first_batch(tiny_folders, 7), first_batch(tiny_folders, 7), first_batch(tiny_folders, 8)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
    # Augmentation is seeded too (stateless, per batch).
    aug = {"rotation_range": 30, "shear_range": 10, "width_shift_range": 0.1, "horizontal_flip": True}
    d, e = first_batch(tiny_folders, 7, **aug), first_batch(tiny_folders, 7, **aug)
    assert np.array_equal(d, e)
    assert not np.array_equal(a, d)


def test_reshuffles_each_epoch(tiny_folders) -> None:
    flows = pipeline(batch_size=9).flows(tiny_folders, seed=1, steps_per_epoch=None, validation_steps=None)
    first, second = (labels.numpy().tolist() for _, labels in flows.train.take(2))
    xs = [x.numpy() for x, _ in flows.train.take(2)]
    assert sorted(first) == sorted(second)
    assert not np.array_equal(xs[0], xs[1])


def test_validation_is_in_file_order_and_not_augmented(tiny_folders) -> None:
    p = pipeline(validation_batch_size=5, rotation_range=45, horizontal_flip=True)
    flows = p.flows(tiny_folders, seed=1, steps_per_epoch=None, validation_steps=None)
    x, y = next(iter(flows.validation))
    assert y.numpy().tolist() == [0, 0, 0, 1, 1]
    paths = sorted((tiny_folders.validation_dir / "horses").iterdir())
    np.testing.assert_array_equal(x.numpy()[0], p.load_images(paths[:1])[0])


def test_disk_cache(tiny_folders, tmp_path) -> None:
    p = pipeline(batch_size=9, cache=str(tmp_path / "cache"))
    flows = p.flows(tiny_folders, seed=1, steps_per_epoch=None, validation_steps=None)
    assert next(iter(flows.train))[0].shape == (9, 32, 32, 3)
    assert any((tmp_path / "cache").iterdir())


@pytest.mark.parametrize("option", [{"brightness_range": [0.8, 1.2]}, {"vertical_flip": True}])
def test_options_without_equivalent_are_refused(option: dict) -> None:
    (name,) = option
    with pytest.raises(ValidationError, match=f"{name} is an ImageDataGenerator option with no tf-data equivalent"):
        TfDataParams(**option)


def test_categorical_labels(tmp_path, write_split) -> None:
    write_split(tmp_path / "val", {"a": 2, "b": 1, "c": 2}, (32, 32), seed=4)
    folders = ImageFolders(tmp_path / "val", tmp_path / "val", ("a", "b", "c"))
    flows = pipeline(validation_batch_size=5, class_mode="categorical").flows(
        folders, seed=1, steps_per_epoch=None, validation_steps=None
    )
    _, y = next(iter(flows.validation))
    assert y.numpy().tolist() == [[1, 0, 0]] * 2 + [[0, 1, 0]] + [[0, 0, 1]] * 2


def test_disk_cache_notices_replaced_images(tmp_path, write_split) -> None:
    write_split(tmp_path / "train", {"horses": 1, "humans": 1}, (32, 32), seed=5)
    folders = ImageFolders(tmp_path / "train", None, ("horses", "humans"))
    p = pipeline(batch_size=2, validation_batch_size=2, cache=str(tmp_path / "cache"))

    def pixels() -> np.ndarray:
        flows = p.flows(folders, seed=1, steps_per_epoch=None, validation_steps=None)
        x, y = next(iter(flows.train))
        return x.numpy()[np.argsort(y.numpy())]

    before = pixels()
    path = tmp_path / "train" / "horses" / "horses-00.png"
    stat = path.stat()
    Image.new("RGB", (32, 32), (255, 0, 0)).save(path)  # same name, other pixels
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    after = pixels()
    np.testing.assert_allclose(after[0], np.broadcast_to(np.array([1.0, 0, 0], np.float32), (32, 32, 3)), atol=1e-6)
    np.testing.assert_array_equal(after[1], before[1])


@pytest.mark.parametrize("rescale", [1 / 255, 1 / 127.5, 1.0, 2.982086181640625])
def test_rescaled_batches_hold_exactly_pixel_times_rescale(rescale: float) -> None:
    import tensorflow as tf

    from plugins.pipelines.tf_decode import rescaled

    # Every uint8 value; 2.982086181640625 is a scale whose max_range / 255 does not round back to it.
    pixels = np.arange(256, dtype=np.uint8).reshape(1, 16, 16, 1)
    want = pixels.astype(np.float32) * np.float32(rescale)
    got = rescaled(tf, tf.constant(pixels), rescale).numpy()
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, want)
