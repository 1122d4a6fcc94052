"""A grid sweep takes every point once, whatever the order workers ask in; a failed point is retried."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from sweep_helpers import tiny_sweep

from framework.errors import ExperimentError
from plugins.sweeps.spec import load_sweep
from plugins.sweeps.storage import JOURNAL_FILE, open_storage
from plugins.sweeps.trials import _next_trial, open_study

GRID = '"optimizer.learning_rate" = { choice = [0.001, 0.01, 0.1] }'


def _grid_sweep(tmp_path: Path, trials: int, method: str = "grid") -> Path:
    path = tiny_sweep(tmp_path, trials=trials)
    text = path.read_text().replace('method = "random"', f'method = "{method}"')
    path.write_text(text.replace('"optimizer.learning_rate" = { log_uniform = [1e-4, 1e-2] }', GRID))
    return path


@pytest.mark.parametrize("method", ["grid", "GridSampler"])
def test_two_workers_cover_each_point_once_and_a_failed_point_is_retried(tmp_path: Path, method: str) -> None:
    from optuna.trial import TrialState

    sweep = load_sweep(_grid_sweep(tmp_path, trials=9, method=method))
    url = str(tmp_path / JOURNAL_FILE)
    first = open_study(sweep, open_storage(url), create=True)
    second = open_study(sweep, open_storage(url), create=False)  # another worker's view of the same journal
    taken = []
    for number in range(9):
        study = (first, second)[number % 2]
        trial = _next_trial(study, study._storage, sweep, url)
        taken.append((trial.params["optimizer.learning_rate"], trial.params["model.dense_units"]))
        if number == 4:
            study.tell(trial, state=TrialState.FAIL)  # its point must come back
            retried = _next_trial(study, study._storage, sweep, url)
            assert retried.params == trial.params
            trial = retried
        study.tell(trial, 0.5)  # a used-up grid raised RuntimeError here (Study.stop outside optimize)
    assert sorted(taken) == sorted(itertools.product([0.001, 0.01, 0.1], [4, 8, 16]))
    assert _next_trial(first, first._storage, sweep, url) is None


def test_a_grid_with_more_trials_than_points_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ExperimentError) as caught:
        load_sweep(_grid_sweep(tmp_path, trials=10))
    assert any("the grid has 9 points, each tried once: give trials = 9 or less" in p for p in caught.value.problems)


def test_an_interrupted_trials_parameters_are_trained_again_and_an_erroring_ones_are_not(tmp_path: Path) -> None:
    from optuna.trial import TrialState

    sweep = load_sweep(tiny_sweep(tmp_path, trials=6))  # random sampling
    url = str(tmp_path / JOURNAL_FILE)
    study = open_study(sweep, open_storage(url), create=True)
    interrupted = _next_trial(study, study._storage, sweep, url)
    study.tell(interrupted, state=TrialState.FAIL)  # as a Ctrl-C'd or killed trial is failed
    broken = _next_trial(study, study._storage, sweep, url)
    assert broken.params == interrupted.params and broken.user_attrs["hoh_retry_of"] == interrupted.number
    broken.set_user_attr("hoh_error", "ValueError: the trial's own failure")
    study.tell(broken, state=TrialState.FAIL)
    fresh = _next_trial(study, study._storage, sweep, url)
    assert fresh.params != broken.params and "hoh_retry_of" not in fresh.user_attrs
