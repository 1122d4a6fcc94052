"""The README's plugin example is the shipped file, and it really works."""

from __future__ import annotations

import re
from pathlib import Path

from framework.loading import load_experiment
from framework.providers import Kind, ModelSpec

ROOT = Path(__file__).resolve().parents[1]


def test_readme_plugin_example_is_the_shipped_file() -> None:
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"```python\n(.*?)```", readme, re.S).group(1)
    shipped = (ROOT / "experiments" / "wide_cnn.py").read_text()
    assert shipped.endswith(block)


def test_readme_plugin_example_builds_a_model() -> None:
    loaded = load_experiment(ROOT / "experiments" / "wide.toml", ["pipeline.image_size=[64, 64]"])
    assert loaded.experiment.model.provider == "wide-cnn"
    assert loaded.registry.find(Kind.MODEL, "wide-cnn").plugin == "wide_cnn"
    provider = loaded.registry.get(Kind.MODEL, "wide-cnn")
    model = provider.factory(loaded.experiment.model.params, ModelSpec((64, 64, 3), ("horses", "humans")))
    conv = [layer for layer in model.layers if layer.__class__.__name__ == "Conv2D"]
    assert [layer.filters for layer in conv] == [32, 32, 32]  # filters = 32 from wide.toml, 3 blocks by default
    assert model.output_shape == (None, 1)
