"""``hoh-run`` / ``hoh run``: train and evaluate an experiment."""

from __future__ import annotations

import argparse
from pathlib import Path

from framework.cli.loading import load_from_args
from framework.cli.output import stdout_console
from framework.errors import UserError


def run_command(args: argparse.Namespace) -> int:
    from framework.cli.quiet_tensorflow import import_tensorflow_quietly

    import_tensorflow_quietly(verbose=getattr(args, "debug", False))
    from framework.runner import resume_experiment, run_experiment

    console = stdout_console()
    if args.resume:
        if args.experiment or args.overrides or args.run_dir:
            raise UserError(
                "--resume RUN_DIR takes no experiment file, overrides or --run-dir: the run folder holds them."
            )
        run_dir = Path(args.resume)
        console.print(f"Resuming run [bold]{run_dir}[/]")
        try:
            result = resume_experiment(
                run_dir, console=console, autoload=not args.no_plugin_autoload, offline=args.offline
            )
        except KeyboardInterrupt:
            console.print(f"\nInterrupted. Continue with: hoh-run --resume {run_dir}", soft_wrap=True)
            raise
    else:
        if not args.experiment:
            raise UserError("give an experiment file, e.g. hoh-run experiments/baseline.toml, or --resume RUN_DIR.")
        loaded = load_from_args(args)
        from framework.runner import new_run_dir_for

        run_dir = new_run_dir_for(loaded, Path(args.run_dir) if args.run_dir else None)
        console.print(f"Run folder: [bold]{run_dir}[/]", soft_wrap=True)
        try:
            result = run_experiment(loaded, run_dir=run_dir, console=console, offline=args.offline)
        except KeyboardInterrupt:
            console.print(f"\nInterrupted. Continue with: hoh-run --resume {run_dir}", soft_wrap=True)
            raise
    final = result.history[-1] if result.history else {}
    shown = ", ".join(f"{k} {v:.4f}" for k, v in final.items() if k not in {"epoch", "seconds"})
    console.print(f"Finished {len(result.history)} epochs. {shown}", soft_wrap=True)
    console.print(f"Run folder: [bold]{result.run_dir}[/]", soft_wrap=True)
    return 0
