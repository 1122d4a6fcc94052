"""Why a batch-normalized model predicts one class: its accuracy under three kinds of normalization statistics.

For a trained run's ``model.keras`` (a ``backbone`` model), on 128 training and 128 validation
images per class of Horse-or-Human (from hoh's dataset cache):

1. inference mode: every batch-normalization layer uses its moving statistics (what
   ``hoh evaluate`` and ``hoh predict`` do);
2. the moving statistics recomputed from one mixed batch of 256 training images with the
   current weights (stale statistics would be cured by this);
3. each mixed batch of 64 validation images normalized by its own statistics (Keras'
   ``training=True``): what the network separates once the validation images' own statistics
   are used.

Usage (experiments/README.md, "Batch normalization from scratch")::

    python experiments/bn_statistics.py runs/scratch-mobilenet/latest/model.keras 200
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _load(folder: Path, per_class: int, size: int):
    import numpy as np
    from PIL import Image

    files = sorted((folder / "horses").iterdir())[:per_class] + sorted((folder / "humans").iterdir())[:per_class]
    pixels = [np.asarray(Image.open(f).convert("RGB").resize((size, size)), dtype="float32") / 255 for f in files]
    return np.stack(pixels), np.array([0] * per_class + [1] * per_class)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path, help="a run's model.keras")
    parser.add_argument("size", type=int, help="the run's image size (pipeline.image_size)")
    default = Path(os.environ.get("HOH_DATA_DIR", Path.home() / ".cache" / "hoh")) / "datasets" / "horse-or-human"
    parser.add_argument("--data", type=Path, default=default, help="folder with train/ and validation/")
    args = parser.parse_args()

    import keras
    import numpy as np

    model = keras.saving.load_model(args.model)
    rng = np.random.default_rng(0)

    def accuracy(x, y, training: bool = False, batch: int = 32) -> str:
        p = np.concatenate(
            [np.asarray(model(x[i : i + batch], training=training)).ravel() for i in range(0, len(x), batch)]
        )
        return f"accuracy {((p > 0.5) == y).mean():.3f}, predicted human {(p > 0.5).mean():.2f}"

    x_train, y_train = _load(args.data / "train", 128, args.size)
    x_val, y_val = _load(args.data / "validation", 128, args.size)
    print(f"1. inference mode: training images {accuracy(x_train, y_train)}; validation {accuracy(x_val, y_val)}")
    shuffled = rng.permutation(len(x_val))
    own = accuracy(x_val[shuffled], y_val[shuffled], training=True, batch=64)
    norms = [
        layer for layer in model.get_layer("backbone").layers if isinstance(layer, keras.layers.BatchNormalization)
    ]
    momentum = {layer.momentum for layer in norms}
    for layer in norms:
        layer.momentum = 0.0  # the next training-mode call makes the moving statistics that batch's
    model(x_train[rng.permutation(len(x_train))], training=True)
    print(f"2. moving statistics recomputed on 256 training images: validation {accuracy(x_val, y_val)}")
    print(f"3. each mixed batch of 64 validation images by its own statistics: {own}")
    print(f"({len(norms)} batch-normalization layers, momentum {sorted(momentum)})")


if __name__ == "__main__":
    main()
