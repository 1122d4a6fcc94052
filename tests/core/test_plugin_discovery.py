"""Plugin discovery: built-ins, third-party entry points, experiment-file modules, --plugin."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
from core_helpers import BUILTINS, SECTIONS, stub_experiment

from framework.errors import PluginError
from framework.loading import load_experiment
from framework.providers import Kind
from framework.session import PluginView, Session

# The built-ins the core itself ships with (pyproject.toml); others are written by other people.
IN_PROGRESS = [name for name in BUILTINS if name not in {"models", "optimizers"}]

MODEL_PLUGIN = """
from pydantic import Field

from framework import Params, Provider, hookimpl


class Params_(Params):
    width: int = Field(7, gt=0, description="How wide.")


@hookimpl
def hoh_model_providers():
    return [Provider("{name}", Params_, lambda params, spec: None, "A test model.")]
"""


def load_plugins(
    *, modules: list[str] = (), base_dir: Path | None = None, autoload: bool = True, disabled: list[str] = ()
) -> PluginView:
    """What one experiment's plugins would be, in a new session."""
    return Session(autoload=autoload).activate(modules, base_dir=base_dir, disabled=disabled)


def model_plugin(name: str) -> str:
    return MODEL_PLUGIN.replace("{name}", name)


@pytest.fixture
def third_party(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forget_modules) -> Path:
    """An installed distribution with a ``hoh.plugins`` entry point ``thirdparty`` on sys.path."""
    forget_modules("hoh_thirdparty_plugin")
    site = tmp_path / "site"
    dist = site / "hoh_thirdparty-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: hoh-thirdparty\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[hoh.plugins]\nthirdparty = hoh_thirdparty_plugin\n")
    (site / "hoh_thirdparty_plugin.py").write_text(model_plugin("third-party-model"))
    monkeypatch.syspath_prepend(str(site))
    return site


def test_builtins_are_discovered_from_entry_points() -> None:
    view = load_plugins(autoload=False)
    assert "models" in BUILTINS and "optimizers" in BUILTINS  # read from the installed package's metadata
    assert sorted(view.active) == sorted(["hoh-core", *BUILTINS])
    registry = view.registry
    assert registry.find(Kind.MODEL, "five-conv-sigmoid").plugin == "models"
    assert registry.find(Kind.OPTIMIZER, "rmsprop").plugin == "optimizers"


def test_disabled_builtins_are_not_imported() -> None:
    view = load_plugins(disabled=BUILTINS)
    assert view.active == ("hoh-core",)  # the core's own default hooks only
    assert view.registry.names(Kind.MODEL) == []


def test_third_party_entry_point_is_discovered(third_party: Path) -> None:
    pm = load_plugins(disabled=IN_PROGRESS).pm
    assert pm.has_plugin("thirdparty")
    assert pm.has_plugin("models")
    offered = load_plugins(disabled=IN_PROGRESS).registry.find(Kind.MODEL, "third-party-model")
    assert offered is not None and offered.plugin == "thirdparty"


def test_no_autoload_skips_entry_points_but_not_builtins(third_party: Path) -> None:
    pm = load_plugins(autoload=False, disabled=IN_PROGRESS).pm
    assert not pm.has_plugin("thirdparty")
    assert pm.has_plugin("models") and pm.has_plugin("optimizers")


def test_autoload_env_var_skips_entry_points_but_not_builtins(
    third_party: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOH_DISABLE_PLUGIN_AUTOLOAD", "1")
    pm = load_plugins(disabled=IN_PROGRESS).pm
    assert not pm.has_plugin("thirdparty")
    assert pm.has_plugin("models") and pm.has_plugin("optimizers")


def test_disable_plugins_in_experiment_drops_a_third_party_plugin(third_party: Path, write_file) -> None:
    kept = load_experiment(write_file(stub_experiment()))
    assert kept.pm.has_plugin("thirdparty")
    assert "third-party-model" in kept.registry.names(Kind.MODEL)
    text = stub_experiment().replace('"curves"', '"curves", "thirdparty"')
    dropped = load_experiment(write_file(text, "dropped.toml"))
    assert not dropped.pm.has_plugin("thirdparty")
    assert "third-party-model" not in dropped.registry.names(Kind.MODEL)
    assert dropped.pm.has_plugin("stub_plugin")


def test_broken_third_party_plugin_names_plugin_and_cause(third_party: Path) -> None:
    (third_party / "hoh_thirdparty_plugin.py").write_text("raise RuntimeError('database is on fire')\n")
    with pytest.raises(PluginError) as info:
        load_plugins(disabled=IN_PROGRESS)
    message = str(info.value)
    assert "'thirdparty'" in message
    assert "RuntimeError: database is on fire" in message
    assert "--no-plugin-autoload" in message


def test_experiment_file_names_dotted_module_and_py_file(write_file, forget_modules) -> None:
    forget_modules("my_plugins")
    write_file("", "my_plugins/__init__.py")
    write_file(model_plugin("wide-cnn"), "my_plugins/wide_cnn.py")
    write_file(model_plugin("local-cnn"), "local_plugin.py")
    text = stub_experiment(
        SECTIONS.replace('provider = "stub-model"', 'provider = "wide-cnn"'),
        plugins=(
            "my_plugins.wide_cnn",
            "local_plugin.py",
        ),
    )
    loaded = load_experiment(write_file(text))
    assert loaded.registry.find(Kind.MODEL, "wide-cnn").plugin == "my_plugins.wide_cnn"
    assert loaded.registry.find(Kind.MODEL, "local-cnn").plugin == "local_plugin"
    assert loaded.experiment.model.provider == "wide-cnn"
    assert loaded.experiment.model.params.width == 7


def test_relative_plugin_path_resolves_against_experiment_folder(tmp_path: Path, write_file, monkeypatch) -> None:
    write_file(model_plugin("nested-cnn"), "exps/nested_plugin.py")
    text = stub_experiment(plugins=("nested_plugin.py",))
    write_file(text, "exps/experiment.toml")
    write_file(model_plugin("wrong-cnn"), "nested_plugin.py")  # in the working directory: must not be picked
    monkeypatch.chdir(tmp_path)
    loaded = load_experiment(Path("exps/experiment.toml"))
    assert "nested-cnn" in loaded.registry.names(Kind.MODEL)
    assert "wrong-cnn" not in loaded.registry.names(Kind.MODEL)


def test_plugin_option_loads_a_module(write_file) -> None:
    plugin = write_file(model_plugin("cli-cnn"), "cli_plugin.py")
    path = write_file(stub_experiment())
    assert "cli-cnn" not in load_experiment(path).registry.names(Kind.MODEL)
    loaded = load_experiment(path, plugins=[str(plugin)])
    assert loaded.registry.find(Kind.MODEL, "cli-cnn").plugin == "cli_plugin"


def test_plugin_option_on_the_command_line(write_file, capsys) -> None:
    from framework.cli.main import main

    plugin = write_file(model_plugin("cli-cnn"), "cli_plugin.py")
    experiment = write_file(stub_experiment())
    assert main(["plugins", "--experiment", str(experiment)]) == 0
    assert "cli-cnn" not in capsys.readouterr().out
    assert main(["plugins", "--experiment", str(experiment), "--plugin", str(plugin)]) == 0
    out = capsys.readouterr().out
    assert "cli-cnn" in out and "cli_plugin" in out
    assert main(["validate", str(experiment), "model.provider=cli-cnn", "--plugin", str(plugin)]) == 0
    assert "cli-cnn" in capsys.readouterr().out


def test_misspelled_hook_name_is_a_clear_error(write_file) -> None:
    bad = write_file(
        textwrap.dedent(
            """
            from framework import hookimpl

            @hookimpl
            def hoh_model_provider():
                return []
            """
        ),
        "typo_plugin.py",
    )
    with pytest.raises(PluginError) as info:
        load_plugins(modules=[str(bad)], disabled=BUILTINS)
    message = str(info.value)
    assert "plugin 'typo_plugin' implements 'hoh_model_provider', which is no hoh hook" in message
    assert "(did you mean 'hoh_model_providers'?)" in message and "<module" not in message


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (
            "return Provider('m', Params, lambda params, spec: None)",
            "must return a list of Provider objects, got Provider",
        ),
        ("return [Provider('m', Params(), lambda params, spec: None)]", "it must be a Params subclass (the class, not"),
    ],
)
def test_a_provider_hook_returning_the_wrong_shape_is_named(write_file, body: str, said: str) -> None:
    bad = write_file(
        "from framework import Params, Provider, hookimpl\n\n@hookimpl\ndef hoh_model_providers():\n    " + body + "\n",
        "shape_plugin.py",
    )
    with pytest.raises(PluginError, match=re.escape(said)) as info:
        load_plugins(modules=[str(bad)], disabled=BUILTINS)
    assert "plugin 'shape_plugin'" in str(info.value)


def test_two_plugins_offering_one_provider_name(write_file) -> None:
    first = write_file(model_plugin("same-name"), "first_plugin.py")
    second = write_file(model_plugin("same-name"), "second_plugin.py")
    with pytest.raises(PluginError) as info:
        load_plugins(modules=[str(first), str(second)], disabled=BUILTINS)
    message = str(info.value)
    assert "'same-name'" in message
    assert "'first_plugin'" in message and "'second_plugin'" in message
    assert "model provider" in message


def test_two_plugins_offering_one_provider_name_via_experiment(write_file) -> None:
    write_file(model_plugin("stub-model"), "clash_plugin.py")
    text = stub_experiment(plugins=("clash_plugin.py",))
    with pytest.raises(PluginError) as info:
        load_experiment(write_file(text))
    assert "'stub_plugin'" in str(info.value) and "'clash_plugin'" in str(info.value)


def test_plugin_import_failure_names_plugin_and_cause(write_file) -> None:
    bad = write_file("import math\nVALUE = 1 / 0\n", "broken_plugin.py")
    with pytest.raises(PluginError) as info:
        load_plugins(modules=[str(bad)], disabled=BUILTINS)
    message = str(info.value)
    assert "broken_plugin.py" in message
    assert "ZeroDivisionError" in message


def test_missing_plugin_module_and_file(write_file) -> None:
    with pytest.raises(PluginError, match="'no_such_plugin_module' was not found"):
        load_plugins(modules=["no_such_plugin_module"], disabled=BUILTINS)
    with pytest.raises(PluginError, match=r"'missing\.py' does not exist"):
        load_plugins(modules=["missing.py"], base_dir=Path("/nonexistent"), disabled=BUILTINS)


def test_plugin_whose_own_import_fails_is_not_reported_as_missing(write_file, forget_modules) -> None:
    forget_modules("needs_missing_dep")
    write_file("import some_dependency_that_is_not_installed\n", "needs_missing_dep.py")
    with pytest.raises(PluginError) as info:
        load_plugins(
            modules=["needs_missing_dep"],
            base_dir=write_file("", "x.txt").parent,
            disabled=BUILTINS,
        )
    message = str(info.value)
    assert "'needs_missing_dep' failed to import" in message
    assert "some_dependency_that_is_not_installed" in message
