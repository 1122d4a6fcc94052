"""The sub-commands of ``hoh`` that work on finished runs and on many runs, and the tools."""

from __future__ import annotations

import argparse

from framework.cli.arguments import (
    add_checkpoint_option,
    add_common,
    add_format_option,
    add_plugin_options,
    at_least,
    lazy,
)


def add_after_training_commands(sub: argparse._SubParsersAction) -> None:
    """``predict``, ``evaluate``, ``export``, ``runs``, ``compare``, ``bench compare`` and ``completion``."""
    predict = sub.add_parser("predict", help="classify images with a trained model")
    predict.add_argument(
        "model", help="a run folder (runs/NAME/latest: the newest run of runs/NAME), or a .keras file inside one"
    )
    predict.add_argument("images", nargs="+", help="image files or folders of images")
    predict.add_argument("--json", action="store_true", help="print JSON instead of a table")
    add_checkpoint_option(predict)
    add_plugin_options(predict)
    add_common(predict)
    predict.set_defaults(handler=lazy("framework.cli.predict_command", "predict_command"))

    evaluate = sub.add_parser(
        "evaluate",
        help="report how a trained model is right and wrong: metrics, curves, mistakes (HTML + PNG + JSON)",
        description="Evaluate a run's model on its validation set, or on a labelled FOLDER (one sub-folder per "
        "class), and write RUN/evaluation/: metrics.json, PNG pictures and a self-contained report.html.",
    )
    evaluate.add_argument("run", help="a finished run folder (runs/NAME/latest: the newest run of runs/NAME)")
    evaluate.add_argument(
        "folder", nargs="?", help="labelled images, one sub-folder per class (default: the run's validation set)"
    )
    evaluate.add_argument(
        "--output", "-o", metavar="DIR", help="report folder (default: RUN/evaluation[-CHECKPOINT][-FOLDER])"
    )
    add_checkpoint_option(evaluate)
    add_plugin_options(evaluate)
    add_common(evaluate)
    evaluate.set_defaults(handler=lazy("framework.evaluation.command", "evaluate_command"))

    export = sub.add_parser(
        "export",
        help="export a run's model as a SavedModel, ONNX or TFLite file, verified against Keras",
        description="Export a run's model with its rescaling built in, check the exported file's outputs against "
        "the Keras model on validation images, and write it with a signature.json that says what input it takes.",
    )
    export.add_argument("run", help="a finished run folder (runs/NAME/latest: the newest run of runs/NAME)")
    export.add_argument(
        "--format", "-f", required=True, choices=["saved_model", "onnx", "tflite"], help="export format"
    )
    export.add_argument(
        "--output", "-o", metavar="DIR", help="export folder (default: RUN/export/FORMAT); must not exist"
    )
    export.add_argument("--force", action="store_true", help="replace the export folder when it exists")
    export.add_argument("--images", metavar="FOLDER", help="images to verify with (default: the run's validation set)")
    add_checkpoint_option(export)
    add_plugin_options(export)
    add_common(export)
    export.set_defaults(handler=lazy("framework.export.command", "export_command"))

    runs = sub.add_parser(
        "runs",
        help="list the runs under a folder: status, time, the settings that differ, last and best metrics",
        epilog="Examples: hoh runs; hoh runs runs/quick --where 'optimizer.learning_rate<1e-3' "
        "--sort=-best.val_accuracy; hoh runs --format csv > runs.csv",
    )
    runs.add_argument("folder", nargs="?", default="runs", help="folder to look in, at any depth (default: runs)")
    runs.add_argument(
        "--where",
        action="append",
        metavar="KEY OP VALUE",
        help="keep runs where a setting or metric compares so, e.g. optimizer.learning_rate<1e-3, status=finished, "
        "best.val_accuracy>=0.9 (a bare metric is the last epoch's); repeatable",
    )
    runs.add_argument(
        "--sort", metavar="KEY", help="sort by a setting or metric; --sort=-KEY for descending (highest first)"
    )
    runs.add_argument(
        "--all", action="store_true", help="also list runs that failed before their first epoch (hidden by default)"
    )
    runs.add_argument(
        "--columns",
        metavar="KEY,KEY",
        help="the table's columns after the run, e.g. status,optimizer.learning_rate,val_accuracy (default: the "
        "status, the main metrics and the settings that differ, as many as fit the terminal)",
    )
    add_format_option(runs, ["table", "json", "csv"])
    add_common(runs)
    runs.set_defaults(handler=lazy("framework.runs.command", "runs_command"))

    compare_runs = sub.add_parser(
        "compare",
        help="compare runs: the settings that differ, metrics side by side, learning curves in one picture",
        epilog="Examples: hoh compare runs/quick/20261125T101010Z runs/quick/20261125T111111Z; "
        "hoh compare runs/sweeps/sweep-lr (every trial of a sweep)",
    )
    compare_runs.add_argument("runs", nargs="+", help="run folders, or folders holding runs (a sweep's, say)")
    compare_runs.add_argument(
        "--output", metavar="PNG", help="where the picture goes (default: comparison.png in the runs' common folder)"
    )
    compare_runs.add_argument("--no-picture", action="store_true", help="tables only")
    add_format_option(compare_runs)
    add_common(compare_runs)
    compare_runs.set_defaults(handler=lazy("framework.runs.compare", "compare_command"))

    bench = sub.add_parser("bench", help="compare the speed of two revisions of hoh (in a git checkout)")
    bench_sub = bench.add_subparsers(dest="bench_command", metavar="COMMAND", required=True)
    compare = bench_sub.add_parser(
        "compare",
        help="run both revisions' workloads interleaved on this machine and compare them",
        description="Check BASE out into a git worktree, run its workloads and HEAD's in two processes, in "
        "alternating rounds, and report per workload the ratio HEAD/BASE of wall and CPU time per image with a "
        "95% bootstrap interval of the median of paired ratios. Exit 1 when a workload is significantly slower "
        "by more than the threshold.",
        epilog="Example: hoh bench compare HEAD~1 (the last commit against the working tree)",
    )
    compare.add_argument("base", help="BASE revision: a branch, tag, commit or HEAD~N")
    compare.add_argument("head", nargs="?", default=".", help="HEAD revision (default: the working tree, '.')")
    compare.add_argument(
        "--rounds",
        type=at_least(5),
        default=8,
        help="rounds through the workloads (default 8); a short workload runs several BASE/HEAD pairs a round, "
        "at least 4 s of them",
    )
    compare.add_argument(
        "--metric",
        choices=["cpu", "wall"],
        default="cpu",
        help="which time decides (default cpu: it moves much less with other jobs on the machine; wall also "
        "sees waiting, e.g. a slower disk or a sleep)",
    )
    compare.add_argument("--threshold", type=float, default=10.0, help="slowdown that counts, in %% (default 10)")
    compare.add_argument(
        "--threads",
        type=int,
        default=0,
        help="TensorFlow threads of each side (default 0: TensorFlow's own choice, as users run it)",
    )
    compare.add_argument("--quick", action="store_true", help="small images and few steps (what CI uses)")
    compare.add_argument("--only", action="append", metavar="WORKLOAD", help="run only this workload; repeatable")
    compare.add_argument("--ci", action="store_true", help="CI's small set of workloads")
    compare.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    add_common(compare)
    compare.set_defaults(handler=lazy("framework.bench.command", "compare_command"))

    completion = sub.add_parser(
        "completion",
        help="print a shell completion script",
        description="Print a completion script for hoh's commands and options. Bash: "
        "hoh completion bash > ~/.local/share/bash-completion/completions/hoh; "
        "zsh: hoh completion zsh > ~/.zfunc/_hoh (with ~/.zfunc on fpath).",
    )
    completion.add_argument("shell", choices=["bash", "zsh", "tcsh"], help="the shell")
    add_common(completion)
    completion.set_defaults(handler=lazy("framework.cli.completion", "completion_command"))
