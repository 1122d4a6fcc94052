"""A hoh plugin used only by the benchmarks: a callback that timestamps epochs.

The same callback measures hoh's runner (enabled with ``[[callbacks]] provider =
"bench-epoch-timer"`` and this file in ``[experiment] plugins``) and the plain
Keras ``fit`` it is compared with, so both are timed over exactly the same window:
from the start of the second epoch to the end of training. The window holds every
steady-state training step and every per-epoch cost of the run (the runner's
metrics file, lifecycle hooks, other callbacks), but not the first epoch, which
pays for tracing and compiling.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from framework import NoParams, Provider, RunContext, hookimpl

TIMING_FILE = "bench_timing.json"
"""Written into the run folder when training ends."""


def new_epoch_timer(out_file: Path | None = None) -> Any:
    """A ``keras.callbacks.Callback`` recording when each epoch starts and when training ends.

    After ``fit``: ``timer.steady_seconds`` and ``timer.steady_steps`` cover epochs 2..N.
    With ``out_file`` the figures are also written there as JSON when training ends.
    """
    import keras  # lazily: listing plugins must not load TensorFlow

    class EpochTimer(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.epoch_starts: list[float] = []
            self.steps_per_epoch: list[int] = []
            self.train_end = 0.0

        def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
            self.epoch_starts.append(time.perf_counter())
            self.steps_per_epoch.append(0)

        def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
            self.steps_per_epoch[-1] += 1

        def on_train_end(self, logs: dict | None = None) -> None:
            self.train_end = time.perf_counter()
            if out_file is not None:
                out_file.write_text(json.dumps(self.figures()), encoding="utf-8")

        @property
        def steady_seconds(self) -> float:
            if len(self.epoch_starts) < 2:
                raise RuntimeError("the epoch timer needs at least 2 epochs (the first one is not timed)")
            return self.train_end - self.epoch_starts[1]

        @property
        def steady_steps(self) -> int:
            return sum(self.steps_per_epoch[1:])

        def figures(self) -> dict[str, float]:
            return {"steady_seconds": self.steady_seconds, "steady_steps": self.steady_steps}

    return EpochTimer()


def build_timer(params: NoParams, run: RunContext) -> Any:
    return new_epoch_timer(run.run_dir / TIMING_FILE)


@hookimpl
def hoh_callback_providers() -> list[Provider]:
    return [Provider("bench-epoch-timer", NoParams, build_timer, "Benchmarks only: times epochs 2..N.")]
