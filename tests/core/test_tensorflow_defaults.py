"""Every command's process starts TensorFlow with hoh's settings, and a user's own value wins."""

from __future__ import annotations

import argparse
import os

import pytest

from framework.cli.main import _dispatch
from framework.tensorflow_defaults import apply_tensorflow_defaults, tensorflow_defaults


def _seen_by_a_command(monkeypatch: pytest.MonkeyPatch) -> dict[str, str | None]:
    seen: dict[str, str | None] = {}

    def handler(args: argparse.Namespace) -> int:
        seen.update({name: os.environ.get(name) for name in ("TF_CPU_ALLOCATOR_USE_BFC", "TF_CPU_BFC_MEM_LIMIT_IN_MB")})
        return 0

    assert _dispatch(argparse.Namespace(), handler) == 0
    return seen


def test_a_command_runs_with_the_bfc_allocator_capped_at_the_machines_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TF_CPU_ALLOCATOR_USE_BFC", raising=False)
    monkeypatch.delenv("TF_CPU_BFC_MEM_LIMIT_IN_MB", raising=False)
    seen = _seen_by_a_command(monkeypatch)
    assert seen["TF_CPU_ALLOCATOR_USE_BFC"] == "true"
    memory_mb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // (1 << 20)
    assert seen["TF_CPU_BFC_MEM_LIMIT_IN_MB"] == str(memory_mb)


def test_the_users_own_values_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TF_CPU_ALLOCATOR_USE_BFC", "false")
    monkeypatch.setenv("TF_CPU_BFC_MEM_LIMIT_IN_MB", "1024")
    seen = _seen_by_a_command(monkeypatch)
    assert seen == {"TF_CPU_ALLOCATOR_USE_BFC": "false", "TF_CPU_BFC_MEM_LIMIT_IN_MB": "1024"}


def test_apply_reports_only_what_it_set() -> None:
    environ = {"TF_CPU_ALLOCATOR_USE_BFC": "false"}
    applied = apply_tensorflow_defaults(environ)
    assert "TF_CPU_ALLOCATOR_USE_BFC" not in applied and environ["TF_CPU_ALLOCATOR_USE_BFC"] == "false"
    assert applied == {k: v for k, v in tensorflow_defaults().items() if k != "TF_CPU_ALLOCATOR_USE_BFC"}
    assert apply_tensorflow_defaults(environ) == {}
