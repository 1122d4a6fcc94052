"""Classify images with a model exported by ``hoh export RUN --format onnx``, without hoh or TensorFlow.

Needs only onnxruntime, numpy and Pillow. The preprocessing is what ``signature.json`` beside
the model describes: RGB, turned upright by EXIF, resized with nearest-neighbour sampling,
pixels 0-255 as float32 (the model rescales them itself).

    python serve_onnx.py runs/baseline/<timestamp>/export/onnx IMAGE [IMAGE ...]
"""

import json
import sys
from pathlib import Path

import numpy as np
import onnxruntime
from PIL import Image, ImageOps


def load(path: str, height: int, width: int) -> np.ndarray:
    with Image.open(path) as image:
        image = ImageOps.exif_transpose(image).convert("RGB")
        return np.asarray(image.resize((width, height), Image.NEAREST), dtype=np.float32)


def main(export: str, images: list[str]) -> None:
    folder = Path(export)
    signature = json.loads((folder / "signature.json").read_text())
    _, height, width, _ = signature["input"]["shape"]
    classes = signature["classes"]
    session = onnxruntime.InferenceSession(str(folder / signature["artifact"]))  # load once, call many times
    batch = np.stack([load(path, height, width) for path in images])
    (outputs,) = session.run(None, {session.get_inputs()[0].name: batch})
    for path, output in zip(images, outputs, strict=True):
        if len(classes) == 2:  # one sigmoid unit: the probability of the second class
            label = classes[int(output[0] > 0.5)]
            print(json.dumps({"file": path, "probability": float(output[0]), "label": label}))
        else:  # softmax: one probability per class
            print(json.dumps({"file": path, "label": classes[int(output.argmax())]}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
