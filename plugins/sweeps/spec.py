"""Sweep files (``hoh sweep SWEEP.toml``): read, check against the base experiment, no TensorFlow.

A sweep file names a base experiment and a search space over the dotted keys that
command-line overrides use::

    [sweep]
    name = "sweep-lr"
    experiment = "quick.toml"        # relative to this file
    trials = 12
    method = "tpe"                   # grid, random, tpe, or an Optuna sampler's class name
                                     # (plugins/sweeps/samplers.py; [sweep.method_options] for its options)
    pruner = "median"                # median, hyperband, none

    [sweep.objective]
    metric = "val_accuracy"
    direction = "maximize"
    at = "best"                      # best epoch, last epoch, or final evaluation

    [space]
    "optimizer.learning_rate" = { log_uniform = [1e-5, 1e-2] }
    "model.dense_units" = { choice = [128, 256, 512] }
    "training.epochs" = 8            # a plain value is fixed for every trial

Every key and bound is checked by loading the base experiment with it as an override, so
a provider's ``Params`` (types, bounds, unknown keys) judges it as it would judge
``hoh-run base.toml key=value``; problems are reported with the sweep file's line.
"""

from __future__ import annotations

import contextlib
import difflib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from framework.api import ExperimentError, Loaded, UserError, check_before_work, load_experiment, read_toml
from plugins.sweeps.samplers import check_method
from plugins.sweeps.space import Parameter, ordered, parse_parameter, probe_sets, same_value, toml_value

PRUNERS = ("median", "hyperband", "none")
SECONDS = "seconds"
"""The objective metric for time: the mean seconds of an epoch (each history row records its ``seconds``)."""


class Objective(BaseModel):
    """What a trial is scored by. ``metric = "seconds"`` is the mean time of an epoch (its ``at`` is not used)."""

    model_config = ConfigDict(extra="forbid")
    metric: str = Field("val_accuracy", description="a metric of the run's per-epoch history (e.g. val_loss)")
    direction: Literal["maximize", "minimize"] = "maximize"
    at: Literal["best", "last", "final"] = Field(
        "best", description="best epoch, last epoch, or the final evaluation (evaluation.json, without val_)"
    )


class SweepSection(BaseModel):
    """The ``[sweep]`` table."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", description="names the study and the sweep's folder")
    experiment: str = Field(description="the base experiment file, relative to the sweep file")
    trials: int = Field(gt=0, le=100_000, description="finished (complete or pruned) trials to reach")
    method: str = Field("tpe", description="grid, random, tpe, or an Optuna sampler class name")
    method_options: dict[str, Any] = Field(
        default_factory=dict, description="keyword arguments for the method's sampler, e.g. { multivariate = true }"
    )
    seed: int | None = Field(0, description="the sampler's seed (none: not seeded)")
    repeats: int = Field(
        1, ge=1, le=50, description="seeds each configuration trains with; its objective is their mean"
    )
    pruner: Literal["median", "hyperband", "none"] = "median"
    warmup_epochs: int = Field(
        2, ge=0, description="epochs a trial trains before it may be pruned (from that epoch's end on; never its last)"
    )
    startup_trials: int = Field(3, ge=0, description="complete trials before the median pruner prunes")
    output: str | None = Field(None, description="folder of sweeps; default: <experiment output>/sweeps")
    storage: str | None = Field(None, description="Optuna storage URL (postgresql://...); default: a journal file")
    objective: Objective | list[Objective] = Field(
        default_factory=Objective,
        description="what a trial is scored by; several [[sweep.objective]] tables make a multi-objective search",
    )

    def objectives(self) -> list[Objective]:
        """Every objective, the first (the primary one) first."""
        return list(self.objective) if isinstance(self.objective, list) else [self.objective]


class SweepFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sweep: SweepSection
    space: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _some_space(self) -> SweepFile:
        if not any(isinstance(v, dict) for v in self.space.values()):
            raise ValueError(
                '[space] has no searched parameter; give one, e.g. "optimizer.learning_rate" = '
                "{ log_uniform = [1e-5, 1e-2] }"
            )
        return self


@dataclass(frozen=True)
class Sweep:
    """A checked sweep file."""

    source: Path
    settings: SweepSection
    base: Path
    parameters: tuple[Parameter, ...]
    fixed: dict[str, Any]
    base_loaded: Loaded = field(repr=False, compare=False)

    @property
    def name(self) -> str:
        return self.settings.name

    @property
    def objective(self) -> Objective:
        """The primary objective: what each trial keeps its best epoch by, and what the table sorts by."""
        return self.settings.objectives()[0]

    @property
    def objectives(self) -> list[Objective]:
        return self.settings.objectives()

    def folder(self) -> Path:
        """``<output>/<name>``: the journal, the trial folders and the pictures."""
        output = self.settings.output
        if output is not None:
            root = Path(output) if Path(output).is_absolute() else self.source.parent / output
        else:
            root = Path(self.base_loaded.experiment.experiment.output) / "sweeps"
        return root / self.name

    def kept(self) -> dict[str, Any]:
        """What every trial keeps: with ``at = "best"``, the objective's best epoch (``model.keras`` and
        ``evaluation.json`` then hold the weights the sweep scores the trial by)."""
        if self.objective.at != "best" or self.objective.metric == SECONDS:
            return {}
        return {"training.keep": "best", "training.monitor": self.objective.metric}

    def overrides(self, params: dict[str, Any]) -> list[str]:
        """Command-line overrides of one trial: what it keeps, the fixed values, then the sampled ones."""
        values = {**self.kept(), **self.fixed, **params}
        return [f"{key}={toml_value(value)}" for key, value in values.items()]

    def grid(self) -> dict[str, list[Any]]:
        return {p.key: list(p.values) for p in self.parameters}

    def fingerprint(self) -> dict[str, Any]:
        """What must not change while a sweep is continued (stored with the study)."""
        return {
            # as the sweep file names it: another machine may hold the same files under another folder
            "experiment": self.settings.experiment,
            "space": {p.key: [p.kind, list(p.values)] for p in self.parameters},
            "fixed": self.fixed,
            "objective": self.objective.model_dump()
            if len(self.objectives) == 1
            else [o.model_dump() for o in self.objectives],
            "method": self.settings.method,
            **({"method_options": self.settings.method_options} if self.settings.method_options else {}),
            **({"repeats": self.settings.repeats} if self.settings.repeats > 1 else {}),
        }


def _line_of_key(text: str, key: str) -> int | None:
    pattern = re.compile(r"""^\s*(["']?)""" + re.escape(key) + r"""\1\s*=""")
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            return number
    return None


def load_sweep(path: Path, *, session: Any = None, storage: str | None = None) -> Sweep:
    """Read and check a sweep file and its base experiment (see the module docstring).

    Raises:
        ExperimentError: listing every problem with the sweep file's line.
    """
    text, data = read_toml(path)
    problems: list[str] = []

    def problem(line: int | None, where: str, message: str) -> None:
        text = f"{path}, line {line}: {where}: {message}" if line else f"{path}: {where}: {message}"
        if text not in problems:  # a key's bounds often fail for the same reason
            problems.append(text)

    try:
        checked = SweepFile.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            loc = [str(p) for p in error["loc"]]
            line = _line_of_key(text, loc[-1]) if loc else None
            problem(line, ".".join(loc) or "file", error["msg"])
        raise ExperimentError(str(path), problems, "sweep file") from None
    settings = checked.sweep
    base = (path.parent / settings.experiment).resolve()
    parameters: list[Parameter] = []
    fixed: dict[str, Any] = {}
    for key, spec in checked.space.items():
        if isinstance(spec, dict):
            try:
                parameters.append(parse_parameter(key, spec))
            except ValueError as exc:
                problem(_line_of_key(text, key), f'space."{key}"', str(exc))
        else:
            fixed[key] = spec
    for where, message in _check_conditions(parameters, fixed, settings.method):
        problem(_line_of_key(text, where), f'space."{where}"', message)
    # Every problem in one round: the keys that parsed are checked against the experiment even when
    # others did not, and the method and the objective are checked whatever the space holds.
    base_loaded = _check_against_experiment(path, text, base, parameters, fixed, problem, session)
    for where, message in check_method(settings.method, settings.method_options, parameters, settings.trials):
        problem(_line_of_key(text, where.rsplit(".", 1)[-1]), where, message)
    objectives = settings.objectives()
    for objective in objectives:
        if objective.at != "final" and objective.metric != SECONDS and base_loaded is not None:
            training = base_loaded.experiment.training
            names = {"loss", *(m if isinstance(m, str) else "" for m in training.metrics)}
            if objective.metric.removeprefix("val_") not in names:
                recorded = sorted({name for n in names for name in (n, f"val_{n}")} | {SECONDS})
                close = difflib.get_close_matches(objective.metric, recorded, n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                problem(
                    _line_of_key(text, "metric"),
                    "sweep.objective.metric",
                    f"{objective.metric!r} is not recorded by the experiment; {hint}its metrics are "
                    + ", ".join(recorded),
                )
    if len(objectives) > 1 and settings.pruner != "none":
        problem(
            _line_of_key(text, "pruner"),
            "sweep.pruner",
            'a pruner judges one objective, and this sweep has several ([[sweep.objective]]): set pruner = "none"',
        )
    if len(objectives) > 1 and len({o.metric for o in objectives}) < len(objectives):
        problem(_line_of_key(text, "metric"), "sweep.objective", "each objective needs a metric of its own")
    if settings.repeats > 1 and settings.pruner != "none":
        problem(
            _line_of_key(text, "pruner"),
            "sweep.pruner",
            f"a pruner judges one training run, and repeats = {settings.repeats} trains each configuration "
            'that many times: set pruner = "none"',
        )
    if settings.repeats > 1 and ("experiment.seed" in fixed or any(p.key == "experiment.seed" for p in parameters)):
        problem(_line_of_key(text, "experiment.seed"), 'space."experiment.seed"', "repeats sets the seeds itself")
    if objectives[0].at == "best":
        for key in ("training.keep", "training.monitor"):
            if key in fixed or any(p.key == key for p in parameters):
                problem(
                    _line_of_key(text, key),
                    f'space."{key}"',
                    'with [sweep.objective] at = "best" the sweep keeps each trial\'s best epoch by the objective '
                    "itself (training.keep and training.monitor): leave it out of [space]",
                )
    if problems:
        raise ExperimentError(str(path), problems, "sweep file")
    assert base_loaded is not None
    if storage is not None:
        settings = settings.model_copy(update={"storage": storage})
    return Sweep(path, settings, base, tuple(parameters), fixed, base_loaded)


def _check_conditions(parameters: list[Parameter], fixed: dict[str, Any], method: str) -> list[tuple[str, str]]:
    """Problems with ``when`` conditions: unknown keys, impossible values, circles, a grid (key, message)."""
    found: list[tuple[str, str]] = []
    searched = {p.key: p for p in parameters}
    for parameter in parameters:
        for key, wanted in parameter.when:
            if key in fixed:
                possible = [fixed[key]]
            elif key in searched and searched[key].kind == "choice":
                possible = list(searched[key].values)
            else:
                found.append((parameter.key, f"when names {key!r}, which is neither fixed nor a searched choice"))
                continue
            if not any(same_value(v, wanted) for v in possible):
                found.append((parameter.key, f"when {key} = {wanted!r} never holds: {key} is one of {possible!r}"))
        if parameter.when and method in ("grid", "GridSampler"):
            found.append(
                (parameter.key, "a grid tries every combination: when (a conditional key) needs another method")
            )
    try:
        ordered(parameters)
    except ValueError as error:
        found.append((parameters[0].key, str(error)))
    return found


def _check_against_experiment(path, text, base, parameters, fixed, problem, session) -> Loaded | None:
    if not base.is_file():
        problem(
            _line_of_key(text, "experiment"),
            "sweep.experiment",
            f"{base} is not a file; give the base experiment's path, relative to the sweep file",
        )
        return None
    from framework.api import Session

    session = session or Session()
    first: Loaded | None = None
    for key, overrides in probe_sets(parameters, fixed):
        try:
            loaded = load_experiment(base, overrides, session=session)
            check_before_work(loaded)  # as hoh-run would before the trial: the model's input size, memory
        except ExperimentError as error:
            for line in error.problems:
                reason = line.split(": ", 1)[-1] if line.startswith("override") else line
                where = f'space."{key}"' if key else "space (fixed values)"
                problem(_line_of_key(text, key) if key else None, where, reason)
            if key is None:  # the fixed values are wrong: the base alone still judges the objective
                with contextlib.suppress(UserError):
                    return load_experiment(base, [], session=session)
                return None
            continue
        except UserError as error:
            problem(_line_of_key(text, key) if key else None, f'space."{key}"' if key else "space", str(error))
            continue
        first = first or loaded
    return first


def read_sweep_data(path: Path) -> dict[str, Any] | None:
    """The file's TOML when it is a sweep file (has a ``[sweep]`` table), else ``None``."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    return data if isinstance(data.get("sweep"), dict) and "experiment" not in data else None
