"""Find the line of a key in TOML text, so that errors can point at it.

``tomllib`` gives values but not positions; this scanner reads the text once and
records the line of every table header and key, keyed by its path
(``("optimizer", "learning_rate")``, ``("callbacks", 0, "monitor")``).
"""

from __future__ import annotations

import re

Path_ = tuple[str | int, ...]

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"""^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*=""")


def _split_key(dotted: str) -> list[str]:
    parts = re.findall(r"""[A-Za-z0-9_-]+|"[^"]*"|'[^']*'""", dotted)
    return [p[1:-1] if p[:1] in "\"'" else p for p in parts]


def _bracket_balance(value: str) -> int:
    """Open minus closed brackets outside strings (enough to skip multi-line arrays)."""
    balance, quote = 0, ""
    for ch in value:
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            break
        elif ch in "[{":
            balance += 1
        elif ch in "]}":
            balance -= 1
    return balance


def key_lines(text: str) -> dict[Path_, int]:
    """Map every table and key path in ``text`` to its 1-based line number."""
    lines: dict[Path_, int] = {}
    table: Path_ = ()
    array_counts: dict[tuple[str, ...], int] = {}
    depth = 0
    in_multiline_string = False
    for number, line in enumerate(text.splitlines(), start=1):
        if in_multiline_string:
            if line.count('"""') % 2 == 1 or line.count("'''") % 2 == 1:
                in_multiline_string = False
            continue
        if depth > 0:
            depth += _bracket_balance(line)
            continue
        header = _HEADER.match(line)
        if header and not _KEY.match(line):
            names = tuple(_split_key(header.group(2)))
            if header.group(1) == "[[":
                index = array_counts.get(names, 0)
                array_counts[names] = index + 1
                table = (*names, index)
            else:
                table = names
            lines.setdefault(table, number)
            continue
        key = _KEY.match(line)
        if key:
            path = (*table, *_split_key(key.group(1)))
            lines.setdefault(path, number)
            value = line[key.end() :]
            if value.count('"""') % 2 == 1 or value.count("'''") % 2 == 1:
                in_multiline_string = True
            depth = max(0, _bracket_balance(value))
    return lines


def line_of(lines: dict[Path_, int], path: Path_) -> int | None:
    """Line of ``path``, or of its closest enclosing key or table that has one."""
    for end in range(len(path), 0, -1):
        found = lines.get(tuple(path[:end]))
        if found is not None:
            return found
    return None
