"""The provider registry: every provider the active plugins offer, by kind and name, and building one.

:class:`Registry` asks each registered plugin's provider hooks once and checks what they
return (types, factory signatures, duplicate names). Configuration validates experiments
against a registry it is given; the runner builds providers through :func:`build`.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import pluggy

from framework.errors import PluginError, UserError
from framework.providers import ImageFolders, Kind, Params, Provider


@dataclass(frozen=True)
class Offered:
    """A provider together with the plugin that offered it."""

    provider: Provider
    plugin: str


class Registry:
    """Every provider offered by the registered plugins (but ``excluded``), by kind and name."""

    def __init__(self, pm: pluggy.PluginManager, *, excluded: Collection[str] = ()) -> None:
        self.pm = pm
        self.excluded = frozenset(excluded)
        self._by_kind: dict[Kind, dict[str, Offered]] = {}
        for kind in Kind:
            table: dict[str, Offered] = {}
            hook = getattr(pm.hook, kind.hook)
            for impl in hook.get_hookimpls():
                plugin_name = pm.get_name(impl.plugin) or repr(impl.plugin)
                if plugin_name in self.excluded:
                    continue
                try:
                    offered = impl.function() or []
                except Exception as exc:  # RecursionError included: a message, not thousands of lines
                    raise PluginError(
                        f"plugin {plugin_name!r}: {kind.hook}() failed: {type(exc).__name__}: {str(exc)[:300]}. "
                        f"Fix the plugin, or skip it with disable_plugins = [{plugin_name!r}]."
                    ) from None
                if not isinstance(offered, list | tuple):
                    raise PluginError(
                        f"plugin {plugin_name!r}: {kind.hook}() must return a list of Provider objects, "
                        f"got {type(offered).__name__}: return [provider] for one."
                    )
                for provider in offered:
                    if not isinstance(provider, Provider):
                        raise PluginError(
                            f"plugin {plugin_name!r}: {kind.hook}() must return Provider objects, "
                            f"got {type(provider).__name__}."
                        )
                    if not (isinstance(provider.params, type) and issubclass(provider.params, Params)):
                        raise PluginError(
                            f"plugin {plugin_name!r}: {kind.label} provider {provider.name!r} gives params "
                            f"{provider.params!r}; it must be a Params subclass (the class, not an instance)."
                        )
                    problem = check_factory(kind, provider)
                    if problem:
                        raise PluginError(
                            f"plugin {plugin_name!r}: {kind.label} provider {provider.name!r} is unusable: {problem}. "
                            f"A {kind.label} factory takes ({', '.join(kind.factory_args)})."
                        )
                    if provider.name in table:
                        raise PluginError(
                            f"two plugins offer a {kind.label} provider named {provider.name!r}: "
                            f"{table[provider.name].plugin!r} and {plugin_name!r}. Disable one of them "
                            "with [experiment] disable_plugins, or rename the provider."
                        )
                    table[provider.name] = Offered(provider, plugin_name)
            self._by_kind[kind] = dict(sorted(table.items()))
        self.settings: dict[str, type[Params]] = {}
        """``[plugins.<name>]`` settings models, by plugin name (:func:`framework.hooks.plugins.hoh_settings`)."""
        for impl in pm.hook.hoh_settings.get_hookimpls():
            plugin_name = pm.get_name(impl.plugin) or repr(impl.plugin)
            if plugin_name in self.excluded:
                continue
            try:
                model = impl.function()
            except Exception as exc:
                raise PluginError(
                    f"plugin {plugin_name!r}: hoh_settings() failed: {type(exc).__name__}: {str(exc)[:300]}."
                ) from None
            if not (isinstance(model, type) and issubclass(model, Params)):
                raise PluginError(
                    f"plugin {plugin_name!r}: hoh_settings() must return a Params subclass, got {model!r}."
                )
            self.settings[plugin_name] = model

    def plugins(self) -> list[tuple[str, object]]:
        """``(name, plugin)`` of every registered plugin this registry includes."""
        return [(name, plugin) for name, plugin in self.pm.list_name_plugin() if name not in self.excluded]

    def names(self, kind: Kind) -> list[str]:
        return list(self._by_kind[kind])

    def offered(self, kind: Kind) -> list[Offered]:
        return list(self._by_kind[kind].values())

    def find(self, kind: Kind, name: str) -> Offered | None:
        return self._by_kind[kind].get(name)

    def get(self, kind: Kind, name: str) -> Provider:
        """The provider of ``kind`` named ``name``.

        Raises:
            UserError: listing the available names and the closest one.
        """
        found = self.find(kind, name)
        if found is None:
            raise UserError(unknown_provider_message(kind, name, self.names(kind)))
        return found.provider


def build(registry: Registry, kind: Kind, choice: Any, *args: Any) -> Any:
    """Call the factory of the provider an experiment ``choice`` picked: ``factory(choice.params, *args)``.

    Args:
        registry: The providers.
        kind: The kind of the provider.
        choice: A :class:`framework.config.loader.Choice` (provider name and validated params).
        *args: The factory's other arguments, as :attr:`Kind.factory_args` lists them.
    """
    built = registry.get(kind, choice.provider).factory(choice.params, *args)
    problem = images_problem(built) if kind is Kind.DATASET else None
    if kind is Kind.CALLBACK:  # TensorFlow is loaded when callbacks are built
        import keras

        if not isinstance(built, keras.callbacks.Callback):
            problem = f"a {type(built).__name__}, not a keras.callbacks.Callback"
    if problem:  # a plugin's mistake, named here rather than as an IndexError or AttributeError mid-run
        offered = registry.find(kind, choice.provider)
        raise PluginError(
            f"{kind.label} provider {choice.provider!r} (plugin {offered.plugin if offered else '?'!r}) returned "
            f"{problem}."
        )
    return built


def images_problem(images: Any) -> str | None:
    """What is wrong with what a dataset factory returned, or ``None``: an :class:`ImageFolders`, lists that agree."""
    if not isinstance(images, ImageFolders):
        return f"a {type(images).__name__}, not framework.ImageFolders"
    for split, listed in (images.file_lists or {}).items():
        if split not in ("train", "validation", "test"):
            return f"file_lists[{split!r}]: the splits are 'train', 'validation' and 'test'"
        paths, labels = listed
        if len(paths) != len(labels):
            return f"file_lists[{split!r}] with {len(paths)} paths and {len(labels)} labels"
        wrong = [label for label in labels if not (isinstance(label, int) and 0 <= label < len(images.class_names))]
        if wrong:
            return (
                f"file_lists[{split!r}] with label {wrong[0]!r}; labels are class indices, 0 to "
                f"{len(images.class_names) - 1} for its {len(images.class_names)} class_names"
            )
    return None


def unknown_provider_message(kind: Kind, name: object, available: list[str]) -> str:
    """'unknown model provider 'x'; did you mean ...? Available: ...'."""
    close = difflib.get_close_matches(str(name), available, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    listing = ", ".join(repr(n) for n in available) or "none (no plugin offers one)"
    return f"unknown {kind.label} provider {name!r}.{hint} Available: {listing}."


def check_factory(kind: Kind, provider: Provider) -> str | None:
    """Why ``provider``'s factory (or ``check_input``) cannot be called as the runner calls it, or ``None``.

    Checked when a plugin registers, as pluggy checks hook implementations, so that a wrong
    signature is reported by ``hoh validate`` rather than mid-run after a download.
    """
    calls = [("factory", provider.factory, kind.factory_args)]
    if provider.check_input is not None:
        calls.append(("check_input", provider.check_input, ("params", "input_shape")))
    for what, function, args in calls:
        if not callable(function):
            return f"its {what} is not callable"
        try:
            signature = inspect.signature(function)
        except (TypeError, ValueError):
            continue  # builtins and some C callables have no signature to check
        try:
            signature.bind(*args)
        except TypeError as error:
            return f"its {what}{signature} cannot be called as {what}({', '.join(args)}): {error}"
    return None
