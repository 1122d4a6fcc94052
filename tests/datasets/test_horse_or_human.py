"""The horse-or-human provider end to end, on tiny generated zips."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import threading
from pathlib import Path

import pytest
from rich.console import Console

from framework import DatasetContext, Provider, UserError
from plugins.datasets.hooks import hoh_dataset_providers
from plugins.datasets.horse_or_human import HORSE_OR_HUMAN, HorseOrHumanParams, build_horse_or_human

FAST = {"retries": 2, "backoff": 0.01, "timeout": 5}


PHOTO = b"\x89PNG\r\n\x1a\n a person's own photo, not from any archive"


def _serve(server, tiny) -> None:
    server.state.files.update(tiny.files)
    server.state.files["SHA256SUMS"] = (tiny.folder / "SHA256SUMS").read_bytes()


def _counts(folder: Path) -> dict[str, int]:
    return {p.name: len(list(p.glob("*.png"))) for p in sorted(folder.iterdir())}


def test_hook_offers_both_providers() -> None:
    providers = {p.name: p for p in hoh_dataset_providers()}
    assert set(providers) == {"horse-or-human", "image-folder"}
    assert all(isinstance(p, Provider) and p.description for p in providers.values())
    params = providers["horse-or-human"].params()
    assert params.mirror is None and params.check_counts and params.max_extracted_bytes == 2 * 1024**3


@pytest.mark.integration
def test_the_pinned_image_counts_are_those_of_the_real_zips() -> None:
    """The counts the provider checks after extraction, against the real zips (``../shared/data``).

    The mirror's zips are repacked (other bytes than the official URLs'), so the pinned
    checksums and sizes of the official files cannot be checked offline; the images can.
    """
    import zipfile

    mirror = Path(__file__).resolve().parents[3] / "shared" / "data"
    if not mirror.is_dir():
        pytest.skip(f"the real dataset zips are not in {mirror}")
    for split in HORSE_OR_HUMAN.splits:
        with zipfile.ZipFile(mirror / split.archive) as archive:
            names = [n for n in archive.namelist() if n.endswith(".png") and "__MACOSX" not in n]
        counts = {name: sum(1 for n in names if n.split("/")[-2] == name) for name in split.counts}
        assert counts == split.counts, split.archive
        assert len(names) == sum(split.counts.values())


def test_downloads_extracts_and_reuses_cache(server, tiny, tmp_path: Path, context) -> None:
    _serve(server, tiny)
    params = HorseOrHumanParams(data_dir=tmp_path / "data", **FAST)
    images = build_horse_or_human(params, context, spec=tiny.spec(server.url))
    folder = tmp_path / "data" / "horse-or-human"
    assert images.train_dir == folder / "train" and images.validation_dir == folder / "validation"
    assert images.class_names == ("horses", "humans")
    assert _counts(images.train_dir) == {"horses": 3, "humans": 4}
    assert _counts(images.validation_dir) == {"horses": 2, "humans": 2}
    assert not (images.train_dir / "__MACOSX").exists()
    marker = json.loads((folder / ".complete.json").read_text())
    assert marker["counts"]["train"] == {"horses": 3, "humans": 4}
    assert sorted(p.name for p in folder.iterdir()) == [".complete.json", ".lock", "train", "validation"]  # zips gone
    assert len(server.state.log) == 2

    server.state.log.clear()
    again = build_horse_or_human(params, context, spec=tiny.spec(server.url))
    assert again == images
    assert server.state.log == []  # the cache did not touch the network


def test_concurrent_first_runs_download_once(server, tiny, tmp_path: Path, context, output) -> None:
    _serve(server, tiny)
    server.state.stall_once["horse-or-human.zip"] = 0.5  # the first run holds the lock while the second arrives
    params = HorseOrHumanParams(data_dir=tmp_path / "data", **FAST)
    results: list[object] = [None, None]

    def run(index: int) -> None:
        try:
            results[index] = build_horse_or_human(params, context, spec=tiny.spec(server.url))
        except BaseException as error:  # reported by the assertions below
            results[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    first, second = results
    assert not isinstance(first, BaseException) and not isinstance(second, BaseException), results
    assert first == second
    assert sorted(name for name, _ in server.state.log) == ["horse-or-human.zip", "validation-horse-or-human.zip"]
    assert "another process is preparing" in output.getvalue()
    assert _counts(first.train_dir) == {"horses": 3, "humans": 4}


def test_ready_cache_works_offline(server, tiny, tmp_path: Path, output) -> None:
    _serve(server, tiny)
    params = HorseOrHumanParams(data_dir=tmp_path, **FAST)
    build_horse_or_human(params, DatasetContext(Console(file=output)), spec=tiny.spec(server.url))
    server.state.log.clear()
    offline = DatasetContext(Console(file=output), offline=True)
    images = build_horse_or_human(params, offline, spec=tiny.spec(server.url))
    assert images.class_names == ("horses", "humans") and server.state.log == []


def test_offline_without_cache_is_a_clear_error(server, tiny, tmp_path: Path, output) -> None:
    context = DatasetContext(Console(file=output), offline=True)
    with pytest.raises(UserError, match=r"not in the cache and offline mode is on.*HOH_DATASET_MIRROR"):
        build_horse_or_human(HorseOrHumanParams(data_dir=tmp_path), context, spec=tiny.spec(server.url))
    assert server.state.log == []


def test_half_extracted_leftovers_are_never_used(server, tiny, tmp_path: Path, context) -> None:
    folder = tmp_path / "horse-or-human"
    (folder / "train" / "horses").mkdir(parents=True)  # extracted earlier, but no marker
    (folder / "train" / "horses" / "stale.png").write_bytes(b"x")
    (folder / ".tmp-validation-abc" / "humans").mkdir(parents=True)  # temp folder of a killed run
    (folder / ".lock").touch()  # the killed build made it first: the folder is hoh's
    _serve(server, tiny)
    images = build_horse_or_human(HorseOrHumanParams(data_dir=tmp_path, **FAST), context, spec=tiny.spec(server.url))
    assert _counts(images.train_dir) == {"horses": 3, "humans": 4}
    assert not (images.train_dir / "horses" / "stale.png").exists()
    assert not (folder / ".tmp-validation-abc").exists()


def test_interrupted_run_leaves_no_marker_and_recovers(server, tiny, tmp_path: Path, context) -> None:
    _serve(server, tiny)
    server.state.always["validation-horse-or-human.zip"] = 503
    params = HorseOrHumanParams(data_dir=tmp_path, **FAST)
    with pytest.raises(UserError, match="HTTP 503"):
        build_horse_or_human(params, context, spec=tiny.spec(server.url))
    folder = tmp_path / "horse-or-human"
    assert (folder / "train").is_dir() and not (folder / ".complete.json").exists()
    del server.state.always["validation-horse-or-human.zip"]
    images = build_horse_or_human(params, context, spec=tiny.spec(server.url))
    assert _counts(images.validation_dir) == {"horses": 2, "humans": 2}


def test_http_mirror_param_wins_over_env(server, tiny, tmp_path: Path, context, monkeypatch) -> None:
    _serve(server, tiny)
    monkeypatch.setenv("HOH_DATASET_MIRROR", str(tmp_path / "does-not-exist"))
    params = HorseOrHumanParams(mirror=server.url + "/", data_dir=tmp_path, check_counts=False, **FAST)
    images = build_horse_or_human(params, context)  # the official spec, files from the mirror
    assert _counts(images.train_dir) == {"horses": 3, "humans": 4}
    assert [name for name, _ in server.state.log] == [
        "SHA256SUMS",
        "horse-or-human.zip",
        "validation-horse-or-human.zip",
    ]


def test_local_folder_mirror_from_env_and_data_dir_from_env(tiny, tmp_path: Path, context, monkeypatch) -> None:
    monkeypatch.setenv("HOH_DATASET_MIRROR", str(tiny.folder))
    monkeypatch.setenv("HOH_DATA_DIR", str(tmp_path / "cache"))
    offline = dataclasses.replace(context, offline=True)  # a local folder is not the network
    images = build_horse_or_human(HorseOrHumanParams(check_counts=False), offline)
    assert images.train_dir == tmp_path / "cache" / "horse-or-human" / "train"
    assert _counts(images.validation_dir) == {"horses": 2, "humans": 2}


def test_official_counts_are_checked(tiny, tmp_path: Path, context) -> None:
    params = HorseOrHumanParams(mirror=str(tiny.folder), data_dir=tmp_path)
    with pytest.raises(UserError, match=r"expected horses 500, humans 527; found horses 3, humans 4.*check_counts"):
        build_horse_or_human(params, context)
    assert not (tmp_path / "horse-or-human" / ".complete.json").exists()


def test_missing_class_folder_is_an_error(tiny, tmp_path: Path, make_zip, context) -> None:
    make_zip(tiny.folder / "horse-or-human.zip", {"cats": 2, "humans": 2})
    sums = tiny.folder / "SHA256SUMS"
    digest = hashlib.sha256((tiny.folder / "horse-or-human.zip").read_bytes()).hexdigest()
    lines = [line for line in sums.read_text().splitlines() if not line.endswith(" horse-or-human.zip")]
    sums.write_text("\n".join([*lines, f"{digest}  horse-or-human.zip"]) + "\n")
    params = HorseOrHumanParams(mirror=str(tiny.folder), data_dir=tmp_path, check_counts=False)
    with pytest.raises(UserError, match=r"has no horses/ folder at its top level \(found: cats/, humans/\)"):
        build_horse_or_human(params, context)


def test_mirror_checksum_mismatch(tiny, tmp_path: Path, context) -> None:
    (tiny.folder / "SHA256SUMS").write_text(
        f"{'0' * 64}  horse-or-human.zip\n{'1' * 64}  validation-horse-or-human.zip\n"
    )
    params = HorseOrHumanParams(mirror=str(tiny.folder), data_dir=tmp_path)
    with pytest.raises(UserError, match=r"horse-or-human\.zip did not verify twice.*expected sha256 0{64}"):
        build_horse_or_human(params, context)
    assert list((tmp_path / "horse-or-human" / "downloads").iterdir()) == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "has no readable SHA256SUMS"),
        ("abc  horse-or-human.zip\n", "line 1: expected"),
        (f"{'a' * 64}  horse-or-human.zip\n", "no checksum for validation-horse-or-human.zip"),
    ],
)
def test_bad_mirror_checksums_file(tiny, tmp_path: Path, context, content: str | None, message: str) -> None:
    sums = tiny.folder / "SHA256SUMS"
    if content is None:
        sums.unlink()
    else:
        sums.write_text(content)
    with pytest.raises(UserError, match=message):
        build_horse_or_human(HorseOrHumanParams(mirror=str(tiny.folder), data_dir=tmp_path), context)


def test_http_mirror_without_checksums_file(server, tmp_path: Path, context) -> None:
    params = HorseOrHumanParams(mirror=server.url, data_dir=tmp_path, **FAST)
    with pytest.raises(UserError, match=rf"{server.url}/SHA256SUMS: HTTP 404"):
        build_horse_or_human(params, context)


def test_zip_bound_applies(server, tiny, tmp_path: Path, context) -> None:
    _serve(server, tiny)
    params = HorseOrHumanParams(data_dir=tmp_path, max_extracted_bytes=100, **FAST)
    with pytest.raises(UserError, match="bound"):
        build_horse_or_human(params, context, spec=tiny.spec(server.url))
    assert not (tmp_path / "horse-or-human" / "train").exists()


def test_params_are_validated() -> None:
    with pytest.raises(ValueError, match="extra"):
        HorseOrHumanParams(url="x")
    with pytest.raises(ValueError, match="retries"):
        HorseOrHumanParams(retries=-1)


def test_a_cache_whose_files_changed_is_fetched_again(server, tiny, tmp_path: Path, context, output) -> None:
    _serve(server, tiny)
    params = HorseOrHumanParams(data_dir=tmp_path, **FAST)
    images = build_horse_or_human(params, context, spec=tiny.spec(server.url))
    marker = json.loads((tmp_path / "horse-or-human" / ".complete.json").read_text())
    assert marker["contents"]["train"]["files"] == 7 and marker["contents"]["validation"]["files"] == 4
    next((images.train_dir / "humans").iterdir()).unlink()  # deleted after the marker vouched for it
    (images.train_dir / "humans" / "my-own-photo.png").write_bytes(PHOTO)  # a person's file added
    server.state.log.clear()
    again = build_horse_or_human(params, context, spec=tiny.spec(server.url))
    assert _counts(again.train_dir) == {"horses": 3, "humans": 4}
    assert len(server.state.log) == 2 and "changed since they were verified" in output.getvalue()
    [kept] = (tmp_path / "horse-or-human").glob("train.changed-*")  # the changed folder is kept, not deleted
    assert (kept / "humans" / "my-own-photo.png").read_bytes() == PHOTO
    assert "kept as" in output.getvalue() and not list((tmp_path / "horse-or-human").glob("validation.changed-*"))


def test_a_folder_of_someone_elses_files_is_never_a_cache(server, tiny, tmp_path: Path, context) -> None:
    _serve(server, tiny)
    theirs = tmp_path / "horse-or-human"
    (theirs / "train").mkdir(parents=True)
    (theirs / "train" / "holiday.png").write_bytes(PHOTO)
    with pytest.raises(UserError, match="did not put there"):
        build_horse_or_human(HorseOrHumanParams(data_dir=tmp_path, **FAST), context, spec=tiny.spec(server.url))
    assert (theirs / "train" / "holiday.png").read_bytes() == PHOTO
    assert sorted(p.name for p in theirs.iterdir()) == ["train"] and server.state.log == []


def test_a_partial_download_left_by_a_kill_is_removed_once_the_dataset_is_ready(
    server, tiny, tmp_path: Path, context
) -> None:
    _serve(server, tiny)
    downloads = tmp_path / "horse-or-human" / "downloads"
    downloads.mkdir(parents=True)
    (downloads.parent / ".lock").touch()  # made before the download began: the folder is hoh's
    (downloads / "stale-mirror-file.zip.part").write_bytes(b"half")
    build_horse_or_human(HorseOrHumanParams(data_dir=tmp_path, **FAST), context, spec=tiny.spec(server.url))
    assert not downloads.exists()
