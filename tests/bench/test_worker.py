"""What a bench worker reports about its rounds beyond their times (framework/bench/worker.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from framework.bench.worker import _thread_schedstats, granted_share

HOG = "import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end: pass\n"


def _spin(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="Linux's per-thread schedstat")
def test_the_share_granted_falls_when_other_programs_keep_the_threads_waiting() -> None:
    cpus = len(os.sched_getaffinity(0))
    # Two busy processes per CPU beside a spinning thread of ours: each thread gets at most a third of a CPU
    hogs = [subprocess.Popen([sys.executable, "-c", HOG.format(seconds=4)]) for _ in range(2 * cpus)]
    try:
        time.sleep(0.5)  # the hogs are spinning
        before = _thread_schedstats()
        spinner = threading.Thread(target=_spin, args=(1.5,))  # started after the first snapshot: counted from 0
        spinner.start()
        _spin(1.5)
        after = _thread_schedstats()
        spinner.join()
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
    assert len(after) >= 2
    assert 0 < granted_share(before, after) < 0.8


def test_without_figures_the_share_is_whole() -> None:
    assert granted_share({}, {}) == 1.0
    assert granted_share({"1": (10, 5)}, {"1": (30, 5)}) == 1.0  # ran 20 ns, waited none
    assert granted_share({"1": (10, 5)}, {"1": (30, 25)}) == 0.5
