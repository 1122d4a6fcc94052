"""Entry points of ``hoh`` and ``hoh-run``: the parser built from the commands, and the dispatch.

The parser is built from :data:`framework.cli.builtin_commands.BUILTIN_COMMANDS` and, for a
command hoh does not know (or ``--help``), the plugins' ``hoh_commands``. The modules that
define commands are light; each handler imports what it needs, so ``--help``, ``hoh plugins``,
``hoh validate`` and ``hoh schema`` never load TensorFlow.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from framework.terminal.arguments import Handler, add_common

if TYPE_CHECKING:
    from framework.cli.plugin_commands import OfferedCommand
    from framework.commands import Command


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


def _add_command(sub: argparse._SubParsersAction, command: Command, plugin: str | None = None) -> None:
    """``command`` (and its sub-commands) as a sub-parser of ``sub``."""
    parser = sub.add_parser(
        command.name,
        help=f"{command.help} (plugin {plugin})" if plugin else command.help,
        description=command.description or command.help,
        epilog=command.epilog or None,
    )
    _fill(parser, command)


def _fill(parser: argparse.ArgumentParser, command: Command) -> None:
    command.arguments(parser)
    add_common(parser)
    if command.subcommands:
        nested = parser.add_subparsers(dest=f"{command.name}_command", metavar="COMMAND", required=True)
        for subcommand in command.subcommands:
            _add_command(nested, subcommand)
    else:
        parser.set_defaults(handler=command.run)


def build_parser(plugin_commands: Sequence[OfferedCommand] = ()) -> argparse.ArgumentParser:
    """The ``hoh`` parser: the built-in commands, then ``plugin_commands``."""
    from framework.cli.builtin_commands import BUILTIN_COMMANDS

    parser = argparse.ArgumentParser(
        prog="hoh", description="Plugin-based image-classification experiments on TensorFlow/Keras."
    )
    _add_version(parser)
    add_common(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in BUILTIN_COMMANDS:
        _add_command(sub, command)
    for offered in plugin_commands:
        _add_command(sub, offered.command, offered.plugin)
    return parser


def command_parser(command: Command, prog: str) -> argparse.ArgumentParser:
    """A parser for ``command`` alone (``hoh-run``; ``hoh run`` and ``hoh validate`` parse intermixed)."""
    parser = argparse.ArgumentParser(
        prog=prog, description=command.description or command.help, epilog=command.epilog or None
    )
    _add_version(parser)
    _fill(parser, command)
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
    from framework.errors import UserError
    from framework.tensorflow_defaults import apply_tensorflow_defaults
    from framework.terminal.signals import Terminated, interrupt_on_sigterm, reraise_if_interrupted

    debug = getattr(args, "debug", False)
    apply_tensorflow_defaults()  # before any command imports TensorFlow; inherited by its child processes
    interrupt_on_sigterm()
    try:
        try:
            return handler(args)
        except Exception as error:  # an interrupt can surface as another error (ImportError, in an import)
            if not debug:
                reraise_if_interrupted(error)
            raise
    except UserError as error:
        if debug:
            raise
        from framework.terminal.output import print_error

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
        from framework.terminal.output import print_error

        where = f"{error.filename}: " if error.filename else ""
        print_error(
            f"{where}{error.strerror or error}. Free some space or pick a writable folder; --debug shows where."
        )
        return 1


def main(argv: Sequence[str] | None = None) -> int:
    """``hoh COMMAND ...``"""
    from framework.cli.builtin_commands import BUILTIN_COMMANDS, BUILTIN_NAMES

    argv = list(sys.argv[1:] if argv is None else argv)
    command = next((token for token in argv if not token.startswith("-")), None)
    offered: list[OfferedCommand] = []
    if command not in BUILTIN_NAMES:  # --help, or a command a plugin may add
        try:
            offered = _plugin_commands(autoload="--no-plugin-autoload" not in argv)
        except Exception as error:  # PluginError, or a plugin that breaks on import
            from framework.terminal.output import print_error

            if command is not None:
                if "--debug" in argv:
                    raise
                print_error(str(error))
                return getattr(error, "exit_code", 1)
            print_error(f"plugin commands are not shown: {error}")
    index = argv.index(command) if command is not None else 0
    chosen = next((c for c in [*BUILTIN_COMMANDS, *(o.command for o in offered)] if c.name == command), None)
    last, prog = index, f"hoh {command}"  # the last token naming the command: its arguments follow
    if chosen is not None and chosen.subcommands and argv[index + 1 : index + 2]:  # `hoh data info`
        sub = next((c for c in chosen.subcommands if c.name == argv[index + 1]), None)
        if sub is not None and sub.intermixed:
            chosen, last, prog = sub, index + 1, f"{prog} {sub.name}"
    if chosen is not None and chosen.intermixed and all(token == "--debug" for token in argv[:index]):
        # argparse cannot intermix positionals and options across sub-commands (overrides may follow
        # options in `hoh run` and `hoh validate`): parse this command alone
        args = command_parser(chosen, prog).parse_intermixed_args(argv[last + 1 :])
        if argv[:index]:
            args.debug = True
        return _dispatch(args, args.handler)
    args = build_parser(offered).parse_args(argv)
    return _dispatch(args, args.handler)


def _plugin_commands(*, autoload: bool) -> list[OfferedCommand]:
    from framework.cli.builtin_commands import BUILTIN_NAMES
    from framework.cli.plugin_commands import plugin_commands

    return plugin_commands(autoload=autoload, builtin=BUILTIN_NAMES)


def run_main(argv: Sequence[str] | None = None, prog: str = "hoh-run") -> int:
    """``hoh-run EXPERIMENT [OVERRIDES...]``"""
    from framework.cli.run_command import COMMAND

    args = command_parser(COMMAND, prog).parse_intermixed_args(argv)
    return _dispatch(args, args.handler)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
