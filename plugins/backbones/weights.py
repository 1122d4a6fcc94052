"""Pretrained ImageNet weights, fetched once into a cache shared by runs and a sweep's trials, verified.

Keras would download weights into ``~/.keras/models`` on first use, from Google's storage,
with no mirror and no offline mode. Here they get the dataset's treatment:

1. **The cache** (``weights_dir``, else ``$HOH_WEIGHTS_DIR``, else the user cache folder +
   ``hoh/weights``): a file there is used when it matches the SHA-256 recorded beside it
   (``<file>.sha256``) when it was fetched, or, copied in by hand, the checksum Keras
   publishes for it; one that matches neither is renamed aside (kept) and fetched anew.
   Fetching holds the folder's lock, so trials of a sweep started together download a file once.
2. **A mirror** (``weights_mirror``, else ``$HOH_WEIGHTS_MIRROR``): a local folder or an
   ``http(s)`` base URL holding the files under Keras' names plus a ``SHA256SUMS`` file,
   exactly like a dataset mirror; a file is checked against that list.
3. **Keras' origin** (``storage.googleapis.com``), checked against the checksum Keras publishes.

With ``hoh-run --offline`` only the cache and a mirror folder are used; anything else is an
error that names the file and where it was looked for.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs

from framework import UserError
from framework.api import sha256_file, write_text
from plugins.backbones.architectures import Architecture
from plugins.datasets.cache import locked, set_aside
from plugins.datasets.download import RetryPolicy, fetch
from plugins.datasets.sources import choose_mirror, mirror_sources

if TYPE_CHECKING:
    from rich.console import Console

MIRROR_ENV = "HOH_WEIGHTS_MIRROR"
"""Environment variable naming a weights mirror (folder or URL); the model's ``weights_mirror`` wins over it."""

DIR_ENV = "HOH_WEIGHTS_DIR"
"""Environment variable naming the weights cache folder; the model's ``weights_dir`` wins over it."""

HINT = (
    f"To use a copy elsewhere, set {MIRROR_ENV} (or the model's `weights_mirror` parameter) to a local folder or "
    "an http(s) URL that holds the weights files under Keras' names and a SHA256SUMS file."
)


def weights_root(param: str | None) -> Path:
    """The cache folder: ``param`` if given, else ``$HOH_WEIGHTS_DIR``, else ``<user cache>/hoh/weights``."""
    for value in (param, os.environ.get(DIR_ENV)):
        if value and value.strip():
            return Path(value.strip()).expanduser().resolve()
    return Path(platformdirs.user_cache_dir("hoh")) / "weights"


def imagenet_weights(
    arch: Architecture, *, mirror: str | None, weights_dir: str | None, offline: bool, console: Console
) -> Path:
    """The verified ImageNet weights file of ``arch`` (without its classifier), fetched if need be.

    Args:
        arch: The network.
        mirror: The model's ``weights_mirror`` parameter (``None``: ``$HOH_WEIGHTS_MIRROR`` or none).
        weights_dir: The model's ``weights_dir`` parameter (``None``: see :func:`weights_root`).
        offline: Never open a URL.
        console: Where download progress is shown.

    Raises:
        UserError: offline with nothing cached, a mirror without the file or its checksum, a download refused.
        EnvironmentProblem: a file that did not verify twice (deleted; the source may be damaged).
    """
    folder = weights_root(weights_dir)
    dest = folder / arch.weights_file
    with locked(folder, on_wait=lambda: console.print(f"waiting for another process fetching into {folder} ...")):
        if _cached(dest):
            return dest
        if dest.is_file():  # put there by hand (as the offline message suggests), or by an older attempt
            if _matches(dest, arch.keras_hash):
                _record_checksum(dest)
                return dest
            kept = set_aside(dest)  # never deleted: it is not known to be ours
            console.print(f"{dest} does not match the checksum Keras publishes for it; kept as {kept.name}.")
        chosen = choose_mirror(mirror, MIRROR_ENV)
        if chosen is not None:
            source = mirror_sources(
                chosen,
                [arch.weights_file],
                policy=RetryPolicy(),
                console=console,
                offline=offline,
                kind="weights",
                env=MIRROR_ENV,
            )[arch.weights_file]
            fetch(source.location, dest, sha256=source.sha256, size=None, console=console, offline=offline, hint=HINT)
            _record_checksum(dest, source.sha256)  # fetch checked the file against it
            return dest
        if offline:
            raise UserError(
                f"the ImageNet weights of {arch.name} ({arch.weights_file}) are not in the weights cache {folder}, "
                f"no weights mirror is set, and offline mode is on, so {arch.weights_url} was not fetched. "
                f"Run once with network access, copy the file into {folder}, or {HINT[0].lower()}{HINT[1:]}"
            )
        _from_keras_origin(arch, folder)
        _record_checksum(dest)
    return dest


def _cached(path: Path) -> bool:
    """True when ``path`` exists and matches the SHA-256 recorded beside it when it was fetched."""
    record = path.with_name(path.name + ".sha256")
    if not path.is_file() or not record.is_file():
        return False
    recorded = record.read_text(encoding="utf-8").split()
    return bool(recorded) and recorded[0] == sha256_file(path)


def _matches(path: Path, keras_hash: str) -> bool:
    """True when ``path`` has the MD5 (32 hex digits) or SHA-256 (64) that Keras publishes for it."""
    if len(keras_hash) == 64:
        return sha256_file(path) == keras_hash
    with open(path, "rb") as file:
        return hashlib.file_digest(file, lambda: hashlib.md5(usedforsecurity=False)).hexdigest() == keras_hash


def _record_checksum(path: Path, sha256: str | None = None) -> None:
    """``<file>.sha256`` in ``sha256sum`` format, written after the file was verified against its source.

    ``sha256``: the file's, when the check just computed it (else it is computed here).
    """
    write_text(path.with_name(path.name + ".sha256"), f"{sha256 or sha256_file(path)}  {path.name}\n")


def _from_keras_origin(arch: Architecture, folder: Path) -> None:
    """Download from Keras' origin into ``folder``, checked against the checksum Keras publishes."""
    import keras

    try:
        keras.utils.get_file(
            arch.weights_file, arch.weights_url, file_hash=arch.keras_hash, cache_dir=str(folder), cache_subdir="."
        )
    except Exception as error:  # Keras raises bare Exception for URL and hash failures
        raise UserError(
            f"the ImageNet weights of {arch.name} could not be downloaded from {arch.weights_url} "
            f"({type(error).__name__}: {error}). {HINT}"
        ) from None
