"""Entry points of ``hoh`` and ``hoh-run``.

Only argparse is imported at start-up; each command imports what it needs, so
``--help``, ``hoh plugins``, ``hoh validate`` and ``hoh schema`` never load TensorFlow.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from framework.cli.plugin_commands import OfferedCommand

Handler = Callable[[argparse.Namespace], int]


def _add_plugin_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--plugin",
        action="append",
        default=[],
        metavar="MODULE",
        help="load a plugin module (dotted name or .py file); repeatable",
    )
    parser.add_argument(
        "--no-plugin-autoload",
        action="store_true",
        help="do not load plugins from installed packages' entry points (or set HOH_DISABLE_PLUGIN_AUTOLOAD=1)",
    )


def _version() -> str:
    import importlib.metadata

    try:
        return importlib.metadata.version("hoh-experiments")
    except importlib.metadata.PackageNotFoundError:  # running from a source tree that is not installed
        return "unknown"


class _VersionAction(argparse.Action):
    """``--version``, looked up only when asked for (reading package metadata costs ~0.1 s at every start)."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help="show the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        print(f"{parser.prog} {_version()}")
        parser.exit()


def _add_version(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--version", action=_VersionAction)


def _add_common(parser: argparse.ArgumentParser) -> None:
    # SUPPRESS: a sub-command's own default must not reset ``hoh --debug COMMAND`` (see _dispatch).
    parser.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="show Python tracebacks for errors"
    )


def _add_run_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("experiment", nargs="?", help="experiment file (.toml)")
    parser.add_argument(
        "overrides",
        nargs="*",
        help="overrides as dotted.key=value, e.g. training.epochs=3 optimizer.learning_rate=1e-4",
    )
    parser.add_argument("--run-dir", metavar="DIR", help="run folder to create (must not exist)")
    parser.add_argument("--resume", metavar="RUN_DIR", help="continue an interrupted run from its last finished epoch")
    parser.add_argument(
        "--allow-inexact",
        action="store_true",
        help="with --resume: continue a run trained on several devices, whose resumed epochs may see the "
        "training images in another order than an uninterrupted run would",
    )
    parser.add_argument("--offline", action="store_true", help="never touch the network (use cached datasets)")
    _add_plugin_options(parser)
    _add_common(parser)


def _run(args: argparse.Namespace) -> int:
    from framework.cli.run_command import run_command

    return run_command(args)


BUILTIN_COMMANDS = {"run", "validate", "schema", "plugins", "data", "preview", "predict", "evaluate", "export"}
BUILTIN_COMMANDS |= {"completion", "bench", "runs"}


def build_parser(plugin_commands: Sequence[OfferedCommand] = ()) -> argparse.ArgumentParser:
    """The ``hoh`` parser with all built-in sub-commands and ``plugin_commands``."""
    parser = argparse.ArgumentParser(
        prog="hoh", description="Plugin-based image-classification experiments on TensorFlow/Keras."
    )
    _add_version(parser)
    _add_common(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = sub.add_parser("run", help="train and evaluate an experiment (same as hoh-run)")
    _add_run_arguments(run)
    run.set_defaults(handler=_run)

    _add_validate_arguments(sub.add_parser("validate", help=VALIDATE_HELP))

    schema = sub.add_parser("schema", help="print the JSON Schema of experiment files")
    schema.add_argument("--experiment", metavar="FILE", help="also include the plugins this file names")
    schema.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of standard output")
    _add_plugin_options(schema)
    _add_common(schema)
    schema.set_defaults(handler=_lazy("framework.cli.inspect_commands", "schema_command"))

    plugins = sub.add_parser("plugins", help="list plugins and the providers they offer")
    plugins.add_argument("--experiment", metavar="FILE", help="also include the plugins this file names")
    _add_format_option(plugins)
    _add_plugin_options(plugins)
    _add_common(plugins)
    plugins.set_defaults(handler=_lazy("framework.cli.inspect_commands", "plugins_command"))

    data = sub.add_parser("data", help="look at an experiment's dataset")
    data_sub = data.add_subparsers(dest="data_command", metavar="COMMAND", required=True)
    info = data_sub.add_parser("info", help="counts per class and the first file names of each class")
    info.add_argument("experiment", help="experiment file (.toml)")
    info.add_argument("--first", type=_count, default=5, help="how many file names to show per class (default 5)")
    info.add_argument("--offline", action="store_true", help="never touch the network")
    _add_plugin_options(info)
    _add_common(info)
    info.set_defaults(handler=_lazy("framework.cli.data_commands", "info_command"))

    preview = sub.add_parser("preview", help="write a PNG grid of training images, per class")
    preview.add_argument("experiment", help="experiment file (.toml)")
    preview.add_argument("--output", "-o", default="preview.png", metavar="PNG", help="picture to write")
    preview.add_argument("--per-class", type=_positive, default=8, help="images per class (default 8)")
    preview.add_argument("--seed", type=int, default=None, help="pick images at random with this seed")
    preview.add_argument("--offline", action="store_true", help="never touch the network")
    _add_plugin_options(preview)
    _add_common(preview)
    preview.set_defaults(handler=_lazy("framework.cli.data_commands", "preview_command"))

    predict = sub.add_parser("predict", help="classify images with a trained model")
    predict.add_argument("model", help="a run folder, or a .keras file inside one")
    predict.add_argument("images", nargs="+", help="image files or folders of images")
    predict.add_argument("--json", action="store_true", help="print JSON instead of a table")
    _add_checkpoint_option(predict)
    _add_plugin_options(predict)
    _add_common(predict)
    predict.set_defaults(handler=_lazy("framework.cli.predict_command", "predict_command"))

    evaluate = sub.add_parser(
        "evaluate",
        help="report how a trained model is right and wrong: metrics, curves, mistakes (HTML + PNG + JSON)",
        description="Evaluate a run's model on its validation set, or on a labelled FOLDER (one sub-folder per "
        "class), and write RUN/evaluation/: metrics.json, PNG pictures and a self-contained report.html.",
    )
    evaluate.add_argument("run", help="a finished run folder")
    evaluate.add_argument(
        "folder", nargs="?", help="labelled images, one sub-folder per class (default: the run's validation set)"
    )
    evaluate.add_argument(
        "--output", "-o", metavar="DIR", help="report folder (default: RUN/evaluation[-CHECKPOINT][-FOLDER])"
    )
    _add_checkpoint_option(evaluate)
    _add_plugin_options(evaluate)
    _add_common(evaluate)
    evaluate.set_defaults(handler=_lazy("framework.evaluation.command", "evaluate_command"))

    export = sub.add_parser(
        "export",
        help="export a run's model as a SavedModel, ONNX or TFLite file, verified against Keras",
        description="Export a run's model with its rescaling built in, check the exported file's outputs against "
        "the Keras model on validation images, and write it with a signature.json that says what input it takes.",
    )
    export.add_argument("run", help="a finished run folder")
    export.add_argument(
        "--format", "-f", required=True, choices=["saved_model", "onnx", "tflite"], help="export format"
    )
    export.add_argument(
        "--output", "-o", metavar="DIR", help="export folder (default: RUN/export/FORMAT); must not exist"
    )
    export.add_argument("--force", action="store_true", help="replace the export folder when it exists")
    export.add_argument("--images", metavar="FOLDER", help="images to verify with (default: the run's validation set)")
    _add_checkpoint_option(export)
    _add_plugin_options(export)
    _add_common(export)
    export.set_defaults(handler=_lazy("framework.export.command", "export_command"))

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
    _add_format_option(runs, ["table", "json", "csv"])
    _add_common(runs)
    runs.set_defaults(handler=_lazy("framework.runs.command", "runs_command"))

    bench = sub.add_parser("bench", help="compare the speed of two revisions of hoh (in a git checkout)")
    bench_sub = bench.add_subparsers(dest="bench_command", metavar="COMMAND", required=True)
    compare = bench_sub.add_parser(
        "compare",
        help="run both revisions' workloads interleaved on this machine and compare them",
        description="Check BASE out into a git worktree, run its workloads and HEAD's in two processes, in "
        "alternating rounds, and report per workload the ratio HEAD/BASE of wall and CPU time per image with a "
        "95%% bootstrap interval of the median of paired ratios. Exit 1 when a workload is significantly slower "
        "by more than the threshold.",
        epilog="Example: hoh bench compare HEAD~1 (the last commit against the working tree)",
    )
    compare.add_argument("base", help="BASE revision: a branch, tag, commit or HEAD~N")
    compare.add_argument("head", nargs="?", default=".", help="HEAD revision (default: the working tree, '.')")
    compare.add_argument("--rounds", type=_at_least(5), default=8, help="paired rounds per workload (default 8)")
    compare.add_argument(
        "--metric",
        choices=["cpu", "wall"],
        default="cpu",
        help="which time decides (default cpu: it moves much less with other jobs on the machine; wall also "
        "sees waiting, e.g. a slower disk or a sleep)",
    )
    compare.add_argument("--threshold", type=float, default=10.0, help="slowdown that counts, in %% (default 10)")
    compare.add_argument("--quick", action="store_true", help="small images and few steps (what CI uses)")
    compare.add_argument("--only", action="append", metavar="WORKLOAD", help="run only this workload; repeatable")
    compare.add_argument("--ci", action="store_true", help="CI's small set of workloads")
    compare.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    _add_common(compare)
    compare.set_defaults(handler=_lazy("framework.bench.command", "compare_command"))

    completion = sub.add_parser(
        "completion",
        help="print a shell completion script",
        description="Print a completion script for hoh's commands and options. Bash: "
        "hoh completion bash > ~/.local/share/bash-completion/completions/hoh; "
        "zsh: hoh completion zsh > ~/.zfunc/_hoh (with ~/.zfunc on fpath).",
    )
    completion.add_argument("shell", choices=["bash", "zsh", "tcsh"], help="the shell")
    _add_common(completion)
    completion.set_defaults(handler=_completion)

    for offered in plugin_commands:
        command = offered.command
        plugin_parser = sub.add_parser(command.name, help=f"{command.help} (plugin {offered.plugin})")
        command.arguments(plugin_parser)
        _add_common(plugin_parser)
        plugin_parser.set_defaults(handler=command.run)
    return parser


def _completion(args: argparse.Namespace) -> int:
    import shtab  # generates the script from the argparse parsers themselves, so it never goes stale

    print(shtab.complete(build_parser(), shell=args.shell))
    return 0


def _count(text: str) -> int:
    """An argparse type: a whole number >= 0."""
    value = int(text) if text.lstrip("-").isdigit() else -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number >= 0")
    return value


def _positive(text: str) -> int:
    """An argparse type: a whole number >= 1."""
    value = _count(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number >= 1")
    return value


def _at_least(least: int) -> Callable[[str], int]:
    """An argparse type: a whole number >= ``least``."""

    def parse(text: str) -> int:
        value = _count(text)
        if value < least:
            raise argparse.ArgumentTypeError(f"{text!r} is less than {least}")
        return value

    return parse


def _add_checkpoint_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--checkpoint",
        metavar="NAME",
        help="use the run's checkpoints/NAME.keras (e.g. best, last) instead of model.keras",
    )


VALIDATE_HELP = "check an experiment file without training"


def _add_validate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("experiment", help="experiment file (.toml)")
    parser.add_argument("overrides", nargs="*", help="overrides as dotted.key=value")
    _add_format_option(parser)
    _add_plugin_options(parser)
    _add_common(parser)
    parser.set_defaults(handler=_lazy("framework.cli.inspect_commands", "validate_command"))


def _add_format_option(parser: argparse.ArgumentParser, choices: Sequence[str] = ("table", "json")) -> None:
    parser.add_argument(
        "--format", choices=list(choices), default="table", help="output for people (table) or programs (json)"
    )


def build_run_parser(prog: str = "hoh-run") -> argparse.ArgumentParser:
    """The ``hoh-run`` parser (``prog`` as the user typed the command)."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Train and evaluate an experiment file; each run writes a new run folder.",
        epilog="Example: hoh-run experiments/baseline.toml training.epochs=3",
    )
    _add_version(parser)
    _add_run_arguments(parser)
    return parser


def _lazy(module: str, name: str) -> Handler:
    def handler(args: argparse.Namespace) -> int:
        import importlib

        return getattr(importlib.import_module(module), name)(args)

    return handler


def _dispatch(args: argparse.Namespace, handler: Handler) -> int:
    from framework.errors import UserError

    debug = getattr(args, "debug", False)
    try:
        return handler(args)
    except UserError as error:
        if debug:
            raise
        from framework.cli.output import print_error

        print_error(str(error))
        return error.exit_code
    except KeyboardInterrupt:
        if debug:
            raise
        print("interrupted", file=sys.stderr)
        return 130
    except OSError as error:  # the machine's fault (disk full, read-only, permissions): exit 1
        if debug:
            raise
        from framework.cli.output import print_error

        where = f"{error.filename}: " if error.filename else ""
        print_error(
            f"{where}{error.strerror or error}. Free some space or pick a writable folder; --debug shows where."
        )
        return 1


def main(argv: Sequence[str] | None = None) -> int:
    """``hoh COMMAND ...``"""
    argv = list(sys.argv[1:] if argv is None else argv)
    for index, token in enumerate(argv):  # overrides may follow options in `hoh run` and `hoh validate`
        if token == "run" and all(t == "--debug" for t in argv[:index]):
            return run_main(argv[:index] + argv[index + 1 :], prog="hoh run")
        if token == "validate" and all(t == "--debug" for t in argv[:index]):
            # argparse cannot intermix positionals and options across sub-commands: parse this one alone
            validate = argparse.ArgumentParser(prog="hoh validate", description=VALIDATE_HELP)
            _add_validate_arguments(validate)
            args = validate.parse_intermixed_args(argv[index + 1 :])
            if argv[:index]:
                args.debug = True
            return _dispatch(args, args.handler)
        if not token.startswith("-"):
            break
    command = next((token for token in argv if not token.startswith("-")), None)
    offered: list[OfferedCommand] = []
    if command not in BUILTIN_COMMANDS:  # --help, or a command a plugin may add
        try:
            offered = _plugin_commands(autoload="--no-plugin-autoload" not in argv)
        except Exception as error:  # PluginError, or a plugin that breaks on import
            from framework.cli.output import print_error

            if command is not None:
                if "--debug" in argv:
                    raise
                print_error(str(error))
                return getattr(error, "exit_code", 1)
            print_error(f"plugin commands are not shown: {error}")
    args = build_parser(offered).parse_args(argv)
    return _dispatch(args, args.handler)


def _plugin_commands(*, autoload: bool) -> list[OfferedCommand]:
    from framework.cli.plugin_commands import plugin_commands

    return plugin_commands(autoload=autoload, builtin=BUILTIN_COMMANDS)


def run_main(argv: Sequence[str] | None = None, prog: str = "hoh-run") -> int:
    """``hoh-run EXPERIMENT [OVERRIDES...]``"""
    args = build_run_parser(prog).parse_intermixed_args(argv)
    return _dispatch(args, _run)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
