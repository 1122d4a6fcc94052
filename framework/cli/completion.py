"""``hoh completion SHELL``: a completion script generated from hoh's own parsers."""

from __future__ import annotations

import argparse

from framework.commands import Command


def completion_command(args: argparse.Namespace) -> int:
    import shtab  # generates the script from the argparse parsers themselves, so it never goes stale

    from framework.cli.main import build_parser

    print(shtab.complete(build_parser(), shell=args.shell))
    return 0


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("shell", choices=["bash", "zsh", "tcsh"], help="the shell")


COMMAND = Command(
    "completion",
    "print a shell completion script",
    _arguments,
    completion_command,
    description="Print a completion script for hoh's commands and options. Bash: "
    "hoh completion bash > ~/.local/share/bash-completion/completions/hoh; "
    "zsh: hoh completion zsh > ~/.zfunc/_hoh (with ~/.zfunc on fpath).",
)
