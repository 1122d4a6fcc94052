"""Long work before training shows itself on a terminal: file checks, hashes, the validation images decoded to disk."""

from __future__ import annotations

import pytest

from plugins.pipelines import progress
from plugins.pipelines.tf_data import TfDataParams, build_tf_data


def _disk_flows(folders) -> None:
    pipeline = build_tf_data(TfDataParams(image_size=(32, 32), batch_size=4, validation_batch_size=2, cache="disk"))
    pipeline.flows(folders, seed=3, steps_per_epoch=None, validation_steps=None)


@pytest.fixture(name="fresh_store")
def fresh_store_fixture(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("HOH_DECODED_CACHE", str(tmp_path / "decoded"))
    monkeypatch.setenv("HOH_FILE_FACTS", "")  # every file checked and hashed again
    monkeypatch.setattr(progress, "SHOWN_FROM", 5)  # the tiny set's 9 training and 5 validation images


def test_a_terminal_sees_the_checks_hashes_and_validation_decoding(tiny_folders, fresh_store, monkeypatch, capsys):
    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # rich: standard error is a terminal
    monkeypatch.setenv("COLUMNS", "250")  # room for the folder's long name and the count after it
    _disk_flows(tiny_folders)
    err = capsys.readouterr().err
    assert "checking the headers of 9 image files" in err
    assert "hashing 5 image files" in err
    assert "decoding 5 validation images into" in err and "5/5" in err


def test_nothing_is_drawn_where_standard_error_is_not_a_terminal(tiny_folders, fresh_store, monkeypatch, capsys):
    monkeypatch.setenv("TTY_COMPATIBLE", "0")
    _disk_flows(tiny_folders)
    assert capsys.readouterr().err == ""


def test_small_work_shows_nothing_even_on_a_terminal(tiny_folders, fresh_store, monkeypatch, capsys):
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    monkeypatch.setattr(progress, "SHOWN_FROM", 10)  # more than the 9 training and 5 validation files
    _disk_flows(tiny_folders)
    assert capsys.readouterr().err == ""
