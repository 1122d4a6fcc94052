"""``hoh completion SHELL``: a completion script generated from hoh's own parsers."""

from __future__ import annotations

import argparse


def completion_command(args: argparse.Namespace) -> int:
    import shtab  # generates the script from the argparse parsers themselves, so it never goes stale

    from framework.cli.main import build_parser

    print(shtab.complete(build_parser(), shell=args.shell))
    return 0
