"""The real Horse-or-Human zips (../shared/data), served over loopback HTTP as a mirror."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from plugins.datasets.horse_or_human import HorseOrHumanParams, build_horse_or_human

SHARED_DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
NAMES = ("horse-or-human.zip", "validation-horse-or-human.zip", "SHA256SUMS")

pytestmark = pytest.mark.integration


@pytest.mark.skipif(not all((SHARED_DATA / n).is_file() for n in NAMES), reason=f"no dataset zips in {SHARED_DATA}")
def test_real_dataset_through_http_mirror(server, tmp_path: Path, context) -> None:
    server.state.files.update({name: (SHARED_DATA / name).read_bytes() for name in NAMES})
    server.state.cut_once.add("horse-or-human.zip")  # and resume the big one once, for good measure
    params = HorseOrHumanParams(mirror=server.url, data_dir=tmp_path, backoff=0.01)
    images = build_horse_or_human(params, context)

    def counts(folder: Path) -> dict[str, int]:
        return {cls: len(list((folder / cls).glob("*.png"))) for cls in images.class_names}

    assert images.class_names == ("horses", "humans")
    assert counts(images.train_dir) == {"horses": 500, "humans": 527}
    assert counts(images.validation_dir) == {"horses": 128, "humans": 128}
    assert server.state.requests_for("horse-or-human.zip")[1].startswith("bytes=")

    server.state.log.clear()
    assert build_horse_or_human(params, context) == images
    assert server.state.log == []
    shutil.rmtree(tmp_path / "horse-or-human")
