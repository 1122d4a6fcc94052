"""Hook implementation of the built-in dataset plugin."""

from __future__ import annotations

from framework import Provider, hookimpl
from plugins.datasets.horse_or_human import HorseOrHumanParams, build_horse_or_human
from plugins.datasets.image_folder import ImageFolderParams, build_image_folder


@hookimpl
def hoh_dataset_providers() -> list[Provider]:
    """Offer ``horse-or-human`` (downloaded and cached) and ``image-folder`` (folders on disk)."""
    return [
        Provider(
            "horse-or-human",
            HorseOrHumanParams,
            build_horse_or_human,
            "Horse-or-Human (1027 training, 256 validation images), downloaded, verified and cached.",
        ),
        Provider(
            "image-folder",
            ImageFolderParams,
            build_image_folder,
            "Your own images: train_dir (and validation_dir) with one sub-folder per class.",
            local=True,
        ),
    ]
