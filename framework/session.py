"""A session: one plugin manager for a process, experiments loaded against views of it.

Plugins are imported and registered once per session, however many experiments are
loaded (a sweep loads one per trial). What differs per experiment is which plugins
are *active*: every built-in and installed plugin that the experiment does not switch
off, plus the modules it names itself. Each experiment sees its active plugins through
a :class:`PluginView`: a provider registry and hook callers (pluggy's
``subset_hook_caller``) that leave the other registered plugins out.

Kedro keeps its hook manager apart from configuration loading the same way.

Example::

    session = Session()
    for path in paths:
        loaded = load_experiment(path, session=session)  # nothing re-imported
"""

from __future__ import annotations

import contextlib
import importlib.metadata
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pluggy

from framework.errors import PluginError
from framework.markers import CORE_PLUGIN
from framework.plugin_manager import (
    BUILTIN_GROUP,
    ENTRY_POINT_GROUP,
    autoload_disabled_by_env,
    import_module_plugin,
    load_entry_point,
    module_plugin_name,
    new_plugin_manager,
    register_plugin,
)
from framework.registry import Registry


class HookRelay:
    """``pm.hook`` for the active plugins only: ``relay.hoh_after_run(run=..., history=...)``."""

    def __init__(self, pm: pluggy.PluginManager, excluded: frozenset[str]) -> None:
        self._pm = pm
        self._excluded = excluded

    def __getattr__(self, name: str) -> Any:
        if not self._excluded:
            return getattr(self._pm.hook, name)
        plugins = [p for p in (self._pm.get_plugin(n) for n in self._excluded) if p is not None]
        return self._pm.subset_hook_caller(name, remove_plugins=plugins)


@dataclass(frozen=True)
class PluginView:
    """The active plugins of one experiment: their names, providers and hooks."""

    pm: pluggy.PluginManager
    active: tuple[str, ...]
    registry: Registry
    hook: HookRelay


class Session:
    """The plugin manager of a process, with every plugin imported at most once.

    Args:
        autoload: Whether third-party plugins (entry points in ``hoh.plugins``) are
            loaded; ``HOH_DISABLE_PLUGIN_AUTOLOAD=1`` turns it off too.
    """

    def __init__(self, *, autoload: bool = True) -> None:
        self.autoload = autoload and not autoload_disabled_by_env()
        self.pm = new_plugin_manager()
        self._entry_points: list[tuple[str, importlib.metadata.EntryPoint]] | None = None
        self._installed: set[str] = set()  # names of the built-in and entry-point plugins registered
        self._modules: dict[tuple[str, str], str] = {}  # (spec, base folder) -> registered name
        self._registries: dict[frozenset[str], Registry] = {}  # by active plugin names

    def _entry_point_list(self) -> list[tuple[str, importlib.metadata.EntryPoint]]:
        if self._entry_points is None:  # reading distributions' metadata costs ~20 ms: once
            groups = [BUILTIN_GROUP] + ([ENTRY_POINT_GROUP] if self.autoload else [])
            seen: set[str] = set()
            self._entry_points = []
            for group in groups:
                for ep in importlib.metadata.entry_points(group=group):
                    if ep.name not in seen:  # the same distribution found twice on sys.path
                        seen.add(ep.name)
                        self._entry_points.append((group, ep))
        return self._entry_points

    def activate(
        self, modules: Iterable[str] = (), *, base_dir: Path | None = None, disabled: Collection[str] = ()
    ) -> PluginView:
        """Register what is not registered yet and return the view of the active plugins.

        Args:
            modules: Dotted module names or ``.py`` paths (relative to ``base_dir``), as in
                ``[experiment] plugins``.
            base_dir: Folder that relative plugin paths start from (the experiment file's).
            disabled: Names of plugins that are not active (and not imported, if not yet).

        Raises:
            PluginError: when a plugin cannot be imported or registered.
        """
        base_dir = (base_dir or Path.cwd()).resolve()
        for group, ep in self._entry_point_list():
            if ep.name in disabled or self.pm.has_plugin(ep.name):
                continue
            register_plugin(self.pm, load_entry_point(group, ep), ep.name)
            self._installed.add(ep.name)
        named: list[str] = []
        for spec in modules:
            key = (spec, str(base_dir))
            name = self._modules.get(key)
            if name is None:
                name = module_plugin_name(spec)
                if name in disabled:
                    continue
                name, module = import_module_plugin(spec, base_dir)
                if not self.pm.is_registered(module):
                    register_plugin(self.pm, module, name)
                name = self.pm.get_name(module) or name
                self._modules[key] = name
            named.append(name)
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            raise PluginError(unknown_hook_message(self.pm, exc)) from exc
        wanted = (self._installed | set(named)) - set(disabled) | {CORE_PLUGIN}
        active = tuple(name for name, _ in self.pm.list_name_plugin() if name in wanted)
        excluded = frozenset(name for name, _ in self.pm.list_name_plugin() if name not in wanted)
        registry = self._registries.get(frozenset(active))  # keyed by what is in it: the session only grows
        if registry is None:
            registry = self._registries[frozenset(active)] = Registry(self.pm, excluded=excluded)
        return PluginView(self.pm, active, registry, HookRelay(self.pm, excluded))

    @contextlib.contextmanager
    def plugin(self, plugin: object, name: str) -> Iterator[None]:
        """Register ``plugin`` (an object with ``@hookimpl`` methods) for the duration of the block.

        While registered it is active in every experiment of this session (its hooks are called
        for runs trained in the block), then it is unregistered: a per-run plugin *instance*,
        with state of its own, instead of a module with a global. For hooks only: a provider
        it offered would not be in registries made before it.

        Example::

            with session.plugin(TrialPruning(trial, "val_accuracy"), "sweep-trial-7"):
                run_experiment(loaded, run_dir=folder)

        Raises:
            PluginError: when ``name`` is taken, or a hook is misspelled or misdeclared.
        """
        if self.pm.has_plugin(name):
            raise PluginError(f"a plugin named {name!r} is registered already")
        try:
            self.pm.register(plugin, name)
        except pluggy.PluginValidationError as exc:
            raise PluginError(f"plugin {name!r}: {exc}") from exc
        try:
            yield
        finally:
            self.pm.unregister(plugin)


def unknown_hook_message(pm: pluggy.PluginManager, error: pluggy.PluginValidationError) -> str:
    """pluggy's "unknown hook 'X' in plugin <module ...>" as a sentence naming the plugin and the closest hook."""
    import difflib
    import re

    found = re.search(r"unknown hook '([^']+)'", str(error))
    if found is None:
        return str(error)
    known = sorted(name for name, caller in vars(pm.hook).items() if getattr(caller, "spec", None) is not None)
    close = difflib.get_close_matches(found.group(1), known, n=1)
    plugin = pm.get_name(error.plugin) or repr(error.plugin)
    return (
        f"plugin {plugin!r} implements {found.group(1)!r}, which is no hoh hook"
        + (f" (did you mean {close[0]!r}?)" if close else "")
        + f". hoh's hooks: {', '.join(known)}."
    )
