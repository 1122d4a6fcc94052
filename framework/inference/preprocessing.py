"""How image files become model input, described as data so a run can be used without its pipeline.

An input pipeline states its inference preprocessing as a :class:`Preprocessing`
(see :meth:`framework.providers.InputPipeline.preprocessing`); the runner records it in the
run's ``inference.json``, and :func:`load_images` applies it with Pillow alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from framework.images import has_image_suffix
from framework.preprocessing import Preprocessing

if TYPE_CHECKING:
    import numpy as np

__all__ = ["Preprocessing", "load_images", "load_pixels", "unreadable"]


def unreadable(path: Path | str, error: BaseException) -> ValueError:
    """The error raised for a file that is not a readable image, naming the file."""
    if isinstance(error, FileNotFoundError):
        return ValueError(f"{path} does not exist")
    reason = str(error).split(" <_io.")[0]  # PIL names the in-memory buffer it read from, not the file
    if isinstance(error, PermissionError | IsADirectoryError) or type(error).__name__ == "DecompressionBombError":
        return ValueError(f"{path} cannot be read ({reason})")  # nothing wrong with its bytes, or not known
    if has_image_suffix(str(path)):  # a .jpg that cannot be read is damaged (or misnamed), not of a wrong kind
        return ValueError(f"{path} is not a readable image ({reason}): damaged, cut short, or not what its name says")
    return ValueError(f"{path} is not a readable image ({reason}); use PNG, JPEG, BMP, GIF or WebP files")


def load_pixels(path: Path, image_size: tuple[int, int], *, exif: bool = True) -> np.ndarray:
    """One file as ``uint8`` RGB pixels of ``image_size``, as Keras' ``load_img(..., interpolation="nearest")``.

    Args:
        exif: Turn the image upright by its EXIF orientation first (``ImageOps.exif_transpose``),
            as a photo viewer shows it; Keras' ``load_img`` does not.

    Raises:
        ValueError: naming the file, when it is not a readable image.
    """
    import numpy as np
    from PIL import Image, ImageOps

    height, width = image_size
    try:
        with Image.open(path) as image:
            if exif:
                image = ImageOps.exif_transpose(image)
            if image.mode.startswith("I;16"):  # 16-bit grey: convert("RGB") would clip at 255, not scale
                image = Image.fromarray((np.asarray(image, dtype=np.uint16) >> 8).astype(np.uint8), "L")
            rgb = image.convert("RGB") if image.mode != "RGB" else image
            if rgb.size != (width, height):
                rgb = rgb.resize((width, height), Image.Resampling.NEAREST)
            return np.asarray(rgb, dtype=np.uint8)
    except Exception as error:  # PIL raises many types (OSError, SyntaxError, DecompressionBombError...)
        raise unreadable(path, error) from error


def load_images(paths: Sequence[Path], preprocessing: Preprocessing) -> np.ndarray:
    """Load files as a float32 batch ``(n, height, width, 3)``, exactly as the model was trained to see them.

    Raises:
        ValueError: naming the file, when one is not a readable image.
    """
    import numpy as np

    out = np.empty((len(paths), *preprocessing.input_shape), dtype=np.float32)
    for index, path in enumerate(paths):
        pixels = load_pixels(Path(path), preprocessing.image_size, exif=preprocessing.orientation == "exif")
        out[index] = pixels.astype(np.float32)
    out *= np.float32(preprocessing.rescale)
    return out
