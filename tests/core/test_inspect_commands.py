"""``hoh schema`` and ``hoh plugins``: generated from the loaded providers."""

from __future__ import annotations

import json

import pytest
from core_helpers import stub_experiment

from framework.cli.main import main

TINY_PLUGIN = '''
from typing import Literal

from pydantic import Field

from framework import Params, Provider, hookimpl


class TinyParams(Params):
    """Parameters of tiny-cnn."""

    filters: int = Field(8, gt=0, description="Filters of the conv layer.")
    pooling: Literal["max", "average"] = Field("max", description="Global pooling.")


@hookimpl
def hoh_model_providers():
    return [Provider("tiny-cnn", TinyParams, lambda params, spec: None, "One small conv layer.")]
'''


@pytest.fixture
def experiment(write_file):
    write_file(TINY_PLUGIN, "tiny_schema_plugin.py")
    text = stub_experiment(plugins=("tiny_schema_plugin.py",))
    return write_file(text)


@pytest.fixture(autouse=True)
def _wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "250")


def _schema(capsys, *args: str) -> dict:
    assert main(["schema", *args]) == 0
    return json.loads(capsys.readouterr().out)


def _branch(schema: dict, ref: str) -> dict:
    assert ref.startswith("#/$defs/")
    return schema["$defs"][ref.removeprefix("#/$defs/")]


def test_schema_is_json_schema_with_one_branch_per_provider(experiment, capsys) -> None:
    schema = _schema(capsys, "--experiment", str(experiment))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {"experiment", "dataset", "pipeline", "model", "optimizer"}
    assert set(schema["properties"]) == {
        "experiment",
        "dataset",
        "pipeline",
        "model",
        "optimizer",
        "strategy",
        "training",
        "callbacks",
        "plugins",
    }
    model = schema["properties"]["model"]
    assert model["discriminator"]["propertyName"] == "provider"
    assert set(model["discriminator"]["mapping"]) == {"stub-model", "stub-wide", "tiny-cnn"}
    assert len(model["oneOf"]) == 3
    assert {b["$ref"] for b in model["oneOf"]} == set(model["discriminator"]["mapping"].values())
    callbacks = schema["properties"]["callbacks"]
    assert callbacks["type"] == "array"
    assert set(callbacks["items"]["discriminator"]["mapping"]) == {"stub-stopper", "stub-other"}
    # Every $ref resolves.
    refs = [m for m in json.dumps(schema).split('"$ref": "')[1:]]
    for ref in refs:
        _branch(schema, ref.split('"')[0])


def test_schema_branch_of_a_plugin_provider_has_its_params(experiment, capsys) -> None:
    schema = _schema(capsys, "--experiment", str(experiment))
    tiny = _branch(schema, schema["properties"]["model"]["discriminator"]["mapping"]["tiny-cnn"])
    assert tiny["additionalProperties"] is False
    assert tiny["required"] == ["provider"]
    assert tiny["properties"]["provider"]["const"] == "tiny-cnn"
    assert tiny["properties"]["filters"]["type"] == "integer"
    assert tiny["properties"]["filters"]["default"] == 8
    assert tiny["properties"]["filters"]["exclusiveMinimum"] == 0
    assert tiny["properties"]["filters"]["description"] == "Filters of the conv layer."
    assert tiny["properties"]["pooling"]["enum"] == ["max", "average"]
    experiment_section = schema["$defs"]["ExperimentSection"]
    assert experiment_section["required"] == ["name"]
    assert experiment_section["additionalProperties"] is False


def test_schema_output_file(experiment, tmp_path, capsys) -> None:
    target = tmp_path / "schema.json"
    assert main(["schema", "--experiment", str(experiment), "-o", str(target)]) == 0
    assert capsys.readouterr().out == ""
    written = json.loads(target.read_text())
    assert "tiny-cnn" in written["properties"]["model"]["discriminator"]["mapping"]


def _provider_names(schema: dict, section: str) -> set[str]:
    """The providers a section's schema accepts: a tagged union's tags, or the one branch's ``provider``."""
    node = schema["properties"][section]
    if "discriminator" in node:
        return set(node["discriminator"]["mapping"])
    return {_branch(schema, node["$ref"])["properties"]["provider"]["const"]}


def test_schema_with_builtins(capsys) -> None:
    """Needs the built-in plugins."""
    schema = _schema(capsys, "--no-plugin-autoload")
    assert "five-conv-sigmoid" in _provider_names(schema, "model")
    assert {"rmsprop", "adam", "sgd"} <= set(schema["properties"]["optimizer"]["discriminator"]["mapping"])


def test_plugins_table_lists_providers_plugins_and_params(experiment, capsys) -> None:
    assert main(["plugins", "--experiment", str(experiment)]) == 0
    out = capsys.readouterr().out
    rows = {line.split("│")[1].strip(): line for line in out.splitlines() if line.count("│") >= 4}
    assert "tiny_schema_plugin" in rows["tiny-cnn"]
    assert "filters: int > 0 = 8" in rows["tiny-cnn"]
    assert "stub_plugin" in rows["stub-sgd"]
    assert "learning_rate: float > 0 = 0.01" in rows["stub-sgd"]
    assert "stub_plugin" in rows["stub-stopper"]
    assert "patience: int >= 0 = 3" in rows["stub-stopper"]
    assert 'pooling: "max" | "average" = "max"' in out
    assert "One small conv layer." in out
    for section in ("[dataset]", "[pipeline]", "[model]", "[optimizer]", "[callbacks]"):
        assert section in out
    assert "plugins loaded: hoh-core, stub_plugin, tiny_schema_plugin" in out


def test_plugins_table_with_builtins(capsys) -> None:
    """Needs the built-in plugins."""
    assert main(["plugins", "--no-plugin-autoload"]) == 0
    out = capsys.readouterr().out
    rows = {line.split("│")[1].strip(): line for line in out.splitlines() if line.count("│") >= 4}
    assert "models" in rows["five-conv-sigmoid"]
    assert "dense_units: int > 0 = 512" in out
    assert "optimizers" in rows["rmsprop"] and "learning_rate: float > 0 = 0.001" in rows["rmsprop"]
    for name in ("horse-or-human", "image-folder", "backup-and-restore", "rich-progress"):
        assert name in rows, name
    # types and bounds as a person writes them, defaults as an experiment file does
    assert "retries: 0 <= int <= 20 = 4" in out
    assert "image_size: [int > 0, int > 0] = [300, 300]" in out
    assert 'class_mode: "binary" | "categorical" = "binary"' in out
    assert "horizontal_flip: bool = false" in out
    assert "  callbacks: hoh_after_run, hoh_callback_providers" in out  # the hooks each plugin implements


def test_validate_and_plugins_speak_json(capsys) -> None:
    import json

    from core_helpers import ROOT

    from framework.cli.main import main

    quick = str(ROOT / "experiments" / "quick.toml")
    assert main(["validate", quick, "training.epochs=3", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["valid"] is True and document["experiment"]["training"]["epochs"] == 3
    assert main(["validate", quick, "training.epochs=0", "--format", "json"]) == 2
    document = json.loads(capsys.readouterr().out)
    assert document["valid"] is False and "training.epochs" in document["problems"][0]
    assert main(["plugins", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    five_conv = next(p for p in document["providers"]["model"] if p["name"] == "five-conv-sigmoid")
    assert five_conv["plugin"] == "models" and "dense_units" in five_conv["parameters"]["properties"]


def test_hoh_run_help_names_the_command_typed(capsys) -> None:
    import pytest

    from framework.cli.main import main

    with pytest.raises(SystemExit):
        main(["run", "--help"])
    assert capsys.readouterr().out.startswith("usage: hoh run ")
