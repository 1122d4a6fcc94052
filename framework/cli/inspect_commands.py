"""``hoh validate``, ``hoh schema`` and ``hoh plugins``: none of them imports TensorFlow."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from framework.atomic import write_text
from framework.cli.type_text import field_text
from framework.commands import Command
from framework.config.schema import json_schema
from framework.errors import ExperimentError, UserError
from framework.loading import Loaded
from framework.output_files import check_file_replaceable, json_written_by_hoh
from framework.providers import Kind, Params
from framework.registry import Registry
from framework.run_checks import check_before_work, check_class_weight_names, check_local_dataset
from framework.session import Session
from framework.stages import plan
from framework.terminal.arguments import add_format_option, add_plugin_options
from framework.terminal.loading import load_from_args, plugin_args
from framework.terminal.output import stdout_console


def validate_command(args: argparse.Namespace) -> int:
    other = _validate_other_file(args)
    if other is not None:
        return other
    if getattr(args, "format", "table") == "json":
        return _validate_json(args)
    loaded = load_from_args(args)
    check_before_work(loaded)  # what hoh-run checks before any work: the model's input, one batch's memory
    experiment = loaded.experiment
    console = stdout_console()
    checked = _check_data(loaded, args, console)
    console.print(f"[green]ok[/] {args.experiment}: experiment [bold]{experiment.experiment.name}[/]")
    for kind in Kind:
        names = ", ".join(c.provider for c in experiment.choices(kind)) or "none"
        console.print(f"  {kind.section if kind.many else kind.label:<9} {names}")
    for stage in plan(experiment.training) if experiment.training.stages else []:
        epochs = f"epochs {stage.first + 1}-{stage.end}"
        rate = f"learning rate x{stage.learning_rate_factor:g}"
        console.print(f"  stage {stage.number}   {epochs}: {stage.describe()}, {rate}", highlight=False)
    if checked is not None:
        said = "classes checked" if checked else "classes not checked: the dataset is not here yet; hoh-run checks"
        console.print(f"  class weights {experiment.training.class_weight} ({said})", highlight=False)
    for name, settings in experiment.plugin_settings.items():
        values = ", ".join(f"{key} = {value!r}" for key, value in settings.model_dump().items())
        console.print(f"  plugins.{name} {values}", highlight=False)
    if experiment.plugins_off:
        console.print(f"  switched off: {', '.join(experiment.plugins_off)}")
    return 0


def _check_data(loaded: Loaded, args: argparse.Namespace, console: Console) -> bool | None:
    """The dataset's folders (a local provider's) and a class-weight table's names, unless ``--no-data``.

    Returns whether a class-weight table was checked (:func:`check_class_weight_names`).
    """
    if args.no_data:
        return None
    return check_class_weight_names(loaded, console, check_local_dataset(loaded, console))


def _validate_other_file(args: argparse.Namespace) -> int | None:
    """A file without ``[experiment]`` that a plugin knows (``hoh_validate_file``); ``None``: not such a file."""
    from framework.config.loader import read_toml

    path = Path(args.experiment)
    try:
        _, data = read_toml(path)  # the one reader of TOML files: a file nested too deeply is an error, not a crash
    except ExperimentError:
        return None  # the experiment loader reports it, with line and column
    if "experiment" in data:
        return None
    session = Session(autoload=not args.no_plugin_autoload)
    view = session.activate(plugin_args(args), base_dir=Path.cwd())
    try:
        lines = view.hook.hoh_validate_file(path=path, data=data)
    except ExperimentError as error:
        if getattr(args, "format", "table") != "json":
            raise
        print(json.dumps({"valid": False, "file": args.experiment, "problems": error.problems}, indent=2))
        return error.exit_code
    if lines is None:
        return None
    if getattr(args, "format", "table") == "json":
        print(json.dumps({"valid": True, "file": args.experiment, "description": lines}, indent=2))
        return 0
    console = stdout_console()
    console.print(f"[green]ok[/] {args.experiment}: {lines[0] if lines else ''}", highlight=False)
    for line in lines[1:]:
        console.print(f"  {line}", highlight=False)
    return 0


def _validate_json(args: argparse.Namespace) -> int:
    """``{"valid": true, "experiment": {...resolved...}}``, or ``{"valid": false, "problems": [...]}`` and exit 2."""
    try:
        loaded = load_from_args(args)
        check_before_work(loaded)
        _check_data(loaded, args, Console(stderr=True))  # stdout holds the JSON document alone
    except ExperimentError as error:
        print(json.dumps({"valid": False, "file": args.experiment, "problems": error.problems}, indent=2))
        return error.exit_code
    except UserError as error:
        print(json.dumps({"valid": False, "file": args.experiment, "problems": [str(error)]}, indent=2))
        return error.exit_code
    print(json.dumps({"valid": True, "file": args.experiment, "experiment": loaded.experiment.to_dict()}, indent=2))
    return 0


def _registry(args: argparse.Namespace) -> Registry:
    if getattr(args, "experiment", None):
        return load_from_args(args, overrides=[]).registry
    session = Session(autoload=not args.no_plugin_autoload)
    return session.activate(plugin_args(args), base_dir=Path.cwd()).registry


def schema_command(args: argparse.Namespace) -> int:
    text = json.dumps(json_schema(_registry(args)), indent=2) + "\n"
    if args.output:
        check_file_replaceable(Path(args.output), "schema", json_written_by_hoh)
        write_text(Path(args.output), text)
    else:
        print(text, end="")
    return 0


def _describe_params(params: type[Params]) -> Text:
    text = Text()
    for name, field in params.model_fields.items():
        if text:
            text.append("\n")
        annotation = field_text(field)
        default = "required" if field.is_required() else _toml_value(field.get_default(call_default_factory=True))
        text.append(name, style="bold")
        text.append(f": {annotation} = {default}", style="cyan")
        if field.description:
            text.append(f"  {field.description}", style="dim")
    return text or Text("(no parameters)", style="dim")


def _toml_value(value: object) -> str:
    """A default as it would be written in an experiment file: ``[300, 300]``, ``"binary"``, ``true``."""
    if value is None:
        return "none (left out)"
    return json.dumps(value, default=str)


def plugins_command(args: argparse.Namespace) -> int:
    registry = _registry(args)
    if getattr(args, "format", "table") == "json":
        print(json.dumps(_plugins_document(registry), indent=2, default=str))
        return 0
    console = stdout_console()
    for kind in Kind:
        table = Table(title=f"{kind.label} providers  [dim]\\[{kind.section}][/]", title_justify="left", expand=True)
        table.add_column("provider", ratio=1, min_width=18)
        table.add_column("plugin", no_wrap=True)
        table.add_column("parameters (type = default)", ratio=2)
        for offered in registry.offered(kind):
            provider = offered.provider
            name = Text(provider.name, style="bold green")
            if provider.description:
                name.append(f"\n{provider.description}", style="dim")
            table.add_row(name, offered.plugin, _describe_params(provider.params), end_section=True)
        console.print(table)
    if registry.settings:
        table = Table(title=escape("[plugins.<name>] settings"), title_justify="left", expand=True)
        table.add_column("plugin", style="bold green", no_wrap=True)
        table.add_column("settings (type = default); every table also takes enabled = false", ratio=2)
        for plugin_name, model in registry.settings.items():
            table.add_row(plugin_name, _describe_params(model), end_section=True)
        console.print(table)
    names = ", ".join(name for name, _ in registry.plugins())
    console.print(f"[dim]plugins loaded: {names}[/]")
    for name, plugin in registry.plugins():
        hooks = ", ".join(sorted(caller.name for caller in registry.pm.get_hookcallers(plugin) or []))
        console.print(f"[dim]  {name}: {hooks or 'no hooks'}[/]", highlight=False)
    return 0


def _plugins_document(registry: Registry) -> dict:
    """Every provider by section: its plugin, description and parameters (their JSON Schema)."""
    return {
        "providers": {
            kind.section: [
                {
                    "name": offered.provider.name,
                    "plugin": offered.plugin,
                    "description": offered.provider.description,
                    "parameters": offered.provider.params.model_json_schema(),
                }
                for offered in registry.offered(kind)
            ]
            for kind in Kind
        },
        "plugins": [name for name, _ in registry.plugins()],
        "settings": {name: model.model_json_schema() for name, model in registry.settings.items()},
    }


def _validate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("experiment", help="experiment file (.toml)")
    parser.add_argument("overrides", nargs="*", help="overrides as dotted.key=value")
    parser.add_argument(
        "--no-data",
        action="store_true",
        help="check the file only, not the dataset's folders on this machine (a machine without the images)",
    )
    add_format_option(parser)
    add_plugin_options(parser)


def _schema_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--experiment", metavar="FILE", help="also include the plugins this file names")
    parser.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of standard output")
    add_plugin_options(parser)


def _plugins_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--experiment", metavar="FILE", help="also include the plugins this file names")
    add_format_option(parser)
    add_plugin_options(parser)


VALIDATE = Command(
    "validate",
    "check an experiment file without training",
    _validate_arguments,
    validate_command,
    description="Check an experiment file, with overrides, as hoh-run does before any work: the keys and "
    "values, the plugins it names, the model's input, one batch's memory. Nothing is downloaded or trained.",
    intermixed=True,
)
SCHEMA = Command("schema", "print the JSON Schema of experiment files", _schema_arguments, schema_command)
PLUGINS = Command("plugins", "list plugins and the providers they offer", _plugins_arguments, plugins_command)
