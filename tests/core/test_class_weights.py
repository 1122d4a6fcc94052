"""[training] class_weight: resolved per class, recorded, printed, shown in the report, and applied to the loss."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from core_helpers import ROOT, make_images, run_python, tiny_five_conv
from rich.console import Console

from framework import UserError
from framework.api import load_experiment, run_experiment
from framework.class_weights import resolve_class_weight

SPY = '''
import json

import numpy as np

from framework import hookimpl


@hookimpl
def hoh_before_run(run, model):
    """The first training batch and the untrained model's outputs on it: what epoch 1's loss is computed on."""
    x, y = next(iter(run.flows.train))
    p = np.asarray(model(x, training=False)).ravel()
    open({out!r}, "w").write(json.dumps({{"y": np.asarray(y).tolist(), "p": p.tolist()}}))
'''


def test_balanced_weighs_each_class_by_its_images() -> None:
    weights = resolve_class_weight("balanced", ("cats", "dogs"), (9, 3))
    assert weights == pytest.approx({"cats": 12 / (2 * 9), "dogs": 12 / (2 * 3)})
    assert resolve_class_weight({"dogs": 3.0}, ("cats", "dogs"), ()) == {"cats": 1.0, "dogs": 3.0}
    assert resolve_class_weight(None, ("cats", "dogs"), (9, 3)) is None


def test_an_unknown_class_is_named_with_the_classes_there_are() -> None:
    with pytest.raises(UserError, match=r"'dgos' \(did you mean 'dogs'\?\)\. Its classes are: cats, dogs"):
        resolve_class_weight({"dgos": 2.0}, ("cats", "dogs"), (9, 3))


@pytest.mark.slow
def test_class_weights_change_the_training_loss_as_computed_by_hand(tmp_path: Path) -> None:
    data = tmp_path / "data"
    make_images(data / "train", count=6)
    for extra in range(6, 12):  # 12 cats, 6 dogs: "balanced" weighs cats 0.75, dogs 1.5
        shutil.copy(data / "train" / "cats" / f"{extra - 6}.png", data / "train" / "cats" / f"x{extra}.png")
    make_images(data / "validation", count=2)
    spy = tmp_path / "spy.py"
    spy.write_text(SPY.format(out=str(tmp_path / "first_batch.json")))
    text = tiny_five_conv(name="weighted", output=str(tmp_path / "runs"), data=str(data), epochs=1)
    text = text.replace("[experiment]\n", f"[experiment]\nplugins = [{json.dumps(str(spy))}]\n", 1)
    text = text.replace("batch_size = 8\n", "batch_size = 32\n", 1)  # one batch: all 18 images
    text += 'class_weight = "balanced"\nsteps_per_epoch = 1\n'
    path = tmp_path / "weighted.toml"
    path.write_text(text)
    console = Console(file=io.StringIO(), width=200)
    result = run_experiment(load_experiment(path), console=console)

    assert json.loads((result.run_dir / "class_weights.json").read_text()) == {"cats": 0.75, "dogs": 1.5}
    assert "class weights: cats 0.75, dogs 1.5" in console.file.getvalue()
    seen = json.loads((tmp_path / "first_batch.json").read_text())
    y, p = np.array(seen["y"]), np.clip(np.array(seen["p"]), 1e-7, 1 - 1e-7)
    assert len(y) == 18
    per_image = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    weighted = float(np.sum(np.where(y == 0, 0.75, 1.5) * per_image) / len(y))  # Keras: sum over batch size
    unweighted = float(per_image.mean())
    logged = result.history[0]["loss"]
    assert logged == pytest.approx(weighted, rel=1e-4)
    assert abs(weighted - unweighted) > 1e-3  # the weights make a difference here


def test_a_class_weight_for_a_class_the_data_lacks_stops_before_training(tmp_path: Path) -> None:
    make_images(tmp_path / "data" / "train", count=2)
    make_images(tmp_path / "data" / "validation", count=1)
    text = tiny_five_conv(name="w", output=str(tmp_path / "runs"), data=str(tmp_path / "data"), epochs=1)
    path = tmp_path / "w.toml"
    path.write_text(text + "class_weight = {horses = 2.0}\n")
    with pytest.raises(UserError, match="class_weight names classes the dataset does not have: 'horses'"):
        run_experiment(load_experiment(path), console=Console(file=io.StringIO()))
    assert not list((tmp_path / "runs").glob("*/metrics.jsonl"))


def test_hoh_validate_checks_the_class_names_of_a_weights_table_without_tensorflow(tmp_path: Path) -> None:
    make_images(tmp_path / "data" / "train", count=2)
    make_images(tmp_path / "data" / "validation", count=1)
    text = tiny_five_conv(name="w", output=str(tmp_path / "runs"), data=str(tmp_path / "data"), epochs=1)
    wrong, right = tmp_path / "wrong.toml", tmp_path / "right.toml"
    wrong.write_text(text + "class_weight = {dog = 2.0}\n")
    right.write_text(text + "class_weight = {dogs = 2.0}\n")
    code = (
        "import sys\nfrom framework.cli.main import main\ncode = main(sys.argv[1:])\n"
        "assert 'tensorflow' not in sys.modules, 'validate imported TensorFlow'\nsys.exit(code)"
    )
    refused = run_python(code, "validate", str(wrong))
    assert refused.returncode == 2, refused.stdout + refused.stderr
    said = " ".join(refused.stderr.split())
    assert "class_weight names classes the dataset does not have: 'dog' (did you mean 'dogs'?)" in said
    assert "Traceback" not in refused.stderr
    accepted = run_python(code, "validate", str(right))
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert "class weights {'dogs': 2.0} (classes checked)" in accepted.stdout
    as_json = run_python(code, "validate", str(wrong), "--format", "json")
    assert as_json.returncode == 2 and "'dog' (did you mean" in json.loads(as_json.stdout)["problems"][0]
    shutil.rmtree(tmp_path / "data")  # image-folder's folders are checked as hoh-run checks them, before any work
    missing = run_python(code, "validate", str(right))
    said = " ".join(missing.stderr.split())
    assert missing.returncode == 2 and f"training folder {tmp_path / 'data' / 'train'} does not exist" in said, said
    file_only = run_python(code, "validate", str(right), "--no-data")  # a machine without the images
    assert file_only.returncode == 0 and "ok" in file_only.stdout, file_only.stdout + file_only.stderr
    # a dataset that is fetched (not local) is never fetched by validate: its classes are left to hoh-run
    fetched = run_python(
        code,
        "validate",
        str(ROOT / "experiments" / "baseline.toml"),
        "training.class_weight={horses = 1.0, humans = 2.0}",
        f"dataset.data_dir={tmp_path / 'empty'}",
        'dataset.mirror="http://127.0.0.1:9/"',
    )
    assert fetched.returncode == 0 and "classes not checked" in fetched.stdout, fetched.stdout + fetched.stderr
    assert not (tmp_path / "empty").exists() or not any((tmp_path / "empty").iterdir())
