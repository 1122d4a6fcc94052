"""Every code block of the README and the documentation site is run or validated.

- ``console`` blocks (``$ `` lines) and ``bash`` blocks: each ``hoh`` / ``hoh-run`` command is parsed
  by hoh's own argparse parsers, so a renamed command or option fails here; a command that names an
  experiment file of this repository is validated as ``hoh validate`` would, with its overrides.
- ``toml`` blocks: parsed. A block with experiment tables is laid over ``experiments/baseline.toml``
  and must validate; a block with a ``[sweep]`` table is a sweep file and must validate as one.
- ``python`` blocks: compiled.
- ``--8<-- "path"`` includes (pymdownx.snippets) are read from the file they name, which must exist.

The blocks are found with markdown-it-py (rich's Markdown parser), as a Markdown renderer sees them.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import re
import shlex
import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])
EXPERIMENT_TABLES = {"experiment", "dataset", "pipeline", "model", "optimizer", "strategy", "training", "callbacks"}
INCLUDE = re.compile(r"""^-{2}8<-{2}\s+(["'])([^"']+)\1\s*$""", re.M)
SHELL_LANGUAGES = ("console", "bash", "sh", "shell")
UNCHECKED = ("text",)  # output shown as it is; every other kind of block is checked below


@dataclass(frozen=True)
class Block:
    page: Path
    line: int
    language: str
    text: str

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def _with_includes(text: str, where: str) -> str:
    def read(match: re.Match[str]) -> str:
        path = ROOT / match.group(2)
        assert path.is_file(), f"{where}: the include {match.group(2)!r} names no file"
        return path.read_text()

    return INCLUDE.sub(read, text)


def blocks(*languages: str) -> list[Block]:
    """Code blocks in ``languages`` (every one when none is named); an indented block or a fence without a
    language is ``""``."""
    found = []
    parser = MarkdownIt("commonmark")
    for page in PAGES:
        for token in parser.parse(page.read_text()):
            if token.type not in ("fence", "code_block"):
                continue
            language = token.info.split()[0] if token.type == "fence" and token.info else ""
            if language in languages or not languages:
                found.append(Block(page, token.map[0] + 1, language, token.content))
    return found


def _ids(found: list[Block]) -> list[str]:
    return [block.where for block in found]


def commands(block: Block) -> list[list[str]]:
    """The ``hoh`` and ``hoh-run`` commands of a shell block, as argument lists."""
    lines = block.text.splitlines()
    if block.language == "console":
        lines = [line[2:] for line in lines if line.startswith("$ ")]
    found = []
    for line in lines:
        for part in re.split(r"\|\||&&|[|;]|\s2?>", line.split(" #")[0]):  # each command of a list or pipe
            words = shlex.split(part)
            while words and re.match(r"^[A-Z_][A-Z0-9_]*=", words[0]):  # VAR=value hoh ...
                words = words[1:]
            if words and words[0] in ("hoh", "hoh-run"):
                found.append(words)
    return found


def parse(words: list[str]) -> argparse.Namespace:
    """Parse a command line as ``hoh`` would (argparse's own error ends in SystemExit 2)."""
    from framework.cli.builtin_commands import BUILTIN_COMMANDS, BUILTIN_NAMES
    from framework.cli.main import build_parser, command_parser
    from framework.cli.plugin_commands import plugin_commands
    from framework.cli.run_command import COMMAND as RUN

    if words[0] == "hoh-run":
        return command_parser(RUN, "hoh-run").parse_intermixed_args(words[1:])
    argv = words[1:]
    name = next((token for token in argv if not token.startswith("-")), None)
    offered = plugin_commands(autoload=False, builtin=BUILTIN_NAMES)
    chosen = next((c for c in [*BUILTIN_COMMANDS, *(o.command for o in offered)] if c.name == name), None)
    if chosen is not None and chosen.intermixed:
        index = argv.index(name)
        return command_parser(chosen, f"hoh {name}").parse_intermixed_args(argv[index + 1 :])
    return build_parser(offered).parse_args(argv)


def validate(path: Path, overrides: list[str] = (), plugins: list[str] = ()) -> tuple[int, str]:
    """``hoh validate PATH OVERRIDES`` in this process: the exit status and what it printed.

    Installed packages' plugins are not loaded (the pages describe hoh as this repository ships it).
    """
    from framework.cli.main import main

    options = [f"--plugin={plugin}" for plugin in plugins]
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        status = main(["validate", "--no-plugin-autoload", *options, str(path), *overrides])
    return status, out.getvalue()


SHELL = blocks(*SHELL_LANGUAGES)
TOML = blocks("toml")
PYTHON = blocks("python")


def test_every_block_is_of_a_kind_that_is_checked() -> None:
    """A block in another language, without one, or indented (in an admonition, say) would be skipped unseen."""
    every = blocks()
    checked = (*SHELL_LANGUAGES, "toml", "python", *UNCHECKED)
    skipped = [f"{block.where} ({block.language or 'no language'})" for block in every if block.language not in checked]
    assert not skipped, f"blocks no test checks (name a checked language, or mark output as text): {skipped}"


def test_the_pages_have_blocks_of_every_kind() -> None:
    """The collector finds what the pages hold (a parser that found nothing would pass every test)."""
    assert sum(len(commands(block)) for block in SHELL) >= 30
    assert len(TOML) >= 5 and len(PYTHON) >= 2


@pytest.mark.parametrize("block", SHELL, ids=_ids(SHELL))
def test_shell_commands_exist_with_their_options(block: Block, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    for words in commands(block):
        line = shlex.join(words)
        try:
            args = parse(words)
        except SystemExit as stop:
            assert stop.code == 0, f"{block.where}: `{line}` is not a valid command line (argparse said so above)"
            continue
        experiment = getattr(args, "experiment", None)
        handler = getattr(getattr(args, "handler", None), "__name__", "")
        if experiment and "<" not in experiment and handler in ("run_command", "validate_command"):
            path = ROOT / experiment
            if path.suffix == ".toml" and path.is_file():
                overrides = list(getattr(args, "overrides", []) or [])
                status, said = validate(path, overrides, plugins=list(getattr(args, "plugin", []) or []))
                assert status == 0, f"{block.where}: `{line}`: the file and overrides do not validate:\n{said}"


def _deep_merge(base: dict, over: dict) -> dict:
    merged = dict(base)
    for key, value in over.items():
        merged[key] = (
            _deep_merge(base[key], value) if isinstance(value, dict) and isinstance(base.get(key), dict) else value
        )
    return merged


def _toml_text(data: object, prefix: str = "") -> str:
    """Back to TOML (tomllib only reads): tables and arrays of tables, inline values as JSON-compatible literals."""

    def literal(value: object) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, dict):
            return "{" + ", ".join(f"{json.dumps(k)} = {literal(v)}" for k, v in value.items()) + "}"
        if isinstance(value, list):
            return "[" + ", ".join(literal(v) for v in value) + "]"
        return json.dumps(value)

    lines, tables = [], []
    for key, value in data.items():
        name = f"{prefix}.{json.dumps(key)}" if prefix else json.dumps(key)
        if isinstance(value, dict):
            tables.append(f"\n[{name}]\n" + _toml_text(value, name))
        elif isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
            tables.extend(f"\n[[{name}]]\n" + _toml_text(item, name) for item in value)
        else:
            lines.append(f"{json.dumps(key)} = {literal(value)}")
    return "\n".join(lines) + "\n" + "".join(tables)


def _make_image_folders(dataset: dict, where: Path) -> None:
    """The folders an ``image-folder`` snippet names, under ``where``: validate checks them as hoh-run does."""
    from PIL import Image

    for key in ("train_dir", "validation_dir", "test_dir"):
        if (
            dataset.get("provider") == "image-folder"
            and key in dataset
            and not str(dataset[key]).startswith(("/", "~"))
        ):
            for name, colour in (("cats", (200, 30, 30)), ("dogs", (30, 30, 200))):
                folder = where / dataset[key] / name
                folder.mkdir(parents=True, exist_ok=True)
                for index in range(10):
                    Image.new("RGB", (8, 8), tuple(c + index for c in colour)).save(folder / f"{index}.png")


@pytest.mark.parametrize("block", TOML, ids=_ids(TOML))
def test_toml_blocks_parse_and_experiment_snippets_validate(block: Block, tmp_path: Path, monkeypatch) -> None:
    text = _with_includes(block.text, block.where)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        pytest.fail(f"{block.where}: not TOML: {error}")
    folder = tmp_path / "experiments"  # beside copies of the shipped files, which snippets may name
    shutil.copytree(ROOT / "experiments", folder, ignore=shutil.ignore_patterns("__pycache__"))
    if "sweep" in data:
        path = folder / "snippet-sweep.toml"
        path.write_text(text)
    elif EXPERIMENT_TABLES & data.keys() or "plugins" in data:
        base = tomllib.loads((ROOT / "experiments" / "baseline.toml").read_text())
        if "stages" in data.get("training", {}) and "epochs" not in data["training"]:
            del base["training"]["epochs"]  # a staged snippet leaves epochs out: it is then the stages' sum
        path = folder / "snippet.toml"
        merged = _deep_merge(base, data)
        path.write_text(_toml_text(merged))
        monkeypatch.chdir(tmp_path)  # a snippet's folders are relative to the working directory
        _make_image_folders(merged["dataset"], tmp_path)
    else:
        return  # other TOML (a package's pyproject.toml): parsing is all
    status, said = validate(path)
    assert status == 0, f"{block.where}: this TOML does not validate (laid over baseline.toml):\n{said}"


@pytest.mark.parametrize("block", PYTHON, ids=_ids(PYTHON))
def test_python_blocks_compile_and_plugins_load(block: Block, tmp_path: Path) -> None:
    """Every block compiles; a block with hook implementations is loaded as a plugin, as ``--plugin FILE`` does."""
    from framework.cli.main import main

    text = _with_includes(block.text, block.where)
    compile(text, block.where, "exec")
    if "@hookimpl" not in text:
        return
    plugin = tmp_path / "snippet_plugin.py"
    plugin.write_text(text)
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        status = main(["plugins", "--no-plugin-autoload", "--plugin", str(plugin), "--format", "json"])
    assert status == 0, f"{block.where}: this plugin does not load:\n{out.getvalue()}"
    assert "snippet_plugin" in json.loads(out.getvalue())["plugins"]
