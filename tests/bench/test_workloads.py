"""Every workload of ``hoh bench compare`` sets up and runs in a worker, as a full compare runs them.

CI's compare runs only its small set; this is what keeps the others from breaking unseen.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from framework.bench.compare import WORKER, Side
from framework.bench.worker import load_workloads

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
WORKLOADS_FILE = ROOT / "benchmarks" / "workloads.py"


def test_every_workload_sets_up_and_measures_a_round(tmp_path: Path) -> None:
    workloads = load_workloads(WORKLOADS_FILE)
    settings = {**workloads.prepare(tmp_path, quick=True), "worker": str(WORKER)}
    # The least work a round can do: this checks that each workload runs, not how fast
    settings.update(steps=2, tfdata_pass_images=256, idg_pass_images=64, fit_steps=4, write_epochs=2, start_ups=1)
    side = Side("HEAD", "working tree", ROOT)
    side.start(WORKLOADS_FILE)
    try:
        answer = side.ask({"op": "setup", "names": list(workloads.WORKLOADS), "settings": settings})
        assert answer["skipped"] == {}
        assert sorted(answer["ready"]) == sorted(workloads.WORKLOADS)
        for name in workloads.WORKLOADS:
            measured = side.ask({"op": "round", "name": name})
            assert measured["images"] > 0, name
            assert measured["wall"] > 0 and measured["cpu"] > 0, (name, measured)
    finally:
        side.stop()
    assert side.process is not None and side.process.returncode == 0
