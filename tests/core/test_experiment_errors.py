"""Every class of experiment-file error: located by line, naming the key, listing what is valid."""

from __future__ import annotations

import pytest
from core_helpers import stub_experiment

from framework.errors import ExperimentError
from framework.loading import load_experiment

BASE = stub_experiment()


@pytest.fixture
def problems(write_file):
    """Load ``text``, expect an ExperimentError, return (problems, text, path)."""

    def load(text: str, overrides: tuple[str, ...] = ()) -> list[str]:
        path = write_file(text)
        with pytest.raises(ExperimentError) as info:
            load_experiment(path, list(overrides))
        assert info.value.source == str(path)
        assert f"{path} is not a valid experiment ({len(info.value.problems)} problem" in str(info.value)
        return info.value.problems

    return load


def at(text: str, needle: str) -> str:
    """'line N' of the first line holding ``needle``."""
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return f", line {number}: "
    raise AssertionError(needle)


def test_valid_stub_experiment_loads(write_file) -> None:
    loaded = load_experiment(write_file(BASE))
    assert loaded.experiment.experiment.name == "stub"
    assert loaded.experiment.optimizer.params.learning_rate == 0.01
    assert loaded.experiment.training.epochs == 2


def test_toml_syntax_error_has_line_and_column(problems) -> None:
    text = BASE.replace("epochs = 2", "epochs = = 2")
    [problem] = problems(text)
    line = text.splitlines().index("epochs = = 2") + 1
    assert "TOML syntax error" in problem
    assert f"line {line}, column 10" in problem


def test_unknown_top_level_key(problems) -> None:
    text = BASE.replace("[dataset]", "[datasets]\nx = 1\n\n[dataset]")
    [problem] = problems(text)
    assert at(text, "[datasets]") + "datasets: unknown key" in problem
    assert "did you mean 'dataset'?" in problem
    assert (
        "Valid keys here: experiment, dataset, pipeline, model, optimizer, strategy, callbacks, training, plugins."
        in problem
    )


def test_unknown_key_in_experiment_section(problems) -> None:
    text = BASE.replace('name = "stub"', 'name = "stub"\nseeed = 3')
    [problem] = problems(text)
    assert at(text, "seeed") + "experiment.seeed: unknown key; did you mean 'seed'?" in problem
    assert "name, description, seed, plugins, disable_plugins, output" in problem


def test_unknown_key_in_provider_params_lists_valid_keys(problems) -> None:
    text = BASE.replace("learning_rate = 0.01", "learning_rate = 0.01\nmomentum = 0.9")
    [problem] = problems(text)
    assert at(text, "momentum") + "optimizer.momentum: unknown key" in problem
    assert "Valid keys here: provider, learning_rate." in problem


def test_misspelled_provider_param_suggests_closest(problems) -> None:
    text = BASE.replace('provider = "stub-pipeline"', 'provider = "stub-pipeline"\nbatch_sise = 2')
    [problem] = problems(text)
    assert at(text, "batch_sise") + "pipeline.batch_sise: unknown key; did you mean 'batch_size'?" in problem
    assert "provider, image_size, batch_size, samples" in problem


def test_value_out_of_range_names_the_key(problems) -> None:
    text = BASE.replace("learning_rate = 0.01", "learning_rate = -1")
    [problem] = problems(text)
    assert at(text, "learning_rate = -1") + "optimizer.learning_rate: " in problem
    assert "greater than 0" in problem and "(got -1)" in problem


def test_wrong_type_names_the_key(problems) -> None:
    text = BASE.replace("epochs = 2", 'epochs = "many"')
    [problem] = problems(text)
    assert at(text, "epochs =") + "training.epochs: " in problem
    assert "integer" in problem and "'many'" in problem


def test_missing_experiment_name(problems) -> None:
    text = BASE.replace('name = "stub"\n', "")
    [problem] = problems(text)
    assert at(text, "[experiment]") + "experiment.name: required key is missing" in problem


def test_missing_provider_key_lists_providers(problems) -> None:
    text = BASE.replace('provider = "stub-model"\n', "units = 3\n")
    [problem] = problems(text)
    assert at(text, "[model]") + "model.provider: missing" in problem
    assert "'stub-model', 'stub-wide'" in problem


def test_missing_provider_key_single_provider_section(problems) -> None:
    text = BASE.replace('provider = "stub-pipeline"\n', "")
    [problem] = problems(text)
    assert at(text, "[pipeline]") + "pipeline.provider: " in problem
    assert "missing" in problem


def test_missing_section(problems) -> None:
    text = BASE.replace('[model]\nprovider = "stub-model"\n', "")
    [problem] = problems(text)
    assert "model: required key is missing" in problem


def test_unknown_provider_lists_available_and_suggests_closest(problems) -> None:
    text = BASE.replace('provider = "stub-model"', 'provider = "stub-modle"')
    [problem] = problems(text)
    assert at(text, "stub-modle") + "model.provider: unknown model provider 'stub-modle'." in problem
    assert "Did you mean 'stub-model'?" in problem
    assert "Available: 'stub-model', 'stub-wide'." in problem


def test_unknown_provider_in_single_provider_section(problems) -> None:
    text = BASE.replace('provider = "stub-data"', 'provider = "stub-dta"')
    [problem] = problems(text)
    assert at(text, "stub-dta") + "dataset.provider: unknown dataset provider 'stub-dta'." in problem
    assert "Did you mean 'stub-data'?" in problem


def test_callback_entry_error_has_index_path(problems) -> None:
    text = (
        BASE + '\n[[callbacks]]\nprovider = "stub-stopper"\n\n[[callbacks]]\nprovider = "stub-other"\npatience = -3\n'
    )
    [problem] = problems(text)
    assert at(text, "patience = -3") + "callbacks[1].patience: " in problem
    assert "(got -3)" in problem


def test_callback_unknown_key_and_unknown_provider(problems) -> None:
    text = BASE + '\n[[callbacks]]\nprovider = "stub-stoper"\n\n[[callbacks]]\nprovider = "stub-other"\npatiense = 1\n'
    first, second = problems(text)
    assert at(text, "stub-stoper") + "callbacks[0].provider: unknown callback provider 'stub-stoper'." in first
    assert "Did you mean 'stub-stopper'?" in first
    assert at(text, "patiense") + "callbacks[1].patiense: unknown key; did you mean 'patience'?" in second
    assert "Valid keys here: provider, patience, monitor." in second


def test_unknown_progress_provider(problems) -> None:
    text = BASE.replace('progress = "none"', 'progress = "stub-stoppr"')
    [problem] = problems(text)
    assert at(text, "stub-stoppr") + "training.progress: unknown callback provider 'stub-stoppr'." in problem
    assert "'none'" in problem


def test_all_errors_of_a_file_are_reported_at_once_in_line_order(problems) -> None:
    text = (
        BASE.replace('name = "stub"', 'name = "stub"\ncolour = "red"')
        .replace('provider = "stub-model"', 'provider = "stub-modle"')
        .replace("learning_rate = 0.01", "learning_rate = -1")
        .replace("epochs = 2", "epochs = 0\nbatch = 3")
        + '\n[[callbacks]]\nprovider = "stub-stopper"\npatience = -1\n'
    )
    found = problems(text)
    expected = [
        at(text, "colour") + "experiment.colour",
        at(text, "stub-modle") + "model.provider",
        at(text, "learning_rate = -1") + "optimizer.learning_rate",
        at(text, "epochs = 0") + "training.epochs",
        at(text, "batch = 3") + "training.batch",
        at(text, "patience = -1") + "callbacks[0].patience",
    ]
    assert len(found) == len(expected)
    for problem, start in zip(found, expected, strict=True):
        assert start in problem
    assert f"({len(expected)} problems)" in str(ExperimentError("x", found))


def test_missing_file_and_not_utf8(problems, tmp_path) -> None:
    with pytest.raises(ExperimentError, match="file not found"):
        load_experiment(tmp_path / "nope.toml")
    bad = tmp_path / "latin1.toml"
    bad.write_bytes(b'[experiment]\nname = "caf\xe9"\n')
    with pytest.raises(ExperimentError, match="cannot be read"):
        load_experiment(bad)


def test_factories_get_params_without_the_provider_tag(write_file) -> None:
    loaded = load_experiment(write_file(BASE))
    params = loaded.experiment.optimizer.params
    assert params.model_dump() == {"learning_rate": 0.01}  # what e.g. keras.optimizers.SGD(**dump) needs
    assert params.provider == "stub-sgd"
    assert loaded.experiment.optimizer.to_dict() == {"provider": "stub-sgd", "learning_rate": 0.01}


def test_loss_and_metric_typos_are_caught_with_a_suggestion(problems) -> None:
    text = BASE.replace('progress = "none"', 'progress = "none"\nloss = "binary_crossentropi"\nmetrics = ["acuracy"]')
    loss, metric = problems(text)
    assert loss.endswith(
        at(text, "binary_crossentropi") + "training.loss: 'binary_crossentropi' is not a Keras loss; "
        "did you mean 'binary_crossentropy' or 'binary_focal_crossentropy' or 'categorical_crossentropy'?"
    )
    assert at(text, "acuracy") + "training.metrics: 'acuracy' is not a Keras metric; did you mean 'accuracy'" in metric


def test_names_registered_by_plugins_pass(write_file) -> None:
    text = BASE.replace('progress = "none"', 'progress = "none"\nloss = "my_pkg>focal"\nmetrics = ["acc", "auc"]')
    training = load_experiment(write_file(text)).experiment.training
    assert (training.loss, training.metrics) == ("my_pkg>focal", ["acc", "auc"])


def test_infinite_parameters_and_an_output_file_are_refused(problems, tmp_path) -> None:
    (tmp_path / "a-file").write_text("")
    text = BASE.replace("learning_rate = 0.01", "learning_rate = inf").replace(
        'name = "stub"', f'name = "stub"\noutput = "{tmp_path / "a-file"}"'
    )
    output, rate = problems(text)
    assert output.endswith(
        "experiment.output: '" + str(tmp_path / "a-file") + "' is a file, not a folder: "
        "runs need a folder (it is made when missing)"
    )
    assert rate.endswith("optimizer.learning_rate: Input should be a finite number (got inf)")


def test_numbers_and_booleans_given_as_text_are_refused_with_their_lines(tmp_path) -> None:
    """Pydantic's lax mode would turn batch_size = "128" into 128 without a word: hoh refuses it."""
    from framework.errors import ExperimentError
    from framework.loading import load_experiment

    path = tmp_path / "quoted.toml"
    path.write_text(
        '[experiment]\nname = "q"\nseed = "7"\n\n[dataset]\nprovider = "horse-or-human"\n\n'
        '[pipeline]\nprovider = "tf-data"\nbatch_size = "128"\nhorizontal_flip = "true"\n\n'
        '[model]\nprovider = "five-conv-sigmoid"\n\n[optimizer]\nprovider = "rmsprop"\nlearning_rate = "1e-3"\n'
    )
    with pytest.raises(ExperimentError) as info:
        load_experiment(path)
    problems = "\n".join(info.value.problems)
    assert "line 3: experiment.seed: a whole number is expected, not the text '7'" in problems
    assert "line 10: pipeline.batch_size: a whole number is expected, not the text '128'" in problems
    assert "line 11: pipeline.horizontal_flip: true or false is expected" in problems
    assert "line 18: optimizer.learning_rate: a number is expected" in problems
    with pytest.raises(ExperimentError, match=r"override 'pipeline.batch_size=\"64\"'"):
        load_experiment(_valid(tmp_path), ['pipeline.batch_size="64"'])
    assert load_experiment(_valid(tmp_path), ["pipeline.batch_size=64"]).experiment.pipeline.params.batch_size == 64


def _valid(tmp_path):
    path = tmp_path / "valid.toml"
    path.write_text(
        '[experiment]\nname = "v"\n\n[dataset]\nprovider = "horse-or-human"\n\n[pipeline]\nprovider = "tf-data"\n\n'
        '[model]\nprovider = "five-conv-sigmoid"\n\n[optimizer]\nprovider = "rmsprop"\n'
    )
    return path
