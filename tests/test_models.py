"""The five-conv model states the smallest input it takes, and that is what Keras can build."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from framework import ModelSpec
from plugins.models import FiveConvParams, build_five_conv, check_five_conv_input, smallest_side

ROOT = Path(__file__).resolve().parents[1]


def test_the_stated_minimum_is_the_smallest_size_keras_builds() -> None:
    params = FiveConvParams(filters=(2, 2, 2, 2, 2), dense_units=2)
    least = smallest_side(5)
    assert least == 94
    check_five_conv_input(params, (least, 200, 3))
    assert build_five_conv(params, ModelSpec((least, least, 3), ("a", "b"))).output_shape == (None, 1)
    with pytest.raises(ValueError, match="at least 94x94, got 93x200"):
        check_five_conv_input(params, (least - 1, 200, 3))
    with pytest.raises(ValueError):  # the check is needed: Keras cannot build it either
        build_five_conv(params, ModelSpec((least - 1, least - 1, 3), ("a", "b")))


def test_hoh_run_refuses_too_small_images_before_making_a_run_folder(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "hoh-run"),
            str(ROOT / "experiments" / "quick.toml"),
            "pipeline.image_size=[64,64]",
            "--offline",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "set pipeline.image_size to at least [94, 94]" in done.stderr
    assert not (tmp_path / "runs").exists()
