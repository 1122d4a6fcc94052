"""Command-line overrides: applied to the file's data and validated like it."""

from __future__ import annotations

import pytest
from core_helpers import stub_experiment

from framework.config.overrides import apply_overrides, parse_value
from framework.errors import ExperimentError, UserError
from framework.loading import load_experiment

BASE = stub_experiment()


def test_overrides_are_applied_and_validated(write_file) -> None:
    loaded = load_experiment(write_file(BASE), ["training.epochs=3", "optimizer.learning_rate=1e-4"])
    assert loaded.experiment.training.epochs == 3
    assert loaded.experiment.optimizer.params.learning_rate == pytest.approx(1e-4)
    assert load_experiment(write_file(BASE)).experiment.training.epochs == 2


def test_list_and_bare_string_values(write_file) -> None:
    loaded = load_experiment(
        write_file(BASE),
        ["pipeline.image_size=[150, 150]", "model.provider=stub-wide", "experiment.description=tiny_run"],
    )
    assert loaded.experiment.pipeline.params.image_size == (150, 150)
    assert loaded.experiment.model.provider == "stub-wide"
    assert loaded.experiment.experiment.description == "tiny_run"


def test_override_adds_a_key_and_indexes_callbacks(write_file) -> None:
    text = BASE + '\n[[callbacks]]\nprovider = "stub-stopper"\n'
    loaded = load_experiment(write_file(text), ["callbacks.0.patience=7", "training.steps_per_epoch=5"])
    assert loaded.experiment.callbacks[0].params.patience == 7
    assert loaded.experiment.training.steps_per_epoch == 5


def test_bad_override_names_the_override_not_a_line(write_file) -> None:
    with pytest.raises(ExperimentError) as info:
        load_experiment(write_file(BASE), ["training.epochs=3", "optimizer.learning_rate=-1"])
    [problem] = info.value.problems
    assert problem.startswith("override 'optimizer.learning_rate=-1': optimizer.learning_rate: ")
    assert "greater than 0" in problem
    assert "line" not in problem


def test_unknown_key_override(write_file) -> None:
    with pytest.raises(ExperimentError) as info:
        load_experiment(write_file(BASE), ["optimizer.learnig_rate=0.1"])
    [problem] = info.value.problems
    assert problem.startswith("override 'optimizer.learnig_rate=0.1': optimizer.learnig_rate: unknown key")
    assert "did you mean 'learning_rate'?" in problem


def test_override_and_file_errors_together(write_file) -> None:
    text = BASE.replace("epochs = 2", "epochs = 0")
    with pytest.raises(ExperimentError) as info:
        load_experiment(write_file(text), ["model.units=-5"])
    assert len(info.value.problems) == 2
    assert any(p.startswith("override 'model.units=-5'") for p in info.value.problems)
    assert any(", line " in p and "training.epochs" in p for p in info.value.problems)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("3", 3),
        ("1e-4", 1e-4),
        ("true", True),
        ("[150, 150]", [150, 150]),
        ('"adam"', "adam"),
        ("adam", "adam"),
        ("five-conv-sigmoid", "five-conv-sigmoid"),
        ("runs/tmp", "runs/tmp"),
    ],
)
def test_parse_value(text: str, value: object) -> None:
    assert parse_value(text) == value


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("training.epochs", "not of the form dotted.key=value"),
        ("=3", "not of the form dotted.key=value"),
        ("training.epochs=[1,", "is not a TOML value"),
        ("experiment.name.first=x", "experiment.name is a value, not a table"),
        ("callbacks.patience=3", "give an index"),
        ("callbacks.5.patience=3", "has only 1 entries"),
    ],
)
def test_malformed_overrides(override: str, message: str) -> None:
    data = {"experiment": {"name": "x"}, "callbacks": [{"provider": "a"}]}
    with pytest.raises(UserError, match=message):
        apply_overrides(data, [override])
