"""The picture files people have: each kind decodes to the same, right pixels in every path, or is refused by name."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from framework import DatasetContext, ImageFolders, UserError
from framework.api import Preprocessing, load_images
from plugins.datasets.image_folder import ImageFolderParams, build_image_folder
from plugins.pipelines.image_data_generator import ImageDataGeneratorParams, build_image_data_generator
from plugins.pipelines.tf_data import TfDataParams, build_tf_data

RNG = np.random.default_rng(7)
RGB = RNG.integers(0, 256, (20, 30, 3), dtype=np.uint8)
GREY = RNG.integers(0, 256, (20, 30), dtype=np.uint8)
GREY3 = np.stack([GREY] * 3, axis=-1)
#: Smooth pictures for lossy files: JPEG keeps them close (noise it does not).
SMOOTH = np.asarray(Image.fromarray(RGB[:4, :6]).resize((30, 20), Image.Resampling.BILINEAR))
SMOOTH_GREY = SMOOTH[..., 0]


def png16(path: Path, pixels: np.ndarray, colour: int) -> None:
    """A 16-bit PNG written by hand (Pillow writes no 16-bit RGB)."""
    height, width = pixels.shape[:2]
    rows = b"".join(b"\x00" + pixels[i].astype(">u2").tobytes() for i in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 16, colour, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
    )


def quantized() -> tuple[Image.Image, np.ndarray]:
    image = Image.fromarray(RGB).quantize(16)
    return image, np.asarray(image.convert("RGB"))


#: name -> (writer, the true pixels or None when lossy, the largest error a lossy file may have)
KINDS = {
    "grey.png": (lambda p: Image.fromarray(GREY).save(p), GREY3),
    "grey-alpha.png": (lambda p: Image.fromarray(GREY).convert("LA").save(p), GREY3),
    "palette.png": (lambda p: quantized()[0].save(p), quantized()[1]),
    "palette-transparent.png": (lambda p: quantized()[0].save(p, transparency=0), quantized()[1]),
    "grey-16bit.png": (lambda p: png16(p, GREY.astype(np.uint16) * 257, colour=0), GREY3),
    "rgb-16bit.png": (lambda p: png16(p, RGB.astype(np.uint16) * 257, colour=2), RGB),
    "lossless.webp": (lambda p: Image.fromarray(RGB).save(p, lossless=True), RGB),
    "photo.jpg": (lambda p: Image.fromarray(SMOOTH).save(p, quality=95), None),
    "grey.jpg": (lambda p: Image.fromarray(SMOOTH_GREY).save(p, quality=95), None),
    "cmyk.jpg": (lambda p: Image.fromarray(SMOOTH).convert("CMYK").save(p, quality=95), None),
}
SIZE = (20, 30)


@pytest.fixture(scope="module")
def kinds(tmp_path_factory: pytest.TempPathFactory) -> ImageFolders:
    root = tmp_path_factory.mktemp("kinds")
    for folder in ("a", "b"):
        (root / folder).mkdir()
    for name, (write, _) in KINDS.items():
        write(root / "a" / name)
    Image.fromarray(RGB).save(root / "b" / "plain.png")
    return ImageFolders(root, root, ("a", "b"))


def test_every_kind_decodes_right_and_the_same_in_every_path(kinds) -> None:
    paths = sorted((kinds.train_dir / "a").iterdir())
    rescale = np.float32(1 / 255)
    predicted = load_images(paths, Preprocessing(SIZE))  # hoh predict / evaluate / export (Pillow)
    tf_data = build_tf_data(TfDataParams(image_size=SIZE, validation_batch_size=16))
    idg = build_image_data_generator(ImageDataGeneratorParams(image_size=SIZE, validation_batch_size=16))
    in_training = {}
    for name, pipeline in (("tf-data", tf_data), ("image-data-generator", idg)):
        flows = pipeline.flows(kinds, seed=1, steps_per_epoch=None, validation_steps=None)
        in_training[name] = next(iter(flows.validation))[0].numpy()[: len(paths)]  # validation: file order
        in_training[f"{name} load_images"] = pipeline.load_images(paths)
    for index, path in enumerate(paths):
        for where, batch in in_training.items():
            np.testing.assert_array_equal(batch[index], predicted[index], err_msg=f"{path.name}: {where}")
        truth = KINDS[path.name][1]
        pixels = np.rint(predicted[index] / rescale).astype(int)
        if truth is not None:
            np.testing.assert_array_equal(pixels, truth, err_msg=path.name)
        else:  # lossy: close to what was written
            reference = np.stack([SMOOTH_GREY] * 3, axis=-1) if path.name.startswith("grey") else SMOOTH
            assert np.abs(pixels - reference).mean() < 8, path.name  # inverted CMYK, wrong grey: ~100


@pytest.mark.parametrize("name", ["photo.heic", "scan.TIFF", "raw.dng"])
def test_pictures_hoh_cannot_read_are_refused_by_name(tmp_path, name: str) -> None:
    for folder in ("cats", "dogs"):
        (tmp_path / "train" / folder).mkdir(parents=True)
        Image.fromarray(RGB).save(tmp_path / "train" / folder / "ok.png")
    (tmp_path / "train" / "dogs" / name).write_bytes(b"not decodable here")
    with pytest.raises(UserError) as info:
        build_image_folder(ImageFolderParams(train_dir=tmp_path / "train"), DatasetContext(console=None, offline=True))
    message = str(info.value)
    assert f"dogs/{name}" in message and "formats hoh cannot read" in message and ".webp" in message
