"""Inject a known slowdown into a copy of hoh, to check that ``hoh bench compare`` sees it.

Usage (on a scratch clone; it edits files in place)::

    git clone -q . /tmp/slow && python benchmarks/inject_regressions.py model /tmp/slow
    (cd /tmp/slow && hoh bench compare HEAD --quick --only "train step float32")  # run from the clone

Each injection costs about 10-20 % of the workload it names, and only that one:

- ``pipeline``: the tf-data pipeline checks the pixel range (max <= 1) of two batches in three,
  a sampled sanity check that reads those batches once more (``tf-data steady pass``; +12-20 %
  CPU per image at 300x300, measured interleaved in one process; every second batch read
  +12-15 %, and 1.10-1.15 in compares under load, too close to the 10 % threshold; 1.29 in an
  idle compare on an Intel Xeon). Dividing
  by 255 instead of multiplying by 1/255, tried first, costs nothing: the division by a
  constant becomes a multiplication.
- ``callback``: the runner's divergence guard, a callback every run uses, burns CPU after each
  batch for 30 % of the batch's own wall time, on one thread: about 15 % more CPU time of a
  training step on two threads (``runner fit, default callbacks``).
- ``model``: one more 3x3 convolution (16 filters) in the five-conv model, after its first
  block (``train step float32`` and every fit).
- ``creep``: the same callback burns CPU after each batch for 25 % of the batch's own time;
  applied again, 50 %, then 75 %, ... (one burn, its share raised each time). A slowdown split
  over commits (``benchmarks/check_creeping.sh``): about 1.1x of ``runner fit, default
  callbacks`` per application, each under CI's 25 % threshold, about 1.4x after three.
- ``wait``: the same callback *sleeps* after each batch for 18 % of the batch's own wall time
  (its begin to its end), a stand-in for a synchronous write, lock or network call per batch:
  no CPU time, about 1.15x the wall time of ``runner fit, default callbacks`` idle (its batches
  are ~83 % of a quick round: 15 % of each batch read 1.10-1.15x; 25 %, used before, 1.23x). It first
  slept 25 % of the time since the previous batch's end, which takes in the epoch's end and
  its writes too: its size then varied from round to round (idle, 4 of 9 pairs read 1.76-1.99).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

INJECTIONS = {
    "pipeline": (
        "plugins/pipelines/tf_data.py",
        "                images = rescaled(tf, images, params.rescale)\n",
        "                images = rescaled(tf, images, params.rescale)\n"
        "                checked = tf.cond(index % 3 != 0, lambda: tf.reduce_max(images), lambda: 0.0)  # injected\n"
        "                with tf.control_dependencies([tf.debugging.assert_less_equal(checked, 1.0)]):\n"
        "                    images = tf.identity(images)\n",
    ),
    "callback": (
        "framework/recorder.py",
        "    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:\n"
        '        loss = (logs or {}).get("loss")\n',
        "    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:\n"
        "        import time as _t  # injected: burn 30 % of the batch's wall time\n"
        "        now = _t.perf_counter()\n"
        "        spent = now - getattr(self, '_injected_last', now)\n"
        "        while _t.perf_counter() - now < 0.30 * spent:\n"
        "            pass\n"
        "        self._injected_last = _t.perf_counter()\n"
        '        loss = (logs or {}).get("loss")\n',
    ),
    "wait": (
        "framework/recorder.py",
        "    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:\n"
        '        loss = (logs or {}).get("loss")\n',
        "    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:  # injected\n"
        "        self._injected_began = __import__('time').perf_counter()  # injected\n"
        "\n"
        "    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:\n"
        "        import time as _t  # injected: sleep 18 % of the batch's own wall time (its begin to its end)\n"
        "        _t.sleep(0.18 * (_t.perf_counter() - self._injected_began))\n"
        '        loss = (logs or {}).get("loss")\n',
    ),
    "model": (
        "plugins/models.py",
        "    for filters in params.filters:\n"
        '        layers += [keras.layers.Conv2D(filters, (3, 3), activation="relu"), keras.layers.MaxPooling2D(2, 2)]\n',  # noqa: E501
        "    for index, filters in enumerate(params.filters):\n"
        '        layers += [keras.layers.Conv2D(filters, (3, 3), activation="relu"), keras.layers.MaxPooling2D(2, 2)]\n'
        "        if index == 0:  # injected\n"
        '            layers.append(keras.layers.Conv2D(16, (3, 3), padding="same", activation="relu"))\n',
    ),
}


CREEP_FILE = "framework/recorder.py"
CREEP_ANCHOR = '        loss = (logs or {}).get("loss")\n'
CREEP_STEP = 0.25
CREEP = re.compile(r"        _t = __import__\('time'\)  # injected: creep (\d+)\n(?:        .*# creep\n)*")


def creep(tree: Path) -> Path:
    """Raise the creep's burn by :data:`CREEP_STEP` of the batch's own time (the first time: add it).

    The batch's own time is from the end of the previous burn to this batch's end, so the shares
    add up: n applications burn n x 25 % of it, not 25 % of a batch already slowed.
    """
    path = tree / CREEP_FILE
    text = path.read_text(encoding="utf-8")
    found = CREEP.search(text)
    steps = int(found.group(1)) + 1 if found else 1
    if found:
        text = text[: found.start()] + text[found.end() :]
    if CREEP_ANCHOR not in text:
        raise SystemExit(f"{path}: the code the 'creep' injection changes is not there any more; update this script.")
    block = (
        f"        _t = __import__('time')  # injected: creep {steps}\n"
        "        _now = _t.perf_counter()  # creep\n"
        "        _own = _now - getattr(self, '_creep_last', _now)  # creep\n"
        f"        while _t.perf_counter() - _now < {steps * CREEP_STEP} * _own:  # creep\n"
        "            pass  # creep\n"
        "        self._creep_last = _t.perf_counter()  # creep\n"
    )
    path.write_text(text.replace(CREEP_ANCHOR, block + CREEP_ANCHOR, 1), encoding="utf-8")
    return path


def inject(name: str, tree: Path) -> Path:
    """Apply injection ``name`` to the checkout at ``tree``; returns the file it changed."""
    if name == "creep":
        return creep(tree)
    relative, anchor, replacement = INJECTIONS[name]
    path = tree / relative
    text = path.read_text(encoding="utf-8")
    if anchor not in text:
        raise SystemExit(f"{path}: the code the {name!r} injection changes is not there any more; update this script.")
    changed = text.replace(anchor, replacement, 1)
    try:  # an anchor matched inside a deeper block would break the file
        compile(changed, str(path), "exec")
    except SyntaxError as error:
        message = f"{path}: the {name!r} injection no longer fits the code there ({error}); update this script."
        raise SystemExit(message) from None
    path.write_text(changed, encoding="utf-8")
    return path


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in [*INJECTIONS, "creep"]:
        raise SystemExit(f"usage: python {sys.argv[0]} {{{','.join([*INJECTIONS, 'creep'])}}} TREE")
    print(f"injected {sys.argv[1]} into {inject(sys.argv[1], Path(sys.argv[2]))}")
