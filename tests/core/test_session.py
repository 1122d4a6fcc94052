"""A session loads each plugin once; each experiment sees only its active plugins."""

from __future__ import annotations

from pathlib import Path

import pytest
from core_helpers import SECTIONS, stub_experiment

from framework.errors import ExperimentError
from framework.loading import load_experiment
from framework.providers import Kind
from framework.session import Session

COUNTING_PLUGIN = """
import builtins

from framework import NoParams, Provider, hookimpl

builtins.hoh_test_imports = getattr(builtins, "hoh_test_imports", 0) + 1
CALLS = []


@hookimpl
def hoh_model_providers():
    return [Provider("counted-model", NoParams, lambda params, spec: None)]


@hookimpl
def hoh_configure_run(run):
    CALLS.append(run)
"""


@pytest.fixture
def counting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    import builtins

    monkeypatch.setattr(builtins, "hoh_test_imports", 0, raising=False)
    path = tmp_path / "counting_plugin.py"
    path.write_text(COUNTING_PLUGIN)
    return path


def _file(tmp_path: Path, name: str, *, plugins: tuple = (), extra: str = "") -> Path:
    path = tmp_path / name
    path.write_text(stub_experiment(SECTIONS, name=name.removesuffix(".toml"), plugins=plugins) + extra)
    return path


def test_many_experiments_in_one_session_import_a_plugin_once(tmp_path: Path, counting: Path) -> None:
    import builtins

    session = Session(autoload=False)
    first = load_experiment(_file(tmp_path, "a.toml", plugins=(counting,)), session=session)
    for epochs in range(1, 6):
        again = load_experiment(
            _file(tmp_path, "a.toml", plugins=(counting,)), [f"training.epochs={epochs}"], session=session
        )
        assert again.experiment.training.epochs == epochs
    assert builtins.hoh_test_imports == 1
    assert again.registry is first.registry  # same active plugins: the registry is built once too
    load_experiment(_file(tmp_path, "a.toml", plugins=(counting,)))  # a new session imports it anew
    assert builtins.hoh_test_imports == 2


def test_an_experiment_sees_only_its_own_plugins(tmp_path: Path, counting: Path) -> None:
    session = Session(autoload=False)
    with_plugin = load_experiment(_file(tmp_path, "with.toml", plugins=(counting,)), session=session)
    without = load_experiment(_file(tmp_path, "without.toml"), session=session)
    switched_off = load_experiment(
        _file(tmp_path, "off.toml", plugins=(counting,), extra="\n[plugins.counting_plugin]\nenabled = false\n"),
        session=session,
    )
    assert "counted-model" in with_plugin.registry.names(Kind.MODEL)
    assert "counted-model" not in without.registry.names(Kind.MODEL)
    assert "counted-model" not in switched_off.registry.names(Kind.MODEL)
    assert switched_off.experiment.plugins_off == ("counting_plugin",)
    assert "enabled = false" in switched_off.experiment.to_toml()

    module = session.pm.get_plugin("counting_plugin")
    for loaded, called in ((without, 0), (switched_off, 0), (with_plugin, 1)):
        module.CALLS.clear()
        loaded.hook.hoh_configure_run(run=loaded.experiment.experiment.name)
        name = loaded.experiment.experiment.name
        assert len(module.CALLS) == called and set(module.CALLS) <= {name}, name


PROGRESS_PLUGIN = """
from framework import NoParams, Provider, hookimpl


@hookimpl
def hoh_callback_providers():
    return [Provider("{name}", NoParams, lambda params, run: None, progress=True)]
"""


def _auto(path: Path) -> Path:
    path.write_text(path.read_text().replace('progress = "none"\n', ""))  # left out: "auto"
    return path


def test_progress_auto_picks_the_one_provider_that_shows_progress(tmp_path: Path) -> None:
    assert load_experiment(_auto(_file(tmp_path, "none.toml"))).experiment.training.progress == "none"  # none shows it
    bars = tmp_path / "bars_plugin.py"
    bars.write_text(PROGRESS_PLUGIN.replace("{name}", "bars"))
    loaded = load_experiment(_auto(_file(tmp_path, "one.toml", plugins=(bars,))))
    assert loaded.experiment.training.progress == "bars"
    assert 'progress = "bars"' in loaded.experiment.to_toml()  # resolved in the run's experiment.toml
    dots = tmp_path / "dots_plugin.py"
    dots.write_text(PROGRESS_PLUGIN.replace("{name}", "dots"))
    path = _auto(_file(tmp_path, "two.toml", plugins=(bars, dots)))
    with pytest.raises(ExperimentError, match=r"several callback providers show progress \('bars', 'dots'\)"):
        load_experiment(path)
    assert load_experiment(path, ['training.progress="dots"']).experiment.training.progress == "dots"
