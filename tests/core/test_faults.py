"""Faults end in a message and the right exit code, not a traceback: hostile files, plugins, real disk faults.

The disk faults use real file systems (a read-only tmpfs, a nearly full one), mounted by the
test; they are skipped only where mounting is not allowed (not root).
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from core_helpers import run_script, stub_experiment
from fault_makers import tmpfs

from framework.errors import ExperimentError, PluginError
from framework.loading import load_experiment
from framework.providers import Kind


def test_a_toml_nested_thousands_deep_is_an_error_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "deep.toml"
    path.write_text("a = " + "[" * 3000 + "]" * 3000 + "\n")
    with pytest.raises(ExperimentError, match="nested too deeply"):
        load_experiment(path)
    for extra in ([], ["--format", "json"]):
        done = run_script("hoh", "validate", str(path), *extra, cwd=tmp_path)
        assert done.returncode == 2 and "nested too deeply" in done.stdout + done.stderr, done.stderr[-500:]
        assert "Traceback" not in done.stderr and len(done.stderr.splitlines()) < 5


def test_a_huge_value_is_clipped_in_the_message(tmp_path: Path) -> None:
    path = tmp_path / "big.toml"
    path.write_text(stub_experiment().replace('name = "stub"', 'name = "' + "x" * 1_000_000 + '"'))
    with pytest.raises(ExperimentError) as info:
        load_experiment(path)
    assert len(str(info.value)) < 2000 and "(1000002 characters)" in str(info.value)


def test_a_plugin_that_exits_on_import_is_an_error(tmp_path: Path) -> None:
    plugin = tmp_path / "quitter.py"
    plugin.write_text("import sys\nsys.exit(0)\n")
    path = tmp_path / "experiment.toml"
    path.write_text(stub_experiment(plugins=(plugin,)))
    with pytest.raises(PluginError, match="failed to import: SystemExit: 0"):
        load_experiment(path)
    done = run_script("hoh", "validate", str(path), cwd=tmp_path)
    assert done.returncode == 2 and "SystemExit" in done.stderr


@pytest.mark.slow
def test_a_read_only_output_folder(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "ro", "ro,size=1m") as folder:
        (tmp_path / "experiment.toml").write_text(stub_experiment(extra=f'output = "{folder}"\n'))
        done = run_script("hoh-run", "experiment.toml", cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"cannot create the run folder under {folder}/stub: Read-only file system" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.slow
def test_a_disk_that_fills_up_during_the_run(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "small", "size=256k") as folder:
        filler = folder / "filler"
        with filler.open("wb") as handle, contextlib.suppress(OSError):  # ~24 KiB left: the model will not fit
            handle.write(b"\0" * (256 - 24) * 1024)
        (tmp_path / "experiment.toml").write_text(stub_experiment(extra=f'output = "{folder}"\n'))
        done = run_script("hoh-run", "experiment.toml", "pipeline.image_size=[32,32]", "model.units=64", cwd=tmp_path)
        leftovers = [p.name for p in folder.rglob(".*")]
    assert done.returncode == 1, done.stdout + done.stderr
    assert "No space left on device" in done.stderr and "Traceback" not in done.stderr
    assert leftovers == []  # no half-written temporary files


def test_a_plugin_hook_that_recurses_is_named(tmp_path: Path) -> None:
    plugin = tmp_path / "loop.py"
    plugin.write_text(
        "from framework import hookimpl\n\n@hookimpl\ndef hoh_model_providers():\n    return hoh_model_providers()\n"
    )
    path = tmp_path / "experiment.toml"
    path.write_text(stub_experiment(plugins=(plugin,)))
    done = run_script("hoh", "validate", str(path), cwd=tmp_path)
    assert done.returncode == 2, done.stderr[-500:]
    assert "plugin 'loop': hoh_model_providers() failed: RecursionError" in done.stderr
    assert len(done.stderr) < 1000 and "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("factory", "said"),
    [
        ("def build(params):\n    return None\n", "its factory(params) cannot be called as factory(params, spec)"),
        ("build = 42\n", "its factory is not callable"),
        ("def build(params, spec, *, extra):\n    return None\n", "missing a required argument: 'extra'"),
    ],
)
def test_a_factory_with_the_wrong_signature_is_refused_at_registration(tmp_path: Path, factory: str, said: str) -> None:
    plugin = tmp_path / "bad_factory.py"
    plugin.write_text(
        "from framework import NoParams, Provider, hookimpl\n\n"
        f"{factory}\n\n@hookimpl\ndef hoh_model_providers():\n"
        '    return [Provider("odd", NoParams, build, "x")]\n'
    )
    path = tmp_path / "experiment.toml"
    path.write_text(stub_experiment(plugins=(plugin,)))
    with pytest.raises(PluginError, match="model provider 'odd' is unusable") as info:
        load_experiment(path)
    assert said in str(info.value) and "A model factory takes (params, spec)" in str(info.value)


def test_keyword_defaults_and_varargs_are_fine(tmp_path: Path) -> None:
    plugin = tmp_path / "flexible.py"
    plugin.write_text(
        "from framework import NoParams, Provider, hookimpl\n\n"
        "def build(params, spec, extra=1):\n    return None\n\n"
        "def check(*args):\n    return None\n\n"
        "@hookimpl\ndef hoh_model_providers():\n"
        '    return [Provider("flexible", NoParams, build, "x", check_input=check)]\n'
    )
    path = tmp_path / "experiment.toml"
    path.write_text(stub_experiment(plugins=(plugin,)))
    assert load_experiment(path).registry.find(Kind.MODEL, "flexible") is not None


def test_a_check_input_that_breaks_is_named_without_a_traceback(tmp_path: Path) -> None:
    plugin = tmp_path / "checky.py"
    plugin.write_text(
        "from framework import NoParams, Provider, hookimpl\n\n"
        "def build(params, spec):\n    return None\n\n"
        "def check(params, shape):\n    raise TypeError('oops in my check')\n\n"
        "@hookimpl\ndef hoh_model_providers():\n"
        '    return [Provider("checky", NoParams, build, "x", check_input=check)]\n'
    )
    path = tmp_path / "experiment.toml"
    path.write_text(stub_experiment(plugins=(plugin,)).replace('provider = "stub-model"', 'provider = "checky"'))
    done = run_script("hoh", "validate", str(path), cwd=tmp_path)
    said = " ".join(done.stderr.split())
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert "model provider 'checky' (plugin 'checky'): its check_input failed with TypeError: oops in my check" in said


@pytest.mark.parametrize(
    ("returned", "said"),
    [
        ("{'train_dir': root}", "returned a dict, not framework.ImageFolders"),
        ("ImageFolders(root, None, ('a', 'b'), file_lists={'train': ((root / 'x.png',), (5,))})", "label 5"),
        ("ImageFolders(root, None, ('a', 'b'), file_lists={'train': ((root / 'x.png',), (0, 1))})", "1 paths and 2"),
    ],
)
def test_a_dataset_plugin_that_returns_the_wrong_thing_is_named_before_any_work(
    tmp_path: Path, returned: str, said: str
) -> None:
    plugin = tmp_path / "listy.py"
    plugin.write_text(
        "from pathlib import Path\nfrom framework import ImageFolders, NoParams, Provider, hookimpl\n\n"
        f"root = Path({str(tmp_path)!r})\n\n"
        f"def build(params, context):\n    return {returned}\n\n"
        "@hookimpl\ndef hoh_dataset_providers():\n"
        '    return [Provider("listy", NoParams, build, "x", local=True)]\n'
    )
    path = tmp_path / "experiment.toml"
    text = stub_experiment(plugins=(plugin,))
    path.write_text(
        text[: text.index("[dataset]")] + '[dataset]\nprovider = "listy"\n\n' + text[text.index("[pipeline]") :]
    )
    done = run_script("hoh", "validate", str(path), cwd=tmp_path)
    message = " ".join(done.stderr.split())
    assert done.returncode == 2 and "dataset provider 'listy' (plugin 'listy') returned" in message, done.stderr
    assert said in message and "Traceback" not in done.stderr


def test_a_callback_factory_that_returns_no_callback_is_named_before_training(tmp_path: Path) -> None:
    plugin = tmp_path / "stringy.py"
    plugin.write_text(
        "from framework import NoParams, Provider, hookimpl\n\n"
        "@hookimpl\ndef hoh_callback_providers():\n"
        '    return [Provider("stringy", NoParams, lambda params, run: "not a callback", "x")]\n'
    )
    path = tmp_path / "experiment.toml"
    path.write_text(stub_experiment(plugins=(plugin,)) + '\n[[callbacks]]\nprovider = "stringy"\n')
    done = run_script("hoh-run", str(path), "--run-dir", str(tmp_path / "run"), cwd=tmp_path)
    said = " ".join(done.stderr.split())
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert "callback provider 'stringy' (plugin 'stringy') returned a str" in said, said
    assert not (tmp_path / "run" / "metrics.jsonl").exists() or not (tmp_path / "run" / "metrics.jsonl").read_text()
