"""Sweep files are checked against the base experiment before any trial starts (no TensorFlow)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sweep_helpers import line_no, run_script, tiny_sweep

from framework.errors import ExperimentError
from plugins.sweeps.spec import load_sweep


def _problems(path: Path) -> list[str]:
    with pytest.raises(ExperimentError) as caught:
        load_sweep(path)
    return caught.value.problems


def test_a_valid_sweep_names_its_parameters_and_fixed_values(tmp_path: Path) -> None:
    path = tiny_sweep(tmp_path)
    text = path.read_text() + '"training.epochs" = 2\n'
    path.write_text(text)
    sweep = load_sweep(path)
    assert [(p.key, p.kind, p.values) for p in sweep.parameters] == [
        ("optimizer.learning_rate", "log_uniform", (1e-4, 1e-2)),
        ("model.dense_units", "choice", (4, 8, 16)),
    ]
    assert sweep.fixed == {"training.epochs": 2}
    assert sweep.overrides({"model.dense_units": 16}) == [
        'training.keep="best"',  # at = "best": each trial keeps the epoch it is scored by
        'training.monitor="val_loss"',
        "training.epochs=2",
        "model.dense_units=16",
    ]
    assert sweep.folder() == Path("runs") / "sweeps" / "tiny"


def test_unknown_keys_and_out_of_bound_values_are_reported_with_the_sweep_files_line(tmp_path: Path) -> None:
    path = tiny_sweep(tmp_path)
    text = path.read_text().replace('"model.dense_units"', '"model.dense_unitz"')
    text += '"training.epochs" = { int = [0, 3] }\n'
    path.write_text(text)
    problems = _problems(path)
    assert len(problems) == 2, problems
    assert problems[0].startswith(f'{path}, line {line_no(text, "dense_unitz")}: space."model.dense_unitz"')
    assert "did you mean 'dense_units'" in problems[0]
    assert problems[1].startswith(f'{path}, line {line_no(text, "training.epochs")}: space."training.epochs"')
    assert "greater than or equal to 1" in problems[1]


@pytest.mark.parametrize(
    ("replace", "expected"),
    [
        (('method = "random"', 'method = "grid"'), "grid needs every searched parameter as a { choice"),
        (('method = "random"', 'method = "CmaEsSamplr"'), "did you mean 'CmaEsSampler'"),
        (('method = "random"', 'method = "tpee"'), "did you mean 'tpe'"),
        (("startup_trials = 2", "startup_trials = 2\nmethod_options = { n_startup = 3 }"), "RandomSampler takes no"),
        (("startup_trials = 2", "startup_trials = 2\nmethod_options = { seed = 3 }"), "hoh sets seed itself"),
        (("{ log_uniform = [1e-4, 1e-2] }", "{ log_uniform = [0, 1e-2] }"), "bounds must be positive"),
        (("{ log_uniform = [1e-4, 1e-2] }", "{ uniform = [0.1, 0.01] }"), "low must be below high"),
        (('metric = "val_loss"', 'metric = "val_auc"'), "is not recorded by the experiment"),
        (("trials = 6", "trials = 0"), "greater than 0"),
        (("[4, 8, 16] }", "[] }"), "choice needs at least one value"),
        (("[1e-4, 1e-2] }", "[1e-4, 1e-2], step = 1e-3 }"), "step goes with uniform or int ranges"),
        (("{ choice = [4, 8, 16] }", "{ int = [4, 16], step = 5 }"), "does not divide [4, 16] evenly"),
        (('metric = "val_loss"', 'metric = "val_los"'), "did you mean 'val_loss'?"),
        (('"model.dense_units"', '"training.epochs" = { uniform = [2.0, 4.0] }\n"model.dense_units"'), "fractional"),
        (
            ('"model.dense_units"', '"pipeline.image_size" = { choice = [[16, 16], [96, 96]] }\n"model.dense_units"'),
            "need images of at least 94x94, got 16x16",
        ),
        (('experiment = "base.toml"', 'experiment = "nope.toml"'), "is not a file"),
    ],
)
def test_each_kind_of_mistake_is_named(tmp_path: Path, replace: tuple[str, str], expected: str) -> None:
    path = tiny_sweep(tmp_path)
    path.write_text(path.read_text().replace(*replace))
    problems = _problems(path)
    assert any(expected in p for p in problems), problems


def test_hoh_validate_accepts_sweep_files_and_reports_their_problems(tmp_path: Path) -> None:
    path = tiny_sweep(tmp_path)
    ok = run_script("hoh", "validate", str(path), cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert "sweep tiny: 6 trials" in ok.stdout and "search  model.dense_units {4, 8, 16}" in ok.stdout
    path.write_text(path.read_text().replace('"model.dense_units"', '"model.dense_unitz"'))
    bad = run_script("hoh", "validate", str(path), "--format", "json", cwd=tmp_path)
    assert bad.returncode == 2
    report = json.loads(bad.stdout)
    assert report["valid"] is False and "dense_unitz" in report["problems"][0]
    text = run_script("hoh", "validate", str(path), cwd=tmp_path)
    assert text.returncode == 2 and "is not a valid sweep file" in text.stderr and "Traceback" not in text.stderr


@pytest.mark.parametrize(
    "path",
    sorted(
        p for p in (Path(__file__).resolve().parents[2] / "experiments").glob("*.toml") if "[sweep]" in p.read_text()
    ),
    ids=lambda p: p.name,
)
def test_the_shipped_sweep_files_are_valid(path: Path) -> None:
    sweep = load_sweep(path)
    assert sweep.parameters and sweep.base.is_file()


def test_a_methods_options_reach_its_sampler_and_hoh_chooses_the_rest(tmp_path: Path) -> None:
    from plugins.sweeps.samplers import make_sampler

    path = tiny_sweep(tmp_path, trials=12)
    text = path.read_text().replace('method = "random"', 'method = "tpe"')
    path.write_text(text)
    default = make_sampler(load_sweep(path), 5)
    assert default._n_startup_trials == 4 and not default._multivariate  # a third of the 12 trials
    path.write_text(
        text.replace(
            "startup_trials = 2",
            "startup_trials = 2\n[sweep.method_options]\nn_startup_trials = 7\nmultivariate = true",
        )
    )
    sweep = load_sweep(path)
    chosen = make_sampler(sweep, 5)
    assert chosen._n_startup_trials == 7 and chosen._multivariate is True
    assert sweep.fingerprint()["method_options"] == {"n_startup_trials": 7, "multivariate": True}
    # trial n is drawn by a sampler seeded (seed, n): the same n draws the same, another n does not
    draw = [make_sampler(sweep, n)._random_sampler._rng.rng.random() for n in (5, 5, 6)]
    assert draw[0] == draw[1] != draw[2]


def test_a_picture_optuna_cannot_draw_never_stops_the_sweep(tmp_path: Path) -> None:
    """List-valued choices made plot_slice raise TypeError (unhashable list) and killed the coordinator."""
    import optuna
    from optuna.distributions import CategoricalDistribution, FloatDistribution

    from plugins.sweeps.pictures import draw

    study = optuna.create_study(study_name="lists")
    space = {"pipeline.image_size": CategoricalDistribution([[96, 96], [128, 128]]), "lr": FloatDistribution(0, 1)}
    for value in (0.5, 0.4, 0.3):
        trial = study.ask(space)
        trial.report(value, 0)
        study.tell(trial, value)
    drawn = draw(study, tmp_path, ["val_loss"])
    assert tmp_path / "history.png" in drawn  # the pictures that can be drawn still are


def test_every_problem_is_reported_in_one_round(tmp_path: Path) -> None:
    path = tiny_sweep(tmp_path)
    text = path.read_text().replace('method = "random"', 'method = "tpee"').replace("[4, 8, 16]", "[]")
    path.write_text(text.replace('metric = "val_loss"', 'metric = "val_acc"') + '"optimizer.lr" = 0.1\n')
    problems = " ".join(_problems(path))
    for expected in ("choice needs at least one value", "optimizer.lr", "did you mean 'tpe'", "'val_acc'"):
        assert expected in problems, problems


def test_a_step_reaches_optuna(tmp_path: Path) -> None:
    from plugins.sweeps.trials import ask_trial

    path = tiny_sweep(tmp_path)
    path.write_text(path.read_text().replace("{ choice = [4, 8, 16] }", "{ int = [4, 16], step = 4 }"))
    sweep = load_sweep(path)
    assert sweep.parameters[1].describe() == "int [4, 16] step 4"
    import optuna

    study = optuna.create_study()
    drawn = {ask_trial(study, sweep).params["model.dense_units"] for _ in range(30)}
    assert drawn <= {4, 8, 12, 16} and len(drawn) > 1
    assert study.trials[0].distributions["model.dense_units"].step == 4


CONDITIONAL = """
"optimizer.provider" = { choice = ["rmsprop", "sgd"] }
"optimizer.momentum" = { uniform = [0.5, 0.9], when = { "optimizer.provider" = "sgd" } }
"""


def test_a_conditional_key_is_searched_only_where_its_condition_holds(tmp_path: Path) -> None:
    import optuna

    from plugins.sweeps.trials import ask_trial

    path = tiny_sweep(tmp_path)
    path.write_text(path.read_text() + CONDITIONAL)
    sweep = load_sweep(path)  # momentum is probed with provider = sgd: rmsprop has a momentum too, sgd must
    study = optuna.create_study()
    for _ in range(20):
        params = ask_trial(study, sweep).params
        assert ("optimizer.momentum" in params) == (params["optimizer.provider"] == "sgd"), params
    assert sweep.parameters[-1].describe() == "uniform [0.5, 0.9] when optimizer.provider = 'sgd'"


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ('{ "optimizer.provider" = "adamw" }', "never holds"),
        ('{ "optimizer.nope" = 1 }', "neither fixed nor a searched choice"),
        ('"sgd"', "when takes a table"),
    ],
)
def test_a_condition_that_cannot_hold_is_refused(tmp_path: Path, condition: str, expected: str) -> None:
    path = tiny_sweep(tmp_path)
    path.write_text(path.read_text() + CONDITIONAL.replace('{ "optimizer.provider" = "sgd" }', condition))
    assert any(expected in p for p in _problems(path))
