"""Parameters, file listing, hooks and import hygiene shared by both pipelines."""

from __future__ import annotations

import subprocess
import sys

import pytest
from pydantic import ValidationError

from framework import UserError
from plugins.pipelines.common import list_images, resolve_steps
from plugins.pipelines.hooks import hoh_pipeline_providers
from plugins.pipelines.image_data_generator import ImageDataGeneratorParams
from plugins.pipelines.tf_data import TfDataParams


def test_importing_the_plugin_does_not_import_tensorflow() -> None:
    code = "import sys, plugins.pipelines.hooks; assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_providers() -> None:
    names = {p.name: p for p in hoh_pipeline_providers()}
    assert set(names) == {"image-data-generator", "tf-data"}
    assert "categorical" in names["tf-data"].description


@pytest.mark.parametrize("model", [ImageDataGeneratorParams, TfDataParams])
def test_defaults_are_the_same(model: type) -> None:
    params = model()
    assert params.image_size == (300, 300)
    assert (params.batch_size, params.validation_batch_size) == (128, 32)
    assert params.rescale == pytest.approx(1 / 255)
    assert params.class_mode == "binary"
    assert params.fill_mode == "nearest"


@pytest.mark.parametrize("model", [ImageDataGeneratorParams, TfDataParams])
@pytest.mark.parametrize(
    "bad",
    [
        {"batch_size": 0},
        {"image_size": [300]},
        {"rotation_range": -1},
        {"width_shift_range": 1.5},
        {"zoom_range": 1.2},
        {"zoom_range": [1.2, 0.8]},
        {"fill_mode": "mirror"},
        {"class_mode": "sparse"},
        {"no_such_option": 1},
    ],
)
def test_invalid_params_are_refused(model: type, bad: dict) -> None:
    with pytest.raises(ValidationError):
        model(**bad)


def test_zoom_bounds() -> None:
    assert TfDataParams(zoom_range=0.2).zoom_bounds == pytest.approx((0.8, 1.2))
    assert TfDataParams(zoom_range=[0.9, 1.1]).zoom_bounds == (0.9, 1.1)
    assert not TfDataParams().augments
    assert TfDataParams(horizontal_flip=True).augments


def test_list_images_orders_like_flow_from_directory(tiny_folders) -> None:
    files = list_images(tiny_folders.train_dir, tiny_folders.class_names)
    assert files.labels == (0,) * 5 + (1,) * 4
    assert [p.name for p in files.paths[:2]] == ["horses-00.png", "horses-01.png"]
    with pytest.raises(UserError, match="cows"):
        list_images(tiny_folders.train_dir, ("cows", "horses"))


def test_resolve_steps() -> None:
    assert resolve_steps(1027, 128, None) == 9
    assert resolve_steps(1027, 128, 8) == 8
