"""A PNG whose pixel data is corrupt under valid checksums, through ``hoh-run``: exit 2, the file named."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from inference_helpers import EXPERIMENT, hoh, make_coloured_images

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pipelines"))
from test_contract import corrupt_pixels

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("pipeline", ["tf-data", "image-data-generator"])
def test_a_run_stopped_by_corrupt_pixels_names_the_file(tmp_path: Path, pipeline: str) -> None:
    data = tmp_path / "data"
    make_coloured_images(data / "train", ("cats", "dogs"), count=8, size=48, seed=1)
    make_coloured_images(data / "validation", ("cats", "dogs"), count=4, size=48, seed=2)
    bad = sorted((data / "train" / "dogs").iterdir())[3]
    corrupt_pixels(bad)
    text = EXPERIMENT.format(
        name="corrupt",
        plugins="",
        data=data,
        size=96,
        class_mode="binary",
        model='provider = "five-conv-sigmoid"\nfilters = [4, 4, 4, 4, 4]\ndense_units = 8',
        epochs=2,
        loss="binary_crossentropy",
        callbacks="",
    ).replace('provider = "tf-data"', f'provider = "{pipeline}"')
    (tmp_path / "experiment.toml").write_text(text)
    done = hoh("hoh-run", "experiment.toml", "--run-dir", "run", cwd=tmp_path)
    assert done.returncode == 2, done.stdout[-2000:] + done.stderr[-2000:]
    assert str(bad) in done.stderr.replace("\n", "") and "cannot be decoded" in done.stderr
    assert "Traceback" not in done.stderr
    assert json.loads((tmp_path / "run" / "status.json").read_text())["status"] == "failed"
    skipping = hoh("hoh-run", "experiment.toml", "pipeline.skip_unreadable=true", "--run-dir", "run2", cwd=tmp_path)
    assert skipping.returncode == 0, skipping.stderr[-2000:]
    assert "skipping 1 unreadable image file in" in skipping.stderr
