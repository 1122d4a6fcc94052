"""Plugin discovery: finding, importing and registering plugins (the providers they offer: :mod:`framework.registry`).

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

import importlib
import importlib.metadata
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import pluggy

from framework.errors import PluginError
from framework.hooks import SPEC_MODULES
from framework.markers import PROJECT_NAME

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
                f"Install it, or name a .py file (a relative path is looked up in {base_dir})."
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
