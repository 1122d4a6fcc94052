"""Single files a command writes where the user says (a picture, a schema, a report): never someone else's.

``hoh preview -o preview.png`` in a folder that already holds a person's ``preview.png``
must not replace it. Each such file carries a mark that says hoh wrote it — a PNG text
chunk ``Software: hoh <kind>`` (:data:`PNG_METADATA`), a JSON key ``"$comment": "written
by hoh <kind>"`` — and an existing file is replaced only when it carries that mark.
The folder counterpart is :mod:`framework.output_folders`.

Example::

    check_file_replaceable(path, "preview", png_written_by_hoh)  # before the work
    write_with(path, lambda tmp: figure.savefig(tmp, format="png", metadata=png_metadata("preview")))
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from framework.output_folders import ForeignOutput

MARK = "hoh"


def png_metadata(kind: str) -> dict[str, str]:
    """What matplotlib's ``savefig(metadata=...)`` writes into a PNG so that hoh knows it as its own."""
    return {"Software": f"{MARK} {kind}"}


def png_written_by_hoh(path: Path) -> bool:
    """Whether the PNG at ``path`` carries hoh's mark (any kind)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            software = getattr(image, "text", {}).get("Software", "")
    except (OSError, UnidentifiedImageError, ValueError):
        return False
    return isinstance(software, str) and software.split(" ", 1)[0] == MARK


def json_mark(kind: str) -> str:
    """The ``$comment`` value a JSON file hoh writes carries."""
    return f"written by {MARK} {kind}"


def json_written_by_hoh(path: Path) -> bool:
    """Whether the JSON file at ``path`` carries hoh's ``$comment`` mark."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    comment = data.get("$comment") if isinstance(data, dict) else None
    return isinstance(comment, str) and comment.startswith(f"written by {MARK} ")


def check_file_replaceable(path: Path, kind: str, written_by_hoh: Callable[[Path], bool]) -> None:
    """Refuse (:class:`ForeignOutput`) unless ``path`` is absent or a file hoh wrote.

    Raises:
        ForeignOutput: naming the path and what to do instead; nothing was written.
    """
    if not path.exists() and not path.is_symlink():
        return
    if path.is_symlink() or not path.is_file() or not written_by_hoh(path):
        raise ForeignOutput(
            f"{path} exists and hoh did not write it, so the {kind} is not written over it: hoh replaces only a "
            f"file it wrote itself. Nothing was written. Give another output path, or move {path.name} away."
        )
