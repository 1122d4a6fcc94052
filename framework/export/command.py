"""``hoh export RUN --format saved_model|onnx|tflite``: the trained model for other runtimes, verified.

Example::

    hoh export runs/baseline/20261124T130000Z --format onnx
    # runs/baseline/20261124T130000Z/export/onnx/model.onnx and signature.json

The exported model takes what a person has: RGB pixels 0-255 as float32, already
resized to the training size (``signature.json`` says the size and how to resize); the
rescaling the pipeline did is inside the model. Before anything is kept, the exported
file is run by its own runtime on validation images and its outputs are compared with
the Keras model's on the same images; the export fails, and leaves nothing, when they
differ by more than :data:`TOLERANCE`.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console

from framework.commands import Command
from framework.errors import EnvironmentProblem, UserError
from framework.export.formats import FORMATS, Format
from framework.images import is_image_file, list_images
from framework.inference import TrainedRun
from framework.inference.preprocessing import load_pixels
from framework.output_folders import check_replaceable, staged_folder
from framework.terminal.arguments import add_checkpoint_option, add_plugin_options

VERIFY_IMAGES = 32
PROBES = 16
EXPORT_KIND = "export"
TOLERANCE = 1e-4
"""Largest absolute difference allowed between exported and Keras outputs (probabilities).

Float32 everywhere; measured differences are ~1e-7 (operation order and fused kernels)."""


def verification_files(run: TrainedRun, count: int = VERIFY_IMAGES) -> list[Path]:
    """Up to ``count`` images, as many from each class, from the run's validation (else training) folder."""
    for key in ("validation_dir", "train_dir"):
        folder = run.record.get(key)
        if folder and Path(folder).is_dir():
            per_class = -(-count // len(run.class_names))
            files = [f for name in run.class_names for f in list_images(Path(folder) / name)[:per_class]]
            if files:
                return files[:count]
    raise UserError(
        f"run {run.run_dir} records no image folder that still exists, so the export cannot be verified; "
        "give images with --images FOLDER (any image files)."
    )


def with_preprocessing(run: TrainedRun) -> Any:
    """The run's model behind its rescaling: input float32 RGB pixels 0-255 of the training size."""
    import keras
    import numpy as np

    prep = run.preprocessing
    assert prep is not None
    pixels = keras.Input(shape=prep.input_shape, dtype="float32", name="pixels")
    scaled = keras.layers.Rescaling(prep.rescale, name="rescale")(pixels)
    model = keras.Model(pixels, run.model(scaled), name="exported")
    model(np.zeros((1, *prep.input_shape), dtype=np.float32))  # Keras' ONNX export needs a model that was called
    return model


def signature(run: TrainedRun, fmt: Format, checks: dict[str, Any]) -> dict[str, Any]:
    """``signature.json``: what the exported model takes and gives."""
    prep = run.preprocessing
    assert prep is not None
    height, width = prep.image_size
    binary = len(run.labels) == 2
    output = (
        {
            "shape": [None, 1],
            "meaning": f"probability of {run.labels[1]!r}; the run calls it {run.labels[1]!r} "
            f"when > 0.5, else {run.labels[0]!r}",
        }
        if binary
        else {"shape": [None, len(run.labels)], "meaning": "probability of each class, in the order of 'classes'"}
    )
    return {
        "format": fmt.name,
        "artifact": fmt.artifact,
        "run": str(run.run_dir),
        "model": str(run.model_path),
        "input": {
            "shape": [None, height, width, 3],
            "dtype": "float32",
            "range": [0, 255],
            "color": "RGB (grey and palette images converted, alpha dropped)",
            "orientation": "turned upright by the file's EXIF orientation first (PIL.ImageOps.exif_transpose)"
            if prep.orientation == "exif"
            else "as stored (EXIF orientation not applied)",
            "resize": f"to {width}x{height} (width x height) with nearest-neighbour sampling, as Pillow's "
            "Image.resize(size, Image.NEAREST); the model does not resize",
            "rescale_inside_model": prep.rescale,
        },
        "output": output,
        "classes": list(run.labels),
        "serving": fmt.serving,
        "verification": checks,
    }


def verify(fmt: Format, artifact: Path, keras_model: Any, images: Sequence[Path], run: TrainedRun) -> dict[str, Any]:
    """Run the artifact and the Keras model on ``images``; raise when they disagree beyond the tolerance.

    A trained model often answers exactly 0 or 1 on real images (the baseline does on 31 of 32),
    and a saturated output hides a difference inside the model. So the check also runs
    :data:`PROBES` dimmed blends of two images (valid inputs, 20% brightness), on which models
    answer in between.
    """
    import numpy as np

    prep = run.preprocessing
    assert prep is not None
    try:
        exif = prep.orientation == "exif"
        pixels = np.stack([load_pixels(path, prep.image_size, exif=exif) for path in images]).astype(np.float32)
    except ValueError as error:  # names the file
        raise UserError(f"cannot verify the export: {error}.") from None
    count = min(PROBES, len(pixels))
    probes = np.float32(0.2) * (np.float32(0.5) * pixels[:count] + np.float32(0.5) * pixels[::-1][:count])
    batch = np.concatenate([pixels, probes])
    expected = np.asarray(run.model.predict(batch * np.float32(prep.rescale), verbose=0))
    via_wrapper = np.asarray(keras_model.predict(batch, verbose=0))
    got = fmt.run(artifact, batch)
    if got.shape != expected.shape:
        raise EnvironmentProblem(f"the exported {fmt.name} model outputs shape {got.shape}, Keras {expected.shape}.")
    difference = float(np.max(np.abs(got.astype(np.float64) - expected)))
    wrapper_difference = float(np.max(np.abs(via_wrapper - expected)))
    unsaturated = np.any((expected > 0.01) & (expected < 0.99), axis=1)
    checks = {
        "images": len(images),
        "probes": count,
        "max_abs_difference": difference,
        "wrapper_max_abs_difference": wrapper_difference,
        "tolerance": TOLERANCE,
        # outputs at 0 or 1 hide input errors (a saturated sigmoid): how many could show one
        "outputs_between_0.01_and_0.99": int(np.count_nonzero(unsaturated)),
        "first_images": [str(p) for p in images[:3]],
    }
    if not difference <= TOLERANCE or not wrapper_difference <= TOLERANCE:
        raise EnvironmentProblem(
            f"the exported {fmt.name} model does not match the Keras model: largest difference "
            f"{difference:.3g} on {len(images)} images and {count} probes (tolerance {TOLERANCE:g}). Nothing was kept."
        )
    return checks


def check_export_target(
    run: TrainedRun, format_name: str, *, output: Path | None, checkpoint: str | None, force: bool
) -> Path:
    """The export folder, checked before anything slow (TensorFlow is not imported): returns it.

    Raises:
        UserError: when it exists and ``force`` is not given, or holds something hoh did not
            export there (``--force`` never reaches a run or other files).
        EnvironmentProblem: when the format's optional packages are missing.
    """
    fmt = FORMATS[format_name]
    out_dir = output or run.run_dir / "export" / (fmt.name if checkpoint is None else f"{fmt.name}-{checkpoint}")
    if out_dir.exists() and not force:
        raise UserError(f"{out_dir} exists already; give another --output, or --force to replace it.")
    check_replaceable(out_dir, EXPORT_KIND)
    fmt.check_available()
    return out_dir


def export_run(
    run: TrainedRun,
    format_name: str,
    *,
    output: Path | None = None,
    checkpoint: str | None = None,
    images: Path | None = None,
    force: bool = False,
    console: Console | None = None,
) -> Path:
    """Export the model of ``run`` (opened with ``checkpoint``, if any), verify it, and return the export folder."""
    console = console or Console()
    fmt = FORMATS[format_name]
    if run.preprocessing is None:
        raise UserError(
            f"run {run.run_dir} records no preprocessing (inference.json), so the exported model's input cannot "
            "be described; train it again with this hoh version."
        )
    out_dir = check_export_target(run, format_name, output=output, checkpoint=checkpoint, force=force)
    files = sorted(p for p in images.rglob("*") if is_image_file(p)) if images else verification_files(run)
    if images and not files:
        raise UserError(f"--images {images} holds no image files (.png, .jpg, .jpeg, .bmp, .gif).")
    with staged_folder(out_dir, EXPORT_KIND) as staging:
        with console.status(f"Exporting {run.model_path.name} as {fmt.name}"):
            model = with_preprocessing(run)
            artifact = staging / fmt.artifact
            try:
                fmt.write(model, artifact)
            except Exception as error:
                raise EnvironmentProblem(
                    f"Keras could not export the model as {fmt.name}: {type(error).__name__}: "
                    f"{str(error).strip()[:500]} (run with --debug for the traceback)."
                ) from error
            checks = verify(fmt, artifact, model, files[:VERIFY_IMAGES], run)
        (staging / "signature.json").write_text(json.dumps(signature(run, fmt, checks), indent=2) + "\n")
    size = sum(p.stat().st_size for p in out_dir.rglob("*") if p.is_file())
    console.print(
        f"Exported {fmt.name} to [bold]{out_dir / fmt.artifact}[/] ({size / 1e6:.1f} MB); verified on "
        f"{checks['images']} images and {checks['probes']} probes: largest difference "
        f"{checks['max_abs_difference']:.2g} "
        f"(tolerance {TOLERANCE:g}). Input: float32 RGB 0-255 of {run.preprocessing.image_size[1]}x"
        f"{run.preprocessing.image_size[0]}; see signature.json.",
        soft_wrap=True,
    )
    return out_dir


def export_command(args: argparse.Namespace) -> int:
    """The ``hoh export`` handler."""
    from framework.terminal.loading import open_run_from_args
    from framework.terminal.output import stdout_console

    def before_tensorflow(run: TrainedRun) -> None:
        output = Path(args.output) if args.output else None
        check_export_target(run, args.format, output=output, checkpoint=args.checkpoint, force=args.force)

    export_run(
        open_run_from_args(args, args.run, before_tensorflow=before_tensorflow),
        args.format,
        output=Path(args.output) if args.output else None,
        checkpoint=args.checkpoint,
        images=Path(args.images) if args.images else None,
        force=args.force,
        console=stdout_console(),
    )
    return 0


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run", help="a finished run folder (runs/NAME/latest: the newest run of runs/NAME)")
    parser.add_argument("--format", "-f", required=True, choices=list(FORMATS), help="export format")
    parser.add_argument(
        "--output", "-o", metavar="DIR", help="export folder (default: RUN/export/FORMAT); must not exist"
    )
    parser.add_argument("--force", action="store_true", help="replace the export folder when it exists")
    parser.add_argument("--images", metavar="FOLDER", help="images to verify with (default: the run's validation set)")
    add_checkpoint_option(parser)
    add_plugin_options(parser)


COMMAND = Command(
    "export",
    "export a run's model as a SavedModel, ONNX or TFLite file, verified against Keras",
    _arguments,
    export_command,
    description="Export a run's model with its rescaling built in, check the exported file's outputs against "
    "the Keras model on validation images, and write it with a signature.json that says what input it takes.",
)
