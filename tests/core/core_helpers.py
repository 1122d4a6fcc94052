"""Helpers of the core's tests (imported by the test modules; fixtures live in conftest.py).

Most tests use the stand-in providers of ``fixtures/stub_plugin.py`` and disable the
built-in plugins, so they test the core alone; the tests that need the built-ins say so.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STUB_PLUGIN = Path(__file__).resolve().parent / "fixtures" / "stub_plugin.py"
BUILTINS = sorted({ep.name for ep in importlib.metadata.entry_points(group="hoh.builtins")})
BIN = Path(sys.executable).parent

SECTIONS = """\
[dataset]
provider = "stub-data"

[pipeline]
provider = "stub-pipeline"

[model]
provider = "stub-model"

[optimizer]
provider = "stub-sgd"
learning_rate = 0.01

[training]
epochs = 2
progress = "none"
"""


def stub_experiment(sections: str = SECTIONS, *, name: str = "stub", extra: str = "", plugins: tuple = ()) -> str:
    """An experiment file using the stub plugin and ``plugins`` (built-ins disabled)."""
    names = ", ".join(json.dumps(str(p)) for p in (STUB_PLUGIN, *plugins))
    return (
        "[experiment]\n"
        f'name = "{name}"\n'
        f"plugins = [{names}]\n"
        f"disable_plugins = {json.dumps(BUILTINS)}\n"
        f"{extra}"
        "\n"
        f"{sections}"
    )


KILLER = '''
"""Kills this process (SIGKILL, as kill -9 or a power cut) at the stage HOH_TEST_KILL names."""

import os
import signal

from framework import NoParams, Provider, hookimpl


def _kill(stage):
    if os.environ.get("HOH_TEST_KILL") == stage and not os.environ.get("HOH_TEST_RESUMING"):
        os.kill(os.getpid(), getattr(signal, os.environ.get("HOH_TEST_SIGNAL", "SIGKILL")))


def build_killer(params, run):
    import keras

    class Killer(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if self._epoch == int(os.environ.get("HOH_TEST_KILL_EPOCH", "1")) and batch == 1:
                _kill("inside-batch")

        def on_epoch_begin(self, epoch, logs=None):
            self._epoch = epoch

        def on_epoch_end(self, epoch, logs=None):
            if epoch == int(os.environ.get("HOH_TEST_KILL_EPOCH", "1")):
                _kill("epoch-end-" + os.environ.get("HOH_TEST_KILLER_PLACE", ""))

        def on_train_end(self, logs=None):
            _kill("after-fit")

    return Killer()


@hookimpl
def hoh_callback_providers():
    return [Provider("killer", NoParams, build_killer, "Kills the run at a chosen stage.")]


@hookimpl
def hoh_after_run(run, history):
    _kill("after-evaluation")
'''


TINY_FIVE_CONV = """\
[experiment]
name = "{name}"
seed = {seed}
output = "{output}"

[dataset]
provider = "image-folder"
train_dir = "{data}/train"
validation_dir = "{data}/validation"

[pipeline]
provider = "tf-data"
image_size = [96, 96]
batch_size = 8
validation_batch_size = 8

[model]
provider = "five-conv-sigmoid"
filters = [4, 4, 4, 4, 4]
dense_units = 8

[optimizer]
provider = "rmsprop"
learning_rate = {rate}

[training]
epochs = {epochs}
loss = "binary_crossentropy"
metrics = ["accuracy"]
progress = "none"
{extra}
"""


def tiny_five_conv(
    *, name: str, output: str, data: str, seed: int = 1, rate: str = "0.001", epochs: int = 2, extra: str = ""
) -> str:
    """A real experiment with the built-in providers: a 4-filter five-conv on ``data``'s 96x96 images."""
    return TINY_FIVE_CONV.format(name=name, seed=seed, output=output, data=data, rate=rate, epochs=epochs, extra=extra)


def line_no(text: str, needle: str) -> int:
    """1-based number of the first line of ``text`` containing ``needle``."""
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in text")


def make_images(root: Path, classes: tuple[str, ...] = ("cats", "dogs"), count: int = 12, size: int = 32) -> None:
    """``root/<class>/<n>.png``: random RGB images, ``count`` per class."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    for name in classes:
        folder = root / name
        folder.mkdir(parents=True)
        for index in range(count):
            pixels = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(folder / f"{index}.png")


def subprocess_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "HOH_DISABLE_PLUGIN_AUTOLOAD"}
    env.update(TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="", PYTHONWARNINGS="ignore", COLUMNS="400", **extra)
    return env


def run_script(script: str, *args: str, cwd: Path, timeout: float = 180, **env: str) -> subprocess.CompletedProcess:
    """Run a console script of this venv (``hoh``, ``hoh-run``) and capture its output."""
    return subprocess.run(
        [str(BIN / script), *args],
        cwd=cwd,
        env=subprocess_env(**env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_python(code: str, *args: str, cwd: Path = ROOT, timeout: float = 120) -> subprocess.CompletedProcess:
    """``python -c CODE ARGS...`` in this venv (``sys.argv[1:]`` is ``args``), its output captured."""
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=cwd,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def hand_written_run(root: Path, name: str, learning_rate: float) -> Path:
    """A finished run folder written as hoh writes one (3 epochs, an evaluation), for readers of run records."""
    run = root / "quick" / name
    run.mkdir(parents=True)
    (run / "experiment.toml").write_text(
        '[experiment]\nname = "quick"\nseed = 1\n\n'
        f'[optimizer]\nprovider = "rmsprop"\nlearning_rate = {learning_rate}\n'
    )
    (run / "status.json").write_text(
        json.dumps(
            {
                "status": "finished",
                "reason": None,
                "started": "2026-11-25T10:10:10+00:00",
                "ended": "2026-11-25T10:12:10+00:00",
                "host": "elsewhere",
                "pid": 1,
                "attempts": 1,
            }
        )
    )
    rows = [
        {"epoch": e, "loss": 1.0 / e, "accuracy": 0.5 + e / 10, "val_loss": 1.1 / e, "val_accuracy": 0.5}
        for e in (1, 2, 3)
    ]
    (run / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (run / "evaluation.json").write_text(json.dumps({"loss": 0.4, "accuracy": 0.8}))
    (run / "model.keras").write_bytes(b"not needed here")
    return run
