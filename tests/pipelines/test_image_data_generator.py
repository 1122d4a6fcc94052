"""The image-data-generator pipeline: exact steps, labels, load_images."""

from __future__ import annotations

import warnings

import numpy as np

from plugins.pipelines.image_data_generator import ImageDataGeneratorParams, build_image_data_generator


def pipeline(**params):
    return build_image_data_generator(ImageDataGeneratorParams(image_size=(32, 32), **params))


def test_every_epoch_runs_exactly_the_asked_steps(tiny_folders, fit_counts) -> None:
    # 9 images in batches of 4: 3 batches per pass, 2 asked per epoch.
    p = pipeline(batch_size=4, validation_batch_size=4, rotation_range=10, horizontal_flip=True)
    flows = p.flows(tiny_folders, seed=1, steps_per_epoch=2, validation_steps=1)
    assert (flows.train_count, flows.validation_count) == (9, 5)
    assert (flows.steps_per_epoch, flows.validation_steps) == (2, 1)
    train, val = fit_counts(flows, p.input_shape, epochs=4)
    assert train == [2, 2, 2, 2]
    assert val == [1, 1, 1, 1]


def test_none_steps_mean_one_full_pass(tiny_folders, fit_counts) -> None:
    p = pipeline(batch_size=4, validation_batch_size=2)
    flows = p.flows(tiny_folders, seed=1, steps_per_epoch=None, validation_steps=None)
    assert (flows.steps_per_epoch, flows.validation_steps) == (3, 3)
    train, val = fit_counts(flows, p.input_shape, epochs=3)
    assert train == [3, 3, 3]
    assert val == [3, 3, 3]
    sizes = [len(y) for _, y in flows.train.take(6)]
    assert sizes == [4, 4, 1, 4, 4, 1]  # passes line up with epochs


def test_raw_keras_on_the_unwrapped_flow_does_not(tiny_folders, fit_counts) -> None:
    """The pitfall this pipeline fixes: Keras 3 alternates 2-batch and 1-batch epochs."""
    from keras.src.legacy.preprocessing.image import ImageDataGenerator

    raw = ImageDataGenerator(rescale=1 / 255).flow_from_directory(
        str(tiny_folders.train_dir), target_size=(32, 32), class_mode="binary", batch_size=4, seed=1
    )
    flows = type("F", (), {"train": raw, "steps_per_epoch": 2, "validation": None, "validation_steps": None})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        train, _ = fit_counts(flows, (32, 32, 3), epochs=4)
    assert train == [2, 1, 2, 1]


def test_labels_follow_sorted_class_folders(tiny_folders) -> None:
    p = pipeline(batch_size=9)
    flows = p.flows(tiny_folders, seed=3, steps_per_epoch=None, validation_steps=None)
    _, labels = next(iter(flows.validation.unbatch().batch(5)))
    assert labels.numpy().tolist() == [0, 0, 0, 1, 1]  # validation is not shuffled
    x, y = next(iter(flows.train))
    assert x.shape == (9, 32, 32, 3) and x.dtype == "float32"
    assert sorted(y.numpy().tolist()) == [0] * 5 + [1] * 4
    assert float(np.min(x)) >= 0.0 and float(np.max(x)) <= 1.0


def test_training_stream_is_deterministic(tiny_folders) -> None:
    def first(seed: int):
        flows = pipeline(batch_size=9, rotation_range=20).flows(
            tiny_folders, seed=seed, steps_per_epoch=None, validation_steps=None
        )
        return [x.numpy() for x, _ in flows.train.take(2)]

    a, b, c = first(5), first(5), first(6)
    assert all(np.array_equal(u, v) for u, v in zip(a, b, strict=True))
    assert not np.array_equal(a[0], c[0])
