"""Training speed of the five-conv model: images/s over steady-state steps.

Every figure uses the same model (``five-conv-sigmoid`` from the registry), optimizer
(RMSprop 0.001), loss, batch size and image size. Fits run ``epochs`` whole passes over
the training set without validation and are timed from the start of epoch 2 to the end
of training (the first epoch pays for tracing and compiling); the ceiling is a
``train_on_batch`` loop on one in-memory batch after a warm-up step.
pytest-benchmark's own timings of a fit cover the whole fit, compile included.
"""

from __future__ import annotations

import pytest
from bench_figures import Session

# Keras' fit warns that shuffle=True is ignored for a tf.data.Dataset (hoh's runner and the plain script alike).
pytestmark = pytest.mark.filterwarnings("ignore:`shuffle=True` was passed:UserWarning")


@pytest.mark.benchmark(group="training")
def test_train_on_batch_ceiling(benchmark, bench: Session) -> None:
    value = bench.measure("train_on_batch_ceiling", benchmark)
    bench.record(benchmark, "train_on_batch on one batch (ceiling)", value)


@pytest.mark.benchmark(group="training")
def test_plain_keras_fit_tf_data(benchmark, bench: Session) -> None:
    value = bench.measure("plain_keras_fit_tfdata", benchmark)
    bench.record(benchmark, "plain Keras fit, tf-data", value, reference="train_on_batch_ceiling")


@pytest.mark.benchmark(group="training")
def test_runner_fit_tf_data(benchmark, bench: Session) -> None:
    """hoh's runner with tf-data: against the ceiling, and against plain Keras (framework overhead)."""
    value = bench.measure("runner_fit_tfdata", benchmark)
    vs_ceiling = bench.record(
        benchmark, "hoh runner fit, tf-data", value, reference="train_on_batch_ceiling", gate="fit_tfdata_vs_ceiling"
    )
    vs_keras = bench.record(
        benchmark,
        "hoh runner vs plain Keras, tf-data",
        value,
        reference="plain_keras_fit_tfdata",
        gate="runner_vs_plain_keras",
    )
    bench.check(vs_ceiling, vs_keras)


@pytest.mark.benchmark(group="training")
def test_runner_fit_image_data_generator(benchmark, bench: Session) -> None:
    value = bench.measure("runner_fit_idg", benchmark)
    bench.record(benchmark, "hoh runner fit, image-data-generator", value, reference="train_on_batch_ceiling")
