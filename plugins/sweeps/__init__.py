"""Hyperparameter sweeps on Optuna: ``hoh sweep SWEEP.toml`` (see :mod:`plugins.sweeps.spec`)."""
