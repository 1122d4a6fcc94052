"""One scale-benchmark measurement in a process of its own, so that its peak memory is its own.

    python benchmarks/scale_child.py KIND FOLDER IMAGE_SIZE BATCH CACHE_DIR

KIND is ``hoh`` (the ``tf-data`` pipeline, default settings), ``keras-memory`` /
``keras-disk`` (``keras.utils.image_dataset_from_directory`` with ``.cache()`` in memory or
in a file, as Keras' tutorials write it), ``ceiling`` (the same files read and decoded in
a tight loop on all cores, nothing else) or ``ceiling-kept`` (the same loop keeping what it
decodes in memory, ``.cache()``: the ceiling of any loader that keeps its images, whose first
pass also pays for the fresh memory they fill). Prints one JSON line: seconds to the first batch,
first-pass, second-pass and steady (passes after the second, at least ``STEADY_IMAGES``)
images/s, the user and system CPU seconds of the first pass (set-up included, as in its
images/s), and the peak resident memory (``ru_maxrss``).
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

STEADY_IMAGES = 10_000


def _hoh(folder: Path, size: int, batch: int) -> tuple[Any, int]:
    from framework import ImageFolders
    from plugins.pipelines.tf_data import TfDataParams, build_tf_data

    classes = tuple(sorted(p.name for p in folder.iterdir() if p.is_dir()))
    pipeline = build_tf_data(TfDataParams(image_size=(size, size), batch_size=batch))
    flows = pipeline.flows(ImageFolders(folder, None, classes), seed=1, steps_per_epoch=None, validation_steps=None)
    return flows.train, flows.steps_per_epoch


def _keras(folder: Path, size: int, batch: int, cache: str | None) -> tuple[Any, int]:
    import keras
    import tensorflow as tf

    data = keras.utils.image_dataset_from_directory(
        folder, image_size=(size, size), batch_size=batch, label_mode="binary", shuffle=True, seed=1, verbose=False
    )
    steps = int(data.cardinality())
    data = data.cache(cache) if cache else data.cache()
    # As the Keras/TensorFlow tutorials write it: cache, shuffle, prefetch, and one pass per epoch.
    # hoh hands the model rescaled batches; Keras' tutorial rescales in the model (a Rescaling layer): the
    # same work, done here so that both give the model the same batches.
    data = data.shuffle(1000).map(lambda x, y: (x * (1 / 255), y), num_parallel_calls=tf.data.AUTOTUNE)
    return data.prefetch(tf.data.AUTOTUNE).repeat(), steps


def _ceiling(folder: Path, size: int, batch: int, *, keep: bool) -> tuple[Any, int]:
    import tensorflow as tf

    from framework.api import list_images

    paths = [str(p) for sub in sorted(folder.iterdir()) for p in list_images(sub)]
    data = tf.data.Dataset.from_tensor_slices(paths).map(
        lambda p: (tf.io.decode_image(tf.io.read_file(p), channels=3, expand_animations=False), 0),
        num_parallel_calls=tf.data.AUTOTUNE,
        deterministic=False,
    )
    data = data.cache() if keep else data
    return data.batch(batch).prefetch(tf.data.AUTOTUNE).repeat(), -(-len(paths) // batch)


def main() -> None:
    kind, folder, cache_dir = sys.argv[1], Path(sys.argv[2]), sys.argv[5]
    size, batch = int(sys.argv[3]), int(sys.argv[4])
    os.environ["HOH_DECODED_CACHE"] = cache_dir
    os.environ["HOH_FILE_FACTS"] = str(Path(cache_dir) / "file-facts.sqlite3")  # files not checked before
    # Every loader under the TensorFlow settings hoh's commands run with (the BFC allocator): the pipelines
    # are compared, not the allocators. Keras' loaders in a script without them: docs/contributing/measurements.md.
    from framework.tensorflow_defaults import apply_tensorflow_defaults

    apply_tensorflow_defaults()
    import tensorflow as tf  # imported before the clock starts: start-up is not the pipeline's

    tf.constant(0)
    before = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    if kind == "hoh":
        data, steps = _hoh(folder, size, batch)
    elif kind.startswith("ceiling"):
        data, steps = _ceiling(folder, size, batch, keep=kind == "ceiling-kept")
    else:
        cache = str(Path(cache_dir) / "keras-cache") if kind == "keras-disk" else None
        data, steps = _keras(folder, size, batch, cache)
    iterator = iter(data)
    first_batch, images, passes = None, [0, 0, 0], [0.0, 0.0, 0.0]
    first_cpu = (0.0, 0.0)
    for index in range(3):
        began = time.perf_counter()
        # The steady figure: whole passes after the second, at least STEADY_IMAGES (one pass of 1,000
        # images took ~0.2 s, and read 3,200-6,600 img/s from one run to the next). The second pass is
        # reported apart: a cache written in the first may still be on its way to the disk then.
        while images[index] == 0 or (index == 2 and images[2] < STEADY_IMAGES):
            for _ in range(steps):
                x, _ = next(iterator)
                images[index] += int(x.shape[0])
                if first_batch is None:
                    first_batch = time.perf_counter() - start
        passes[index] = time.perf_counter() - (start if index == 0 else began)
        if index == 0:
            # System time is where a pass that keeps what it decodes pays for fresh memory (the kernel's
            # page faults and zeroing; on a VM, the host's): docs/contributing/measurements.md
            after = resource.getrusage(resource.RUSAGE_SELF)
            first_cpu = (after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(
        json.dumps(
            {
                "kind": kind,
                "images": images[0],
                "first_batch_s": first_batch,
                "first_pass_per_s": images[0] / passes[0],
                "second_pass_per_s": images[1] / passes[1],
                "steady_per_s": images[2] / passes[2],
                "first_pass_user_s": first_cpu[0],
                "first_pass_system_s": first_cpu[1],
                "peak_rss_gb": peak / 1e9,
            }
        )
    )


if __name__ == "__main__":
    main()
