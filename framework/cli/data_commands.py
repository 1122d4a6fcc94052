"""``hoh data info`` and ``hoh preview``: a first look at an experiment's images."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.table import Table

from framework.commands import Command
from framework.providers import DatasetContext, ImageFolders, Kind
from framework.registry import build
from framework.terminal.arguments import add_plugin_options, count, positive
from framework.terminal.loading import load_from_args
from framework.terminal.output import stdout_console


def resolve_images(args: argparse.Namespace) -> ImageFolders:
    """Load the experiment in ``args`` and fetch its dataset (downloading it if needed)."""
    loaded = load_from_args(args)
    context = DatasetContext(console=stdout_console(), offline=args.offline)
    return build(loaded.registry, Kind.DATASET, loaded.experiment.dataset, context)


def info_command(args: argparse.Namespace) -> int:
    images = resolve_images(args)
    console = stdout_console()
    table = Table(title="images per class", title_justify="left")
    table.add_column("split")
    table.add_column("class")
    table.add_column("label", justify="right")
    table.add_column("images", justify="right")
    table.add_column(f"first {args.first} files")
    for split, key in (("training", "train"), ("validation", "validation"), ("test", "test")):
        per_class = images.files_by_class(key)
        for label, (name, files) in enumerate(zip(images.class_names, per_class or [], strict=False)):
            table.add_row(split, name, str(label), str(len(files)), ", ".join(f.name for f in files[: args.first]))
    console.print(table)
    console.print(f"training folder: {images.train_dir}")
    for split in ("validation", "test"):
        folder = images.split_dir(split)
        if folder is not None:
            console.print(f"{split} folder: {folder}")
        elif split in (images.file_lists or {}):
            console.print(f"{split}: split off the training folder (seeded; a run records it in splits.json)")
    return 0


def preview_command(args: argparse.Namespace) -> int:
    from framework.output_files import check_file_replaceable, png_written_by_hoh
    from framework.preview import write_preview

    check_file_replaceable(Path(args.output), "preview", png_written_by_hoh)  # before a dataset is fetched
    images = resolve_images(args)
    path = write_preview(images, Path(args.output), per_class=args.per_class, seed=args.seed)
    stdout_console().print(f"wrote {path}")
    return 0


def _info_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("experiment", help="experiment file (.toml)")
    parser.add_argument("overrides", nargs="*", help="overrides as dotted.key=value (as hoh-run takes them)")
    parser.add_argument("--first", type=count, default=5, help="how many file names to show per class (default 5)")
    parser.add_argument("--offline", action="store_true", help="never touch the network")
    add_plugin_options(parser)


def _preview_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("experiment", help="experiment file (.toml)")
    parser.add_argument("overrides", nargs="*", help="overrides as dotted.key=value (as hoh-run takes them)")
    parser.add_argument("--output", "-o", default="preview.png", metavar="PNG", help="picture to write")
    parser.add_argument("--per-class", type=positive, default=8, help="images per class (default 8)")
    parser.add_argument("--seed", type=int, default=None, help="pick images at random with this seed")
    parser.add_argument("--offline", action="store_true", help="never touch the network")
    add_plugin_options(parser)


DATA = Command(
    "data",
    "look at an experiment's dataset",
    subcommands=(
        Command(
            "info",
            "counts per class and the first file names of each class",
            _info_arguments,
            info_command,
            intermixed=True,
        ),
    ),
)
PREVIEW = Command(
    "preview", "write a PNG grid of training images, per class", _preview_arguments, preview_command, intermixed=True
)
