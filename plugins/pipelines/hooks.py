"""Hook implementation offering the built-in input pipelines."""

from __future__ import annotations

from framework import Provider, hookimpl
from plugins.pipelines.image_data_generator import ImageDataGeneratorParams, build_image_data_generator
from plugins.pipelines.tf_data import TfDataParams, build_tf_data


@hookimpl
def hoh_pipeline_providers() -> list[Provider]:
    """Offer ``image-data-generator`` and ``tf-data``."""
    return [
        Provider(
            "image-data-generator",
            ImageDataGeneratorParams,
            build_image_data_generator,
            "Keras' legacy ImageDataGenerator.flow_from_directory with exact steps per epoch "
            "(class_mode binary for 2 classes, categorical for more).",
        ),
        Provider(
            "tf-data",
            TfDataParams,
            build_tf_data,
            "Cached, prefetched tf.data pipeline with the same parameters and pixels as "
            "image-data-generator (class_mode binary for 2 classes, categorical for more).",
        ),
    ]
