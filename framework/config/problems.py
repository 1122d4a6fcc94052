"""Problems found in an experiment file, each located by line or override, with what would be valid."""

from __future__ import annotations

import difflib
from typing import Any

from framework.config.sections import ExperimentSection, TrainingSection
from framework.config.toml_lines import key_lines, line_of
from framework.errors import ExperimentError
from framework.markers import CORE_PLUGIN
from framework.providers import Kind
from framework.registry import Registry, unknown_provider_message

_KIND_BY_SECTION = {kind.section: kind for kind in Kind}


class Problems:
    """Collects problems, each located by file line or command-line override."""

    def __init__(self, source: str, text: str, data: dict[str, Any], overrides: dict[tuple[str, ...], str]) -> None:
        self.source = source
        self.data = data
        self.lines = key_lines(text)
        self.overrides = overrides
        self.items: list[tuple[float, str]] = []

    def add(self, path: tuple[str | int, ...], message: str) -> None:
        dotted = _dotted(path)
        line = line_of(self.lines, path)
        parts = tuple(str(p) for p in path)
        for opath, text in self.overrides.items():
            made_by_override = line is None and opath[: len(parts)] == parts  # a key only the override names
            if parts[: len(opath)] == opath or made_by_override:
                self.items.append((0, f"override {text!r}: {dotted}: {message}"))
                return
        where = f"{self.source}, line {line}" if line else self.source
        self.items.append((line or float("inf"), f"{where}: {dotted}: {message}" if dotted else f"{where}: {message}"))

    def raise_if_any(self) -> None:
        if self.items:
            raise ExperimentError(self.source, [text for _, text in sorted(self.items, key=lambda item: item[0])])


def _dotted(path: tuple[str | int, ...]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def report_error(problems: Problems, registry: Registry, error: dict[str, Any]) -> None:
    loc = tuple(error["loc"])
    kind = _KIND_BY_SECTION.get(str(loc[0])) if loc else None
    kind_depth = 2 if kind is not None and kind.many else 1
    if kind is not None and error["type"] in {"union_tag_invalid", "union_tag_not_found"}:
        section_path = loc[:kind_depth]
        if error["type"] == "union_tag_not_found":
            names = ", ".join(repr(n) for n in registry.names(kind))
            problems.add((*section_path, "provider"), f"missing; pick a {kind.label} provider: {names}.")
        else:
            tag = error["ctx"]["tag"]
            problems.add((*section_path, "provider"), unknown_provider_message(kind, tag, registry.names(kind)))
        return
    provider = None
    if kind is not None and len(loc) > kind_depth + 1 and registry.find(kind, str(loc[kind_depth])):
        provider = str(loc[kind_depth])
        loc = loc[:kind_depth] + loc[kind_depth + 1 :]  # drop the union tag pydantic adds to the path
    elif kind is not None:
        provider = _selected_provider(loc[:kind_depth], problems.data)
    message = error["msg"]
    if error["type"] == "extra_forbidden" and len(loc) == 2 and loc[0] == "plugins":
        message = "no plugin of this experiment is named so (a table per plugin: its settings, or enabled = false)"
        message += _known_keys_hint(loc, kind, provider, registry).replace("Valid keys here", "Plugins")
    elif error["type"] == "extra_forbidden":
        message = "unknown key" + _known_keys_hint(loc, kind, provider, registry)
    elif error["type"] == "missing" and kind is not None and loc[-1] == "provider":
        names = ", ".join(repr(n) for n in registry.names(kind))
        message = f"missing; pick a {kind.label} provider: {names}."
    elif error["type"] == "missing":
        message = "required key is missing"
    elif error["type"] == "string_pattern_mismatch" and loc == ("experiment", "name"):
        message = f"{error['input']!r} is not a valid name: use letters, digits, '.', '_', '-' (it names run folders)"
    elif error["type"] == "literal_error" and kind is not None and loc[-1] == "provider":
        message = unknown_provider_message(kind, error["input"], registry.names(kind))
    elif error["type"] == "value_error":  # our validators' messages name the value already
        message = message.removeprefix("Value error, ")
    elif "input" in error and not isinstance(error["input"], dict | list):
        message = f"{message} (got {_clip(repr(error['input']))})"
    problems.add(loc, message)


def _clip(text: str, limit: int = 200) -> str:
    """A value as shown in a message: long ones are cut, with their length."""
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def _selected_provider(section_path: tuple[Any, ...], data: dict[str, Any]) -> str | None:
    value: Any = data
    for part in section_path:
        try:
            value = value[part]
        except (KeyError, IndexError, TypeError):
            return None
    return value.get("provider") if isinstance(value, dict) else None


def _known_keys_hint(loc: tuple[Any, ...], kind: Kind | None, provider: str | None, registry: Registry) -> str:
    known = _known_keys(loc[:-1], kind, provider, registry)
    if not known:
        return ""
    close = difflib.get_close_matches(str(loc[-1]), known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else "."
    return f"{hint} Valid keys here: {', '.join(known)}."


def _known_keys(parent: tuple[Any, ...], kind: Kind | None, provider: str | None, registry: Registry) -> list[str]:
    if not parent:
        return ["experiment", *(k.section for k in Kind), "training", "plugins"]
    if parent == ("plugins",):
        return [name for name, _ in registry.plugins() if name != CORE_PLUGIN]
    if len(parent) == 2 and parent[0] == "plugins":
        settings = registry.settings.get(str(parent[1]))
        return ["enabled", *(settings.model_fields if settings else [])]
    if parent == ("experiment",):
        return list(ExperimentSection.model_fields)
    if parent == ("training",):
        return list(TrainingSection.model_fields)
    found = registry.find(kind, provider) if kind is not None and provider else None
    return ["provider", *found.provider.params.model_fields] if found else []
