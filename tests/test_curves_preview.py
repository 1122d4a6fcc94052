from __future__ import annotations

import io
import os
import signal
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image
from rich.console import Console

from framework import RunContext
from plugins import curves
from plugins.curves import plot_curves

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _history(epochs: int, validation: bool) -> list[dict[str, float]]:
    rows = []
    for epoch in range(1, epochs + 1):
        row = {"epoch": epoch, "accuracy": 0.5 + 0.03 * epoch, "loss": 1.0 / epoch, "seconds": 1.5}
        if validation:
            row |= {"val_accuracy": 0.5 + 0.02 * epoch, "val_loss": 1.2 / epoch}
        rows.append(row)
    return rows


def _png(path: Path) -> Image.Image:
    assert path.read_bytes()[:8] == PNG_MAGIC
    image = Image.open(path)
    image.load()
    return image


@pytest.mark.parametrize("validation", [True, False])
def test_plot_curves(tmp_path, validation):
    path = plot_curves(_history(15, validation), tmp_path / "plots" / "curves.png", "horse-or-human baseline")
    image = _png(path)
    assert image.size == (1100, 420)  # two panels: loss, accuracy ("seconds" is no metric)
    assert len(np.unique(np.asarray(image.convert("L")))) > 20  # something was drawn
    assert sorted(p.name for p in path.parent.iterdir()) == ["curves.png"]  # no temp file left


def test_plot_curves_single_epoch_and_only_validation_metric(tmp_path):
    path = plot_curves([{"epoch": 1, "loss": 0.7, "val_auc": 0.6}], tmp_path / "c.png")
    assert _png(path).size == (1100, 420)  # loss; auc from its val_ values alone


def test_plot_curves_empty_history(tmp_path):
    with pytest.raises(ValueError, match="empty"):
        plot_curves([], tmp_path / "c.png")


def test_lifecycle_hooks_write_curves(tmp_path):
    experiment = SimpleNamespace(experiment=SimpleNamespace(name="tiny", seed=0))
    console = Console(file=io.StringIO(), force_terminal=False)
    run = RunContext(experiment=experiment, providers=None, run_dir=tmp_path, console=console)
    history = _history(2, True)
    curves.hoh_after_epoch(run=run, epoch=1, logs=history[-1], history=history)
    assert _png(tmp_path / "plots" / "curves.png").size == (1100, 420)
    curves.hoh_after_run(run=run, history=_history(3, True))
    # A failure to draw is a warning on the console, not a failed run.
    curves.hoh_after_run(run=run, history=[{"epoch": 1, "seconds": 2.0}])
    assert "could not draw" in console.file.getvalue()


def test_curves_are_redrawn_at_most_once_a_minute_during_training(tmp_path, monkeypatch):
    experiment = SimpleNamespace(experiment=SimpleNamespace(name="tiny", seed=0))
    run = RunContext(experiment=experiment, providers=None, run_dir=tmp_path, console=Console(file=io.StringIO()))
    drawn: list[int] = []
    monkeypatch.setattr(curves, "plot_curves", lambda history, path, title, marks: drawn.append(len(history)))
    clock = [1000.0]
    monkeypatch.setattr(curves.time, "monotonic", lambda: clock[0])
    for epoch in range(1, 5):  # epochs 10 s apart: only the first is drawn
        clock[0] += 10
        curves.hoh_after_epoch(run=run, epoch=epoch - 1, logs={}, history=_history(epoch, True))
    assert drawn == [1]
    clock[0] += curves.REDRAW_SECONDS
    curves.hoh_after_epoch(run=run, epoch=4, logs={}, history=_history(5, True))
    assert drawn == [1, 5]
    run.history[:] = _history(6, True)
    curves.hoh_on_run_error(run=run, error=KeyboardInterrupt())  # an interrupted run is drawn up to date
    curves.hoh_after_run(run=run, history=_history(7, True))  # and so is a finished one
    assert drawn == [1, 5, 6, 7]


def _mark_columns(marked: Path, plain: Path) -> list[int]:
    """Columns where the marked picture has a tall run of grey pixels the plain one does not (a dotted line)."""
    a, b = (np.asarray(_png(path).convert("RGB")).astype(int) for path in (marked, plain))
    grey = (a.max(axis=2) - a.min(axis=2) == 0) & (a[..., 0] < 250)  # neutral grey, not white
    differs = np.abs(a - b).sum(axis=2) > 0
    return [int(column) for column in np.flatnonzero((grey & differs).sum(axis=0) > 100)]


def test_an_extension_marks_where_it_went_on_from_the_finished_run(tmp_path):
    experiment = SimpleNamespace(experiment=SimpleNamespace(name="tiny", seed=0))
    console = Console(file=io.StringIO())
    source = tmp_path / "gone"  # the source's folder is not read: the epochs are recorded in the extension's
    extension = RunContext(
        experiment=experiment,
        providers=None,
        run_dir=tmp_path / "new",
        console=console,
        extends=source,
        extends_epochs=4,
    )
    plain = RunContext(experiment=experiment, providers=None, run_dir=tmp_path / "plain", console=console)
    assert curves._marks(extension) == [(5, "extended")]  # before the first epoch it trained itself
    assert curves._marks(plain) == []
    for run in (extension, plain):
        curves.hoh_after_run(run=run, history=_history(8, True))
    columns = _mark_columns(tmp_path / "new" / "plots" / "curves.png", tmp_path / "plain" / "plots" / "curves.png")
    width = _png(tmp_path / "new" / "plots" / "curves.png").size[0]
    assert any(c < width / 2 for c in columns) and any(c > width / 2 for c in columns)  # a line in each panel


def test_an_interrupt_arriving_as_an_error_while_drawing_stops_the_run(tmp_path, monkeypatch):
    """A plot's failure is only a warning, but SIGTERM arriving while matplotlib loads (an ImportError) is not one."""
    from framework.terminal.signals import Terminated, interrupt_on_sigterm

    def plot(history, path, title, marks):
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # the SIGTERM handler raises here
        except KeyboardInterrupt:
            raise ImportError("initialization failed") from None  # what a C extension's import makes of it
        return path

    monkeypatch.setattr(curves, "plot_curves", plot)
    experiment = SimpleNamespace(experiment=SimpleNamespace(name="tiny", seed=0))
    run = RunContext(experiment=experiment, providers=None, run_dir=tmp_path, console=Console(file=io.StringIO()))
    previous = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        interrupt_on_sigterm()
        with pytest.raises(Terminated):
            curves.hoh_after_run(run=run, history=_history(2, True))
    finally:
        interrupt_on_sigterm()  # forget the signal for the tests after this one
        for s, handler in previous.items():
            signal.signal(s, handler)
    monkeypatch.undo()  # the real drawing again, with no signal received: its error stays a warning
    curves.hoh_after_run(run=run, history=[{"epoch": 1, "seconds": 2.0}])
    assert "could not draw" in run.console.file.getvalue()
