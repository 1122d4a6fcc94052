"""Sub-commands that plugins add through ``hoh_commands``, found only when ``hoh`` needs them.

``hoh run``, ``hoh validate`` and the other built-in commands never load plugins for this:
they start as fast as before. ``hoh --help`` and a command ``hoh`` does not know load them.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from framework.commands import Command
from framework.errors import PluginError


@dataclass(frozen=True)
class OfferedCommand:
    """A plugin's command with the name of the plugin that offers it."""

    command: Command
    plugin: str


def plugin_commands(*, autoload: bool, builtin: Collection[str]) -> list[OfferedCommand]:
    """Every command the installed plugins offer, checked.

    Raises:
        PluginError: a plugin failed, returned something else than ``Command`` objects, or two
            commands (or a command and a built-in one) share a name.
    """
    from framework.session import Session

    session = Session(autoload=autoload)
    view = session.activate()
    found: dict[str, OfferedCommand] = {}
    for impl in view.pm.hook.hoh_commands.get_hookimpls():
        plugin = view.pm.get_name(impl.plugin) or repr(impl.plugin)
        try:
            commands = impl.function() or []
        except Exception as exc:
            raise PluginError(
                f"plugin {plugin!r}: hoh_commands() failed: {type(exc).__name__}: {str(exc)[:300]}. Fix the "
                "plugin, or skip installed plugins with --no-plugin-autoload."
            ) from None
        for command in commands:
            if not isinstance(command, Command):
                raise PluginError(f"plugin {plugin!r}: hoh_commands() must return Command objects, got {command!r}.")
            if command.name in builtin:
                raise PluginError(
                    f"plugin {plugin!r} adds a command {command.name!r}, but hoh has one by that name; "
                    "the plugin must rename it."
                )
            if command.name in found:
                raise PluginError(
                    f"plugins {found[command.name].plugin!r} and {plugin!r} both add a command {command.name!r}; "
                    "uninstall one, or skip installed plugins with --no-plugin-autoload."
                )
            found[command.name] = OfferedCommand(command, plugin)
    return list(found.values())
