"""The pydantic model of a whole experiment file, built from the loaded providers.

Each provider section is a union of one branch per provider, told apart by its
``provider`` key; each branch is the provider's own parameter model plus that key.
The same model validates files and produces the JSON Schema (``hoh schema``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, create_model

from framework.config.sections import ExperimentSection, TrainingSection
from framework.markers import CORE_PLUGIN
from framework.output_files import json_mark
from framework.providers import Kind, Params
from framework.registry import Registry


class _Switch(Params):
    """Settings of a plugin that takes none: it can only be switched off."""

    enabled: bool = Field(True, description="false switches the plugin off for this experiment.")


class _SwitchedOff(BaseModel):
    """A plugin switched off with ``enabled = false``: its other settings are not read."""

    model_config = ConfigDict(extra="allow", frozen=True)
    enabled: Literal[False]


def switched_off_plugins(data: dict[str, Any]) -> list[str]:
    """Names of the plugins an experiment's raw data switches off with ``[plugins.<name>] enabled = false``."""
    tables = data.get("plugins")
    if not isinstance(tables, dict):
        return []
    return [name for name, table in tables.items() if isinstance(table, dict) and table.get("enabled") is False]


def _settings_model(name: str, params: type[Params] | None) -> type[Params]:
    if params is None:
        return _Switch
    return create_model(
        f"plugin:{name}",
        __base__=params,
        __doc__=params.__doc__,
        # exclude: a plugin's settings are its own model; switching off is handled before validation.
        enabled=(Literal[True], Field(True, description="false switches the plugin off.", exclude=True)),
    )


def plugins_model(registry: Registry, switched_off: Sequence[str] = ()) -> type[BaseModel]:
    """``[plugins.<name>]``: one optional table per active plugin (its ``hoh_settings`` model)."""
    fields: dict[str, Any] = {}
    for name, _ in registry.plugins():
        if name == CORE_PLUGIN:  # the core is always on, and takes its settings in [training]
            continue
        model = _settings_model(name, registry.settings.get(name))
        fields[name] = (model, Field(default_factory=model, description=f"Settings of the plugin {name!r}."))
    for name in switched_off:
        fields[name] = (_SwitchedOff | None, Field(None, description=f"The plugin {name!r}, switched off."))
    return create_model("Plugins", __config__=ConfigDict(extra="forbid", frozen=True), **fields)


def _branch(kind: Kind, name: str, params: type[Params], description: str) -> type[Params]:
    return create_model(
        f"{kind.label}:{name}",
        __base__=params,
        __doc__=description or params.__doc__,
        # exclude: factories get params.model_dump() without the tag (e.g. keras.optimizers.Adam(**dump)).
        provider=(Literal[name], Field(description=f"Use the {kind.label} provider {name!r}.", exclude=True)),
    )


def section_type(registry: Registry, kind: Kind) -> Any:
    """The type of one provider section: a union tagged by ``provider``."""
    branches = [
        _branch(kind, o.provider.name, o.provider.params, o.provider.description) for o in registry.offered(kind)
    ]
    if not branches:
        return Annotated[dict[str, Any], Field(description=f"No plugin offers a {kind.label} provider.")]
    if len(branches) == 1:
        return branches[0]
    return Annotated[Union[tuple(branches)], Field(discriminator="provider")]  # noqa: UP007


def experiment_model(registry: Registry, *, switched_off: Sequence[str] = ()) -> type[BaseModel]:
    """The pydantic model of an experiment file, given the providers in ``registry``."""
    plugins = plugins_model(registry, switched_off)
    fields: dict[str, Any] = {
        "experiment": (ExperimentSection, Field(description="Name, seed, plugins, output folder.")),
        "training": (TrainingSection, Field(default_factory=TrainingSection, description="Compile and fit.")),
        "plugins": (plugins, Field(default_factory=plugins, description="Settings of plugins, one table each.")),
    }
    for kind in Kind:
        section = section_type(registry, kind)
        if kind.many:
            fields[kind.section] = (
                list[section],  # type: ignore[valid-type]
                Field(default_factory=list, description=f"Any number of {kind.section}, one table each."),
            )
        elif kind.default is not None and registry.find(kind, kind.default) is not None:
            default = registry.get(kind, kind.default)
            branch = _branch(kind, kind.default, default.params, default.description)
            fields[kind.section] = (
                section,
                Field(
                    default_factory=lambda branch=branch, name=kind.default: branch(provider=name),
                    description=f"The {kind.label} provider; left out: {kind.default!r}.",
                ),
            )
        else:
            fields[kind.section] = (section, Field(description=f"The {kind.label} provider."))
    return create_model(
        "Experiment",
        __config__=ConfigDict(extra="forbid", frozen=True, title="hoh experiment"),
        **fields,
    )


def json_schema(registry: Registry) -> dict[str, Any]:
    """JSON Schema of experiment files, one branch per provider in each section."""
    schema = experiment_model(registry).model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$comment"] = json_mark("schema")  # hoh schema -o replaces only a file it wrote
    return schema
