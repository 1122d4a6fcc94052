"""One side of ``hoh bench compare``: runs workload rounds for one revision, on request.

Started as a *script* (``python .../worker.py ROOT WORKLOADS``), never imported as
``framework.bench.worker``: the revision under test (``ROOT``, first on ``PYTHONPATH``) may
not have this module. It imports only the standard library until the workloads file is
loaded; the workloads import the revision's ``framework`` and ``plugins``.

Protocol, one JSON object per line: the coordinator writes requests to standard input;
the worker answers on standard output with lines starting with :data:`PREFIX` (other
output, e.g. from TensorFlow, is ignored)::

    {"op": "setup", "names": [...], "settings": {...}}  ->  {"ready": [...], "skipped": {...}}
    {"op": "round", "name": "..."}                      ->  {"images": n, "wall": s, "cpu": s, "granted": share,
                                                             "started": epoch s}
    {"op": "exit"}
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.metadata
import importlib.util
import json
import os
import sys
import time
import tomllib
import traceback
from pathlib import Path
from typing import Any

PREFIX = "@@hoh-bench "


def _send(message: dict[str, Any]) -> None:
    sys.stdout.write(PREFIX + json.dumps(message) + "\n")
    sys.stdout.flush()


def _use_revision_entry_points(root: Path) -> None:
    """Make ``hoh.builtins`` the revision's own entry points, and ``hoh.plugins`` empty.

    The installed distribution's metadata describes the working tree, whose built-in
    plugins the revision may not have (or name differently). Third-party plugins are left
    out so that both sides measure the same code. Deliberately a patch of
    ``importlib.metadata.entry_points`` in this measuring process only: the alternative, a
    virtual environment per revision, costs minutes of installing TensorFlow.
    """
    table = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    declared = table.get("project", {}).get("entry-points", {}).get("hoh.builtins", {})
    builtins = [importlib.metadata.EntryPoint(name, value, "hoh.builtins") for name, value in declared.items()]
    original = importlib.metadata.entry_points

    def entry_points(**selection: Any) -> Any:
        group = selection.get("group")
        if group == "hoh.builtins":
            return importlib.metadata.EntryPoints(builtins)
        if group == "hoh.plugins":
            return importlib.metadata.EntryPoints([])
        return original(**selection)

    importlib.metadata.entry_points = entry_points  # type: ignore[assignment]


def load_workloads(path: Path) -> Any:
    """Import the workloads file by its path (the coordinator and the workers both use it).

    Raises:
        FileNotFoundError: when there is no such file.
    """
    spec = importlib.util.spec_from_file_location("hoh_bench_workloads", path)
    if spec is None or spec.loader is None or not path.is_file():
        raise FileNotFoundError(path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _cpu_seconds() -> float:
    """CPU time of this process (all threads; ns resolution) and of its finished children (start-up workloads)."""
    times = os.times()
    return time.process_time() + times.children_user + times.children_system


def _thread_schedstats() -> dict[str, tuple[int, int]]:
    """Per live thread of this process: nanoseconds on a CPU and waiting for one (runnable, not running).

    Linux's ``/proc/self/task/TID/schedstat``; empty where there is none (other systems).
    """
    found = {}
    with contextlib.suppress(OSError):
        for task in os.scandir("/proc/self/task"):
            with contextlib.suppress(OSError, ValueError):
                with open(f"/proc/self/task/{task.name}/schedstat") as stats:
                    on_cpu, waiting = stats.read().split()[:2]
                found[task.name] = (int(on_cpu), int(waiting))
    return found


def granted_share(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]) -> float:
    """The share of the CPU time its threads asked for that the process got between two snapshots.

    1.0 on a machine to itself; 0.5 when its threads spent as long waiting for a CPU (other
    programs' threads ran) as running. Threads that ended in between are not counted (their
    figures are gone), threads started in between count from zero. 1.0 without figures.
    """
    on_cpu = waiting = 0
    for thread, (cpu_after, wait_after) in after.items():
        cpu_before, wait_before = before.get(thread, (0, 0))
        on_cpu, waiting = on_cpu + cpu_after - cpu_before, waiting + wait_after - wait_before
    return on_cpu / (on_cpu + waiting) if on_cpu > 0 and waiting >= 0 else 1.0


def _cli(argv: list[str]) -> int:
    """``worker.py --cli ROOT hoh|hoh-run ARGS...``: the revision's command line, for start-up workloads."""
    root, command, arguments = Path(argv[0]).resolve(), argv[1], argv[2:]
    sys.path.insert(0, str(root))
    _use_revision_entry_points(root)
    # The revision's command line, found by name on the revision's sys.path: another revision's
    # code, not this module's dependency (whatever layer it has there)
    entry = importlib.import_module("framework.cli.main")
    return (entry.run_main if command == "hoh-run" else entry.main)(arguments)


def main(argv: list[str]) -> int:
    if argv and argv[0] == "--cli":
        return _cli(argv[1:])
    root, workloads_file = Path(argv[0]).resolve(), Path(argv[1]).resolve()
    sys.path.insert(0, str(root))
    os.chdir(root)
    _use_revision_entry_points(root)
    workloads = load_workloads(workloads_file)
    rounds: dict[str, Any] = {}
    for line in sys.stdin:
        request = json.loads(line)
        try:
            if request["op"] == "setup":
                skipped = {}
                for name in request["names"]:
                    try:
                        rounds[name] = workloads.setup(name, root, request["settings"])
                        rounds[name]()  # warm-up round: tracing, caches, imports
                    except Exception as error:  # the revision lacks what the workload needs
                        skipped[name] = f"{type(error).__name__}: {str(error)[:300]}"
                _send({"ready": sorted(rounds), "skipped": skipped})
            elif request["op"] == "round":
                schedstats = _thread_schedstats()
                started, wall, cpu = time.time(), time.perf_counter(), _cpu_seconds()
                images = rounds[request["name"]]()
                wall, cpu = time.perf_counter() - wall, _cpu_seconds() - cpu
                granted = granted_share(schedstats, _thread_schedstats())
                _send({"images": images, "wall": wall, "cpu": cpu, "granted": granted, "started": started})
            elif request["op"] == "exit":
                return 0
        except Exception as error:
            _send({"error": f"{type(error).__name__}: {error}", "traceback": traceback.format_exc()[-3000:]})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
