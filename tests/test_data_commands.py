"""``hoh data info`` and ``hoh preview`` through the command line, on generated image folders."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

BIN = Path(sys.executable).parent

EXPERIMENT = """\
[experiment]
name = "look"

[dataset]
provider = "image-folder"
train_dir = "data/train"
validation_dir = "data/validation"

[pipeline]
provider = "tf-data"

[model]
provider = "five-conv-sigmoid"

[optimizer]
provider = "rmsprop"
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    for split, counts in (("train", {"cats": 3, "dogs": 5}), ("validation", {"cats": 2, "dogs": 1})):
        for name, count in counts.items():
            (tmp_path / "data" / split / name).mkdir(parents=True)
            for index in range(count):
                colour = (220, 30, 30) if name == "cats" else (30, 30, 220)
                pixels = np.clip(np.array(colour) + rng.integers(-20, 20, (40, 40, 3)), 0, 255).astype(np.uint8)
                Image.fromarray(pixels).save(tmp_path / "data" / split / name / f"{name}{index}.png")
    (tmp_path / "look.toml").write_text(EXPERIMENT)
    return tmp_path


def _hoh(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([str(BIN / "hoh"), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_data_info_counts_each_class_of_each_split(folder: Path) -> None:
    done = _hoh("data", "info", "look.toml", "--first", "2", cwd=folder)
    assert done.returncode == 0, done.stderr
    rows = [line.split("│")[1:5] for line in done.stdout.splitlines() if line.count("│") >= 5]
    cells = [[cell.strip() for cell in row] for row in rows]
    assert ["training", "cats", "0", "3"] in cells and ["training", "dogs", "1", "5"] in cells
    assert ["validation", "cats", "0", "2"] in cells and ["validation", "dogs", "1", "1"] in cells
    assert "cats0.png, cats1.png" in done.stdout and "cats2.png" not in done.stdout  # --first 2
    swapped = _hoh("data", "info", "look.toml", "--first", "1", "dataset.train_dir=data/validation", cwd=folder)
    assert swapped.returncode == 0, swapped.stderr
    rows = [
        [cell.strip() for cell in line.split("│")[1:5]] for line in swapped.stdout.splitlines() if line.count("│") >= 5
    ]
    assert ["training", "cats", "0", "2"] in rows and ["training", "dogs", "1", "1"] in rows


def test_preview_draws_the_images_of_each_class(folder: Path) -> None:
    done = _hoh("preview", "look.toml", "-o", "grid.png", "--per-class", "2", cwd=folder)
    assert done.returncode == 0, done.stderr
    with Image.open(folder / "grid.png") as grid:
        pixels = np.asarray(grid.convert("RGB")).astype(int)
    reds = np.count_nonzero((pixels[..., 0] - pixels[..., 2]) > 120)
    blues = np.count_nonzero((pixels[..., 2] - pixels[..., 0]) > 120)
    assert reds > 1000 and blues > 1000  # two red cats and two blue dogs were drawn
    done = _hoh("preview", "look.toml", "-o", "grid.png", "--per-class", "0", cwd=folder)
    assert done.returncode == 2 and "'0' is not a whole number >= 1" in done.stderr and "Traceback" not in done.stderr


def test_preview_never_writes_over_a_file_it_did_not_write(folder: Path) -> None:
    mine = folder / "grid.png"
    Image.new("RGB", (10, 10), (1, 2, 3)).save(mine)  # a person's picture of the same name
    before = mine.read_bytes()
    done = _hoh("preview", "look.toml", "-o", "grid.png", cwd=folder)
    assert done.returncode == 2 and "hoh did not write it" in done.stderr, done.stderr
    assert mine.read_bytes() == before
    mine.unlink()
    assert _hoh("preview", "look.toml", "-o", "grid.png", cwd=folder).returncode == 0
    again = _hoh("preview", "look.toml", "-o", "grid.png", "--seed", "3", cwd=folder)  # its own: replaced
    assert again.returncode == 0, again.stderr


def test_schema_never_writes_over_a_file_it_did_not_write(folder: Path) -> None:
    mine = folder / "schema.json"
    mine.write_text('{"my": "settings"}')
    done = _hoh("schema", "-o", "schema.json", cwd=folder)
    assert done.returncode == 2 and "hoh did not write it" in done.stderr, done.stderr
    assert mine.read_text() == '{"my": "settings"}'
    mine.unlink()
    assert _hoh("schema", "-o", "schema.json", cwd=folder).returncode == 0
    assert _hoh("schema", "-o", "schema.json", cwd=folder).returncode == 0  # its own: replaced


def test_preview_shows_a_phone_photo_upright(tmp_path: Path) -> None:
    from PIL import Image

    from framework.preview import thumbnail

    exif = Image.Exif()
    exif[0x0112] = 6  # stored turned: shown after a quarter turn clockwise
    Image.new("RGB", (48, 64), "red").save(tmp_path / "phone.jpg", exif=exif)
    assert thumbnail(tmp_path / "phone.jpg").size == (64, 48)  # landscape, as training decodes it


def test_preview_names_an_image_too_large_to_decode_safely(tmp_path: Path, monkeypatch) -> None:
    """Pillow refuses images over 2 x MAX_IMAGE_PIXELS with an error that is not an OSError."""
    from PIL import Image

    from framework import UserError
    from framework.preview import thumbnail

    Image.new("RGB", (48, 64), "red").save(tmp_path / "big.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 48 * 64 // 4)
    with pytest.raises(UserError, match=r"big\.png: DecompressionBombError"):
        thumbnail(tmp_path / "big.png")


def test_data_info_counts_the_splits_cut_from_one_folder(folder: Path) -> None:
    text = EXPERIMENT.replace('validation_dir = "data/validation"', "validation_split = 0.25\ntest_split = 0.25")
    (folder / "split.toml").write_text(text)
    done = _hoh("data", "info", "split.toml", cwd=folder)
    assert done.returncode == 0, done.stderr
    rows = [line.split("│")[1:5] for line in done.stdout.splitlines() if line.count("│") >= 5]
    counts = {(split, name): int(n) for split, name, _, n in ([c.strip() for c in row] for row in rows)}
    # 3 cats and 5 dogs, a quarter of each class (at least one) to test and to validation
    assert counts == {
        ("training", "cats"): 1,
        ("training", "dogs"): 3,
        ("validation", "cats"): 1,
        ("validation", "dogs"): 1,
        ("test", "cats"): 1,
        ("test", "dogs"): 1,
    }, done.stdout
    assert "validation: split off the training folder" in done.stdout


def test_preview_of_a_split_folder_shows_only_its_training_images(tmp_path: Path) -> None:
    from framework import ImageFolders
    from framework.preview import write_preview

    colours = {"train": (230, 20, 20), "validation": (20, 230, 20), "test": (20, 20, 230)}
    lists: dict[str, tuple[tuple[Path, ...], tuple[int, ...]]] = {}
    for split, colour in colours.items():  # one folder whose files the provider split three ways
        paths = []
        for index in range(3):
            path = tmp_path / "photos" / "things" / f"{split}{index}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.new("RGB", (40, 40), colour).save(path)
            paths.append(path)
        lists[split] = (tuple(paths), (0, 0, 0))
    images = ImageFolders(tmp_path / "photos", None, ("things",), file_lists=lists)
    write_preview(images, tmp_path / "grid.png", per_class=9)
    with Image.open(tmp_path / "grid.png") as grid:
        pixels = np.asarray(grid.convert("RGB")).astype(int)
    drawn = {
        split: np.count_nonzero(np.all(np.abs(pixels - np.array(colour)) < 30, axis=-1))
        for split, colour in colours.items()
    }
    assert drawn["train"] > 1000 and drawn["validation"] == 0 and drawn["test"] == 0, drawn
