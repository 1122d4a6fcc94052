"""Plugin discovery and the provider registry.

Plugins are found, in this order:

1. built-ins: entry points in group ``hoh.builtins`` (registered by this distribution);
2. third-party plugins: entry points in group ``hoh.plugins``, skipped with
   ``--no-plugin-autoload`` or ``HOH_DISABLE_PLUGIN_AUTOLOAD=1``;
3. modules named in the experiment file (``[experiment] plugins``) or with ``--plugin``:
   a dotted module name, or a path to a ``.py`` file relative to the experiment
   file's folder.

Plugins named in ``disable_plugins`` are not registered. :class:`framework.session.Session`
loads them in that order, once per process; this module holds the pieces it uses.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.metadata
import importlib.util
import os
import sys
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pluggy

from framework.errors import PluginError, UserError
from framework.hooks import SPEC_MODULES
from framework.markers import PROJECT_NAME
from framework.providers import Kind, Params, Provider, check_factory

BUILTIN_GROUP = "hoh.builtins"
ENTRY_POINT_GROUP = "hoh.plugins"
AUTOLOAD_ENV = "HOH_DISABLE_PLUGIN_AUTOLOAD"


LOCAL_MODULE_PREFIX = "hoh_local_plugin_"
"""``sys.modules`` name prefix of plugins loaded from ``.py`` files (importable only by their path)."""


def autoload_disabled_by_env() -> bool:
    """True when ``HOH_DISABLE_PLUGIN_AUTOLOAD`` is set to a true value."""
    return os.environ.get(AUTOLOAD_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def new_plugin_manager() -> pluggy.PluginManager:
    """A plugin manager that knows every hoh hook specification, with only the core's own hooks registered."""
    from framework import default_hooks

    pm = pluggy.PluginManager(PROJECT_NAME)
    for module in SPEC_MODULES:
        pm.add_hookspecs(module)
    pm.register(default_hooks, name=default_hooks.PLUGIN_NAME)
    return pm


def _is_file_spec(spec: str) -> bool:
    return spec.endswith(".py") or "/" in spec or os.sep in spec


def module_plugin_name(spec: str) -> str:
    """The name a plugin module registers under: a ``.py`` file's stem, else the dotted name."""
    return Path(spec).stem if _is_file_spec(spec) else spec


def import_module_plugin(spec: str, base_dir: Path) -> tuple[str, ModuleType]:
    """Import a plugin named by a dotted module name or a ``.py`` path; returns its name and module.

    Raises:
        PluginError: when the file or module is missing or fails to import.
    """
    if _is_file_spec(spec):
        path = Path(spec).expanduser()
        if not path.is_absolute():
            path = base_dir / path
        if not path.is_file():
            raise PluginError(
                f"plugin file {spec!r} does not exist (looked for {path}). Name a .py file relative to "
                f"the experiment file's folder ({base_dir}), or an importable module such as 'my_plugins.wide_cnn'."
            )
        name = f"{LOCAL_MODULE_PREFIX}{path.stem}"
        module_spec = importlib.util.spec_from_file_location(name, path)
        assert module_spec is not None and module_spec.loader is not None
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[name] = module  # dataclasses, typing.get_type_hints and pickle look modules up there
        try:
            module_spec.loader.exec_module(module)
        except (Exception, SystemExit) as exc:  # a plugin that calls sys.exit() on import must not end hoh quietly
            sys.modules.pop(name, None)
            raise PluginError(f"plugin {spec!r} ({path}) failed to import: {type(exc).__name__}: {exc}") from exc
        return path.stem, module
    added = str(base_dir) not in sys.path
    if added:
        sys.path.insert(0, str(base_dir))
    try:
        return spec, importlib.import_module(spec)
    except ModuleNotFoundError as exc:
        if exc.name and spec.startswith(exc.name):
            raise PluginError(
                f"plugin module {spec!r} was not found on the Python path or in {base_dir}. "
                "Install it, or name a .py file relative to the experiment file."
            ) from exc
        raise PluginError(f"plugin {spec!r} failed to import: {type(exc).__name__}: {exc}") from exc
    except (Exception, SystemExit) as exc:
        raise PluginError(f"plugin {spec!r} failed to import: {type(exc).__name__}: {exc}") from exc
    finally:
        if added:
            sys.path.remove(str(base_dir))


def load_entry_point(group: str, ep: importlib.metadata.EntryPoint) -> object:
    """Import the plugin an entry point names.

    Raises:
        PluginError: naming the entry point, and how to skip it.
    """
    try:
        return ep.load()
    except (Exception, SystemExit) as exc:
        autoload_hint = " or --no-plugin-autoload" if group == ENTRY_POINT_GROUP else ""
        raise PluginError(
            f"plugin {ep.name!r} (entry point {ep.value!r} in group {group!r}) failed to import: "
            f"{type(exc).__name__}: {exc}. Fix or uninstall it, or skip it with disable_plugins = "
            f"[{ep.name!r}]{autoload_hint}."
        ) from exc


def register_plugin(pm: pluggy.PluginManager, plugin: object, name: str) -> None:
    """Register ``plugin`` as ``name``; pluggy checks its hook implementations.

    Raises:
        PluginError: for a name taken already, or an implementation pluggy refuses.
    """
    if pm.has_plugin(name):
        raise PluginError(f"two plugins are named {name!r}; rename one or disable it with disable_plugins.")
    try:
        pm.register(plugin, name=name)
    except (pluggy.PluginValidationError, ValueError) as exc:
        raise PluginError(f"plugin {name!r} could not be registered: {exc}") from exc


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
                for provider in offered:
                    if not isinstance(provider, Provider):
                        raise PluginError(
                            f"plugin {plugin_name!r}: {kind.hook}() must return Provider objects, "
                            f"got {type(provider).__name__}."
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
    return registry.get(kind, choice.provider).factory(choice.params, *args)


def unknown_provider_message(kind: Kind, name: object, available: list[str]) -> str:
    """'unknown model provider 'x'; did you mean ...? Available: ...'."""
    close = difflib.get_close_matches(str(name), available, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    listing = ", ".join(repr(n) for n in available) or "none (no plugin offers one)"
    return f"unknown {kind.label} provider {name!r}.{hint} Available: {listing}."
