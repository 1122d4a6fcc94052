"""Exit codes: user errors exit 2 with a short message and no traceback; --debug shows it."""

from __future__ import annotations

import argparse
import os
import signal
import time

import pytest
from core_helpers import run_script, stub_experiment

from framework.cli.main import main, run_main
from framework.errors import ExperimentError, UserError


def _bad_file(write_file):
    return write_file(stub_experiment().replace("learning_rate = 0.01", "learning_rate = -1"))


def test_validate_ok(write_file, capsys) -> None:
    assert main(["validate", str(write_file(stub_experiment()))]) == 0
    out = capsys.readouterr().out
    assert "ok" in out and "stub-model" in out and "stub-sgd" in out


def test_user_error_exits_2_with_message_and_no_traceback(write_file, capsys) -> None:
    path = _bad_file(write_file)
    assert main(["validate", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"error: {path} is not a valid experiment (1 problem):")
    assert "optimizer.learning_rate" in captured.err
    assert "Traceback" not in captured.err


def test_run_errors_exit_2(write_file, tmp_path, capsys) -> None:
    path = _bad_file(write_file)
    assert run_main([str(path)]) == 2
    assert "optimizer.learning_rate" in capsys.readouterr().err
    assert run_main([]) == 2
    assert "give an experiment file" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run_main(["--resume", str(empty)]) == 2
    assert "is not a run folder" in capsys.readouterr().err
    assert run_main(["--resume", str(tmp_path), str(path)]) == 2
    assert "--resume RUN_DIR takes no experiment file" in capsys.readouterr().err


def test_debug_raises_instead(write_file) -> None:
    path = _bad_file(write_file)
    with pytest.raises(ExperimentError):
        main(["validate", str(path), "--debug"])
    with pytest.raises(ExperimentError):
        main(["--debug", "validate", str(path)])
    with pytest.raises(UserError):
        run_main([str(path), "--debug"])


def test_console_scripts_exit_codes_and_tracebacks(write_file, tmp_path) -> None:
    path = _bad_file(write_file)
    plain = run_script("hoh", "validate", str(path), cwd=tmp_path)
    assert plain.returncode == 2
    assert "optimizer.learning_rate" in plain.stderr
    assert "Traceback" not in plain.stderr
    debug = run_script("hoh", "--debug", "validate", str(path), cwd=tmp_path)
    assert debug.returncode == 1
    assert "Traceback (most recent call last)" in debug.stderr
    assert "ExperimentError" in debug.stderr
    run = run_script("hoh-run", str(path), "training.epochs=abc", cwd=tmp_path)
    assert run.returncode == 2
    assert "override 'training.epochs=abc'" in run.stderr
    assert "Traceback" not in run.stderr
    usage = run_script("hoh", "no-such-command", cwd=tmp_path)
    assert usage.returncode == 2 and "invalid choice" in usage.stderr


@pytest.mark.parametrize(("signum", "said"), [(signal.SIGTERM, "terminated (SIGTERM)"), (signal.SIGINT, "interrupted")])
def test_an_interrupt_that_surfaces_as_another_error_still_exits_130(capsys, signum: int, said: str) -> None:
    """A signal raised inside a C extension's initialization reaches hoh as ``ImportError: initialization failed``."""
    from framework.cli.main import _dispatch

    def handler(args: argparse.Namespace) -> int:
        try:
            os.kill(os.getpid(), signum)
            time.sleep(5)  # the handler raises here
        except KeyboardInterrupt:
            raise ImportError("initialization failed") from None  # what the import machinery makes of it
        return 0

    previous = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        assert _dispatch(argparse.Namespace(), handler) == 130
        assert capsys.readouterr().err.strip().startswith(f"stopped: {said}")

        def failing(args: argparse.Namespace) -> int:  # a later command's own error is not taken for the interrupt
            raise ImportError("no module named nothing")

        with pytest.raises(ImportError):
            _dispatch(argparse.Namespace(), failing)
    finally:
        for s, handler_before in previous.items():
            signal.signal(s, handler_before)


def test_a_reader_that_goes_away_is_not_an_error(tmp_path) -> None:
    """``hoh plugins | true``: the pipe is closed before the table is written; hoh exits 0, silently."""
    import shutil
    import subprocess
    import sys

    hoh = shutil.which("hoh", path=os.path.dirname(sys.executable))
    done = subprocess.run(
        ["bash", "-c", f'"{hoh}" plugins | true; echo "status ${{PIPESTATUS[0]}}" >&2'],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.stderr.strip().splitlines()[-1] == "status 0", done.stderr  # rich's own handler exited 1
    assert "Traceback" not in done.stderr and "Error" not in done.stderr
