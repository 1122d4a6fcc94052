"""The Keras Applications networks the ``backbone`` model offers, and what each needs.

Each entry names the ``keras.applications`` constructor, the least image side it takes, the
pixel range its weights were trained on, and the file Keras publishes its ImageNet weights
in (without the classifier: ``include_top=False``), with the checksum Keras itself checks
(MD5 or SHA-256, as Keras' source gives it). The file names and checksums are copied from
Keras 3's ``keras/src/applications/*.py``, because Keras computes them inside each
constructor and offers no way to ask for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ORIGIN = "https://storage.googleapis.com/tensorflow/keras-applications/"


@dataclass(frozen=True)
class Architecture:
    """One network of ``keras.applications``.

    Attributes:
        name: Its constructor in ``keras.applications`` (also its name in experiment files).
        min_side: The least image height and width it takes.
        pixels: What its first layer expects: ``"0-255"`` (the network rescales inside itself,
            Keras' ``include_preprocessing``), or ``"-1..1"`` (Keras' ``preprocess_input`` mode
            ``"tf"``, done here by a ``Rescaling`` layer in front of it).
        weights_file: The ImageNet weights file without the classifier, as Keras names it.
        weights_folder: Its folder under :data:`ORIGIN`.
        keras_hash: The MD5 (32 hex digits) or SHA-256 (64) Keras checks that file against.
    """

    name: str
    min_side: int
    pixels: Literal["0-255", "-1..1"]
    weights_file: str
    weights_folder: str
    keras_hash: str

    @property
    def weights_url(self) -> str:
        return f"{ORIGIN}{self.weights_folder}/{self.weights_file}"


def _efficientnet_v2(size: str, keras_hash: str) -> Architecture:
    return Architecture(
        f"EfficientNetV2{size.upper()}", 32, "0-255", f"efficientnetv2-{size}_notop.h5", "efficientnet_v2", keras_hash
    )


ARCHITECTURES: dict[str, Architecture] = {
    arch.name: arch
    for arch in (
        Architecture(
            "MobileNetV3Small",
            32,
            "0-255",
            "weights_mobilenet_v3_small_224_1.0_float_no_top_v2.h5",
            "mobilenet_v3",
            "d3e8ec802a04aa4fc771ee12a9a9b836",
        ),
        Architecture(
            "MobileNetV3Large",
            32,
            "0-255",
            "weights_mobilenet_v3_large_224_1.0_float_no_top_v2.h5",
            "mobilenet_v3",
            "07fb09a5933dd0c8eaafa16978110389",
        ),
        _efficientnet_v2("b0", "893217f2bb855e2983157299931e43ff"),
        _efficientnet_v2("b1", "0e80663031ca32d657f9caa404b6ec37"),
        _efficientnet_v2("b2", "1dfe2e7a5d45b6632553a8961ea609eb"),
        _efficientnet_v2("b3", "f6abf7b5849ac99a89b50dd3fd532856"),
        Architecture(
            "ResNet50V2",
            32,
            "-1..1",
            "resnet50v2_weights_tf_dim_ordering_tf_kernels_notop.h5",
            "resnet",
            "fac2f116257151a9d068a22e544a4917",
        ),
        Architecture(
            "ConvNeXtTiny",
            32,
            "0-255",
            "convnext_tiny_notop.h5",
            "convnext",
            "d547c096cabd03329d7be5562c5e14798aa39ed24b474157cef5e85ab9e49ef1",
        ),
        Architecture(
            "InceptionV3",
            75,
            "-1..1",
            "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5",
            "inception_v3",
            "bcbd6486424b2319ff4ef7d526e38f63",
        ),
    )
}
