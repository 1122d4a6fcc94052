"""Command-line overrides: ``training.epochs=3 optimizer.learning_rate=1e-4``."""

from __future__ import annotations

import tomllib
from typing import Any

from framework.errors import UserError


def parse_value(text: str) -> Any:
    """A TOML value (``3``, ``1e-4``, ``true``, ``[150, 150]``, ``"adam"``); a bare word is a string."""
    try:
        return tomllib.loads(f"value = {text}")["value"]
    except tomllib.TOMLDecodeError:
        if text and all(ch.isalnum() or ch in "-_./:" for ch in text):
            return text
        raise UserError(
            f"override value {text!r} is not a TOML value; quote strings (key='\"text\"'), "
            "write lists as [1, 2] and booleans as true/false."
        ) from None


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[tuple[str, ...], str]:
    """Apply ``dotted.key=value`` overrides to ``data`` in place.

    Returns:
        The path of each override, mapped to its text, so errors can name it.

    Raises:
        UserError: for an override without ``=`` or that descends into a non-table.
    """
    applied: dict[tuple[str, ...], str] = {}
    for item in overrides:
        key, sep, raw = item.partition("=")
        path = tuple(part.strip() for part in key.split("."))
        if not sep or not all(path):
            raise UserError(
                f"override {item!r} is not of the form dotted.key=value, e.g. training.epochs=3 "
                "or optimizer.learning_rate=1e-4."
            )
        table = data
        for depth, part in enumerate(path[:-1]):
            if part.isdigit() and isinstance(table, list):
                index = int(part)
                if index >= len(table):
                    raise UserError(f"override {item!r}: {'.'.join(path[:depth])} has only {len(table)} entries.")
                table = table[index]
                continue
            if isinstance(table, list):
                raise UserError(
                    f"override {item!r}: {'.'.join(path[:depth])} is a list; "
                    "give an index, e.g. callbacks.0.patience=3."
                )
            table = table.setdefault(part, {})
            if not isinstance(table, dict | list):
                raise UserError(f"override {item!r}: {'.'.join(path[: depth + 1])} is a value, not a table.")
        if isinstance(table, list):
            raise UserError(f"override {item!r}: give an index, e.g. callbacks.0.patience=3.")
        table[path[-1]] = parse_value(raw.strip())
        applied[path] = item
    return applied
