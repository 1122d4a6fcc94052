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


def test_the_model_computes_in_the_mixed_policy_but_keeps_a_float32_output() -> None:
    import keras

    from framework.precision import precision_policy

    params = FiveConvParams(filters=(2, 2, 2, 2, 2), dense_units=2, standardize=True)
    with precision_policy("mixed_bfloat16"):
        models = [build_five_conv(params, ModelSpec((94, 94, 3), names)) for names in (("a", "b"), ("a", "b", "c"))]
    assert keras.mixed_precision.global_policy().name == "float32"
    assert [m.output_shape for m in models] == [(None, 1), (None, 3)]
    for model in models:
        assert model.layers[0].name == "standardize"
        assert model.layers[1].compute_dtype == "bfloat16"
        assert model.layers[-1].compute_dtype == "float32" and model.outputs[0].dtype == "float32"


def test_optimizers_take_a_cosine_schedule_and_a_weight_average() -> None:
    from pydantic import ValidationError

    from plugins.optimizers import AdamParams, SGDParams, build_adam, build_sgd

    with pytest.raises(ValidationError, match="needs decay_steps"):
        AdamParams(schedule="cosine")
    import keras

    adam = build_adam(AdamParams(learning_rate=0.01, schedule="cosine", decay_steps=10, final_fraction=0.1))
    schedule = keras.optimizers.schedules.deserialize(adam.get_config()["learning_rate"])
    rates = [float(schedule(step)) for step in (0, 5, 10, 20)]
    assert rates[:2] == pytest.approx([0.01, 0.0055]) and rates[2:] == pytest.approx([0.001, 0.001])
    sgd = build_sgd(SGDParams(ema_momentum=0.9))
    assert sgd.use_ema and sgd.ema_momentum == pytest.approx(0.9)
    assert not build_sgd(SGDParams()).use_ema
