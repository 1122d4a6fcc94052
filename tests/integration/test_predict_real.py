"""Train briefly on the real Horse-or-Human data through hoh-run, then ``hoh predict`` real images."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = ROOT.parent / "shared" / "data"
BIN = Path(sys.executable).parent

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(not (SHARED_DATA / "SHA256SUMS").is_file(), reason=f"no dataset mirror in {SHARED_DATA}"),
]

EXPERIMENT = """\
[experiment]
name = "predict-test"
seed = 3

[dataset]
provider = "horse-or-human"
mirror = "{mirror}"
data_dir = "{data_dir}"

[pipeline]
provider = "image-data-generator"
image_size = [128, 128]
batch_size = 16
validation_batch_size = 16

[model]
provider = "five-conv-sigmoid"
dense_units = 32

[optimizer]
provider = "rmsprop"

[training]
epochs = 1
steps_per_epoch = 2
validation_steps = 1
progress = "none"
"""

SAMPLES = ("horses/horse1-000.png", "horses/horse2-011.png", "humans/valhuman01-00.png", "humans/valhuman02-05.png")


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([str(BIN / args[0]), *args[1:]], cwd=cwd, env=env, capture_output=True, text=True)


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("predict")
    (work / "exp.toml").write_text(EXPERIMENT.format(mirror=SHARED_DATA, data_dir=work / "data"))
    result = _run("hoh-run", "exp.toml", "--run-dir", "run", cwd=work)
    assert result.returncode == 0, result.stderr[-3000:]
    return work / "run"


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("samples")
    with zipfile.ZipFile(SHARED_DATA / "validation-horse-or-human.zip") as archive:
        for name in SAMPLES:
            archive.extract(name, folder)
    return [folder / name for name in SAMPLES]


def test_predict_real_images_as_json(trained_run: Path, samples: list[Path], tmp_path: Path) -> None:
    broken = tmp_path / "notes.png"
    broken.write_text("not an image")
    result = _run("hoh", "predict", str(trained_run), *map(str, samples), str(broken), "--json", cwd=tmp_path)

    assert result.returncode == 1  # one file could not be read ...
    rows = json.loads(result.stdout)
    assert [row["file"] for row in rows] == [*map(str, samples), str(broken)]
    assert "notes.png" in rows[-1]["error"] and "not a readable image" in rows[-1]["error"]
    assert "damaged, cut short, or not what its name says" in rows[-1]["error"]  # a .png: no advice to use PNG
    for row in rows[:-1]:  # ... and every other one was predicted
        assert 0.0 <= row["probability"] <= 1.0
        assert row["label"] == ("human" if row["probability"] > 0.5 else "horse")

    # The same preprocessing as training: Keras' loader at 128x128, nearest, scaled by 1/255.
    import keras

    model = keras.saving.load_model(trained_run / "model.keras")
    images = np.stack(
        [
            keras.utils.img_to_array(keras.utils.load_img(p, target_size=(128, 128), interpolation="nearest")) / 255.0
            for p in samples
        ]
    )
    expected = model.predict(images, verbose=0)[:, 0]
    np.testing.assert_allclose([row["probability"] for row in rows[:-1]], expected, rtol=1e-4, atol=1e-6)


def test_predict_table_and_folder(trained_run: Path, samples: list[Path], tmp_path: Path) -> None:
    folder = samples[0].parent.parent  # horses/ and humans/
    result = _run("hoh", "predict", str(trained_run / "model.keras"), str(folder), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "p(human)" in result.stdout
    for sample in samples:
        assert sample.name in result.stdout
    assert result.stdout.count("horse") + result.stdout.count("human") >= len(samples)


def test_predict_unfinished_run_is_a_user_error(tmp_path: Path) -> None:
    (tmp_path / "x.png").write_bytes(b"")  # there, so that the run folder is what is refused
    result = _run("hoh", "predict", str(tmp_path), "x.png", cwd=tmp_path)  # not a run folder at all
    assert result.returncode == 2
    assert "is not a run folder: it has no experiment.toml" in result.stderr and "Traceback" not in result.stderr
    runs = tmp_path / "runs" / "mine"
    unfinished, finished = runs / "20261202T020000Z", runs / "20261201T020000Z"
    for run in (unfinished, finished):
        run.mkdir(parents=True)
        (run / "experiment.toml").write_text("")
    (finished / "model.keras").write_bytes(b"")
    result = _run("hoh", "predict", "mine", "x.png", cwd=tmp_path)  # the newest run of runs/mine never finished
    said = " ".join(result.stderr.split())
    assert result.returncode == 2 and "has no model.keras: the run did not finish" in said, said
    assert (
        f"the newest finished run beside it is {finished.relative_to(tmp_path)}" in said
        and "Traceback" not in result.stderr
    )
    (unfinished / "checkpoints").mkdir()
    (unfinished / "checkpoints" / "best.keras").write_bytes(b"")
    said = " ".join(_run("hoh", "predict", "mine", "x.png", cwd=tmp_path).stderr.split())
    assert "one of its checkpoints with --checkpoint NAME (it has best)" in said, said
    (tmp_path / "mine").mkdir()  # a folder of the same name here (the user's images) is what NAME means now
    said = " ".join(_run("hoh", "predict", "mine", "x.png", cwd=tmp_path).stderr.split())
    assert "mine is not a run folder" in said and "the newest run of runs/mine, give runs/mine" in said, said
