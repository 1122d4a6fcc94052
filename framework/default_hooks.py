"""The core's own hook implementations, registered in every session as the plugin ``hoh-core``.

- ``hoh_build_model`` builds the ``[model]`` provider's model. It runs after every
  plugin's (``trylast``), so a plugin overrides or wraps it with ordinary pluggy
  implementations.
- the ``default`` strategy (one device), which a left-out ``[strategy]`` section means.
  It is here, not in a built-in plugin, because every run needs a strategy to build in.
"""

from __future__ import annotations

from typing import Any

from framework.markers import CORE_PLUGIN, hookimpl
from framework.providers import Kind, ModelSpec, NoParams, Provider
from framework.registry import build
from framework.run_context import RunContext

PLUGIN_NAME = CORE_PLUGIN


@hookimpl(trylast=True)
def hoh_build_model(run: RunContext, spec: ModelSpec) -> Any:
    """Build the ``[model]`` provider's model."""
    assert run.providers is not None, "the runner sets run.providers before the build phase"
    return build(run.providers, Kind.MODEL, run.experiment.model, spec)


def build_default_strategy(params: NoParams) -> Any:
    import tensorflow as tf

    return tf.distribute.get_strategy()


@hookimpl
def hoh_strategy_providers() -> list[Provider]:
    return [
        Provider(
            Kind.STRATEGY.default or "default",
            NoParams,
            build_default_strategy,
            "One device: TensorFlow's default placement (the GPU if there is one).",
        )
    ]
