"""Training speed of the five-conv model: images/s over steady-state steps.

Every figure uses the same model (``five-conv-sigmoid`` from the registry), optimizer
(RMSprop 0.001), loss, batch size and image size. Fits run ``epochs`` whole passes over
the training set without validation and are timed from the start of epoch 2 to the end
of training (the first epoch pays for tracing and compiling); the ceiling is
``ceiling_steps`` ``train_on_batch`` steps on one in-memory batch after a warm-up step.

The ceiling, the plain Keras fit and hoh's runner are measured in the same rounds, in an
order that rotates; gated figures are medians of per-round ratios (``floors.toml``).
pytest-benchmark's own timing covers all the rounds, compiles included.
"""

from __future__ import annotations

import pytest
from bench_figures import Session

# Keras' fit warns that shuffle=True is ignored for a tf.data.Dataset (hoh's runner and the plain script alike).
pytestmark = pytest.mark.filterwarnings("ignore:`shuffle=True` was passed:UserWarning")

CEILING, KERAS, RUNNER = "train_on_batch_ceiling", "plain_keras_fit_tfdata", "runner_fit_tfdata"


@pytest.mark.benchmark(group="training")
def test_runner_fit_tf_data_vs_plain_keras_and_the_ceiling(benchmark, bench: Session) -> None:
    """hoh's runner with tf-data: against plain Keras (framework overhead) and the train_on_batch ceiling."""
    speeds = bench.interleaved(benchmark, (CEILING, KERAS, RUNNER), bench.cfg.fit_rounds)
    bench.record(benchmark, "train_on_batch on one batch (ceiling)", bench.measured[CEILING])
    bench.record_paired(benchmark, "plain Keras fit, tf-data", speeds[KERAS], CEILING, speeds[CEILING])
    vs_ceiling = bench.record_paired(
        benchmark, "hoh runner fit, tf-data", speeds[RUNNER], CEILING, speeds[CEILING], gate="fit_tfdata_vs_ceiling"
    )
    vs_keras = bench.record_paired(
        benchmark,
        "hoh runner vs plain Keras, tf-data",
        speeds[RUNNER],
        KERAS,
        speeds[KERAS],
        gate="runner_vs_plain_keras",
    )
    bench.check(vs_ceiling, vs_keras)


@pytest.mark.benchmark(group="training")
def test_runner_fit_image_data_generator(benchmark, bench: Session) -> None:
    """Informational: the tutorial's pipeline feeding the runner, against the ceiling."""
    speeds = bench.interleaved(benchmark, (CEILING, "runner_fit_idg"), bench.cfg.fit_rounds)
    bench.record_paired(
        benchmark, "hoh runner fit, image-data-generator", speeds["runner_fit_idg"], CEILING, speeds[CEILING]
    )
