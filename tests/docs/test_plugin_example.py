"""The plugin how-to's example is the shipped file (an include, not a copy), and it really works."""

from __future__ import annotations

from pathlib import Path

from framework.loading import load_experiment
from framework.providers import Kind, ModelSpec

ROOT = Path(__file__).resolve().parents[2]


def test_the_plugin_guide_shows_the_shipped_file() -> None:
    guide = (ROOT / "docs" / "how-to" / "plugins.md").read_text()
    assert '--8<-- "experiments/wide_cnn.py"' in guide  # the site's build fails when the file is not there
    assert "class WideParams" not in guide  # a copy would fall behind the file


def test_the_plugin_example_builds_a_model() -> None:
    loaded = load_experiment(ROOT / "experiments" / "wide.toml", ["pipeline.image_size=[64, 64]"])
    assert loaded.experiment.model.provider == "wide-cnn"
    assert loaded.registry.find(Kind.MODEL, "wide-cnn").plugin == "wide_cnn"
    provider = loaded.registry.get(Kind.MODEL, "wide-cnn")
    model = provider.factory(loaded.experiment.model.params, ModelSpec((64, 64, 3), ("horses", "humans")))
    conv = [layer for layer in model.layers if layer.__class__.__name__ == "Conv2D"]
    assert [layer.filters for layer in conv] == [32, 32, 32]  # filters = 32 from wide.toml, 3 blocks by default
    assert model.output_shape == (None, 1)
