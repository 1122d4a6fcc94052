"""Generated image folders for the scale benchmark: made once, kept in the user cache.

Two classes of smooth random pictures (a 12x12 noise image enlarged, plus a few
rectangles), so JPEG and PNG files have realistic sizes (~15 kB / ~150 kB at 300x300)
rather than the incompressible size of pure noise.
"""

from __future__ import annotations

import os
import shutil
from multiprocessing import Pool
from pathlib import Path

import platformdirs

CLASSES = ("cats", "dogs")


def _write(job: tuple[Path, int, int, str]) -> None:
    import numpy as np
    from PIL import Image, ImageDraw

    path, index, size, fmt = job
    rng = np.random.default_rng(index)
    image = Image.fromarray(rng.integers(0, 256, (12, 12, 3), dtype=np.uint8)).resize((size, size), Image.BILINEAR)
    draw = ImageDraw.Draw(image)
    for _ in range(3):
        x, y = (int(v) for v in rng.integers(0, size, 2))
        draw.rectangle((x, y, x + size // 5, y + size // 7), fill=tuple(int(v) for v in rng.integers(0, 256, 3)))
    image.save(path, quality=90) if fmt == "jpg" else image.save(path)


def image_folder(count: int, size: int, fmt: str, root: Path | None = None) -> Path:
    """A folder of ``count`` images (``fmt``: ``jpg`` or ``png``) of ``size`` x ``size``, in two classes.

    Made under ``root`` (default: ``<user cache>/hoh/bench-images``) the first time, under a
    temporary name renamed when complete; reused afterwards.
    """
    root = root or Path(os.environ.get("HOH_BENCH_IMAGES", platformdirs.user_cache_dir("hoh"))) / "bench-images"
    folder = root / f"{fmt}-{size}-{count}"
    if folder.is_dir():
        return folder
    partial = root / f"{folder.name}.partial-{os.getpid()}"
    jobs = []
    for index in range(count):
        name = CLASSES[index % 2]
        (partial / name).mkdir(parents=True, exist_ok=True)
        jobs.append((partial / name / f"{index:06d}.{fmt}", index, size, fmt))
    try:
        with Pool(os.cpu_count() or 1) as pool:
            pool.map(_write, jobs, chunksize=256)
        partial.rename(folder)
    finally:
        shutil.rmtree(partial, ignore_errors=True)  # only our own half-made folder
    return folder
