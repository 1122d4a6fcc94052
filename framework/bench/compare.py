"""``hoh bench compare BASE [HEAD]``: both revisions' workloads, interleaved on this machine.

How it works, as ``asv continuous`` and pyperf's ``compare_to`` do it, with interleaving:

1. BASE and HEAD are each checked out into a fresh folder of the same parent (a ``git
   worktree``, or a copy of the working tree): :mod:`framework.bench.revisions` says why.
2. One worker process per side (``framework/bench/worker.py``) imports that side's
   ``framework`` and ``plugins`` and sets up every workload of ``benchmarks/workloads.py``
   (the working tree's: the same measuring code for both sides), with one warm-up round.
   Both sides are set up at the same time: set up one after the other, the side set up
   first read about 1 % slower in the rounds after (tf-data steady pass, a revision against
   itself: CPU median below 1 in 10 compares of 11 with BASE set up first, above 1 in 8 of 10
   with HEAD set up first; which side's process started first made no difference).
3. Each measurement of a workload is one pair. By default its rounds alternate: BASE then
   HEAD, then HEAD then BASE, ..., so a change of load in between hits both sides alike.
   With ``duet`` they run at the same time instead ("duet benchmarking": Bulej et al.,
   2020), sharing the CPUs. Beside a training job it flagged, once in two tries, a sleep
   that one after the other missed; idle it missed that sleep (both sides fill a 2-CPU
   machine by themselves), and the unchanged tf-data steady pass read HEAD faster in 5
   compares of 5: so not the default (docs/contributing/measurements.md). A short
   workload runs several pairs a round (at least ``round_seconds`` of measuring,
   calibrated on the quicker of the first round's two pairs), as pyperf calibrates its
   loops. Under load, the train step's self-compare CPU interval went from [0.29, 2.11]
   with 8 pairs to [0.98, 1.04] with 29.
4. Per workload, the paired ratios HEAD/BASE of wall time and CPU time per image give a
   median and a bootstrap interval (:mod:`framework.bench.stats`). A workload is *slower*
   when its CPU time or its wall time is (:meth:`Result.verdict`): CPU time sees work,
   wall time also sees waiting (a sleep, a lock, a slow disk or network call per batch).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from framework.bench.revisions import WORKTREE, checked_out
from framework.bench.stats import Comparison, compare_pairs
from framework.bench.worker import PREFIX, load_workloads
from framework.errors import UserError

WORKER = Path(__file__).resolve().parent / "worker.py"
MAX_PAIRS_PER_ROUND = 8
MIN_PAIRS_PER_ROUND = 2  # the runner's fit (~4.5 s a round) had 9 pairs in 8 rounds: too few to flag a 15 % wait
CALIBRATION_PAIRS = 2  # pairs of the first round, whose quicker one sets the pairs of the others


@dataclass
class Side:
    """One revision under test and its worker process."""

    label: str
    revision: str
    root: Path
    process: subprocess.Popen | None = None
    ready: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)

    def start(self, workloads: Path, threads: int = 0) -> None:
        env = {**os.environ, "PYTHONPATH": str(self.root), "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore"}
        env.pop("HOH_DISABLE_PLUGIN_AUTOLOAD", None)
        if threads > 0:  # TensorFlow's and OpenMP's thread pools (tf.data's parallel maps run on the inter-op one)
            env.update(
                TF_NUM_INTRAOP_THREADS=str(threads), TF_NUM_INTEROP_THREADS=str(threads), OMP_NUM_THREADS=str(threads)
            )
        self.process = subprocess.Popen(
            [sys.executable, str(WORKER), str(self.root), str(workloads)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
            cwd=self.root,
            process_group=0,  # its own group, so that stopping it stops the processes it started too
        )

    def ask(self, request: dict[str, Any]) -> dict[str, Any]:
        self.ask_nowait(request)
        return self.answer()

    def answer(self) -> dict[str, Any]:
        """The worker's answer to the last request."""
        assert self.process is not None and self.process.stdout
        for line in self.process.stdout:
            if line.startswith(PREFIX):
                answer = json.loads(line[len(PREFIX) :])
                if "error" in answer:
                    raise RuntimeError(
                        f"{self.label} ({self.revision}): {answer['error']}\n{answer.get('traceback', '')}"
                    )
                return answer
        raise RuntimeError(f"the {self.label} worker ({self.revision}) ended without answering")

    def stop(self, *, now: bool = False) -> None:
        """Ask the worker to exit after its current round, or kill it ``now`` (interrupted)."""
        if self.process is None:
            return
        if now:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            return
        with contextlib.suppress(Exception):
            self.ask_nowait({"op": "exit"})
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def ask_nowait(self, request: dict[str, Any]) -> None:
        assert self.process is not None and self.process.stdin
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()


@dataclass(frozen=True)
class Result:
    """One workload's comparison: wall time and CPU time per image, HEAD/BASE."""

    name: str
    wall: Comparison
    cpu: Comparison
    base_wall: float
    head_wall: float
    pairs: tuple[dict[str, Any], ...] = ()
    """Each pair's seconds per image, in measuring order (``base_wall``, ``head_wall``,
    ``base_cpu``, ``head_cpu``): where an interval's spread comes from. Also when HEAD's
    round began after BASE's (``head_started_after_base``, seconds: about 0 in a duet), and
    the share of the CPU time it asked for that each side got (``base_granted``,
    ``head_granted``: below 1 when other programs' threads kept it waiting)."""

    def verdict(self, metric: str = "both") -> str:
        """``"slower (CPU)"``, ``"slower (wall)"``, ``"slower (CPU and wall)"``, ``"faster (...)"`` or
        ``"no significant change"``, by the times ``metric`` names (``both``, ``cpu`` or ``wall``).

        With ``both`` (the default, and CI's), slower by either time is slower: a regression
        that waits (wall only) is the one users feel first; one that computes more shows in
        both, and CPU time moves less with the machine's load. Faster counts only when neither
        is slower.
        """
        times = {"CPU": self.cpu, "wall": self.wall}
        if metric != "both":
            times = {"CPU": self.cpu} if metric == "cpu" else {"wall": self.wall}
        for word in ("slower", "faster"):
            which = [name for name, comparison in times.items() if comparison.verdict == word]
            if which:
                return f"{word} ({' and '.join(which)})"
        return "no significant change"


def _pair(sides: list[Side], name: str, swap: bool, duet: bool) -> list[tuple[Side, dict[str, Any]]]:
    """One pair of rounds of workload ``name``: each side's answer.

    One after the other (BASE first, or HEAD when ``swap``), or in a ``duet`` both at once.
    """
    if not duet:
        return [(side, side.ask({"op": "round", "name": name})) for side in (sides[::-1] if swap else sides)]
    for side in sides[::-1] if swap else sides:
        side.ask_nowait({"op": "round", "name": name})
    return [(side, side.answer()) for side in sides]


def _result(name: str, base: list[dict[str, Any]], head: list[dict[str, Any]], threshold: float) -> Result:
    """One workload's comparison from its sides' rounds (each round's answer, per image)."""
    pairs = tuple(
        {
            **{f"{side}_{key}": r[key] for side, r in (("base", b), ("head", h)) for key in ("wall", "cpu", "granted")},
            "head_started_after_base": h["started"] - b["started"],
        }
        for b, h in zip(base, head, strict=True)
    )
    return Result(
        name,
        wall=compare_pairs([r["wall"] for r in base], [r["wall"] for r in head], threshold=threshold),
        cpu=compare_pairs([r["cpu"] for r in base], [r["cpu"] for r in head], threshold=threshold),
        base_wall=statistics.median(r["wall"] for r in base),
        head_wall=statistics.median(r["wall"] for r in head),
        pairs=pairs,
    )


def workloads_of(repo: Path) -> Any:
    """The module ``benchmarks/workloads.py`` of ``repo``.

    Raises:
        UserError: when ``repo`` has none.
    """
    path = repo / "benchmarks" / "workloads.py"
    try:
        return load_workloads(path)
    except FileNotFoundError:
        raise UserError(f"no benchmark workloads at {path}: run hoh bench compare inside the hoh repository.") from None


def compare(
    repo: Path,
    base: str,
    head: str = WORKTREE,
    *,
    names: Sequence[str] | None = None,
    rounds: int = 8,
    quick: bool = False,
    threshold: float = 0.10,
    threads: int = 0,
    round_seconds: float = 4.0,
    duet: bool = False,
    progress: Any = None,
) -> tuple[list[Result], dict[str, str]]:
    """Run the comparison; returns the results and the workloads skipped (with why).

    Args:
        repo: The repository (its working tree's ``benchmarks/workloads.py`` measures both sides).
        base: BASE revision.
        head: HEAD revision, or ``"."`` for the working tree.
        names: Workloads to run (default: all).
        rounds: Rounds through the workloads; each is one pair or more per workload.
        quick: Small data and few steps (CI).
        threshold: Smallest slowdown that counts (0.10 = 10 %).
        threads: Threads of each side's TensorFlow; 0 (default) leaves TensorFlow its own
            choice, as users run it. One thread was tried to steady CPU time on a busy
            machine; on this project's 2-vCPU machine it did not narrow the intervals (the
            train step's CPU ratio of a revision against itself: [0.62, 2.10] with one
            thread, [0.64, 1.86] with TensorFlow's default, a training job beside), likely
            because the vCPUs share a core with the other job. It also hides changes of
            parallelism.
        round_seconds: Least time a workload's pairs take a round, after the first round
            (from :data:`MIN_PAIRS_PER_ROUND` up to :data:`MAX_PAIRS_PER_ROUND` pairs). On this
            project's 2-vCPU machine with a training job beside it, the train step's CPU ratio
            of a revision against itself had 95 % intervals up to [0.29, 2.11] with 8 pairs of
            0.65 s rounds, and [0.98, 1.04] with 29 pairs.
        duet: Run the two rounds of a pair at the same time rather than one after the other
            (the default): see the module's docstring.
        progress: Called as ``progress(text)`` as the comparison goes.
    """
    workloads_file = repo / "benchmarks" / "workloads.py"
    workloads = workloads_of(repo)
    chosen = list(names or workloads.WORKLOADS)
    unknown = [n for n in chosen if n not in workloads.WORKLOADS]
    if unknown:
        raise UserError(f"unknown workload {unknown[0]!r}; the workloads are: {', '.join(workloads.WORKLOADS)}.")
    say = progress or (lambda text: None)
    data = Path(tempfile.mkdtemp(prefix="hoh-bench-data-"))
    sides: list[Side] = []
    try:
        settings = {**workloads.prepare(data, quick=quick), "worker": str(WORKER)}
        with checked_out(repo, [base, head]) as roots:
            sides = [
                Side("BASE", base, roots[0]),
                Side("HEAD", "working tree" if head == WORKTREE else head, roots[1]),
            ]
            say(f"setting up BASE and HEAD at once: {len(chosen)} workloads with a warm-up round each")
            for side in sides:  # at once: the side set up first read ~1 % slower for the whole compare
                side.start(workloads_file, threads)
                side.ask_nowait({"op": "setup", "names": chosen, "settings": settings})
            for side in sides:
                answer = side.answer()
                side.ready, side.skipped = answer["ready"], answer["skipped"]
            common = [n for n in chosen if all(n in side.ready for side in sides)]
            skipped = {n: why for side in sides for n, why in side.skipped.items()}
            timings: dict[str, dict[str, list[dict[str, Any]]]] = {n: {"BASE": [], "HEAD": []} for n in common}
            pairs = dict.fromkeys(common, CALIBRATION_PAIRS)  # the first round calibrates
            for index in range(rounds):
                say(f"round {index + 1}/{rounds}")
                for position, name in enumerate(common):
                    durations = []
                    for pair in range(pairs[name]):
                        started = time.perf_counter()
                        swap = (index + position + pair) % 2 == 1
                        for side, answer in _pair(sides, name, swap, duet):
                            images = max(1, int(answer["images"]))
                            timings[name][side.label].append(
                                {**answer, "wall": answer["wall"] / images, "cpu": answer["cpu"] / images}
                            )
                        durations.append(time.perf_counter() - started)
                    if index == 0:  # on the quicker pair: one slowed by a burst of load would give too few
                        needed = math.ceil(round_seconds / max(min(durations), 1e-3))
                        pairs[name] = min(MAX_PAIRS_PER_ROUND, max(MIN_PAIRS_PER_ROUND, needed))
            results = [_result(name, timings[name]["BASE"], timings[name]["HEAD"], threshold) for name in common]
            return results, skipped
    except BaseException:  # Ctrl-C, SIGTERM or a failed worker: no round is worth waiting for
        for side in sides:
            side.stop(now=True)
        raise
    finally:
        for side in sides:
            side.stop()
        shutil.rmtree(data, ignore_errors=True)
