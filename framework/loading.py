"""Load an experiment: read it, apply overrides, load the plugins it names, validate it against them.

This sits above configuration (:mod:`framework.config.loader`, which validates against a
registry it is given) and plugin loading (:mod:`framework.session`).

Example::

    loaded = load_experiment(Path("experiments/quick.toml"), ["training.epochs=3"])
    loaded.experiment.training.epochs  # 3
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pluggy

from framework.config.loader import Experiment, plugins_named, read_toml, validate_experiment
from framework.config.overrides import apply_overrides
from framework.registry import Registry
from framework.session import HookRelay, Session


@dataclass
class Loaded:
    """An experiment with the plugins it was validated against.

    Attributes:
        experiment: The validated experiment.
        pm: The session's plugin manager (it may hold plugins this experiment does not use).
        registry: The providers of the experiment's active plugins.
        hook: Hook callers that call the experiment's active plugins only.
        session: The session it was loaded in.
    """

    experiment: Experiment
    pm: pluggy.PluginManager
    registry: Registry
    hook: HookRelay
    session: Session


def load_experiment(
    path: Path,
    overrides: list[str] = (),  # type: ignore[assignment]
    *,
    session: Session | None = None,
    plugins: list[str] = (),  # type: ignore[assignment]
    autoload: bool = True,
    recorded: bool = False,
) -> Loaded:
    """Read, override and validate ``path``, loading the plugins it names into ``session``.

    Args:
        path: The experiment file.
        overrides: ``dotted.key=value`` strings from the command line.
        session: Where plugins are loaded, once; by default a new session.
        plugins: Extra plugin modules (``--plugin``), as in ``[experiment] plugins``.
        autoload: For a new session: whether third-party entry-point plugins are loaded.
        recorded: ``path`` is a run folder's record of its experiment (resumed, extended, evaluated,
            exported): what it names outside the run was checked when the run started and may be
            gone since (``training.init_from``), which is not an error.

    Raises:
        ExperimentError: listing every problem, each with its line (or override) and key.
        PluginError: when a named plugin cannot be loaded.
    """
    text, data = read_toml(path)
    applied = apply_overrides(data, list(overrides))
    return validate_data(
        data,
        text=text,
        source=path,
        overrides=applied,
        session=session,
        plugins=plugins,
        autoload=autoload,
        recorded=recorded,
    )


def validate_data(
    data: dict[str, Any],
    *,
    text: str,
    source: Path,
    overrides: dict[tuple[str, ...], str],
    session: Session | None = None,
    plugins: list[str] = (),  # type: ignore[assignment]
    autoload: bool = True,
    recorded: bool = False,
) -> Loaded:
    """Validate already-parsed experiment data (see :func:`load_experiment`)."""
    specs, disabled = plugins_named(data, list(plugins))
    session = session or Session(autoload=autoload)
    view = session.activate(specs, base_dir=source.parent, disabled=disabled)
    experiment = validate_experiment(
        data, view.registry, text=text, source=source, overrides=overrides, recorded=recorded
    )
    return Loaded(experiment, view.pm, view.registry, view.hook, session)
