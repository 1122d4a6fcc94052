"""Benchmark suite of hoh: data loading and training speed, gated on ratios.

    pytest benchmarks            # full mode: the real 300x300 training set, ~5 minutes on 2 cores
    pytest benchmarks --quick    # quick mode (also HOH_BENCH_QUICK=1): small generated set, ~15 s, not gated

Full mode uses the real Horse-or-Human training set (1027 images) through the
``horse-or-human`` dataset provider, from the mirror ``../shared/data`` next to the
repository when ``HOH_DATASET_MIRROR`` is unset, or from the cache; when neither
is available offline, a generated set of the same size and format (RGBA PNGs,
300x300, 500/527). The run ends with a table of images/s, ratios and floors
(``benchmarks/floors.toml``).

Full-mode budget on an idle 2-core CPU (one five-conv step at 300x300, batch 128, ~1 s):
data loading ~1 min (image-data-generator ~5 s per pass; tf-data ~1.5 s to decode, then
fast), training ~4 min (train_on_batch 17 steps; plain Keras, runner + tf-data and
runner + image-data-generator fits of 3 passes, twice each).
"""

from __future__ import annotations

import os

import pytest
from bench_figures import Session
from bench_measure import Measurer
from bench_settings import FULL, MIRROR, QUICK, generate_image_folders, load_floors, new_registry, real_image_folders

from framework.tensorflow_defaults import apply_tensorflow_defaults

QUICK_ENV = "HOH_BENCH_QUICK"
_SESSION = pytest.StashKey[Session]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--quick",
        action="store_true",
        default=False,
        help=f"hoh benchmarks: quick mode (small generated images, few steps; ratios recorded, not gated). "
        f"Also {QUICK_ENV}=1.",
    )


def _quick(config: pytest.Config) -> bool:
    from_env = os.environ.get(QUICK_ENV, "").strip().lower() in {"1", "true", "yes", "on"}
    return bool(config.getoption("--quick")) or from_env


def pytest_configure(config: pytest.Config) -> None:
    apply_tensorflow_defaults()  # what every hoh command's process runs with, set before TensorFlow starts
    cfg = QUICK if _quick(config) else FULL
    floors = load_floors(quick=cfg.quick)
    config.stash[_SESSION] = Session(cfg=cfg, floors=floors, dataset_source="(no data yet)")


@pytest.fixture(scope="session")
def bench(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Session:
    """The session: settings, floors, the dataset, cached reference figures and the table's rows."""
    session = request.config.stash[_SESSION]
    cfg = session.cfg
    registry = new_registry()
    images = None
    if not cfg.quick:
        if not os.environ.get("HOH_DATASET_MIRROR") and MIRROR.is_dir():
            os.environ["HOH_DATASET_MIRROR"] = str(MIRROR)
        images = real_image_folders(registry)
        if images is not None:
            session.dataset_source = f"real training set ({images.train_dir.parent})"
    if images is None:
        root = tmp_path_factory.mktemp("generated-data")
        images = generate_image_folders(root, count=cfg.train_images, size=cfg.image_size)
        session.dataset_source = f"generated set of {cfg.train_images} images"
    session.measurer = Measurer(cfg=cfg, registry=registry, images=images, work_dir=tmp_path_factory.mktemp("work"))
    return session


@pytest.hookimpl(wrapper=True)
def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config):
    """Print the figures last: after pytest-benchmark's tables, even when its compare gate raises."""
    try:
        return (yield)
    finally:
        _print_figures(terminalreporter, config)


def _print_figures(terminalreporter, config: pytest.Config) -> None:
    session = config.stash.get(_SESSION, None)
    if session is None or not session.figures:
        return
    from io import StringIO

    from rich.console import Console

    buffer = StringIO()
    width = 140 if not terminalreporter.hasmarkup else max(100, terminalreporter._tw.fullwidth)
    Console(file=buffer, width=width, force_terminal=terminalreporter.hasmarkup, highlight=False).print(session.table())
    terminalreporter.write_sep("=", "hoh benchmark figures")
    terminalreporter.write(buffer.getvalue())
