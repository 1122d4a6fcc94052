"""Commands: hoh's own and a plugin's go through the same Command type and the same parser code."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from framework.cli.builtin_commands import BUILTIN_COMMANDS
from framework.cli.main import build_parser, main
from framework.commands import Command

PLUGIN = """
    from framework import hookimpl
    from framework.api import Command, UserError


    def _count_arguments(parser):
        parser.add_argument("words", nargs="+")
        parser.add_argument("--upper", action="store_true")


    def _count(args):
        words = [w.upper() if args.upper else w for w in args.words]
        print("counted", len(words), " ".join(words))
        return 0


    def _tag_arguments(parser):
        parser.add_argument("name")
        parser.add_argument("pairs", nargs="*")
        parser.add_argument("--sep", default=",")


    def _tag(args):
        if not args.pairs:
            raise UserError("give at least one KEY=VALUE")
        print("tagged", args.name, args.sep.join(args.pairs))
        return 0


    @hookimpl
    def hoh_commands():
        return [
            Command("tools", "a group of tools", subcommands=(Command("count", "count", _count_arguments, _count),)),
            Command("tag", "tag a name", _tag_arguments, _tag, intermixed=True),
        ]
"""


@pytest.fixture
def plugin_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An installed distribution (on sys.path) whose ``hoh.plugins`` entry point offers two commands."""
    site = tmp_path / "site"
    dist = site / "hoh_tools-0.1.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: hoh-tools\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[hoh.plugins]\ntools = hoh_tools_plugin\n")
    (site / "hoh_tools_plugin.py").write_text(textwrap.dedent(PLUGIN))
    monkeypatch.syspath_prepend(str(site))
    return site


def test_a_plugin_command_may_group_sub_commands_as_hoh_data_does(plugin_site: Path, capsys) -> None:
    assert main(["tools", "count", "a", "b", "--upper"]) == 0
    assert capsys.readouterr().out == "counted 2 A B\n"
    with pytest.raises(SystemExit) as exited:  # the group alone: argparse asks for a sub-command
        main(["tools"])
    assert exited.value.code == 2
    assert "tools" in capsys.readouterr().err


def test_a_plugin_command_may_take_options_after_its_pairs_as_hoh_run_does(plugin_site: Path, capsys) -> None:
    assert main(["tag", "x", "a=1", "--sep", ";", "b=2"]) == 0
    assert capsys.readouterr().out == "tagged x a=1;b=2\n"
    assert main(["--debug", "tag", "x", "a=1"]) == 0  # --debug before the command, as for hoh run
    assert main(["tag", "x"]) == 2  # the plugin's UserError: a message, exit 2
    assert "give at least one KEY=VALUE" in capsys.readouterr().err


def test_help_lists_the_built_in_commands_in_their_list_order_then_the_plugins(plugin_site: Path, capsys) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    shown = capsys.readouterr().out
    names = [command.name for command in BUILTIN_COMMANDS] + ["tools", "tag"]
    places = [
        shown.index(f"\n    {name} ") if f"\n    {name} " in shown else shown.index(f"\n    {name}\n") for name in names
    ]
    assert places == sorted(places)
    assert "a group of tools (plugin tools)" in shown


def test_every_built_in_command_is_in_the_parser_with_its_help() -> None:
    parser = build_parser()
    chosen = {action.dest: action for action in parser._subparsers._group_actions}["command"]  # type: ignore[union-attr]
    assert list(chosen.choices) == [command.name for command in BUILTIN_COMMANDS]
    helps = {action.dest: action.help for action in chosen._choices_actions}
    assert all(helps[command.name] == command.help for command in BUILTIN_COMMANDS)


def test_a_command_is_either_a_handler_or_a_group() -> None:
    with pytest.raises(ValueError, match="either run or subcommands"):
        Command("nothing", "does nothing")
    with pytest.raises(ValueError, match="either run or subcommands"):
        Command("both", "both", run=lambda args: 0, subcommands=(Command("x", "x", run=lambda args: 0),))


def test_help_texts_print_percent_signs_once(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["bench", "compare", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    assert "95% bootstrap interval" in shown and "in % (default 10)" in shown and "%%" not in shown
