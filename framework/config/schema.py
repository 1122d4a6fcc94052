"""The pydantic model of a whole experiment file, built from the loaded providers.

Each provider section is a union of one branch per provider, told apart by its
``provider`` key; each branch is the provider's own parameter model plus that key.
The same model validates files and produces the JSON Schema (``hoh schema``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, create_model

from framework.config.sections import ExperimentSection, TrainingSection
from framework.plugin_manager import Registry
from framework.providers import Kind, Params

SECTION_KINDS = (Kind.DATASET, Kind.PIPELINE, Kind.MODEL, Kind.OPTIMIZER)


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


def experiment_model(registry: Registry) -> type[BaseModel]:
    """The pydantic model of an experiment file, given the providers in ``registry``."""
    fields: dict[str, Any] = {
        "experiment": (ExperimentSection, Field(description="Name, seed, plugins, output folder.")),
        "training": (TrainingSection, Field(default_factory=TrainingSection, description="Compile and fit.")),
        "callbacks": (
            list[section_type(registry, Kind.CALLBACK)],
            Field(default_factory=list, description="Keras callbacks, one [[callbacks]] table each."),
        ),
    }
    for kind in SECTION_KINDS:
        fields[kind.section] = (section_type(registry, kind), Field(description=f"The {kind.label} provider."))
    return create_model(
        "Experiment",
        __config__=ConfigDict(extra="forbid", frozen=True, title="hoh experiment"),
        **fields,
    )


def json_schema(registry: Registry) -> dict[str, Any]:
    """JSON Schema of experiment files, one branch per provider in each section."""
    schema = experiment_model(registry).model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema
