"""Scale: tf-data at 1k, 10k and 50k images, against the decode ceiling and Keras' own loader.

Each (folder, loader) is measured in a fresh process (``scale_child.py``): seconds to the
first batch, first-pass, second-pass and steady (later passes) images/s, the first pass's
user and system CPU seconds (system time is what fresh memory costs a loader that keeps what
it decodes), and the process's peak resident memory. ``hoh`` is a first run over the folder;
``hoh-again`` the run after it (file checks and hashes remembered, the on-disk decoded images kept).
``ceiling-kept`` is the decode ceiling keeping what it decodes in memory: what any loader that
keeps its images could do on this machine, where fresh memory may cost more than decoding
(docs/contributing/measurements.md); a first pass far below ``ceiling`` but near
``ceiling-kept`` is the machine's memory, not the pipeline.
Loaders of one folder run one after the other in the same session, their order rotated
between folders. Folders are generated once and kept (``scale_images.py``).

Goals (reported; full mode fails only on the memory one): hoh at least as fast as Keras'
``image_dataset_from_directory`` + ``.cache()`` wherever that one runs; peak memory at the
largest size no more than 2 GB above the smallest; steady images/s at the largest size at
least 0.8 of the smallest; first pass at least 0.8 of the decode ceiling.

    pytest benchmarks/test_scale.py -s          # full: ~25 min the first time (makes 61k images)
    pytest benchmarks/test_scale.py -s --quick  # quick: 256 small JPEGs, ~40 s
    HOH_BENCH_SCALE_SETS=jpg:1000,jpg:50000 pytest benchmarks/test_scale.py -s   # some sets only
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from bench_figures import Session
from scale_images import image_folder

from plugins.pipelines.memory_plan import available_memory

CHILD = Path(__file__).with_name("scale_child.py")
KINDS = ("ceiling", "hoh", "hoh-again", "keras-memory", "keras-disk", "ceiling-kept")
FULL_SETS = [("jpg", 1000), ("jpg", 10000), ("jpg", 50000), ("png", 1000), ("png", 10000)]
#: The memory goal is about the largest set: the 10k sets may be kept in memory by the budget (2.7 GB).
QUICK_SETS = [("jpg", 256)]


def _skip_reason(kind: str, count: int, size: int, scratch: Path) -> str | None:
    """Why a Keras peer cannot run here: its cache holds float32 images (4 bytes a value)."""
    need = count * size * size * 3 * 4
    if kind == "keras-memory" and need > 0.6 * available_memory()[0]:
        return f"its in-memory cache needs {need / 1e9:.0f} GB"
    # At most half the free disk: at 50k (54 GB of 67 GB free) it ran for 10 minutes, failed, and its
    # writes were still being flushed while the next loader was measured (hoh's steady pass: 1,064 img/s, 2,850 alone)
    if kind == "keras-disk" and need > 0.5 * shutil.disk_usage(scratch).free:
        return f"its disk cache needs {need / 1e9:.0f} GB"
    return None


def _measure(kind: str, folder: Path, size: int, batch: int, scratch: Path) -> dict:
    """One loader's row; ``hoh-again``: hoh's second run over the folder (files checked, hashed, decoded before)."""
    cache = scratch / kind
    cache.mkdir(parents=True)
    try:
        for child in ("hoh", "hoh") if kind == "hoh-again" else (kind,):
            done = subprocess.run(
                [sys.executable, str(CHILD), child, str(folder), str(size), str(batch), str(cache)],
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                return {"kind": kind, "error": done.stderr.strip().splitlines()[-1:]}
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    return {**json.loads(done.stdout.strip().splitlines()[-1]), "kind": kind}


def _cpu(row: dict) -> str:
    """The first pass's user + system CPU seconds: the system part is where keeping images costs fresh memory."""
    return f"{row['first_pass_user_s']:.1f}+{row['first_pass_system_s']:.1f}"


def _ratio(row: dict, reference: dict) -> str:
    return f"{row['first_pass_per_s'] / reference['first_pass_per_s']:.2f}"


def _goals(rows: list[dict]) -> list[str]:
    """The goals that were missed, each as one sentence."""
    missed = []
    by = {(r["set"], r["kind"]): r for r in rows if "steady_per_s" in r}
    sets = sorted({r["set"] for r in rows}, key=lambda name: (name.split()[0], int(name.split()[1])))
    for name in sets:
        hoh, ceiling, kept = by.get((name, "hoh")), by.get((name, "ceiling")), by.get((name, "ceiling-kept"))
        if hoh is None:
            missed.append(f"{name}: hoh did not run")
            continue
        for peer in ("keras-memory", "keras-disk"):
            other = by.get((name, peer))
            if other and hoh["steady_per_s"] < other["steady_per_s"]:
                missed.append(f"{name}: steady {hoh['steady_per_s']:.0f}/s below {peer} {other['steady_per_s']:.0f}/s")
        if ceiling and hoh["first_pass_per_s"] < 0.8 * ceiling["first_pass_per_s"]:
            missed.append(
                f"{name}: first pass {hoh['first_pass_per_s']:.0f}/s below 0.8 of the ceiling "
                f"{ceiling['first_pass_per_s']:.0f}/s ({_ratio(hoh, ceiling)}"
                + (f"; {_ratio(hoh, kept)} of decoding and keeping, {kept['first_pass_per_s']:.0f}/s)" if kept else ")")
            )
    return missed


def _memory_goals(rows: list[dict]) -> list[str]:
    """The goals at 50k images missed: peak memory no more than 2 GB above the smallest set's, steady speed."""
    missed = []
    by = {(r["set"], r["kind"]): r for r in rows if "steady_per_s" in r}
    for fmt in ("jpg", "png"):
        runs = sorted((int(n.split()[1]), r) for (n, kind), r in by.items() if kind == "hoh" and n.startswith(fmt))
        if len(runs) >= 2 and runs[-1][0] >= 50000:  # smaller sets may be kept in memory, within the budget
            (small_n, small), (large_n, large) = runs[0], runs[-1]
            if large["peak_rss_gb"] - small["peak_rss_gb"] > 2:
                missed.append(f"{fmt}: peak memory grew {large['peak_rss_gb'] - small['peak_rss_gb']:.2f} GB")
            if large["steady_per_s"] < 0.8 * small["steady_per_s"]:
                missed.append(f"{fmt}: steady at {large_n} images below 0.8 of {small_n}")
    return missed


@pytest.mark.benchmark(group="scale")
def test_scale(benchmark, bench: Session, tmp_path: Path) -> None:
    quick = bench.cfg.quick
    size, batch = (64, 32) if quick else (300, 128)
    rows: list[dict] = []

    def run_all() -> None:
        chosen = os.environ.get("HOH_BENCH_SCALE_SETS", "")  # e.g. "jpg:1000,jpg:50000"
        sets = [(f, int(n)) for f, n in (item.split(":") for item in chosen.split(",") if item)]
        for turn, (fmt, count) in enumerate(sets or (QUICK_SETS if quick else FULL_SETS)):
            folder = image_folder(count, size, fmt, root=tmp_path / "images" if quick else None)
            kinds = KINDS[turn % len(KINDS) :] + KINDS[: turn % len(KINDS)]
            for kind in kinds:
                reason = _skip_reason(kind, count, size, tmp_path)
                row = {"kind": kind, "skipped": reason} if reason else _measure(kind, folder, size, batch, tmp_path)
                rows.append({"set": f"{fmt} {count}", **row})

    benchmark.pedantic(run_all, rounds=1, iterations=1)
    load = os.getloadavg()
    print(f"\nscale benchmark, {size}x{size}, batch {batch}; load average {load[0]:.2f} {load[1]:.2f}")
    heads = f"{'1st batch s':>12}{'1st pass/s':>12}{'user+sys s':>13}{'2nd pass/s':>12}{'steady/s':>10}{'peak GB':>9}"
    print(f"{'set':<11}{'loader':<14}{heads}")
    for r in rows:
        if "steady_per_s" in r:
            print(
                f"{r['set']:<11}{r['kind']:<14}{r['first_batch_s']:>12.1f}{r['first_pass_per_s']:>12.0f}"
                f"{_cpu(r):>13}{r['second_pass_per_s']:>12.0f}{r['steady_per_s']:>10.0f}{r['peak_rss_gb']:>9.2f}"
            )
        else:
            print(f"{r['set']:<11}{r['kind']:<14}  {r.get('skipped') or r.get('error')}")
    speed, memory = _goals(rows), _memory_goals(rows)
    benchmark.extra_info.update({"rows": rows, "missed": speed + memory, "load": load})
    print("speed goals: " + ("all met" if not speed else "; ".join(speed)))
    print("memory goals: " + ("all met" if not memory else "; ".join(memory)))
    assert all("error" not in r for r in rows), [r for r in rows if "error" in r]
    if not quick:  # bounded memory is what hoh promises; the speed goals are reported (issue 22's note)
        assert not [m for m in memory if "memory" in m], memory
