"""Import TensorFlow without its native start-up chatter on the terminal.

TensorFlow's C++ runtime logs to file descriptor 2 before ``TF_CPP_MIN_LOG_LEVEL``
takes effect (oneDNN notices, "Could not find cuda drivers", cuInit errors on
machines without a GPU). The commands that train or predict import it through
:func:`import_tensorflow_quietly`, which holds that output back and shows it only
if the import fails. ``--debug`` or ``HOH_TF_LOGS=1`` shows everything.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator


@contextlib.contextmanager
def _native_stderr_held_back() -> Iterator[None]:
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        except BaseException:
            sys.stderr.flush()
            os.dup2(saved, 2)
            sink.seek(0)
            sys.stderr.write(sink.read().decode(errors="replace"))
            raise
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


def import_tensorflow_quietly(verbose: bool = False) -> None:
    """Import TensorFlow and list its devices, holding native log lines back unless ``verbose``."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if verbose or os.environ.get("HOH_TF_LOGS") or "tensorflow" in sys.modules:
        import tensorflow as tf

        tf.config.list_physical_devices()
        return
    with _native_stderr_held_back():
        import tensorflow as tf

        tf.config.list_physical_devices()
