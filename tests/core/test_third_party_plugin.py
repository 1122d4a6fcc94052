"""A third-party plugin, installed as a distribution: the documentation's example package (docs/examples/hoh-audit).

It adds a command, takes settings from an experiment file, wraps model building in a
phase hook, and is switched off by an experiment file.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from core_helpers import SECTIONS, run_script, stub_experiment

pytestmark = pytest.mark.slow

PACKAGE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "hoh-audit"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example package, installed by pip into a folder that goes on PYTHONPATH (its ``hoh.plugins`` entry point)."""
    site = tmp_path_factory.mktemp("site")
    installed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            site,
            PACKAGE,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert installed.returncode == 0, installed.stderr
    assert (site / "hoh_audit.py").is_file()
    return site


def _hoh(site: Path, cwd: Path, *args: str, script: str = "hoh"):
    return run_script(script, *args, cwd=cwd, PYTHONPATH=str(site))


def _experiment(tmp_path: Path, table: str, name: str = "experiment.toml") -> Path:
    path = tmp_path / name
    path.write_text(stub_experiment(SECTIONS) + "\n" + table)
    return path


def test_settings_wrap_the_model_and_the_command_reads_the_run(site: Path, tmp_path: Path) -> None:
    _experiment(tmp_path, '[plugins.audit]\nlabel = "first try"\nmix_layers = 2\n')
    done = _hoh(site, tmp_path, "experiment.toml", "--run-dir", "run", script="hoh-run")
    assert done.returncode == 0, done.stderr
    record = json.loads((tmp_path / "run" / "audit.json").read_text())
    assert record["label"] == "first try"
    assert record["phase"] == "build" and record["flows"] is True
    assert record["model"] == "audited"  # the wrapper's model is the one trained and saved
    assert "audited" in (tmp_path / "run" / "summary.txt").read_text()
    saved = json.loads((tmp_path / "run" / "inference.json").read_text())
    assert saved["model"]["provider"] == "stub-model"
    written = (tmp_path / "run" / "experiment.toml").read_text()
    assert 'label = "first try"' in written  # the resolved settings are kept with the run

    assert "audit" in _hoh(site, tmp_path, "--help").stdout
    shown = _hoh(site, tmp_path, "audit", "run")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip() == f"first try: audited, {record['weights']} weights"


def test_its_callback_provider_stops_training_at_the_target(site: Path, tmp_path: Path) -> None:
    training = '[[callbacks]]\nprovider = "stop-at"\nmetric = "loss"\ntarget = 0.0\n'  # any loss >= 0: stop at once
    _experiment(tmp_path, training)
    done = _hoh(site, tmp_path, "experiment.toml", "--run-dir", "run", script="hoh-run")
    assert done.returncode == 0, done.stderr
    assert "stop-at: loss" in done.stdout
    history = (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()
    assert len(history) == 1  # of 2 epochs
    listed = _hoh(site, tmp_path, "plugins", "--format", "json")
    offered = json.loads(listed.stdout)["providers"]["callbacks"]
    assert {"name": "stop-at", "plugin": "audit"}.items() <= next(p for p in offered if p["name"] == "stop-at").items()


def test_enabled_false_switches_the_plugin_off(site: Path, tmp_path: Path) -> None:
    _experiment(tmp_path, "[plugins.audit]\nenabled = false\nlabel = 3\n")  # an off plugin's settings are not read
    done = _hoh(site, tmp_path, "experiment.toml", "--run-dir", "run", script="hoh-run")
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "run" / "audit.json").exists()
    assert "stub_model" in (tmp_path / "run" / "summary.txt").read_text()
    refused = _hoh(site, tmp_path, "audit", "run")
    assert refused.returncode == 2
    assert "has no audit.json" in refused.stderr and "Traceback" not in refused.stderr


def test_settings_are_validated_with_file_and_line(site: Path, tmp_path: Path) -> None:
    path = _experiment(
        tmp_path, '[plugins.audit]\nlabel = ""\ncolour = "red"\nmix_layers = 5\n\n[plugins.audti]\nx = 1\n'
    )
    done = _hoh(site, tmp_path, "validate", "experiment.toml")
    assert done.returncode == 2
    lines = path.read_text().splitlines()
    expected = {"label": "at least 1 character", "colour": "unknown key", "mix_layers": "less than or equal to 4"}
    for key, message in expected.items():
        line = next(n for n, text in enumerate(lines, 1) if text.startswith(key))
        assert f"line {line}: plugins.audit.{key}: " in done.stderr and message in done.stderr, done.stderr
    assert "Valid keys here: enabled, label, mix_layers" in done.stderr
    assert "plugins.audti: no plugin of this experiment is named so" in done.stderr
    assert "did you mean 'audit'?" in done.stderr


def test_defaults_apply_when_the_table_is_left_out_and_no_autoload_drops_the_command(
    site: Path, tmp_path: Path
) -> None:
    _experiment(tmp_path, "")
    done = _hoh(site, tmp_path, "validate", "experiment.toml")
    assert done.returncode == 0, done.stderr
    assert "plugins.audit label = 'unlabelled', mix_layers = 0" in done.stdout
    off = _hoh(site, tmp_path, "--no-plugin-autoload", "audit", "run")
    assert off.returncode == 2 and "invalid choice: 'audit'" in off.stderr
    listing = _hoh(site, tmp_path, "plugins")
    assert "[plugins.<name>] settings" in listing.stdout
    assert 'label: str = "unlabelled"' in listing.stdout and "mix_layers: 0 <= int <= 4 = 0" in listing.stdout
    assert "audit: hoh_build_model, hoh_callback_providers, hoh_commands, hoh_settings" in listing.stdout
    completion = _hoh(site, tmp_path, "completion", "bash")
    assert completion.returncode == 0 and "evaluate" in completion.stdout and "complete" in completion.stdout
