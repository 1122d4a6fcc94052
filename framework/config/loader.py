"""Read and validate an experiment file against a registry it is given, reporting every problem at once.

Loading the plugins an experiment names is a layer above: :func:`framework.loading.load_experiment`.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from framework.config.problems import Problems, report_error
from framework.config.schema import experiment_model, switched_off_plugins
from framework.config.sections import RECORDED, ExperimentSection, TrainingSection
from framework.errors import ExperimentError
from framework.providers import Kind, Params
from framework.registry import Registry, unknown_provider_message


@dataclass(frozen=True)
class Choice:
    """A provider picked by an experiment section, with its validated parameters."""

    provider: str
    params: Params

    def to_dict(self) -> dict[str, Any]:
        data = self.params.model_dump(mode="json", exclude_none=True)
        data.pop("provider", None)
        return {"provider": self.provider, **data}


@dataclass(frozen=True)
class Experiment:
    """A validated experiment: every section resolved, defaults filled in.

    Attributes:
        plugin_settings: ``[plugins.<name>]`` settings of each active plugin that takes some.
        plugins_off: Plugins switched off with ``[plugins.<name>] enabled = false``.
    """

    source: Path | None
    experiment: ExperimentSection
    dataset: Choice
    pipeline: Choice
    model: Choice
    optimizer: Choice
    strategy: Choice
    training: TrainingSection
    callbacks: tuple[Choice, ...]
    plugin_settings: Mapping[str, Params] = field(default_factory=dict)
    plugins_off: tuple[str, ...] = ()

    def choices(self, kind: Kind) -> tuple[Choice, ...]:
        """The providers chosen for ``kind``: one, or any number for ``[[callbacks]]``."""
        value = getattr(self, kind.section)
        return tuple(value) if kind.many else (value,)

    def to_dict(self) -> dict[str, Any]:
        """The experiment as plain data, ready to be written back as TOML."""
        data: dict[str, Any] = {"experiment": self.experiment.model_dump(mode="json", exclude_none=True)}
        for kind in Kind:
            choices = [c.to_dict() for c in self.choices(kind)]
            data[kind.section] = choices if kind.many else choices[0]
        data["training"] = self.training.model_dump(mode="json", exclude_none=True)
        plugins = {name: {"enabled": False} for name in self.plugins_off}
        plugins.update({name: s.model_dump(mode="json", exclude_none=True) for name, s in self.plugin_settings.items()})
        if plugins:
            data["plugins"] = plugins
        return data

    def to_toml(self) -> str:
        import tomli_w

        return tomli_w.dumps(self.to_dict())


def read_toml(path: Path) -> tuple[str, dict[str, Any]]:
    """Read an experiment file; a syntax error becomes an ExperimentError with line and column."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ExperimentError(str(path), ["file not found; give the path of an experiment .toml file"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ExperimentError(str(path), [f"cannot be read: {exc}"]) from None
    try:
        return text, tomllib.loads(text)
    except RecursionError:
        raise ExperimentError(str(path), [f"{path}: arrays or tables are nested too deeply to read"]) from None
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"^(.*) \(at line (\d+), column (\d+)\)$", str(exc))
        where = f"{path}, line {found.group(2)}, column {found.group(3)}" if found else str(path)
        reason = found.group(1) if found else str(exc)
        raise ExperimentError(str(path), [f"{where}: TOML syntax error: {reason}"]) from None


def plugins_named(data: dict[str, Any], extra: list[str]) -> tuple[list[str], list[str]]:
    """The plugin modules an experiment names (``extra``: ``--plugin``, recorded with it) and the ones it disables.

    ``extra`` modules are added to ``data``'s ``[experiment] plugins`` (so the run records them).
    """
    section = data.get("experiment")
    specs: list[str] = list(extra)
    disabled: list[str] = []
    if isinstance(section, dict):
        named = section.get("plugins", [])
        if extra and isinstance(named, list):
            section["plugins"] = [*named, *(p for p in extra if p not in named)]
        specs = _strings(section.get("plugins"))
        disabled = _strings(section.get("disable_plugins"))
    return specs, [*disabled, *switched_off_plugins(data)]


def validate_experiment(
    data: dict[str, Any],
    registry: Registry,
    *,
    text: str,
    source: Path,
    overrides: dict[tuple[str, ...], str],
    recorded: bool = False,
) -> Experiment:
    """Validate parsed experiment data against the providers of ``registry``.

    ``recorded``: the data is a run folder's record (:func:`framework.loading.load_experiment`).

    Raises:
        ExperimentError: listing every problem, each with its line (or override) and key.
    """
    problems = Problems(str(source), text, data, overrides)
    switched_off = switched_off_plugins(data)
    model = experiment_model(registry, switched_off=switched_off)
    validated = None
    try:
        validated = model.model_validate(data, context={RECORDED: recorded})
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            report_error(problems, registry, error)
    progress = _progress_provider(validated, registry, problems)
    _numbers_given_as_text(data, registry, problems)
    problems.raise_if_any()
    assert validated is not None
    experiment = _to_experiment(validated, source, registry, tuple(switched_off))
    return dataclasses.replace(
        experiment, training=experiment.training.model_copy(update={"progress": progress or "none"})
    )


def _progress_provider(validated: BaseModel | None, registry: Registry, problems: Problems) -> str | None:
    """``[training] progress`` resolved to a callback provider's name (``None``: no progress display)."""
    if validated is None:
        return None
    wanted = validated.training.progress  # type: ignore[attr-defined]
    if wanted == "none":
        return None
    if wanted == "auto":  # a capability, not a name: the core knows no built-in plugin
        shows = [o.provider.name for o in registry.offered(Kind.CALLBACK) if o.provider.progress]
        if len(shows) > 1:
            names = ", ".join(repr(n) for n in shows)
            problems.add(
                ("training", "progress"), f'several callback providers show progress ({names}): pick one, or "none"'
            )
        return shows[0] if len(shows) == 1 else None
    if registry.find(Kind.CALLBACK, wanted) is None:
        names = [*registry.names(Kind.CALLBACK), "auto", "none"]
        problems.add(("training", "progress"), unknown_provider_message(Kind.CALLBACK, wanted, names))
    return wanted


_SCALAR_WORDS = {bool: "true or false", int: "a whole number", float: "a number"}


def _scalar_types(annotation: Any) -> list[type]:
    """The scalar types a field takes (``int | None`` -> [int]); empty when it takes anything else too."""
    if annotation in _SCALAR_WORDS:
        return [annotation]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if args and all(a in _SCALAR_WORDS for a in args):
            return args
    return []


_BOOL_WORDS = frozenset({"true", "false", "yes", "no", "on", "off", "t", "f", "y", "n", "1", "0"})


def _reads_as(text: str, kind: type) -> bool:
    """Whether pydantic's lax mode would read ``text`` as a value of ``kind`` (and so say nothing)."""
    if kind is bool:
        return text.strip().lower() in _BOOL_WORDS
    try:
        number = float(text)
    except ValueError:
        return False
    return kind is float or number.is_integer()


def _numbers_given_as_text(data: dict[str, Any], registry: Registry, problems: Problems) -> None:
    """Report ``batch_size = "128"``: pydantic's lax mode would quietly turn the text into a number.

    In a TOML file a quoted number or boolean is almost always a mistake, so it is refused
    with its line; command-line overrides are read as TOML values (``batch_size=128`` is a number).
    """
    tables: list[tuple[tuple[str | int, ...], Any, type[BaseModel] | None]] = [
        (("experiment",), data.get("experiment"), ExperimentSection),
        (("training",), data.get("training"), TrainingSection),
    ]
    for kind in Kind:
        value = data.get(kind.section)
        for index, table in enumerate(value if kind.many and isinstance(value, list) else [value]):
            name = table.get("provider", kind.default) if isinstance(table, dict) else None
            offered = registry.find(kind, name) if isinstance(name, str) else None
            path: tuple[str | int, ...] = (kind.section, index) if kind.many else (kind.section,)
            tables.append((path, table, offered.provider.params if offered else None))
    plugins = data.get("plugins")
    for name, model in registry.settings.items():
        tables.append((("plugins", name), plugins.get(name) if isinstance(plugins, dict) else None, model))
    for path, table, model in tables:
        if not isinstance(table, dict) or model is None:
            continue
        for key, value in table.items():
            field = model.model_fields.get(key)
            scalars = _scalar_types(field.annotation) if field is not None and isinstance(value, str) else []
            if scalars and any(_reads_as(value, t) for t in scalars):  # other text is pydantic's own error
                wanted = " or ".join(_SCALAR_WORDS[t] for t in scalars)
                problems.add((*path, key), f"{wanted} is expected, not the text {value!r}: write it without quotes")


def _strings(value: Any) -> list[str]:
    """The strings of a list value; anything else (reported by validation) gives none."""
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _choice(value: Params) -> Choice:
    return Choice(getattr(value, "provider"), value)  # noqa: B009


def _to_experiment(
    validated: BaseModel, source: Path | None, registry: Registry, switched_off: tuple[str, ...]
) -> Experiment:
    sections: dict[str, Any] = {}
    for kind in Kind:
        value = getattr(validated, kind.section)
        sections[kind.section] = tuple(_choice(v) for v in value) if kind.many else _choice(value)
    plugins = validated.plugins  # type: ignore[attr-defined]
    settings = {name: getattr(plugins, name) for name in registry.settings}
    return Experiment(
        source=source,
        experiment=validated.experiment,  # type: ignore[attr-defined]
        training=validated.training,  # type: ignore[attr-defined]
        plugin_settings=settings,
        plugins_off=switched_off,
        **sections,
    )
