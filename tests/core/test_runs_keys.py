"""``hoh runs --where/--sort`` with a key no run has: refused with the closest keys, not "no runs match"."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from core_helpers import hand_written_run

BIN = Path(sys.executable).parent


def _runs(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "hoh"), "runs", "runs", *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def test_unknown_keys_are_refused_with_did_you_mean(tmp_path: Path) -> None:
    hand_written_run(tmp_path / "runs", "20261125T101010Z", 0.001)
    hand_written_run(tmp_path / "runs", "20261125T111111Z", 0.01)
    typo = _runs("--where", "optimizer.learnin_rate<0.005", cwd=tmp_path)
    assert typo.returncode == 2 and "Did you mean 'optimizer.learning_rate'" in typo.stderr, typo.stderr
    metric = _runs("--sort=-best.val_acc", cwd=tmp_path)
    assert metric.returncode == 2 and "'best.val_accuracy'" in metric.stderr, metric.stderr
    good = _runs("--where", "optimizer.learning_rate<0.005", "--sort=-best.val_accuracy", cwd=tmp_path)
    assert good.returncode == 0 and "20261125T101010Z" in good.stdout and "20261125T111111Z" not in good.stdout
