"""Writes the reference pages from the code when the site is built (mkdocs-gen-files runs this).

- ``reference/cli.md``: every command, sub-command and option, from hoh's own argparse parsers.
- ``reference/experiment-file.md``: every section and key of an experiment file, every provider
  and its parameters (type, default, description), every plugin's settings: from the pydantic
  models the files are validated with.
- ``reference/hooks.md`` and ``reference/api.md``: mkdocstrings directives; the text comes
  from the docstrings.

Nothing here is written by hand, so the reference cannot fall behind the code. Only the built-in
plugins are loaded (entry points of other installed packages are not), so the pages describe
hoh as installed from this repository. TensorFlow is not imported.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import mkdocs_gen_files

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from framework.cli.builtin_commands import BUILTIN_NAMES  # noqa: E402
from framework.cli.main import build_parser, command_parser  # noqa: E402
from framework.cli.plugin_commands import plugin_commands  # noqa: E402
from framework.cli.run_command import COMMAND as RUN_COMMAND  # noqa: E402
from framework.cli.type_text import field_text  # noqa: E402
from framework.config.sections import ExperimentSection, StageSection, TrainingSection  # noqa: E402
from framework.providers import Kind, Params  # noqa: E402
from framework.session import Session  # noqa: E402


def _text(text: object) -> str:
    """Prose from the code (help, descriptions) as Markdown shows it literally: one line, no links or tags.

    Code spans (reStructuredText's double backticks as well) are kept as code.
    """
    parts = " ".join(str(text).split()).replace("``", "`").split("`")
    for index in range(0, len(parts), 2):  # outside code spans
        for char in "\\[]*|":
            parts[index] = parts[index].replace(char, "\\" + char)
        parts[index] = parts[index].replace("<", "&lt;")
    return "`".join(parts)


def _cell(text: object) -> str:
    """A table cell built here (code spans included): one line, pipes escaped."""
    return " ".join(str(text).split()).replace("|", "\\|")


# --- the command line -------------------------------------------------------------------------


def _subparsers(parser: argparse.ArgumentParser) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    # argparse offers no public way to walk a parser's sub-commands and options: read its actions
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            yield from action.choices.items()


def _option_rows(parser: argparse.ArgumentParser) -> list[str]:
    rows = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) or action.help == argparse.SUPPRESS:
            continue
        if action.option_strings:
            name = ", ".join(f"`{option}`" for option in action.option_strings)
            if action.nargs != 0:
                name += f" `{action.metavar or action.dest.upper()}`"
        else:
            name = f"`{action.metavar or action.dest}`"
        # the help as --help prints it: %(default)s and %% expanded (argparse keeps that method private too)
        shown = parser._get_formatter()._expand_help(action) if action.help else ""
        details = _text(shown)
        if action.choices and not isinstance(action.choices, dict):
            details += " (one of: " + ", ".join(f"`{choice}`" for choice in action.choices) + ")"
        unset = action.default is None or action.default is False or action.default in (argparse.SUPPRESS, [], ())
        if action.option_strings and not unset and "default" not in shown:
            details += f" (default: `{action.default}`)"
        rows.append(f"| {_cell(name)} | {details} |")
    return rows


def _command_section(prog: str, parser: argparse.ArgumentParser, level: int) -> list[str]:
    lines = [f"{'#' * level} `{prog}`", ""]
    if parser.description:
        lines += [_text(parser.description), ""]
    lines += ["```text", parser.format_usage().strip(), "```", ""]
    rows = _option_rows(parser)
    if rows:
        lines += ["| argument | what it does |", "| --- | --- |", *rows, ""]
    if parser.epilog:
        lines += ["```text", parser.epilog.strip(), "```", ""]
    for name, sub in _subparsers(parser):
        lines += _command_section(f"{prog} {name}", sub, min(level + 1, 4))
    return lines


def cli_page() -> str:
    offered = plugin_commands(autoload=False, builtin=BUILTIN_NAMES)  # the built-in plugins' commands (hoh sweep)
    hoh = build_parser(offered)
    lines = [
        "# Command line",
        "",
        "Generated from hoh's argparse parsers when this site is built; `hoh COMMAND --help` prints the same.",
        "Every command also takes `--debug` (Python tracebacks for errors). Exit status: 0 done, 2 a mistake",
        "in what was given (file, key, option), 1 the environment (disk, network), 130 interrupted.",
        "Installed plugins can add commands: `hoh --help` lists them.",
        "",
        *_command_section("hoh-run", command_parser(RUN_COMMAND, "hoh-run"), 2),
    ]
    for name, sub in _subparsers(hoh):
        lines += _command_section(f"hoh {name}", sub, 2)
    return "\n".join(lines) + "\n"


# --- experiment files -------------------------------------------------------------------------


def _default(field) -> str:
    if field.is_required():
        return "required"
    value = field.get_default(call_default_factory=True)
    if isinstance(value, Params | ExperimentSection | TrainingSection | StageSection):
        return "a table"
    return "left out" if value is None else f"`{json.dumps(value, default=str)}`"


def _field_rows(model: type, skip: tuple[str, ...] = ()) -> list[str]:
    rows = ["| key | type | default | description |", "| --- | --- | --- | --- |"]
    for name, field in model.model_fields.items():
        if name in skip:
            continue
        rows.append(f"| `{name}` | `{field_text(field)}` | {_default(field)} | {_text(field.description or '')} |")
    return rows if len(rows) > 2 else ["(no parameters)"]


def experiment_page() -> str:
    registry = Session(autoload=False).activate(base_dir=ROOT).registry
    lines = [
        "# Experiment files",
        "",
        "Generated from the pydantic models experiment files are validated with, when this site is built.",
        "`hoh plugins` lists the same providers, including those of plugins you installed;",
        "`hoh schema` prints the JSON Schema (editors use it for completion); `hoh validate FILE` checks a file.",
        "",
        'An experiment file is TOML. Each provider section names its provider with `provider = "name"`;',
        "the other keys of that table are the provider's parameters. Keys can be overridden on the command",
        "line as `section.key=value` (`hoh-run experiments/baseline.toml training.epochs=3`).",
        "",
        "## `[experiment]`",
        "",
        _text(ExperimentSection.__doc__ or ""),
        "",
        *_field_rows(ExperimentSection),
        "",
        "## `[training]`",
        "",
        _text(TrainingSection.__doc__ or ""),
        "",
        *_field_rows(TrainingSection),
        "",
        "### `[[training.stages]]`",
        "",
        _text(StageSection.__doc__ or ""),
        "",
        *_field_rows(StageSection),
        "",
    ]
    for kind in Kind:
        table = f"[[{kind.section}]]" if kind.many else f"[{kind.section}]"
        lines += [f"## `{table}`: {kind.label} providers", ""]
        if kind.many:
            lines += [f"Any number of `{table}` tables, each naming its provider.", ""]
        elif kind.default:
            lines += [f'May be left out: then `provider = "{kind.default}"`.', ""]
        for offered in registry.offered(kind):
            provider = offered.provider
            lines += [
                f"### `{provider.name}`",
                "",
                f"From the plugin `{offered.plugin}`. {_text(provider.description)}",
                "",
            ]
            lines += [*_field_rows(provider.params, skip=("provider",)), ""]
    lines += [
        "## `[plugins.<name>]`: plugin settings",
        "",
        "One table per plugin that takes settings. Every plugin's table also takes `enabled = false`,",
        "which switches that plugin off for this experiment.",
        "",
    ]
    for name, model in registry.settings.items():
        lines += [f"### `[plugins.{name}]`", "", *_field_rows(model), ""]
    return "\n".join(lines) + "\n"


# --- hooks and the public API: mkdocstrings reads the docstrings --------------------------------

HOOKS = """# Hook specs

Every hook a plugin can implement, with when it fires, its arguments and what it returns: the
docstrings of `framework/hooks/`, rendered when this site is built. A plugin implements a hook
with a function of the same name decorated with `framework.hookimpl`.

::: framework.hooks.providers

::: framework.hooks.lifecycle

::: framework.hooks.plugins

::: framework.hooks.reports
"""

API = """# Public API

A plugin imports from these two modules only; every other `framework.*` module is private
(an import-linter contract holds hoh's own plugins to this).

::: framework
    options:
      show_submodules: false

::: framework.api
"""


with mkdocs_gen_files.open("reference/cli.md", "w") as page:
    page.write(cli_page())
with mkdocs_gen_files.open("reference/experiment-file.md", "w") as page:
    page.write(experiment_page())
with mkdocs_gen_files.open("reference/hooks.md", "w") as page:
    page.write(HOOKS)
with mkdocs_gen_files.open("reference/api.md", "w") as page:
    page.write(API)
