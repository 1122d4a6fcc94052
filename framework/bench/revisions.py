"""The revisions ``hoh bench compare`` measures: checked out side by side, and the accepted one.

**Both sides run from fresh copies.** BASE and HEAD are each put in a new folder of the same
parent, ``side-0`` and ``side-1``: a revision with ``git worktree add``, the working tree as a
copy of its files (tracked and untracked, not ignored: what ``git ls-files --cached --others
--exclude-standard`` lists, with uncommitted changes). So both sides have paths of the same
length on the same filesystem, the same environment size and no bytecode caches. When HEAD
ran from the working tree itself (``/work/main``, its ``__pycache__`` warm) and BASE from a
worktree under ``/tmp``, a revision compared with itself read HEAD faster on every workload
(tf-data steady pass 0.981 [0.971, 0.997], train step 0.985 [0.981, 0.991]); from fresh
sibling folders, 20 of 34 self-compare medians were below 1 and 14 above. Which difference
did it was not isolated. One candidate: the environment's size (``PYTHONPATH`` differed in
length) moves the stack's alignment, known to shift timings by a few per cent (Mytkowicz et
al., "Producing wrong data without doing anything obviously wrong", 2009).

**The accepted revision** (``benchmarks/accepted.toml``) is the base of CI's gate: the last
revision whose speed was accepted. CI compares a submission with it, not with the previous
commit, so that slowdowns split over many commits add up where the gate sees them. It is
moved forward deliberately, with ``hoh bench accept``, and the move is a commit of its own.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import tomllib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from framework.atomic import write_text
from framework.errors import UserError

WORKTREE = "."  # HEAD given as the working tree
ACCEPTED = "accepted"  # BASE given as the accepted revision of benchmarks/accepted.toml
ACCEPTED_FILE = Path("benchmarks") / "accepted.toml"
FULL_HASH = re.compile(r"[0-9a-f]{40}")


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo``; its standard output.

    Raises:
        UserError: when git fails (its message included).
    """
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise UserError(f"git {' '.join(args)} failed in {repo}: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout.strip()


def commit_of(repo: Path, revision: str) -> str:
    """The full hash of ``revision``.

    Raises:
        UserError: when it is not a commit of ``repo``.
    """
    done = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise UserError(
            f"{revision!r} is not a commit of {repo}; give a branch, tag, commit or HEAD~N "
            "(a shallow clone may lack older commits: git fetch --unshallow)."
        )
    return done.stdout.strip()


def _copy_working_tree(repo: Path, target: Path) -> None:
    """Tracked and untracked files, not ignored ones; links stay links; submodules are left out."""
    done = subprocess.run(
        ["git", "-C", str(repo), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        raise UserError(f"git ls-files failed in {repo}: {done.stderr.decode(errors='replace').strip()}")
    for name in filter(None, done.stdout.split(b"\0")):
        source, copy = repo / os.fsdecode(name), target / os.fsdecode(name)
        if not (source.is_symlink() or source.is_file()):  # deleted in the working tree, or a submodule
            continue
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, copy, follow_symlinks=False)


@contextlib.contextmanager
def checked_out(repo: Path, revisions: Sequence[str]) -> Iterator[list[Path]]:
    """Each revision in a fresh folder (``.``: a copy of the working tree), all removed afterwards."""
    parent = Path(tempfile.mkdtemp(prefix="hoh-bench-sides-"))
    roots: list[Path] = []
    added: list[Path] = []
    try:
        for index, revision in enumerate(revisions):
            target = parent / f"side-{index}"
            if revision == WORKTREE:
                target.mkdir()
                _copy_working_tree(repo, target)
            else:
                commit = commit_of(repo, revision)
                added.append(target)  # before git runs: an interrupted add leaves metadata to remove too
                git(repo, "worktree", "add", "--detach", "--quiet", str(target), commit)
            roots.append(target)
        yield roots
    finally:
        for target in added:
            with contextlib.suppress(UserError):
                git(repo, "worktree", "remove", "--force", str(target))
        shutil.rmtree(parent, ignore_errors=True)
        if added:
            with contextlib.suppress(UserError):
                git(repo, "worktree", "prune")


@dataclass(frozen=True)
class Accepted:
    """The revision CI's performance gate compares with, and why it was accepted."""

    revision: str
    accepted_on: str
    reason: str


def read_accepted(repo: Path) -> Accepted:
    """``benchmarks/accepted.toml`` of ``repo``.

    Raises:
        UserError: when it is missing or malformed.
    """
    path = repo / ACCEPTED_FILE
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
        revision = str(table["revision"])
        if not FULL_HASH.fullmatch(revision):
            raise KeyError(f"revision {revision!r} is not a full commit hash")
        return Accepted(revision, str(table.get("accepted_on", "")), str(table.get("reason", "")))
    except FileNotFoundError:
        raise UserError(
            f"no accepted revision: {path} does not exist. Record one with `hoh bench accept REVISION`."
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"cannot read {path}: {error}.") from None
    except (tomllib.TOMLDecodeError, KeyError) as error:
        raise UserError(
            f'{path} is not a valid accepted-revision file ({error}); it needs `revision = "<40-hex commit>"`. '
            "Write it again with `hoh bench accept REVISION`."
        ) from None


def _is_ancestor(repo: Path, commit: str, of: str) -> bool:
    done = subprocess.run(
        ["git", "-C", str(repo), "merge-base", "--is-ancestor", commit, of], capture_output=True, check=False
    )
    return done.returncode == 0


def resolve_base(repo: Path, base: str) -> tuple[str, str]:
    """BASE as a commit, and how to name it in the report (``accepted``: the file's revision).

    Raises:
        UserError: for a revision that is not a commit; for an accepted revision that is not
            in HEAD's history here (a shallow clone, or history rewritten since).
    """
    if base != ACCEPTED:
        return commit_of(repo, base), base
    accepted = read_accepted(repo)
    if not _is_ancestor(repo, accepted.revision, "HEAD"):
        raise UserError(
            f"the accepted revision {accepted.revision[:10]} of {repo / ACCEPTED_FILE} is not in HEAD's history "
            "here: a shallow clone lacks it (git fetch --unshallow), or history was rewritten after it was "
            "accepted (record one that is: hoh bench accept REVISION)."
        )
    return accepted.revision, f"accepted {accepted.revision[:10]}"


def accept(repo: Path, revision: str, reason: str) -> tuple[Accepted, str]:
    """Record ``revision`` as the accepted one; returns the new record and how it moved (for people).

    Raises:
        UserError: when ``revision`` is not a commit, or not in HEAD's history (a gate on
            HEAD could not be compared with it on a clone of HEAD's branch).
    """
    commit = commit_of(repo, revision)
    if not _is_ancestor(repo, commit, "HEAD"):
        raise UserError(
            f"{revision!r} ({commit[:10]}) is not in HEAD's history; the accepted revision must be HEAD or one "
            "of its ancestors, so that a clone of this branch has it."
        )
    moved = "the first accepted revision"
    with contextlib.suppress(UserError):
        moved = _move(repo, read_accepted(repo).revision, commit)
    record = Accepted(commit, date.today().isoformat(), reason)
    subject = "".join(c if c.isprintable() else " " for c in git(repo, "log", "-1", "--format=%s", commit))
    text = (
        "# The revision CI's performance gate compares with (`hoh bench compare accepted`): the last one\n"
        "# whose speed was accepted. Written by `hoh bench accept`; move it forward deliberately, in a commit\n"
        "# of its own (docs/contributing/benchmarks.md).\n"
        f'revision = "{record.revision}"\n'
        f"# {_shortened(subject, 100)}\n"
        f'accepted_on = "{record.accepted_on}"\n'
        f"reason = {_toml_string(reason)}\n"
    )
    if tomllib.loads(text)["reason"] != reason:  # a file CI could not read back is never written
        raise UserError(f"the reason {reason!r} cannot be written to TOML as it is; write it in plain words.")
    write_text(repo / ACCEPTED_FILE, text)
    return record, moved


def _move(repo: Path, previous: str, commit: str) -> str:
    if previous == commit:
        return "unchanged"
    if _is_ancestor(repo, previous, commit):
        count = int(git(repo, "rev-list", "--count", f"{previous}..{commit}"))
        return f"was {previous[:10]}; {count} commit{'s' if count != 1 else ''} forward"
    return f"was {previous[:10]}, which is not an ancestor of it: moved back or sideways"


def _toml_string(text: str) -> str:
    """A TOML basic string: JSON's escapes are TOML's, except DEL, which TOML also wants escaped."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _shortened(text: str, width: int) -> str:
    """``text``, or its words that fit in ``width`` characters with an ellipsis (a commit subject in a comment)."""
    if len(text) <= width:
        return text
    return text[: width - 1].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"
