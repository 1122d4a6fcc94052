from __future__ import annotations

import pytest
from pydantic import ValidationError

from plugins.callbacks.hooks import (
    EarlyStoppingParams,
    TensorBoardParams,
    build_early_stopping,
    build_tensorboard,
    hoh_callback_providers,
)


def test_providers_are_offered_without_importing_keras():
    import subprocess
    import sys

    code = (
        "import sys, plugins.callbacks.hooks as h; names = [p.name for p in h.hoh_callback_providers()];"
        "assert 'keras' not in sys.modules and 'tensorflow' not in sys.modules, 'keras imported'; print(names)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    expected = ["rich-progress", "checkpoint", "backup-and-restore", "early-stopping", "tensorboard", "ema-validation"]
    assert out.strip() == str(expected)
    for provider in hoh_callback_providers():
        provider.params()  # every field has a default
        for name, field in provider.params.model_fields.items():
            assert field.description, (provider.name, name)


def test_early_stopping_stops_after_patience_plus_one(make_run, make_model, data):
    run = make_run()
    x, y = data
    callback = build_early_stopping(EarlyStoppingParams(monitor="loss", min_delta=100.0, patience=2), run)
    fit = make_model().fit(x, y, batch_size=8, epochs=20, verbose=0, callbacks=[callback])
    assert len(fit.history["loss"]) == 3
    assert "early stopping after epoch 3: loss did not improve for 2 epochs" in run.console.file.getvalue()


def test_tensorboard_writes_event_files(make_run, make_model, data):
    pytest.importorskip("tensorboard", reason="tensorboard is not installed")
    run = make_run()
    x, y = data
    callback = build_tensorboard(TensorBoardParams(histogram_freq=1), run)
    make_model().fit(x, y, batch_size=8, epochs=2, validation_split=0.25, verbose=0, callbacks=[callback])
    events = list((run.run_dir / "tensorboard").rglob("events.out.tfevents.*"))
    assert {p.parent.name for p in events} >= {"train", "validation"}
    assert all(p.stat().st_size > 0 for p in events)


def test_tensorboard_missing_is_a_user_error(make_run, monkeypatch):
    import importlib.util

    from framework import UserError

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "tensorboard" else real(name, *a))
    with pytest.raises(UserError, match="pip install tensorboard"):
        build_tensorboard(TensorBoardParams(), make_run())


def test_params_validation():
    with pytest.raises(ValidationError):
        EarlyStoppingParams(patience=-1)
    with pytest.raises(ValidationError):
        EarlyStoppingParams(min_delta=-0.1)
    with pytest.raises(ValidationError):
        TensorBoardParams(update_freq="sometimes")
    with pytest.raises(ValidationError):
        TensorBoardParams(log_dir="/tmp")
    assert TensorBoardParams(update_freq=50).update_freq == 50
