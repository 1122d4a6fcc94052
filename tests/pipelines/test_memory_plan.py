"""tf-data keeps decoded images where they fit: in memory under the budget, else on disk, else a message."""

from __future__ import annotations

import shutil
import subprocess
import sys

import numpy as np
import pytest
from fault_makers import memory_cgroup

from framework import EnvironmentProblem, UserError
from plugins.pipelines import memory_plan
from plugins.pipelines.tf_data import TfDataParams, build_tf_data

MB = 1e6 / 1e9  # in GB


def flows(folders, **params):
    pipeline = build_tf_data(TfDataParams(image_size=(32, 32), batch_size=4, validation_batch_size=2, **params))
    return pipeline.flows(folders, seed=3, steps_per_epoch=None, validation_steps=None)


def batches(flow, count: int) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(x.numpy(), y.numpy()) for x, y in flow.take(count)]


def test_auto_keeps_images_in_memory_when_they_fit(tiny_folders) -> None:
    result = flows(tiny_folders, memory_budget=1.0)
    (note,) = result.notes
    assert "in memory" in note and "14 images decoded at 32x32 take 0.00 GB, within pipeline.memory_budget" in note


def test_auto_goes_to_disk_over_the_budget_in_the_order_of_no_cache(tiny_folders, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("HOH_DECODED_CACHE", str(tmp_path / "decoded"))
    on_disk = flows(tiny_folders, memory_budget=0.01 * MB)  # 10 kB: the 14 images (43 kB) do not fit
    assert "on disk" in on_disk.notes[0] and "more than pipeline.memory_budget (1e-05 GB)" in on_disk.notes[0]
    assert len(list((tmp_path / "decoded").glob("*.u8"))) == 1  # validation; training fills during its first pass
    uncached = flows(tiny_folders, cache="none")
    # Read back from the file or decoded every pass: the same batches (the first pass is decoded in its order).
    for (x1, y1), (x2, y2) in zip(batches(uncached.train, 7), batches(on_disk.train, 7), strict=True):
        np.testing.assert_array_equal(x1, x2)
        np.testing.assert_array_equal(y1, y2)
    for (x1, _), (x2, _) in zip(batches(uncached.validation, 3), batches(on_disk.validation, 3), strict=True):
        np.testing.assert_array_equal(x1, x2)
    assert len(list((tmp_path / "decoded").glob("*.u8"))) == 2  # the training images' first pass is over
    assert not list((tmp_path / "decoded").glob("*partial*"))
    # Every pass is a new order of the whole set, and its last batch is partial (9 = 4 + 4 + 1).
    labels = [y for _, y in batches(on_disk.train, 6)]
    assert [len(y) for y in labels] == [4, 4, 1, 4, 4, 1]
    assert sorted(np.concatenate(labels[:3])) == sorted(np.concatenate(labels[3:]))


def test_the_disk_cache_is_built_once_and_reused(tiny_folders, tmp_path) -> None:
    folder = tmp_path / "mine"
    batches(flows(tiny_folders, cache=str(folder)).train, 3)  # one pass: 4 + 4 + 1
    files = {path: path.stat().st_mtime_ns for path in folder.glob("*.u8")}
    assert len(files) == 2 and not list(folder.glob("*partial*"))
    again = flows(tiny_folders, cache=str(folder))
    assert {path: path.stat().st_mtime_ns for path in folder.glob("*.u8")} == files
    assert next(iter(again.train))[0].shape == (4, 32, 32, 3)
    assert {path: path.stat().st_mtime_ns for path in folder.glob("*.u8")} == files  # read, not rewritten


def test_a_first_pass_cut_short_leaves_no_partial_file(tiny_folders, tmp_path) -> None:
    folder = tmp_path / "cut"
    train = flows(tiny_folders, cache=str(folder)).train
    batches(train, 1)  # the iterator is dropped after one batch of the first pass
    import gc

    gc.collect()
    # tf.data's prefetching may have read the rest of this 3-batch pass and completed the
    # training cache before the iterator went (it did on CI's clean-clone run); either way
    # nothing half-written stays.
    assert 1 <= len(list(folder.glob("*.u8"))) <= 2
    assert not list(folder.glob("*partial*"))


def test_memory_is_used_only_with_twice_the_room(tmp_path, monkeypatch) -> None:
    # 1,000 images at 100x100 take 30 MB; the process is told it has 50 MB (less than twice that).
    monkeypatch.setattr(memory_plan, "available_memory", lambda: (50 * 10**6, "available (test)"))
    plan = memory_plan.plan_cache("auto", 1000, (100, 100), 4.0, tmp_path)
    assert plan.kind == "disk" and "twice that is more than the 0.1 GB available (test)" in plan.reason
    with pytest.raises(UserError, match=r'cache = "memory": 1000 images decoded at 100x100 take 0.03 GB'):
        memory_plan.plan_cache("memory", 1000, (100, 100), 4.0, tmp_path)
    monkeypatch.setattr(memory_plan, "available_memory", lambda: (70 * 10**6, "available (test)"))
    assert memory_plan.plan_cache("auto", 1000, (100, 100), 4.0, tmp_path).kind == "memory"


def test_batches_that_cannot_fit_are_refused_before_any_work(tiny_folders) -> None:
    available, _ = memory_plan.available_memory()
    side = int((available / (memory_plan.BATCHES_IN_FLIGHT * 5 * 3 * 128)) ** 0.5) + 100
    pipeline = build_tf_data(TfDataParams(image_size=(side, side), batch_size=128))
    with pytest.raises(EnvironmentProblem, match=r"batches of 128 images at \d+x\d+ need about .* Lower pipeline"):
        pipeline.flows(tiny_folders, seed=1, steps_per_epoch=None, validation_steps=None)


def test_a_disk_without_room_is_refused_naming_the_folder(tmp_path) -> None:
    free = shutil.disk_usage(tmp_path).free
    with pytest.raises(EnvironmentProblem, match=f"needs .* GB in {tmp_path / 'cache'}, but its disk has"):
        memory_plan.check_disk_room(tmp_path / "cache", free)
    memory_plan.check_disk_room(tmp_path / "cache", 1000)  # room enough: no error


def test_available_memory_sees_a_cgroup_limit() -> None:
    with memory_cgroup(600 * 10**6) as move_in:
        code = move_in + "from plugins.pipelines import memory_plan; print(*memory_plan.available_memory(), sep='|')"
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    room, source = out.strip().split("|")
    assert 0 < int(room) <= 600 * 10**6 and "cgroup" in source
