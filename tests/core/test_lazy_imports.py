"""TensorFlow is imported only by runs: loading, validating and listing stay cheap."""

from __future__ import annotations

import json

import pytest
from core_helpers import ROOT, run_python, stub_experiment

CHECK = """
import json, sys
{body}
print("MODULES=" + json.dumps([m for m in ("tensorflow", "keras") if m in sys.modules]))
"""


def _heavy_modules(body: str, cwd=ROOT) -> list[str]:
    result = run_python(CHECK.format(body=body), cwd=cwd)
    assert result.returncode == 0, result.stderr[-3000:]
    line = [x for x in result.stdout.splitlines() if x.startswith("MODULES=")][-1]
    return json.loads(line.removeprefix("MODULES="))


def test_load_experiment_with_stub_plugins_does_not_import_tensorflow(write_file) -> None:
    path = write_file(stub_experiment())
    body = "from pathlib import Path\nfrom framework.loading import load_experiment\n"
    body += f"load_experiment(Path({str(path)!r}))"
    assert _heavy_modules(body) == []


def test_load_baseline_does_not_import_tensorflow() -> None:
    """Needs the built-in plugins."""
    body = "from pathlib import Path\nfrom framework.loading import load_experiment\n"
    body += "load_experiment(Path('experiments/baseline.toml'))"
    assert _heavy_modules(body) == []


@pytest.mark.parametrize(
    "argv",
    [
        ["plugins"],
        ["schema"],
        ["validate", "experiments/baseline.toml"],
        ["validate", "experiments/baseline-tf-data.toml", "training.epochs=3"],
    ],
)
def test_cli_commands_do_not_import_tensorflow(argv: list[str]) -> None:
    """Needs the built-in plugins."""
    body = (
        "import contextlib, io\nfrom framework.cli.main import main\n"
        f"with contextlib.redirect_stdout(io.StringIO()):\n    rc = main({argv!r})\n"
        "assert rc == 0, rc"
    )
    assert _heavy_modules(body) == []


@pytest.mark.parametrize(("entry", "argv"), [("main", ["--help"]), ("run_main", ["--help"]), ("main", ["run", "-h"])])
def test_help_does_not_import_tensorflow(entry: str, argv: list[str]) -> None:
    body = (
        "import contextlib, io\nfrom framework.cli import main as cli\nout = io.StringIO()\n"
        f"with contextlib.redirect_stdout(out):\n    try:\n        cli.{entry}({argv!r})\n"
        "    except SystemExit as exit:\n        assert exit.code == 0\n"
        "assert 'usage:' in out.getvalue()"
    )
    assert _heavy_modules(body) == []


@pytest.mark.parametrize(
    ("entry", "argv", "said"),
    [
        ("run_main", ["--resume", "runs/nope"], "is not a run folder"),
        ("run_main", ["experiments/quick.toml", "--run-dir", "experiments"], "exists already"),
        ("main", ["validate", "experiments/quick.toml", "trainig.epochs=3"], "override 'trainig.epochs=3'"),
    ],
)
def test_refusals_that_need_no_tensorflow_do_not_import_it(entry: str, argv: list[str], said: str) -> None:
    body = (
        "import contextlib, io\nfrom framework.cli import main as cli\nerr = io.StringIO()\n"
        f"with contextlib.redirect_stderr(err), contextlib.redirect_stdout(err):\n    rc = cli.{entry}({argv!r})\n"
        f"assert rc == 2, rc\nassert {said!r} in err.getvalue(), err.getvalue()\n"
        "assert 'Resuming' not in err.getvalue()\n"
    )
    assert _heavy_modules(body) == []


def test_export_refusals_do_not_import_tensorflow(tmp_path) -> None:
    """An existing export folder (and a missing optional package) is refused before TensorFlow loads."""
    run = tmp_path / "run"
    (run / "export" / "tflite").mkdir(parents=True)
    (run / "model.keras").write_bytes(b"")
    (run / "experiment.toml").write_text('[experiment]\nname = "x"\n')
    (run / "classes.json").write_text('{"class_names": ["a", "b"], "labels": ["a", "b"]}')
    (run / "inference.json").write_text(
        '{"preprocessing": {"image_size": [8, 8], "rescale": 0.5}, "model": {}, "train_dir": null, '
        '"validation_dir": null}'
    )
    body = (
        "import contextlib, io\nfrom framework.cli import main as cli\nerr = io.StringIO()\n"
        f"with contextlib.redirect_stderr(err):\n    rc = cli.main(['export', {str(run)!r}, '-f', 'tflite'])\n"
        "assert rc == 2, (rc, err.getvalue())\nassert 'exists already' in err.getvalue(), err.getvalue()\n"
    )
    assert _heavy_modules(body) == []
