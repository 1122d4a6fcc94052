"""Hooks about a plugin itself: the settings it takes, the commands it adds, the files it checks.

Each is called once per plugin (not per run), when a session loads experiments or when
``hoh`` builds its command line.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from framework.markers import hookspec

if TYPE_CHECKING:
    from framework.commands import Command
    from framework.providers import Params


@hookspec
def hoh_settings() -> type[Params]:
    """Declare the settings this plugin takes from an experiment's ``[plugins.<name>]`` table.

    ``<name>`` is the name the plugin is registered under: its entry point's name, a
    ``.py`` file's stem, or the dotted module name. The table is validated by the returned
    model like a provider section (unknown keys, types and bounds are errors with their
    line); a left-out table gets the model's defaults. Every plugin's table also takes
    ``enabled = false``, which switches the plugin off for that experiment (as
    ``[experiment] disable_plugins`` does). Read the settings in any hook with
    ``run.settings("<name>")``.

    Returns:
        A :class:`framework.providers.Params` subclass.
    """


@hookspec
def hoh_commands() -> list[Command]:
    """Add sub-commands to ``hoh``: ``hoh <name> ...``.

    Called when ``hoh`` is given a command it does not have built in, or ``--help``;
    built-in commands never load plugins for it. A name clashing with another command is
    refused with a message naming both.

    Returns:
        :class:`framework.commands.Command` objects (an empty list for none).
    """


@hookspec(firstresult=True)
def hoh_validate_file(path: Path, data: dict[str, Any]) -> list[str] | None:
    """Check a file that is not an experiment file, for ``hoh validate`` (a sweep file, say).

    Called by ``hoh validate FILE`` when ``FILE`` has no ``[experiment]`` table; the first
    plugin that recognises the file answers. Raise :class:`framework.UserError` (or
    :class:`framework.ExperimentError`, one line per problem) when it is not valid.

    Args:
        path: The file.
        data: Its parsed TOML.

    Returns:
        Lines describing the valid file (``hoh validate`` prints them after "ok"), or
        ``None`` when this plugin does not know such files.
    """
