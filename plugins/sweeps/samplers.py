"""How a sweep draws its trials: one table of methods, each with the sampler it makes and the options it takes.

``[sweep] method`` names a row of :data:`METHODS` (``grid``, ``random``, ``tpe``) or any of
Optuna's sampler classes (``CmaEsSampler``, ``QMCSampler``, ...); ``[sweep.method_options]``
passes keyword arguments to the sampler, checked against its signature when the file is
checked, before any trial. A new method is one row here. Optuna is imported only when a
method is checked or made, never when hoh starts.

Example::

    [sweep]
    method = "tpe"
    [sweep.method_options]
    n_startup_trials = 4      # TPE's random trials before it models (default: a third of the trials, 2-10)
    multivariate = true
"""

from __future__ import annotations

import difflib
import inspect
import itertools
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from plugins.sweeps.space import Parameter
    from plugins.sweeps.spec import Sweep

SEED_FACTOR = 100_003
"""Trial ``n`` of a sweep seeded ``s`` is drawn by a sampler seeded ``s * SEED_FACTOR + n``."""


@dataclass(frozen=True)
class Method:
    """One row of the table: a method a sweep file may name.

    Attributes:
        name: What ``[sweep] method`` says.
        sampler: The Optuna sampler class's name in ``optuna.samplers``.
        summary: One line for people.
        defaults: Options hoh chooses for this sweep (the file's options win).
        choices_only: Every searched parameter must be a ``{ choice = [...] }`` (a grid).
        next_params: Picks the next trial's parameters itself from the trials so far (``None``:
            the sampler draws them); ``None`` from it means no point is left.
    """

    name: str
    sampler: str
    summary: str
    defaults: Callable[[Sweep], dict[str, Any]] = lambda sweep: {}
    choices_only: bool = False
    next_params: Callable[[Sweep, list[Any]], dict[str, Any] | None] | None = None


def _tpe_defaults(sweep: Sweep) -> dict[str, Any]:
    # TPE models after a third of the trials (2 to 10) rather than Optuna's fixed 10, which
    # would leave a 12-trial sweep random.
    return {"n_startup_trials": max(2, min(10, sweep.settings.trials // 3))}


def grid_points(sweep: Sweep) -> list[dict[str, Any]]:
    """Every combination of the choices, in an order shuffled by ``[sweep] seed`` (as listed: no seed)."""
    keys = [p.key for p in sweep.parameters]
    points = [
        dict(zip(keys, values, strict=True)) for values in itertools.product(*(p.values for p in sweep.parameters))
    ]
    if sweep.settings.seed is not None:
        random.Random(sweep.settings.seed).shuffle(points)
    return points


def _next_grid_point(sweep: Sweep, trials: list[Any]) -> dict[str, Any] | None:
    # Optuna's GridSampler, made anew a trial (it must be seeded by the trial's number, see
    # make_sampler), drew points already taken and stops the study from tell(), which only works
    # inside study.optimize. The next point is instead the first of the seeded order that no
    # finished, running or waiting trial holds: under the trial slot's lock, so any number of
    # workers on any number of machines cover each point once. An interrupted or killed trial's
    # point is run again (see trials._to_retry); a point that failed by its own error is not.
    taken = [trial.params for trial in trials if trial.state.name != "FAIL" or "hoh_error" in trial.user_attrs]
    return next((point for point in grid_points(sweep) if point not in taken), None)


METHODS: dict[str, Method] = {
    method.name: method
    for method in (
        Method(
            "grid",
            "RandomSampler",
            "every combination of the choices once, in a seeded order",
            choices_only=True,
            next_params=_next_grid_point,
        ),
        Method("random", "RandomSampler", "independent uniform draws"),
        Method("tpe", "TPESampler", "Tree-structured Parzen Estimator: random at first, then modelled", _tpe_defaults),
    )
}

_GIVEN_BY_HOH = {"seed", "search_space"}  # seeded per trial; the grid is the [space]
ALIASES = {"GridSampler": "grid", "RandomSampler": "random", "TPESampler": "tpe"}
"""Optuna's class names for the table's methods: the table's row is used (a grid needs hoh's points)."""


def _sampler_class(name: str) -> type | None:
    import optuna

    found = getattr(optuna.samplers, name, None)
    return found if isinstance(found, type) and issubclass(found, optuna.samplers.BaseSampler) else None


def _optuna_samplers() -> list[str]:
    import optuna

    return sorted(n for n in dir(optuna.samplers) if n.endswith("Sampler") and n != "BaseSampler")


def method_of(name: str) -> Method | None:
    """The table's row for ``name``, or a row made for an Optuna sampler class of that name."""
    name = ALIASES.get(name, name)
    if name in METHODS:
        return METHODS[name]
    if _sampler_class(name) is not None:
        return Method(name, name, f"Optuna's {name}")
    return None


def check_method(name: str, options: dict[str, Any], parameters: list[Parameter], trials: int) -> list[tuple[str, str]]:
    """Problems with ``[sweep] method``, ``[sweep.method_options]`` and a grid's trial count, as (key, message)."""
    method = method_of(name)
    if method is None:
        names = [*METHODS, *_optuna_samplers()]
        close = difflib.get_close_matches(name, names, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        return [("sweep.method", f"{name!r} is not a method; {hint}use one of: {', '.join(names)}")]
    problems: list[tuple[str, str]] = []
    if method.choices_only:
        continuous = [p.key for p in parameters if p.kind != "choice"]
        if continuous:
            problems.append(
                (
                    "sweep.method",
                    f"{name} needs every searched parameter as a {{ choice = [...] }}; "
                    f"these are ranges: {', '.join(continuous)}",
                )
            )
        else:
            points = math.prod(len(p.values) for p in parameters)
            if trials > points:
                problems.append(
                    ("sweep.trials", f"the grid has {points} points, each tried once: give trials = {points} or less")
                )
    taken = _options_of(method)
    for option in options:
        if option in _GIVEN_BY_HOH:
            problems.append(
                (f"sweep.method_options.{option}", f"hoh sets {option} itself ([sweep] seed; the [space] table)")
            )
        elif taken is not None and option not in taken:
            known = ", ".join(sorted(taken - _GIVEN_BY_HOH)) or "none"
            problems.append(
                (f"sweep.method_options.{option}", f"{method.sampler} takes no {option!r}; it takes: {known}")
            )
    return problems


def _options_of(method: Method) -> set[str] | None:
    """The keyword arguments the method's sampler takes (``None``: any, it takes ``**kwargs``)."""
    parameters = inspect.signature(_sampler_class(method.sampler)).parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return None
    return {p.name for p in parameters if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)}


def make_sampler(sweep: Sweep, number: int = 0) -> Any:
    """The sampler that draws trial ``number``, seeded by (sweep seed, number).

    Workers each hold a sampler; seeded alike, they would draw the same values. Seeding by the
    trial's number (taken under the trial slot's lock) gives distinct, reproducible draws
    whatever worker draws them.
    """
    method = method_of(sweep.settings.method)
    assert method is not None, "checked when the sweep file was loaded"
    options = {**method.defaults(sweep), **sweep.settings.method_options}
    seed = None if sweep.settings.seed is None else sweep.settings.seed * SEED_FACTOR + number
    taken = _options_of(method)
    if taken is None or "seed" in taken:
        options["seed"] = seed
    return _sampler_class(method.sampler)(**options)
