"""``hoh-run`` / ``hoh run``: train and evaluate an experiment."""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
from pathlib import Path
from typing import NoReturn

from framework.commands import Command
from framework.errors import TrainingFailed, UserError
from framework.rundir import NOT_METRICS
from framework.terminal.arguments import add_plugin_options
from framework.terminal.loading import load_from_args
from framework.terminal.output import print_error, stdout_console
from framework.terminal.signals import Terminated, interrupt_on_sigterm, reraise_if_interrupted


def _exit_now(code: int) -> NoReturn:
    """End the process at once once training has started and failed or was interrupted.

    TensorFlow can deadlock while tearing down an input pipeline whose worker thread is
    waiting for the GIL (``Dataset.from_generator`` behind Keras' prefetch): an
    interrupted run then hangs instead of exiting. Everything hoh writes is complete at
    this point (atomic writes; ``hoh_on_run_error`` hooks have run), so nothing is lost.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def crash_message(error: BaseException, run_dir: Path) -> str:
    """One paragraph for a run that failed on something other than bad input (no traceback)."""
    from framework.run_status import read_status

    recorded = read_status(run_dir).get("status") == "failed"
    status = "its status is failed" if recorded else "its status could not be recorded"
    if isinstance(error, OSError):
        where = f" ({error.filename})" if error.filename else ""
        return (
            f"the run stopped: the disk refused a write or read{where}: {error.strerror or error}; {status}. "
            f"Free some space or pick a writable folder ([experiment] output, --run-dir, HOH_DATA_DIR). "
            f"Run folder: {run_dir}"
        )
    text = str(error).strip().splitlines()[0][:500] if str(error).strip() else ""
    return (
        f"the run failed: {type(error).__name__}: {text}; {status}, and what was recorded is in {run_dir}. "
        "Run again with --debug for the Python traceback."
    )


def run_command(args: argparse.Namespace) -> int:
    from framework.run_checks import check_before_work
    from framework.rundir import check_new_run_dir, resolve_run_dir
    from framework.runner import can_resume, check_resumable, new_run_dir_for, resume_experiment, run_experiment
    from framework.terminal.quiet_tensorflow import import_tensorflow_quietly

    console = stdout_console()
    if args.resume:
        if args.experiment or args.overrides or args.run_dir or args.plugin or args.init_from:
            raise UserError(
                "--resume RUN_DIR takes no experiment file, overrides, --plugin, --init-from or --run-dir: the run "
                "folder's experiment.toml holds them."
            )
        run_dir = resolve_run_dir(Path(args.resume))  # runs/quick/latest: the newest run of runs/quick
        check_resumable(run_dir)  # before TensorFlow is imported, and before saying "Resuming"
        console.print(f"Resuming run [bold]{run_dir}[/]", soft_wrap=True)
        import_tensorflow_quietly(verbose=getattr(args, "debug", False))
        train = functools.partial(
            resume_experiment,
            run_dir,
            console=console,
            autoload=not args.no_plugin_autoload,
            offline=args.offline,
            allow_inexact=args.allow_inexact,
        )
        resumable = True
    elif args.extend:
        train, run_dir = _extend(args, console)
        resumable = True
    else:
        if not args.experiment:
            raise UserError("give an experiment file, e.g. hoh-run experiments/baseline.toml, or --resume RUN_DIR.")
        if args.init_from:
            args.overrides = [*(args.overrides or []), f"training.init_from={json.dumps(args.init_from)}"]
        loaded = load_from_args(args)  # validate before the slow TensorFlow import
        check_before_work(loaded)  # as hoh validate does; before a run folder is made
        if args.run_dir:
            check_new_run_dir(Path(args.run_dir))
        import_tensorflow_quietly(verbose=getattr(args, "debug", False))
        run_dir = new_run_dir_for(loaded, Path(args.run_dir) if args.run_dir else None)
        console.print(f"Run folder: [bold]{run_dir}[/]", soft_wrap=True)
        train = functools.partial(run_experiment, loaded, run_dir=run_dir, console=console, offline=args.offline)
        resumable = can_resume(loaded)
    interrupt_on_sigterm()
    try:
        try:
            result = train()
        except Exception as error:  # Ctrl-C or SIGTERM arriving as another error (in an import): an interrupt
            reraise_if_interrupted(error)
            raise
    except KeyboardInterrupt as error:
        hint = f"continue with: hoh-run --resume {run_dir}" if resumable else f"what was recorded is in {run_dir}"
        what = "Terminated (SIGTERM)" if isinstance(error, Terminated) else "Interrupted"
        console.print(f"\n{what}; {hint}", soft_wrap=True)
        _exit_now(130)
    except TrainingFailed as error:  # raised inside fit: exit at once, as for other mid-training failures
        print_error(f"{error} Run folder: {run_dir}")
        _exit_now(error.exit_code)
    except UserError:
        raise  # found before or while setting up training: a plain exit is safe
    except Exception as error:
        if getattr(args, "debug", False):
            raise
        print_error(crash_message(error, run_dir))
        _exit_now(1)
    final = result.history[-1] if result.history else {}
    shown = ", ".join(f"{k} {v:.4f}" for k, v in final.items() if k not in NOT_METRICS)
    epochs = len(result.history)
    console.print(f"Finished {epochs} epoch{'' if epochs == 1 else 's'}. Last epoch: {shown}", soft_wrap=True)
    if result.evaluation:  # what evaluation.json holds: the kept model on the validation flow
        scores = ", ".join(f"{k} {v:.4f}" for k, v in result.evaluation.items())
        kept = "the best epoch's weights" if result.kept == "best" else "the last epoch's weights"
        console.print(f"Evaluation of model.keras ({kept}) on {result.evaluated_on}: {scores}", soft_wrap=True)
    console.print(f"Run folder: [bold]{result.run_dir}[/]", soft_wrap=True)
    return 0


def _extend(args: argparse.Namespace, console) -> tuple[functools.partial, Path]:
    """``--extend RUN [overrides]``: checked and loaded before TensorFlow, then the new run folder is made."""
    from framework.extend import extend_run, load_extension, prepare_extension
    from framework.rundir import check_new_run_dir, resolve_run_dir
    from framework.terminal.quiet_tensorflow import import_tensorflow_quietly

    overrides = [*([args.experiment] if args.experiment else []), *(args.overrides or [])]
    if args.resume or args.init_from or args.plugin or any("=" not in item for item in overrides):
        raise UserError(
            "--extend RUN takes overrides only (e.g. hoh-run --extend runs/fast/latest training.epochs=25): no "
            "experiment file, --resume, --init-from or --plugin; the run folder's experiment.toml holds them."
        )
    source = resolve_run_dir(Path(args.extend))
    loaded = load_extension(source, overrides, autoload=not args.no_plugin_autoload)
    if args.run_dir:
        check_new_run_dir(Path(args.run_dir))
    import_tensorflow_quietly(verbose=getattr(args, "debug", False))
    new = prepare_extension(source, loaded, overrides, Path(args.run_dir) if args.run_dir else None, console)
    return functools.partial(extend_run, new, source, loaded, console=console, offline=args.offline), new


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``hoh run`` and ``hoh-run``."""
    parser.add_argument("experiment", nargs="?", help="experiment file (.toml)")
    parser.add_argument(
        "overrides",
        nargs="*",
        help="overrides as dotted.key=value, e.g. training.epochs=3 optimizer.learning_rate=1e-4",
    )
    parser.add_argument("--run-dir", metavar="DIR", help="run folder to create (must not exist)")
    parser.add_argument(
        "--resume",
        metavar="RUN_DIR",
        help="continue an interrupted run from its last finished epoch (runs/NAME/latest: the newest run of runs/NAME)",
    )
    parser.add_argument(
        "--extend",
        metavar="RUN_DIR",
        help="train a finished run for more epochs, in a new run folder that starts from its records and "
        "training state: hoh-run --extend RUN training.epochs=N (the run itself is not changed)",
    )
    parser.add_argument(
        "--allow-inexact",
        action="store_true",
        help="with --resume: continue a run trained on several devices, whose resumed epochs may see the "
        "training images in another order than an uninterrupted run would",
    )
    parser.add_argument("--offline", action="store_true", help="never touch the network (use cached datasets)")
    parser.add_argument(
        "--init-from",
        metavar="RUN",
        help="warm start: the model starts from this finished run's weights (same as the override "
        "training.init_from=RUN; recorded in the new run)",
    )
    add_plugin_options(parser)


COMMAND = Command(
    "run",
    "train and evaluate an experiment (same as hoh-run)",
    add_run_arguments,
    run_command,
    description="Train and evaluate an experiment file; each run writes a new run folder.",
    epilog="Example: hoh-run experiments/baseline.toml training.epochs=3",
    intermixed=True,
)
