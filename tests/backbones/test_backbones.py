"""The backbone model: architectures, input checks, in-model preprocessing, and ImageNet weights that work offline.

ImageNet weights cannot be downloaded here: the weights served are a MobileNetV3Small saved
in this session (``small_weights``), in the legacy .h5 layout of Keras' published files, from
a loopback HTTP mirror (``mirror``).
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from backbone_helpers import SMALL
from pydantic import ValidationError

from framework import EnvironmentProblem, ModelSpec, UserError
from plugins.backbones.architectures import ARCHITECTURES
from plugins.backbones.model import BackboneParams, _rescaling, build_backbone_model, check_backbone_input

SPEC = ModelSpec((32, 32, 3), ("horses", "humans"), rescale=1 / 255)


def _params(**values) -> BackboneParams:
    return BackboneParams(architecture="MobileNetV3Small", **values)


def _holds(model, expected: list) -> bool:
    """True when ``model``'s backbone holds exactly the weights ``expected``."""
    held = model.get_layer("backbone").get_weights()
    return all(np.array_equal(a, b) for a, b in zip(held, expected, strict=True))


def _batch_norms(model) -> list:
    return [layer for layer in model.get_layer("backbone").layers if type(layer).__name__ == "BatchNormalization"]


def test_an_unknown_architecture_is_refused_with_the_closest_name() -> None:
    with pytest.raises(ValidationError, match="did you mean 'MobileNetV3Small'"):
        BackboneParams(architecture="mobilenetv3small")
    with pytest.raises(ValidationError, match="did you mean 'EfficientNetV2B0'"):
        BackboneParams(architecture="EfficientNetV2-B0")


def test_a_weights_path_that_is_not_a_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match='neither "imagenet", "none", nor an existing weights file'):
        BackboneParams(weights=str(tmp_path / "missing.h5"))


def test_images_smaller_than_the_network_takes_are_refused() -> None:
    with pytest.raises(ValueError, match="InceptionV3 needs images of at least 75x75, got 64x64"):
        check_backbone_input(BackboneParams(architecture="InceptionV3"), (64, 64, 3))
    check_backbone_input(BackboneParams(architecture="InceptionV3"), (75, 80, 3))


@pytest.mark.parametrize("name", sorted(ARCHITECTURES))
def test_the_model_gives_each_network_the_pixels_keras_preprocess_input_gives(name: str) -> None:
    """What the model's rescaling does to a pipeline's 0-1 pixels equals Keras' preprocess_input on 0-255 ones.

    (For networks that normalize inside themselves, Keras' preprocess_input passes pixels through.)
    """
    import keras

    module = {
        "MobileNetV3": keras.applications.mobilenet_v3,
        "EfficientNetV2": keras.applications.efficientnet_v2,
        "ResNet50V2": keras.applications.resnet_v2,
        "ConvNeXtTiny": keras.applications.convnext,
        "InceptionV3": keras.applications.inception_v3,
    }[
        next(
            prefix
            for prefix in ("MobileNetV3", "EfficientNetV2", "ResNet50V2", "ConvNeXtTiny", "InceptionV3")
            if name.startswith(prefix)
        )
    ]
    raw = np.random.default_rng(0).integers(0, 256, (2, 8, 8, 3)).astype("float32")
    for rescale in (1 / 255, 1.0):
        scale, offset = _rescaling(ARCHITECTURES[name], rescale)
        ours = (raw * rescale) * scale + offset
        np.testing.assert_allclose(ours, module.preprocess_input(raw.copy()), rtol=1e-5, atol=1e-5)


def test_the_saved_model_holds_its_preprocessing(tmp_path: Path) -> None:
    """A -1..1 network's rescaling is a layer of the model: the saved model maps 0-1 pixels to -1..1 by itself."""
    import keras

    model = build_backbone_model(BackboneParams(architecture="ResNet50V2", weights="none"), SPEC)
    model.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras")
    first = keras.Model(loaded.inputs, loaded.get_layer("to_backbone_range").output)
    pixels = np.tile(np.array([0.0, 0.5, 1.0], dtype="float32"), (1, 32, 32, 1))
    np.testing.assert_allclose(first(pixels).numpy()[0, 0, 0], [-1.0, 0.0, 1.0], atol=1e-6)


@pytest.mark.parametrize(("classes", "units", "activation"), [(2, 1, "sigmoid"), (3, 3, "softmax")])
def test_the_head_fits_the_labels(classes: int, units: int, activation: str) -> None:
    spec = ModelSpec((32, 32, 3), tuple(f"c{i}" for i in range(classes)), rescale=1 / 255)
    model = build_backbone_model(_params(weights="none", dense_units=8), spec)
    output = model.get_layer("output")
    assert model.output_shape == (None, units) and output.activation.__name__ == activation
    assert output.dtype_policy.compute_dtype == "float32"


def test_imagenet_weights_come_from_a_mirror_verified_then_from_the_cache_offline(
    tmp_path: Path, small_weights, mirror
) -> None:
    source, expected = small_weights
    mirror.add(source)
    cache = tmp_path / "cache"
    model = build_backbone_model(_params(weights_mirror=mirror.url, weights_dir=str(cache)), SPEC)
    assert _holds(model, expected)
    assert mirror.requests == ["SHA256SUMS", SMALL]
    assert (cache / f"{SMALL}.sha256").read_text().split()[0] == mirror_checksum(mirror)
    # Pretrained batch normalization is built frozen, so every stage keeps its statistics.
    norms = _batch_norms(model)
    assert norms and not any(layer.trainable for layer in norms)

    offline = ModelSpec(SPEC.input_shape, SPEC.class_names, rescale=SPEC.rescale, offline=True)
    again = build_backbone_model(_params(weights_dir=str(cache)), offline)  # no mirror, no network
    assert _holds(again, expected)
    assert mirror.requests == ["SHA256SUMS", SMALL]


def mirror_checksum(mirror) -> str:
    return (mirror.folder / "SHA256SUMS").read_text().split()[0]


def test_from_scratch_batch_normalization_trains() -> None:
    model = build_backbone_model(_params(weights="none"), SPEC)
    norms = _batch_norms(model)
    assert norms and all(layer.trainable for layer in norms)


def test_offline_with_nothing_cached_names_the_file_and_where_it_looked(tmp_path: Path) -> None:
    offline = ModelSpec(SPEC.input_shape, SPEC.class_names, rescale=SPEC.rescale, offline=True)
    with pytest.raises(UserError) as caught:
        build_backbone_model(_params(weights_dir=str(tmp_path / "empty")), offline)
    message = str(caught.value)
    assert SMALL in message and str(tmp_path / "empty") in message and "HOH_WEIGHTS_MIRROR" in message
    assert "offline mode is on" in message


def test_a_file_that_does_not_match_the_mirror_checksum_is_not_used(tmp_path: Path, small_weights, mirror) -> None:
    source, _ = small_weights
    mirror.add(source, checksum="0" * 64)
    cache = tmp_path / "cache"
    with pytest.raises(EnvironmentProblem, match="did not verify twice"):
        build_backbone_model(_params(weights_mirror=mirror.url, weights_dir=str(cache)), SPEC)
    assert not (cache / SMALL).exists() and not (cache / f"{SMALL}.sha256").exists()


def test_a_file_put_in_the_cache_by_hand_that_does_not_verify_is_kept_aside(
    tmp_path: Path, small_weights, mirror
) -> None:
    source, expected = small_weights
    mirror.add(source)
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / SMALL).write_bytes(b"someone's file")
    model = build_backbone_model(_params(weights_mirror=mirror.url, weights_dir=str(cache)), SPEC)
    assert _holds(model, expected)
    [kept] = cache.glob(f"{SMALL}.changed-*")
    assert kept.read_bytes() == b"someone's file"


def test_processes_fetching_at_once_download_once(tmp_path: Path, small_weights, mirror) -> None:
    """Trials of a sweep started together share the cache: the folder's lock makes the second wait, then reuse."""
    from rich.console import Console

    from plugins.backbones.weights import imagenet_weights

    source, _ = small_weights
    mirror.add(source)
    arch = ARCHITECTURES["MobileNetV3Small"]
    found: list[Path] = []

    def fetch() -> None:
        found.append(
            imagenet_weights(
                arch, mirror=mirror.url, weights_dir=str(tmp_path / "cache"), offline=False, console=Console(quiet=True)
            )
        )

    threads = [threading.Thread(target=fetch) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(found) == 3 and len(set(found)) == 1
    assert mirror.requests.count(SMALL) == 1


def test_weights_from_a_file_of_the_user(tmp_path: Path, small_weights) -> None:
    source, expected = small_weights
    model = build_backbone_model(_params(weights=str(source)), SPEC)
    assert _holds(model, expected)
    other = tmp_path / "resnet.weights.h5"
    import keras

    keras.applications.ResNet50V2(include_top=False, weights=None, input_shape=(32, 32, 3)).save_weights(other)
    with pytest.raises(UserError, match="does not fit MobileNetV3Small"):
        build_backbone_model(_params(weights=str(other)), SPEC)
    # A Keras 3 weights file of another network: Keras loads what matches and warns about the rest; refused here.
    keras.applications.MobileNetV3Large(include_top=False, weights=None, input_shape=(32, 32, 3)).save_weights(other)
    with pytest.raises(UserError, match="does not fit MobileNetV3Small"):
        build_backbone_model(_params(weights=str(other)), SPEC)


def test_batch_norm_momentum_is_set_on_every_batch_normalization_layer_and_saved(tmp_path: Path) -> None:
    """From scratch over a few hundred steps, MobileNetV3's 0.999 leaves the statistics at their start (one class)."""
    import keras

    model = build_backbone_model(_params(weights="none", batch_norm_momentum=0.9), SPEC)
    model.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras")
    norms = _batch_norms(loaded)
    assert norms and {layer.momentum for layer in norms} == {0.9}
    default = build_backbone_model(_params(weights="none"), SPEC)
    assert {layer.momentum for layer in _batch_norms(default)} == {0.999}
