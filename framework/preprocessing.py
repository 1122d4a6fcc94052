"""The preprocessing record: what is done to an image file before the model sees it, as data.

An input pipeline states it (:meth:`framework.providers.InputPipeline.preprocessing`); the
runner records it in ``inference.json``; :mod:`framework.inference.preprocessing` applies it
with Pillow alone. It imports nothing of hoh, so every layer may use it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal


@dataclass(frozen=True)
class Preprocessing:
    """What is done to an image file before the model sees it (no augmentation).

    Attributes:
        image_size: ``(height, width)`` images are resized to.
        rescale: Pixel values (0-255) are multiplied by this.
        resize: Resampling when the size differs; ``"nearest"`` picks the pixels Pillow's
            ``Image.resize(..., NEAREST)`` picks (as Keras' ``load_img``).
        color_mode: ``"rgb"``: grey and palette images are converted, alpha is dropped.
        orientation: ``"exif"``: an image with an EXIF orientation (phone photos) is turned
            upright first, as ``PIL.ImageOps.exif_transpose``; ``"none"``: stored pixels as they
            are (runs recorded before hoh applied EXIF orientation).
    """

    image_size: tuple[int, int]
    rescale: float = 1 / 255
    resize: Literal["nearest"] = "nearest"
    color_mode: Literal["rgb"] = "rgb"
    orientation: Literal["exif", "none"] = "exif"

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """Shape of one image as the model sees it: ``(height, width, 3)``."""
        return (*self.image_size, 3)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["image_size"] = list(self.image_size)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Preprocessing:
        """The inverse of :meth:`to_dict`.

        Raises:
            ValueError: when ``data`` is not a preprocessing description this version knows.
        """
        try:
            height, width = (int(v) for v in data["image_size"])
            resize, color_mode = data.get("resize", "nearest"), data.get("color_mode", "rgb")
            orientation = data.get("orientation", "none")  # absent: recorded before EXIF orientation was applied
            if resize != "nearest" or color_mode != "rgb" or orientation not in ("exif", "none"):
                raise ValueError(
                    f"resize {resize!r} / color_mode {color_mode!r} / orientation {orientation!r} is not known to "
                    "this hoh version"
                )
            return cls((height, width), float(data["rescale"]), resize, color_mode, orientation)
        except (KeyError, TypeError) as error:
            raise ValueError(f"not a preprocessing description: {error}") from None
