"""Both pipelines give the same pixels and labels for the same files."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from plugins.pipelines.image_data_generator import ImageDataGeneratorParams, build_image_data_generator
from plugins.pipelines.tf_data import TfDataParams, build_tf_data


def both(**params):
    return (
        build_image_data_generator(ImageDataGeneratorParams(**params)),
        build_tf_data(TfDataParams(**params)),
    )


@pytest.mark.parametrize("size", [(32, 32), (16, 16), (45, 20)])
def test_load_images_match(tiny_folders, size) -> None:
    idg, tfd = both(image_size=size)
    paths = sorted((tiny_folders.train_dir / "humans").iterdir())
    a, b = idg.load_images(paths), tfd.load_images(paths)
    np.testing.assert_allclose(a, b, atol=1 / 255 / 10)


def test_alpha_is_dropped_like_pil(tiny_folders) -> None:
    path = sorted((tiny_folders.train_dir / "horses").iterdir())[0]
    rgba = np.asarray(Image.open(path))
    assert rgba.shape[-1] == 4 and rgba[..., 3].min() < 255
    _, tfd = both(image_size=(32, 32), rescale=1.0)
    np.testing.assert_array_equal(tfd.load_images([path])[0], rgba[..., :3])


def test_first_validation_batch_matches(tiny_folders) -> None:
    idg, tfd = both(image_size=(24, 24), validation_batch_size=5)
    outs = []
    for p in (idg, tfd):
        flows = p.flows(tiny_folders, seed=1, steps_per_epoch=None, validation_steps=None)
        x, y = next(iter(flows.validation))
        outs.append((x.numpy(), y.numpy()))
    np.testing.assert_allclose(outs[0][0], outs[1][0], atol=1 / 255 / 10)
    np.testing.assert_array_equal(outs[0][1], outs[1][1])


def test_resized_training_images_and_labels_match(odd_size_folders) -> None:
    idg, tfd = both(image_size=(20, 26), batch_size=6)
    sets = []
    for p in (idg, tfd):
        flows = p.flows(odd_size_folders, seed=1, steps_per_epoch=None, validation_steps=None)
        x, y = next(iter(flows.train))
        order = np.lexsort(x.numpy().reshape(6, -1).T)  # shuffles differ: compare as sets
        sets.append((x.numpy()[order], y.numpy()[order]))
    np.testing.assert_allclose(sets[0][0], sets[1][0], atol=1 / 255 / 10)
    np.testing.assert_array_equal(sets[0][1], sets[1][1])
