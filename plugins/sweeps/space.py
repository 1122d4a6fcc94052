"""A sweep's search space: the ``[space]`` table's searched parameters, and values as override text.

``"key" = { kind = [...] }`` searches a key: ``uniform``, ``log_uniform``, ``int``, ``log_int``
(``[low, high]``; ``step = ...`` for uniform and int) or ``choice`` (``[a, b, ...]``). ``when =
{ "other.key" = value }`` searches it only in trials where another key has that value (a
conditional parameter, e.g. momentum only for SGD); the other key is a searched ``choice`` or
a fixed value. A plain value is fixed for every trial.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Parameter:
    """One searched key: ``kind`` is ``uniform``, ``log_uniform``, ``int``, ``log_int`` or ``choice``."""

    key: str
    kind: str
    values: tuple[Any, ...]  # (low, high) or the choices
    step: float | int | None = None  # uniform and int ranges: sample low, low + step, ... high
    when: tuple[tuple[str, Any], ...] = ()  # searched only where these keys have these values

    def active(self, values: dict[str, Any]) -> bool:
        """Whether a trial with ``values`` (fixed and sampled so far) searches this key."""
        return all(key in values and same_value(values[key], wanted) for key, wanted in self.when)

    def probes(self) -> tuple[Any, ...]:
        """The values checked against the experiment before any trial: every choice; for a range its bounds
        and, for a float range, a value inside with a fraction (``{ uniform = [2.0, 4.0] }`` on an integer
        key passes at its bounds, then fails every trial)."""
        if self.kind == "uniform" and self.step is None:
            return (*self.values, self.values[0] + 0.37 * (self.values[1] - self.values[0]))
        if self.kind == "uniform":  # the first step in: a value the sampler can give
            return (*self.values, self.values[0] + self.step)
        if self.kind == "log_uniform":
            return (*self.values, self.values[0] * (self.values[1] / self.values[0]) ** 0.37)
        return self.values

    def describe(self) -> str:
        when = " when " + ", ".join(f"{k} = {v!r}" for k, v in self.when) if self.when else ""
        if self.kind == "choice":
            return "{" + ", ".join(repr(v) for v in self.values) + "}" + when
        step = f" step {self.step:g}" if self.step is not None else ""
        return f"{self.kind} [{self.values[0]:g}, {self.values[1]:g}]{step}{when}"


def _hashable(value: Any) -> Any:
    """Lists (TOML arrays) as tuples, so that conditions compare and hash."""
    return tuple(_hashable(v) for v in value) if isinstance(value, list | tuple) else value


def same_value(value: Any, wanted: Any) -> bool:
    """Whether a key's value is the one a ``when`` condition wants (a TOML array and a tuple compare alike)."""
    return _hashable(value) == _hashable(wanted)


def ordered(parameters: list[Parameter] | tuple[Parameter, ...]) -> list[Parameter]:
    """``parameters`` with each one after the keys its ``when`` names (file order otherwise).

    Raises:
        ValueError: naming the keys whose conditions depend on each other in a circle.
    """
    left, done, keys = list(parameters), [], {p.key for p in parameters}
    while left:
        ready = [p for p in left if all(k not in keys or k in {d.key for d in done} for k, _ in p.when)]
        if not ready:
            raise ValueError(
                "these keys' when conditions depend on each other in a circle: " + ", ".join(p.key for p in left)
            )
        done += ready
        left = [p for p in left if p not in ready]
    return done


def toml_value(value: Any) -> str:
    """``value`` as override text (TOML)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, float):
        return (
            repr(value) if math.isfinite(value) else ("nan" if math.isnan(value) else ("inf" if value > 0 else "-inf"))
        )
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return str(value)


def parse_parameter(key: str, spec: dict[str, Any]) -> Parameter:
    """A ``{ log_uniform = [a, b] }``-style table as a parameter; ValueError says what is valid."""
    kinds = ("uniform", "log_uniform", "int", "log_int", "choice")
    given = [name for name in spec if name not in ("step", "when")]
    if len(given) != 1 or given[0] not in kinds:
        raise ValueError(f"give exactly one of {', '.join(kinds)}, e.g. {{ log_uniform = [1e-5, 1e-2] }}")
    kind, values, step = given[0], spec[given[0]], spec.get("step")
    when = spec.get("when", {})
    if "when" in spec and (not isinstance(when, dict) or not when or key in when):
        raise ValueError(
            'when takes a table of other keys and their values, e.g. when = { "optimizer.provider" = "sgd" }'
        )
    conditions = tuple((k, _hashable(v)) for k, v in when.items())
    if kind == "choice" and isinstance(values, list) and not values:
        raise ValueError("choice needs at least one value, e.g. choice = [128, 256]")
    if not isinstance(values, list) or not values:
        raise ValueError(f"{kind} takes a list, e.g. {kind} = [1, 4]")
    if step is not None and kind not in ("uniform", "int"):
        raise ValueError(f"step goes with uniform or int ranges, not {kind} (Optuna samples a log range without one)")
    if kind == "choice":
        return Parameter(key, kind, tuple(values), when=conditions)
    if len(values) != 2:
        raise ValueError(f"{kind} takes [low, high], got {len(values)} values")
    low, high = values
    integral = kind in ("int", "log_int")
    number = int if integral else (int, float)
    if isinstance(low, bool) or isinstance(high, bool) or not isinstance(low, number) or not isinstance(high, number):
        raise ValueError(f"{kind} bounds must be {'integers' if integral else 'numbers'}, got [{low!r}, {high!r}]")
    if not low < high:
        raise ValueError(f"low must be below high, got [{low!r}, {high!r}]")
    if kind.startswith("log") and low <= 0:
        raise ValueError(f"{kind} bounds must be positive, got [{low!r}, {high!r}]")
    if step is not None:
        if isinstance(step, bool) or not isinstance(step, number) or step <= 0:
            raise ValueError(f"step must be a positive {'integer' if integral else 'number'}, got {step!r}")
        if not math.isclose(round((high - low) / step) * step, high - low, rel_tol=1e-9, abs_tol=1e-12):
            raise ValueError(f"step {step!r} does not divide [{low!r}, {high!r}] evenly: {high!r} would never be tried")
    bounds = (low if integral else float(low), high if integral else float(high))
    return Parameter(key, kind, bounds, step=step, when=conditions)


def probe_sets(parameters: list[Parameter], fixed: dict[str, Any]) -> Iterator[tuple[str | None, list[str]]]:
    """Override lists to check: the fixed values alone, then each parameter's probes on top (with the
    values its ``when`` needs, so a conditional key is checked where it applies)."""
    base = [f"{key}={toml_value(value)}" for key, value in fixed.items()]
    yield None, base
    for parameter in parameters:
        conditions = [f"{key}={toml_value(value)}" for key, value in parameter.when if key not in fixed]
        for value in parameter.probes():
            yield parameter.key, [*base, *conditions, f"{parameter.key}={toml_value(value)}"]
