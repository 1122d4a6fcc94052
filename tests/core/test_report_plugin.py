"""The end-of-run report is the built-in plugin ``report``: on with ``report = true``, gone when disabled."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest
from core_helpers import make_images, run_script, tiny_five_conv

pytestmark = pytest.mark.slow


def test_report_true_writes_the_report_and_disabling_the_plugin_does_not(tmp_path: Path) -> None:
    make_images(tmp_path / "data" / "train", count=8, size=96)
    make_images(tmp_path / "data" / "validation", count=4, size=96)
    text = tiny_five_conv(name="reported", output="runs", data=str(tmp_path / "data"), epochs=3, extra="report = true")
    (tmp_path / "reported.toml").write_text(text)
    done = run_script("hoh-run", "reported.toml", "--run-dir", "with", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    html = (tmp_path / "with" / "evaluation" / "report.html").read_text()
    # the training curves on the page are the run's final ones (all 3 epochs), not the drawing after epoch 1
    embedded = re.search(r'<figure id="curves"><img alt="[^"]*" src="data:image/png;base64,([^"]+)"', html)
    assert embedded and base64.b64decode(embedded.group(1)) == (tmp_path / "with" / "plots" / "curves.png").read_bytes()
    off = run_script(
        "hoh-run", "reported.toml", "--run-dir", "without", 'experiment.disable_plugins=["report"]', cwd=tmp_path
    )
    assert off.returncode == 0, off.stderr[-2000:]
    assert (tmp_path / "without" / "model.keras").is_file() and not (tmp_path / "without" / "evaluation").exists()


def test_a_run_without_a_validation_set_finishes_without_a_report_and_refuses_val_monitors_first(
    tmp_path: Path,
) -> None:
    make_images(tmp_path / "data" / "train", count=8, size=96)
    text = tiny_five_conv(name="unscored", output="runs", data=str(tmp_path / "data"), extra="report = true")
    text = text.replace(f'validation_dir = "{tmp_path / "data"}/validation"\n', "")
    (tmp_path / "unscored.toml").write_text(text)
    done = run_script("hoh-run", "unscored.toml", "--run-dir", "plain", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "No evaluation report" in " ".join(done.stdout.split()), done.stdout[-2000:]
    assert json.loads((tmp_path / "plain" / "status.json").read_text())["status"] == "finished"
    assert not (tmp_path / "plain" / "evaluation").exists()
    # A best checkpoint, an early stop or keep = "best" by a validation figure would never act: refused first
    for index, (name, extra) in enumerate(
        (
            ("checkpoint", '[[callbacks]]\nprovider = "checkpoint"\n'),
            ("early-stopping", '[[callbacks]]\nprovider = "early-stopping"\n'),
            ("training.keep", ""),
        )
    ):
        changed = text.replace("report = true", 'report = true\nkeep = "best"') if not extra else text + extra
        (tmp_path / "val.toml").write_text(changed)
        refused = run_script("hoh-run", "val.toml", "--run-dir", f"refused-{index}", cwd=tmp_path)
        message = " ".join(refused.stderr.split())
        assert refused.returncode == 2 and name in message and "no validation set" in message, refused.stderr[-2000:]
        metrics = tmp_path / f"refused-{index}" / "metrics.jsonl"  # no epoch trained
        assert "Traceback" not in refused.stderr and (not metrics.exists() or not metrics.read_text())
