"""Edge cases of the command line and experiment loading that once misbehaved."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from core_helpers import ROOT, stub_experiment

from framework.cli.main import main, run_main
from framework.errors import ExperimentError, UserError
from framework.loading import load_experiment
from framework.providers import Kind

WIDE_PLUGIN = ROOT / "experiments" / "wide_cnn.py"


def test_cli_plugins_are_recorded_in_the_resolved_experiment() -> None:
    loaded = load_experiment(
        ROOT / "experiments" / "baseline.toml", ["model.provider=wide-cnn"], plugins=[str(WIDE_PLUGIN)]
    )
    recorded = tomllib.loads(loaded.experiment.to_toml())
    assert recorded["experiment"]["plugins"] == [str(WIDE_PLUGIN)]  # so that --resume finds wide-cnn again
    assert recorded["model"]["provider"] == "wide-cnn"


def test_plugins_must_be_a_list_not_a_string(write_file) -> None:
    path = write_file(stub_experiment(extra='description = "x"\n').replace("plugins = [", "plugins = 'a.py'\n#["))
    with pytest.raises(ExperimentError) as caught:
        load_experiment(path)
    assert any("experiment.plugins" in p and "valid list" in p for p in caught.value.problems)


def test_a_dataclass_in_a_local_plugin_file_works(tmp_path: Path) -> None:
    plugin = tmp_path / "with_dataclass.py"
    plugin.write_text(
        "from __future__ import annotations\n"
        "from dataclasses import dataclass\n"
        "from framework import NoParams, Provider, hookimpl\n\n"
        "@dataclass\nclass Settings:\n    width: int = 3\n\n"
        "@hookimpl\ndef hoh_model_providers():\n"
        "    return [Provider('dc-model', NoParams, lambda params, spec: Settings())]\n"
    )
    path = tmp_path / "e.toml"
    path.write_text(stub_experiment(plugins=(plugin,)))
    loaded = load_experiment(path)
    assert loaded.registry.find(Kind.MODEL, "dc-model").plugin == "with_dataclass"


def test_override_into_a_list_needs_an_index(tmp_path: Path) -> None:
    from framework.config.overrides import apply_overrides

    with pytest.raises(UserError, match="give an index"):
        apply_overrides({"callbacks": [{"provider": "x"}]}, ["callbacks.x.patience=3"])


def test_error_text_is_not_read_as_markup(tmp_path: Path, capsys) -> None:
    path = tmp_path / "e.toml"
    path.write_text(stub_experiment())
    assert main(["validate", str(path), "experiment.name=[/x]"]) == 2
    err = capsys.readouterr().err
    assert "[/x]" in err and "Traceback" not in err


def test_resume_refuses_plugin_and_overrides(tmp_path: Path, capsys) -> None:
    assert run_main(["--resume", str(tmp_path), "--plugin", "x.py"]) == 2
    assert "--resume RUN_DIR takes no" in capsys.readouterr().err


def test_hoh_run_takes_overrides_after_options(tmp_path: Path, capsys) -> None:
    path = tmp_path / "e.toml"
    path.write_text(stub_experiment())
    # Parsed (no "unrecognized arguments"): the run folder exists already, so this stops with exit 2.
    (tmp_path / "taken").mkdir()
    for entry in (run_main, lambda argv: main(["run", *argv])):
        assert entry([str(path), "--run-dir", str(tmp_path / "taken"), "training.epochs=1"]) == 2
        assert "exists already" in capsys.readouterr().err


def test_validate_takes_overrides_after_options(capsys) -> None:
    baseline = str(ROOT / "experiments" / "baseline.toml")
    code = main(["validate", baseline, "--plugin", str(WIDE_PLUGIN), "model.provider=wide-cnn", "training.epochs=0"])
    assert code == 2
    assert "override 'training.epochs=0': training.epochs" in capsys.readouterr().err  # the override was read


SHIPPED_EXPERIMENTS = sorted(p for p in (ROOT / "experiments").glob("*.toml") if "[sweep]" not in p.read_text())


@pytest.mark.parametrize("experiment", SHIPPED_EXPERIMENTS, ids=lambda p: p.name)
def test_the_readme_override_examples_fit_every_shipped_experiment(experiment: Path) -> None:
    readme = (ROOT / "README.md").read_text()
    overrides = ["training.epochs=3", "optimizer.learning_rate=1e-4", "callbacks.1.monitor=val_accuracy"]
    assert all(f"`{o}`" in readme or o in readme for o in overrides)
    if "[[training.stages]]" in experiment.read_text():  # epochs come from the stages: the README says how
        with pytest.raises(ExperimentError, match="but the stages add up to"):
            load_experiment(experiment, overrides)
        staged = ["training.stages.0.epochs=1", "training.stages.1.epochs=2"]
        assert "training.stages.0.epochs=1\ntraining.stages.1.epochs=2" in readme
        overrides = [*overrides[1:], *staged]
    assert load_experiment(experiment, overrides).experiment.training.epochs == 3


def test_a_missing_plugin_file_names_the_working_directory(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["validate", str(ROOT / "experiments" / "baseline.toml"), "--plugin", "missing.py"]) == 2
    err = capsys.readouterr().err
    assert f"looked for {tmp_path / 'missing.py'}" in err and "relative to the working directory" in err


def test_an_existing_run_dir_suggests_resume_only_when_it_can_resume(tmp_path: Path) -> None:
    from framework.rundir import new_run_dir

    unfinished = tmp_path / "unfinished"
    unfinished.mkdir()
    (unfinished / "experiment.toml").write_text("")
    with pytest.raises(UserError, match="or continue it with --resume"):
        new_run_dir(tmp_path, "x", unfinished)
    (unfinished / "model.keras").write_text("")
    with pytest.raises(UserError) as finished:
        new_run_dir(tmp_path, "x", unfinished)
    assert "--resume" not in str(finished.value)


@pytest.mark.parametrize("entry", [main, run_main])
def test_version(entry, capsys) -> None:
    import importlib.metadata

    with pytest.raises(SystemExit) as exited:
        entry(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip().endswith(importlib.metadata.version("hoh-experiments"))
