"""``hoh sweep SWEEP.toml``: check the file, create the study, start workers, show the trials.

The coordinating process never trains: it starts ``--workers`` worker processes (each
``hoh sweep SWEEP.toml --worker``), shows a live table of the trials, redraws the pictures
as trials finish, and waits. Running the command again continues the sweep to its trial
count; on another machine, the same command with a shared ``postgresql://`` storage adds
workers to the same sweep.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.live import Live

from framework.api import EnvironmentProblem, UserError, interrupt_on_sigterm
from plugins.sweeps.display import summary, trial_table

POLL_SECONDS = 2.0
ORPHAN_POLL_SECONDS = 2.0
STOP_WAIT_SECONDS = 60.0
"""How long a stopped worker may take to record its trial and exit before it is killed."""
STORAGE_GRACE_SECONDS = 15.0
"""When the storage stops answering: how long the workers may take to stop on their own before SIGTERM."""
COORDINATOR = "HOH_SWEEP_COORDINATOR"
"""Set for the workers a coordinator starts: its process id."""
INHERITED_STORAGE = "HOH_SWEEP_WORKER_STORAGE"
"""The coordinator's ``--storage``, for its workers (kept off their command lines)."""


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sweep", type=Path, help="a sweep file (see experiments/sweep-lr.toml)")
    parser.add_argument("--workers", type=int, default=1, help="worker processes on this machine (default 1)")
    parser.add_argument(
        "--storage",
        help="Optuna storage URL, e.g. postgresql://user:pw@host/db "
        "(default: the file's storage, $HOH_SWEEP_STORAGE, or a journal file in the sweep's folder)",
    )
    parser.add_argument("--worker", action="store_true", help="run trials in this process (what --workers starts)")
    parser.add_argument(
        "--status",
        action="store_true",
        help="show every trial in the sweep's storage (all machines') once, and start nothing",
    )


def _require_optuna() -> None:
    try:
        import optuna  # noqa: F401
    except ModuleNotFoundError:
        raise EnvironmentProblem(
            'hoh sweep needs Optuna, which is not installed: pip install -e ".[sweep]" '
            '(or pip install "hoh-experiments[sweep]").'
        ) from None


def run(args: argparse.Namespace) -> int:
    _require_optuna()
    import optuna

    from plugins.sweeps.records import check_records_match_study, mark_dead, trial_folder
    from plugins.sweeps.spec import load_sweep
    from plugins.sweeps.storage import (
        fail_dead_trials,
        is_database,
        open_storage,
        repair_journal,
        storage_url,
        trial_slot,
    )
    from plugins.sweeps.trials import open_study, work

    if args.workers < 1:
        raise UserError(f"--workers {args.workers}: give 1 or more worker processes.")
    interrupt_on_sigterm()  # schedulers and `kill`: as Ctrl-C (the trial is failed, exit 130)
    storage = args.storage or (os.environ.get(INHERITED_STORAGE) if args.worker else None)
    sweep = load_sweep(args.sweep, storage=storage)
    url = storage_url(sweep.settings.storage, sweep.folder())
    if args.worker:
        # Ctrl-C reaches a worker twice (from the terminal, then SIGTERM from the coordinator):
        # only the first stops it, so that the second cannot cut short recording the failed trial.
        signal.signal(signal.SIGINT, _interrupted_once)
        signal.signal(signal.SIGTERM, _interrupted_once)
        _stop_when_orphaned()
        optuna.logging.set_verbosity(optuna.logging.INFO)
        log = Console(highlight=False)
        with _storage_failures(url, "this worker stopped"):
            work(sweep, url, log)
        return 0
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    console = Console(highlight=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = 160  # a log or a pipe: rich's 80 columns would squeeze the table's columns away
    if args.status:
        return _status(sweep, url, console)
    if not is_database(url) and Path(url).is_file():
        with trial_slot(None, url, sweep.name):  # no worker of this sweep appends meanwhile
            repaired = repair_journal(Path(url))
        if repaired:
            console.print(f"[yellow]repaired[/]: {repaired}", soft_wrap=True)
    storage = open_storage(url)
    study = open_study(sweep, storage, create=True)
    check_records_match_study(study, sweep, url)  # before any worker: a lost journal must not meet old trials
    folder = sweep.folder()
    console.print(
        f"sweep [bold]{sweep.name}[/]: {sweep.settings.trials} trials of {sweep.base}, "
        f"{sweep.settings.method} sampler, {sweep.settings.pruner} pruner"
    )
    console.print(f"  folder  {folder}\n  storage {_shown(url)}")
    workers = _start_workers(args, folder)
    try:
        with _storage_failures(url, "its workers were stopped"):
            _watch(study, sweep, workers, console)
    except EnvironmentProblem:
        if not console.is_terminal:
            console.line()  # the live table's last line ends without one in a log: the message starts afresh
        _stop(workers, grace=STORAGE_GRACE_SECONDS)  # they meet the same storage: let them end on their own first
        raise
    except KeyboardInterrupt:
        if _stop(workers):  # a worker that had to be killed could not record its trial: do it for it
            with contextlib.suppress(Exception):
                for number in fail_dead_trials(study, storage):
                    mark_dead(folder, number, "interrupted")
                    _mark_interrupted(trial_folder(folder, number))
        console.print("[yellow]interrupted[/]: run the same command again to continue the sweep.")
        return 130
    with _storage_failures(url, "the sweep's trials are as they were"):
        return summary(study, sweep, workers, console)


def _status(sweep: Any, url: str, console: Console) -> int:
    """``--status``: the trials of every machine, from the shared study; nothing is started or changed."""
    import optuna

    from plugins.sweeps.storage import is_database, open_storage, shown_url

    if not is_database(url) and not Path(url).is_file():
        raise UserError(f"sweep {sweep.name!r} has not started: there is no journal at {url}.")
    with _storage_failures(url, "nothing was shown"):
        try:
            study = optuna.load_study(study_name=sweep.name, storage=open_storage(url))
        except KeyError:
            raise UserError(
                f"sweep {sweep.name!r} has not started: its storage {shown_url(url)} has no such study."
            ) from None
        console.print(trial_table(study, sweep, last=None))
        states = [t.state.name for t in study.get_trials(deepcopy=False)]
        counts = ", ".join(f"{states.count(state)} {state.lower()}" for state in sorted(set(states)))
        console.print(f"storage {shown_url(url)}: {len(states)} trials ({counts or 'none yet'})")
    return 0


def _mark_interrupted(run_dir: Path) -> None:
    """The run of a worker killed after it was asked to stop: interrupted, as it would have said itself."""
    from framework.api import mark_ended

    status = run_dir / "status.json"
    with contextlib.suppress(OSError, ValueError):
        if json.loads(status.read_text(encoding="utf-8")).get("status") == "running":
            mark_ended(
                run_dir, "interrupted", f"stopped by SIGTERM; its worker was killed after {STOP_WAIT_SECONDS:.0f} s"
            )


def _stop(workers: list[subprocess.Popen], grace: float = 0.0) -> bool:
    """SIGTERM every worker still running after ``grace`` seconds (each fails and records its trial), then wait.

    Returns whether a worker had to be killed (SIGKILL) after :data:`STOP_WAIT_SECONDS`.
    """
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(worker.poll() is None for worker in workers):
        time.sleep(0.2)
    for worker in workers:
        if worker.poll() is not None:
            continue
        with contextlib.suppress(ProcessLookupError):
            # SIGTERM, not SIGINT: a sweep started in the background of a script inherits
            # SIGINT ignored, and its workers would train on; they handle SIGTERM as Ctrl-C.
            worker.send_signal(signal.SIGTERM)
    killed = False
    for worker in workers:
        try:
            worker.wait(timeout=STOP_WAIT_SECONDS)
        except subprocess.TimeoutExpired:
            worker.kill()  # its trial reads RUNNING with a dead worker: failed by the caller or the next sweep
            worker.wait()
            killed = True
    return killed


@contextlib.contextmanager
def _storage_failures(url: str, consequence: str) -> Iterator[None]:
    """The study's storage stopped answering (a database stopped mid-sweep): a message and exit 1, no traceback."""
    import optuna
    import sqlalchemy.exc

    from plugins.sweeps.storage import shown_url

    failures = (optuna.exceptions.StorageInternalError, sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError)
    try:
        yield
    except failures as error:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # leaving now: a stop signal must not cut the exit short
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        first = str(error).strip().splitlines()[0][:300] if str(error).strip() else type(error).__name__
        raise EnvironmentProblem(
            f"the sweep's storage {shown_url(url)} stopped answering ({first}); {consequence}. Run the same "
            "command again once it is back: the sweep continues, and an interrupted trial is trained again."
        ) from None


def _stop_when_orphaned() -> None:
    """A worker its coordinator started stops (as on Ctrl-C: its trial is failed and recorded) when the
    coordinator is gone, killed or crashed, instead of training on as an orphan."""
    coordinator = os.environ.get(COORDINATOR)
    if not coordinator or not coordinator.isdigit() or os.getppid() != int(coordinator):
        return  # started by hand (another machine): nobody to outlive

    def watch() -> None:
        while os.getppid() == int(coordinator):
            time.sleep(ORPHAN_POLL_SECONDS)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="hoh-sweep-orphan-watch", daemon=True).start()


def _interrupted_once(signum: int, frame: Any) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt(f"stopped by {signal.Signals(signum).name}")


def _shown(url: str) -> str:
    from plugins.sweeps.storage import shown_url

    return shown_url(url)


def _start_workers(args: argparse.Namespace, folder: Path) -> list[subprocess.Popen]:
    logs = folder / "workers"
    logs.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "framework.cli.main", "sweep", str(args.sweep), "--worker"]
    # --storage goes to the workers in their environment, not on their command line: a database
    # URL's password would show in every user's `ps`
    env = {**os.environ, COORDINATOR: str(os.getpid())}
    if args.storage:
        env[INHERITED_STORAGE] = args.storage
    workers = []
    for index in range(args.workers):
        log = open(logs / f"worker-{os.getpid()}-{index}.log", "ab")  # noqa: SIM115 (closed when the child ends)
        workers.append(
            subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
        )
        log.close()
    return workers


def _watch(study: Any, sweep: Any, workers: list[subprocess.Popen], console: Console) -> None:
    from plugins.sweeps.pictures import draw

    drawn_for = -1
    with Live(trial_table(study, sweep), console=console, refresh_per_second=1, transient=False) as live:
        while True:
            running = [w.poll() for w in workers].count(None) > 0  # poll() each: reaps a killed one
            finished = sum(t.state.is_finished() for t in study.get_trials(deepcopy=False))
            if finished != drawn_for:
                draw(study, sweep.folder(), [objective.metric for objective in sweep.objectives])
                drawn_for = finished
            live.update(trial_table(study, sweep))
            if not running:
                return
            time.sleep(POLL_SECONDS)
