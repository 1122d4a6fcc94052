"""training.precision and [strategy]: set in phase configure, before the model is built."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from core_helpers import SECTIONS, run_script, stub_experiment
from rich.console import Console

from framework.errors import UserError
from framework.loading import load_experiment
from framework.runner import run_experiment

pytestmark = pytest.mark.slow

MIRRORED = '\n[strategy]\nprovider = "mirrored"\ncpu_devices = 2\n'


def _experiment(tmp_path: Path, sections: str = SECTIONS, *, extra: str = "", name: str = "e.toml") -> Path:
    text = stub_experiment(sections.replace("epochs = 2", "epochs = 3"), extra=extra) + "\n"
    text = text.replace('provider = "stub-pipeline"', 'provider = "stub-pipeline"\nsamples = 32\nbatch_size = 8')
    path = tmp_path / name
    path.write_text(text.replace(', "strategies"', ""))  # the built-in strategies plugin stays on
    return path


def _precision(sections: str, name: str) -> str:
    return sections.replace('progress = "none"', f'progress = "none"\nprecision = "{name}"')


def test_mixed_bfloat16_computes_in_bfloat16_keeps_float32_output_and_restores_the_policy(tmp_path: Path) -> None:
    import keras

    console = Console(file=io.StringIO(), width=200)
    loaded = load_experiment(_experiment(tmp_path, _precision(SECTIONS, "mixed_bfloat16")))
    result = run_experiment(loaded, run_dir=tmp_path / "run", console=console)
    assert keras.mixed_precision.global_policy().name == "float32"  # the next run in this process is not mixed
    model = keras.saving.load_model(result.run_dir / "model.keras")
    hidden, output = model.layers[-2], model.layers[-1]
    assert hidden.dtype_policy.name == "mixed_bfloat16" and hidden.compute_dtype == "bfloat16"
    assert output.compute_dtype == "float32"
    assert all(v.dtype == "float32" for v in model.weights)  # weights stay float32
    environment = json.loads((result.run_dir / "environment.json").read_text())
    assert environment["precision"] == "mixed_bfloat16"
    printed = console.file.getvalue()
    assert "precision mixed_bfloat16:" in printed and "avx512_bf16" in printed
    assert len(result.history) == 3 and all(row["loss"] == row["loss"] for row in result.history)


def test_mixed_float16_scales_the_loss(tmp_path: Path) -> None:
    seen = tmp_path / "optimizer.txt"
    plugin = tmp_path / "spy.py"
    plugin.write_text(
        "from framework import hookimpl\n\n"
        "@hookimpl\ndef hoh_before_run(run, model):\n"
        f"    open({str(seen)!r}, 'w').write(type(model.optimizer).__name__)\n"
    )
    path = _experiment(tmp_path, _precision(SECTIONS, "mixed_float16"))
    path.write_text(path.read_text().replace("plugins = [", f"plugins = [{json.dumps(str(plugin))}, "))
    run_experiment(load_experiment(path), run_dir=tmp_path / "run", console=Console(file=io.StringIO()))
    assert seen.read_text() == "LossScaleOptimizer"


def test_a_model_with_a_16_bit_output_is_refused_before_training(tmp_path: Path) -> None:
    sections = _precision(SECTIONS, "mixed_bfloat16").replace(
        'provider = "stub-model"', 'provider = "stub-model"\nfloat32_output = false'
    )
    loaded = load_experiment(_experiment(tmp_path, sections))
    with pytest.raises(UserError) as info:
        run_experiment(loaded, run_dir=tmp_path / "run", console=Console(file=io.StringIO()))
    message = str(info.value)
    assert "model provider 'stub-model' outputs bfloat16" in message and 'dtype="float32"' in message
    assert not (tmp_path / "run" / "metrics.jsonl").exists()


def _rows(run_dir: Path) -> list[dict]:
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    return [{k: v for k, v in row.items() if k != "seconds"} for row in rows]


@pytest.mark.parametrize(("shuffle", "tolerance"), [(False, 1e-5), (True, 0.02)])
def test_mirrored_on_two_cpu_devices_matches_one_device(tmp_path: Path, shuffle: bool, tolerance: float) -> None:
    """Same global batches, gradients summed over 2 replicas: the same numbers up to float32 summation order.

    With shuffling, tf.data's distributed copy of the pipeline draws another (seeded, repeatable)
    shuffle order than one device does, so the numbers differ as two seeds' would, by a little.
    """
    sections = SECTIONS.replace(
        'provider = "stub-pipeline"', f'provider = "stub-pipeline"\nshuffle = {str(shuffle).lower()}'
    )
    _experiment(tmp_path, sections, name="one.toml")
    _experiment(tmp_path, sections, extra=MIRRORED, name="two.toml")  # [strategy] after [experiment]'s keys
    one = run_script("hoh-run", "one.toml", "--run-dir", "one", cwd=tmp_path)
    two = run_script("hoh-run", "two.toml", "--run-dir", "two", cwd=tmp_path)
    assert one.returncode == 0, one.stderr[-2000:]
    assert two.returncode == 0, two.stderr[-2000:]
    assert 'provider = "mirrored"' in (tmp_path / "two" / "experiment.toml").read_text()
    strategies = [json.loads((tmp_path / run / "environment.json").read_text())["strategy"] for run in ("one", "two")]
    assert [s["replicas"] for s in strategies] == [1, 2]
    assert strategies[1]["type"] == "MirroredStrategy" and len(strategies[1]["devices"]) == 2
    assert (tmp_path / "two" / "model.keras").is_file() and (tmp_path / "two" / "evaluation.json").is_file()
    single, mirrored = _rows(tmp_path / "one"), _rows(tmp_path / "two")
    assert len(single) == len(mirrored) == 3
    for a, b in zip(single, mirrored, strict=True):
        for key in ("loss", "val_loss"):
            assert b[key] == pytest.approx(a[key], rel=tolerance, abs=1e-6), (key, a, b)
    if not shuffle:
        assert [r["accuracy"] for r in single] == [r["accuracy"] for r in mirrored]


def test_cpu_devices_cannot_be_split_once_tensorflow_started(tmp_path: Path) -> None:
    import tensorflow as tf

    tf.config.list_logical_devices("CPU")  # starts the devices, as any earlier run in this process did
    loaded = load_experiment(_experiment(tmp_path, extra=MIRRORED.replace("= 2", "= 3")))
    with pytest.raises(UserError, match="the CPU can no longer be split"):
        run_experiment(loaded, run_dir=tmp_path / "run", console=Console(file=io.StringIO()))
