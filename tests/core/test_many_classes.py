"""Ten classes, split from one folder, end to end through the CLI: train, then evaluate the held-out test split."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from core_helpers import make_images, run_script, tiny_five_conv

pytestmark = pytest.mark.slow

CLASSES = tuple(f"class-{index}" for index in range(10))


def test_ten_classes_train_and_the_test_split_is_evaluated(tmp_path: Path) -> None:
    make_images(tmp_path / "data" / "train", classes=CLASSES, count=8)
    text = tiny_five_conv(name="ten", output=str(tmp_path / "runs"), data=str(tmp_path / "data"), epochs=2)
    text = text.replace(
        f'validation_dir = "{tmp_path / "data"}/validation"', "validation_split = 0.25\ntest_split = 0.25"
    )
    text = text.replace(
        '[pipeline]\nprovider = "tf-data"', '[pipeline]\nprovider = "tf-data"\nclass_mode = "categorical"'
    )
    text = text.replace('loss = "binary_crossentropy"', 'loss = "categorical_crossentropy"')
    (tmp_path / "ten.toml").write_text(text)

    trained = run_script("hoh-run", "ten.toml", cwd=tmp_path, timeout=600)
    assert trained.returncode == 0, trained.stderr[-3000:]
    assert (
        "40 training images in 10 classes" in trained.stdout and "split off: 20 test, 20 validation" in trained.stdout
    )
    run_dir = next((tmp_path / "runs" / "ten").glob("2*"))
    splits = json.loads((run_dir / "splits.json").read_text())
    test_files = set(splits["test"]["files"])
    assert len(test_files) == 20 and not test_files & set(splits["train"]["files"])
    assert sorted(splits["test"]["labels"]) == sorted(list(range(10)) * 2)  # two of each class

    evaluated = run_script("hoh", "evaluate", str(run_dir), "--split", "test", cwd=tmp_path, timeout=300)
    assert evaluated.returncode == 0, evaluated.stderr[-3000:]
    report = run_dir / "evaluation-test"
    metrics = json.loads((report / "metrics.json").read_text())
    assert metrics["data"].startswith("the test split of") and len(metrics["per_class"]) == 10
    assert sum(row["support"] for row in metrics["per_class"]) == 20
    page = (report / "report.html").read_text()
    assert all(name in page for name in CLASSES)
    assert (report / "confusion_matrix.png").stat().st_size > 0
