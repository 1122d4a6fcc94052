"""Entry points of ``hoh`` and ``hoh-run``.

Only argparse is imported at start-up; each command imports what it needs, so
``--help``, ``hoh plugins``, ``hoh validate`` and ``hoh schema`` never load TensorFlow.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from framework.cli.arguments import (
    Handler,
    add_common,
    add_format_option,
    add_plugin_options,
    count,
    lazy,
    positive,
)
from framework.cli.more_commands import add_after_training_commands

if TYPE_CHECKING:
    from framework.cli.plugin_commands import OfferedCommand


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


def _add_run_arguments(parser: argparse.ArgumentParser) -> None:
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
        "--allow-inexact",
        action="store_true",
        help="with --resume: continue a run trained on several devices, whose resumed epochs may see the "
        "training images in another order than an uninterrupted run would",
    )
    parser.add_argument("--offline", action="store_true", help="never touch the network (use cached datasets)")
    add_plugin_options(parser)
    add_common(parser)


def _run(args: argparse.Namespace) -> int:
    from framework.cli.run_command import run_command

    return run_command(args)


BUILTIN_COMMANDS = {"run", "validate", "schema", "plugins", "data", "preview", "predict", "evaluate", "export"}
BUILTIN_COMMANDS |= {"completion", "bench", "runs", "compare"}


def build_parser(plugin_commands: Sequence[OfferedCommand] = ()) -> argparse.ArgumentParser:
    """The ``hoh`` parser with all built-in sub-commands and ``plugin_commands``."""
    parser = argparse.ArgumentParser(
        prog="hoh", description="Plugin-based image-classification experiments on TensorFlow/Keras."
    )
    _add_version(parser)
    add_common(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = sub.add_parser("run", help="train and evaluate an experiment (same as hoh-run)")
    _add_run_arguments(run)
    run.set_defaults(handler=_run)

    _add_validate_arguments(sub.add_parser("validate", help=VALIDATE_HELP))

    schema = sub.add_parser("schema", help="print the JSON Schema of experiment files")
    schema.add_argument("--experiment", metavar="FILE", help="also include the plugins this file names")
    schema.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of standard output")
    add_plugin_options(schema)
    add_common(schema)
    schema.set_defaults(handler=lazy("framework.cli.inspect_commands", "schema_command"))

    plugins = sub.add_parser("plugins", help="list plugins and the providers they offer")
    plugins.add_argument("--experiment", metavar="FILE", help="also include the plugins this file names")
    add_format_option(plugins)
    add_plugin_options(plugins)
    add_common(plugins)
    plugins.set_defaults(handler=lazy("framework.cli.inspect_commands", "plugins_command"))

    data = sub.add_parser("data", help="look at an experiment's dataset")
    data_sub = data.add_subparsers(dest="data_command", metavar="COMMAND", required=True)
    info = data_sub.add_parser("info", help="counts per class and the first file names of each class")
    info.add_argument("experiment", help="experiment file (.toml)")
    info.add_argument("--first", type=count, default=5, help="how many file names to show per class (default 5)")
    info.add_argument("--offline", action="store_true", help="never touch the network")
    add_plugin_options(info)
    add_common(info)
    info.set_defaults(handler=lazy("framework.cli.data_commands", "info_command"))

    preview = sub.add_parser("preview", help="write a PNG grid of training images, per class")
    preview.add_argument("experiment", help="experiment file (.toml)")
    preview.add_argument("--output", "-o", default="preview.png", metavar="PNG", help="picture to write")
    preview.add_argument("--per-class", type=positive, default=8, help="images per class (default 8)")
    preview.add_argument("--seed", type=int, default=None, help="pick images at random with this seed")
    preview.add_argument("--offline", action="store_true", help="never touch the network")
    add_plugin_options(preview)
    add_common(preview)
    preview.set_defaults(handler=lazy("framework.cli.data_commands", "preview_command"))

    add_after_training_commands(sub)

    for offered in plugin_commands:
        command = offered.command
        plugin_parser = sub.add_parser(command.name, help=f"{command.help} (plugin {offered.plugin})")
        command.arguments(plugin_parser)
        add_common(plugin_parser)
        plugin_parser.set_defaults(handler=command.run)
    return parser


VALIDATE_HELP = "check an experiment file without training"


def _add_validate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("experiment", help="experiment file (.toml)")
    parser.add_argument("overrides", nargs="*", help="overrides as dotted.key=value")
    add_format_option(parser)
    add_plugin_options(parser)
    add_common(parser)
    parser.set_defaults(handler=lazy("framework.cli.inspect_commands", "validate_command"))


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


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so that Python's final flush does not fail on the closed pipe again."""
    import os

    with contextlib.suppress(OSError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _dispatch(args: argparse.Namespace, handler: Handler) -> int:
    """Run a command's handler; turn what it raises into a message and an exit code.

    Every command handles SIGTERM as Ctrl-C (exit 130, a message): what it staged is removed
    by the ``finally`` blocks and context managers the interrupt unwinds through.
    """
    from framework.cli.signals import Terminated, interrupt_on_sigterm
    from framework.errors import UserError

    debug = getattr(args, "debug", False)
    interrupt_on_sigterm()
    try:
        return handler(args)
    except UserError as error:
        if debug:
            raise
        from framework.cli.output import print_error

        print_error(str(error))
        return error.exit_code
    except KeyboardInterrupt as error:
        if debug:
            raise
        what = "terminated (SIGTERM)" if isinstance(error, Terminated) else "interrupted (Ctrl-C)"
        print(f"stopped: {what}", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (hoh runs | head): not an error of ours
        _quiet_stdout()
        return 0
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
