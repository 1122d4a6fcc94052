"""What both built-in pipelines must do alike: class-mode checks and load_images."""

from __future__ import annotations

import numpy as np
import pytest
from fault_makers import corrupt_pixels

from framework import UserError
from plugins.pipelines.image_data_generator import ImageDataGeneratorParams, build_image_data_generator
from plugins.pipelines.tf_data import TfDataParams, build_tf_data

BUILDERS = {
    "image-data-generator": (build_image_data_generator, ImageDataGeneratorParams),
    "tf-data": (build_tf_data, TfDataParams),
}


@pytest.fixture(params=sorted(BUILDERS))
def pipeline(request):
    build, params = BUILDERS[request.param]
    return lambda **extra: build(params(image_size=(32, 32), **extra))


def test_binary_needs_two_classes(pipeline, tiny_folders) -> None:
    three = type(tiny_folders)(tiny_folders.train_dir, None, ("horses", "humans", "zebras"))
    with pytest.raises(UserError, match="categorical"):
        pipeline().flows(three, seed=1, steps_per_epoch=None, validation_steps=None)


def test_categorical_with_two_classes_is_refused(pipeline, tiny_folders) -> None:
    with pytest.raises(UserError, match=r'2 classes use class_mode = "binary" \(one sigmoid unit\)'):
        pipeline(class_mode="categorical").flows(tiny_folders, seed=1, steps_per_epoch=None, validation_steps=None)


def test_load_images(pipeline, tiny_folders, not_an_image) -> None:
    p = pipeline()
    paths = sorted((tiny_folders.train_dir / "horses").iterdir())[:2]
    batch = p.load_images(paths)
    assert batch.shape == (2, 32, 32, 3) and batch.dtype == np.float32
    with pytest.raises(ValueError, match=r"broken\.png"):
        p.load_images([paths[0], not_an_image])


def _labels(dataset) -> list[float]:
    return [float(label) for _, labels in dataset for label in np.asarray(labels).ravel()]


def test_a_partial_validation_pass_is_a_fair_sample_the_same_each_time(pipeline, tiny_folders) -> None:
    """Files are listed class by class: the first batches alone would hold one class only."""
    p = pipeline(validation_batch_size=3)  # 1 batch of 3 of the 5 validation images (3 horses, 2 humans)
    flows = p.flows(tiny_folders, seed=3, steps_per_epoch=1, validation_steps=1)
    first, second = _labels(flows.validation), _labels(flows.validation)
    assert len(first) == 3 and first == second  # the same batch at every evaluation
    assert 0 < sum(first) < 3, first  # both classes (in file order: 3 horses)
    full = p.flows(tiny_folders, seed=3, steps_per_epoch=1, validation_steps=None)
    assert _labels(full.validation) == sorted(_labels(full.validation))  # a whole pass keeps the file order


@pytest.fixture
def folders_with_bad_files(tmp_path, write_split):
    """4 + 4 training images, then a truncated PNG, random bytes and an empty file among the humans."""
    from framework import ImageFolders

    write_split(tmp_path / "train", {"horses": 4, "humans": 4}, (32, 32), seed=5)
    good = sorted((tmp_path / "train" / "humans").iterdir())[0].read_bytes()
    (tmp_path / "train" / "humans" / "cut.png").write_bytes(good[: len(good) // 2])
    (tmp_path / "train" / "humans" / "noise.png").write_bytes(np.random.default_rng(0).bytes(500))
    (tmp_path / "train" / "humans" / "empty.png").write_bytes(b"")
    return ImageFolders(tmp_path / "train", None, ("horses", "humans"))


def test_unreadable_dataset_images_are_named_before_training(pipeline, folders_with_bad_files) -> None:
    with pytest.raises(UserError) as info:
        pipeline().flows(folders_with_bad_files, seed=1, steps_per_epoch=None, validation_steps=None)
    message = str(info.value)
    assert "3 of 11 training image files" in message and "pipeline.skip_unreadable = true" in message
    for name in ("cut.png", "noise.png", "empty.png"):
        assert name in message


def test_unreadable_images_of_every_split_are_named_in_one_error(pipeline, folders_with_bad_files, write_split):
    from framework import ImageFolders

    validation = folders_with_bad_files.train_dir.parent / "validation"
    write_split(validation, {"horses": 2, "humans": 2}, (32, 32), seed=6)
    (validation / "horses" / "torn.png").write_bytes(b"\x89PNG\r\n")
    folders = ImageFolders(folders_with_bad_files.train_dir, validation, ("horses", "humans"))
    with pytest.raises(UserError) as info:
        pipeline().flows(folders, seed=1, steps_per_epoch=None, validation_steps=None)
    message = str(info.value)
    assert "3 of 11 training image files" in message and ". 1 of 5 validation image files" in message
    assert "torn.png" in message and message.count("pipeline.skip_unreadable = true") == 1


def test_skip_unreadable_trains_on_the_rest(pipeline, folders_with_bad_files, capsys) -> None:
    flows = pipeline(skip_unreadable=True, batch_size=8).flows(
        folders_with_bad_files, seed=1, steps_per_epoch=1, validation_steps=None
    )
    assert flows.train_count == 8
    images, labels = next(iter(flows.train))
    assert images.shape[0] == 8 and sorted(np.asarray(labels).tolist()) == [0] * 4 + [1] * 4
    assert "skipping 3 unreadable image files" in capsys.readouterr().err


def test_skip_unreadable_counts_validation_as_it_reads_it(pipeline, tiny_folders, write_split, tmp_path) -> None:
    """4 readable validation images and a torn one, in batches of 4: one batch, not two (5 files listed)."""
    from framework import ImageFolders

    validation = tmp_path / "validation"
    write_split(validation, {"horses": 2, "humans": 2}, (32, 32), seed=6)
    (validation / "horses" / "torn.png").write_bytes(b"\x89PNG\r\n")
    folders = ImageFolders(tiny_folders.train_dir, validation, ("horses", "humans"))
    flows = pipeline(skip_unreadable=True, validation_batch_size=4).flows(
        folders, seed=1, steps_per_epoch=1, validation_steps=None
    )
    assert (flows.validation_count, flows.validation_steps, flows.validation_batch_size) == (4, 1, 4)
    batches = [np.asarray(labels).tolist() for _, labels in flows.validation]
    assert len(batches) == 1 and sorted(batches[0]) == [0, 0, 1, 1]


def test_an_image_too_large_to_decode_safely_is_named(pipeline, tiny_folders, monkeypatch) -> None:
    """Pillow refuses images over 2 x MAX_IMAGE_PIXELS (a 14000 x 14000 PNG); the limit is lowered to 32 x 32 / 4."""
    from PIL import Image

    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 32 * 32 // 4)
    with pytest.raises(UserError, match="DecompressionBombError"):
        pipeline().flows(tiny_folders, seed=1, steps_per_epoch=None, validation_steps=None)


@pytest.fixture
def folders_with_corrupt_pixels(tmp_path, write_split):
    from framework import ImageFolders

    write_split(tmp_path / "train", {"horses": 4, "humans": 4}, (32, 32), seed=5)
    bad = sorted((tmp_path / "train" / "humans").iterdir())[1]
    corrupt_pixels(bad)
    return ImageFolders(tmp_path / "train", None, ("horses", "humans")), bad


def test_corrupt_pixel_data_is_named_when_training_fails_on_it(pipeline, folders_with_corrupt_pixels) -> None:
    folders, bad = folders_with_corrupt_pixels
    try:  # tf-data decodes every image before training: it names the file then
        flows = pipeline(batch_size=8).flows(folders, seed=1, steps_per_epoch=1, validation_steps=None)
    except UserError as error:
        message = str(error)
    else:
        assert flows.explain_failure is not None
        message = flows.explain_failure(RuntimeError("InvalidArgumentError: Invalid PNG data"))
    assert message is not None and str(bad) in message and "1 that cannot" in message
    assert "pipeline.skip_unreadable = true" in message


def test_skip_unreadable_decodes_fully_and_skips_corrupt_pixels(pipeline, folders_with_corrupt_pixels, capsys):
    folders, _ = folders_with_corrupt_pixels
    flows = pipeline(skip_unreadable=True, batch_size=7).flows(
        folders, seed=1, steps_per_epoch=1, validation_steps=None
    )
    assert flows.train_count == 7
    assert "skipping 1 unreadable image file in" in capsys.readouterr().err
    images, _ = next(iter(flows.train))
    assert images.shape[0] == 7


def test_no_flow_is_autotuned(pipeline, tiny_folders) -> None:
    """A dropped autotuned iterator often waits for tf.data's tuning thread to wake: ``fit`` returned
    2 s late in 3 of 12 short runs, and a 3-epoch baseline run (image-data-generator) up to 37 s late."""
    flows = pipeline().flows(tiny_folders, seed=1, steps_per_epoch=None, validation_steps=None)
    for flow in (flows.train, flows.validation):
        assert flow.options().autotune.enabled is False
        next(iter(flow))  # and still a working flow
