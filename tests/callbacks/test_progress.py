from __future__ import annotations

import re
import time

import pytest

from plugins.callbacks.hooks import RichProgressParams, build_rich_progress, hoh_on_run_error


def output(run) -> str:
    return run.console.file.getvalue()


LINE = re.compile(
    r"^epoch (\d+)/(\d+)  loss \d+\.\d{4}  accuracy \d+\.\d{4}  val_loss \d+\.\d{4}  val_accuracy \d+\.\d{4}  "
    r"\d+\.\ds$"
)


def still_drawing(run, wait: float = 0.3) -> bool:
    """Whether the live display still redraws (it refreshes 10-30 times a second while it runs)."""
    before = len(output(run))
    time.sleep(wait)
    return len(output(run)) > before


def test_plain_lines_one_per_epoch(make_run, make_model, data):
    run = make_run()
    x, y = data
    callback = build_rich_progress(RichProgressParams(), run)
    make_model().fit(x, y, batch_size=8, epochs=3, validation_split=0.25, verbose=0, callbacks=[callback])
    lines = output(run).splitlines()
    assert len(lines) == 3, lines
    for number, line in enumerate(lines, start=1):
        match = LINE.match(line)
        assert match, line
        assert match.groups() == (str(number), "3")
    assert "\x1b" not in output(run)  # no escape codes in plain mode


def test_plain_resume_starts_at_initial_epoch(make_run, make_model, data):
    run = make_run()
    x, y = data
    callback = build_rich_progress(RichProgressParams(precision=2), run)
    make_model().fit(x, y, batch_size=8, epochs=4, initial_epoch=2, verbose=0, callbacks=[callback])
    lines = output(run).splitlines()
    assert [line.split("  ")[0] for line in lines] == ["epoch 3/4", "epoch 4/4"]
    assert re.search(r"loss \d\.\d\d  accuracy", lines[0])


def test_terminal_bars_render(make_run, make_model, data, keras):
    run = make_run(terminal=True)
    x, y = data
    callback = build_rich_progress(RichProgressParams(refresh_per_second=30), run)
    make_model().fit(x, y, batch_size=8, epochs=2, validation_split=0.25, verbose=0, callbacks=[callback])
    text = output(run)
    assert "━" in text  # bars were drawn
    assert "epoch 2/2" in text and "val_accuracy" in text
    assert not still_drawing(run)  # live display stopped at the end of training


@pytest.mark.filterwarnings("ignore:Your input ran out of data")
def test_terminal_unknown_steps_resume_and_error_close(make_run, make_model, data, keras):
    import tensorflow as tf

    run = make_run(terminal=True)
    x, y = data
    callback = build_rich_progress(RichProgressParams(), run)

    # filtered: Keras cannot know the number of steps
    batches = tf.data.Dataset.from_tensor_slices((x, y)).batch(8).filter(lambda *_: True)
    assert batches.cardinality() == tf.data.UNKNOWN_CARDINALITY

    class Boom(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 3:
                raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        make_model().fit(batches, epochs=4, shuffle=False, initial_epoch=1, verbose=0, callbacks=[callback, Boom()])
    assert still_drawing(run)  # Keras calls no on_train_end after an error ...
    hoh_on_run_error(run=run, error=RuntimeError("boom"))
    assert not still_drawing(run)  # ... so the error hook stops the display
    text = output(run)
    assert "epoch 2/4" in text and "epoch 3/4" in text and "epoch 1/4" not in text
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)
    third = plain[plain.index("epoch 3/4") :]
    assert re.search(r"train\W+\s*\S*\s*[0-4]/4\b", third), third[:500]  # steps counted in the epoch before
