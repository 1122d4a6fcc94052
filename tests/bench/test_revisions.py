"""What hoh bench compare measures: both sides from fresh folders, the accepted revision, the verdict on both times."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from framework.bench.compare import Result
from framework.bench.revisions import ACCEPTED_FILE, WORKTREE, accept, checked_out, read_accepted, resolve_base
from framework.bench.stats import Comparison
from framework.errors import UserError

HOH = Path(sys.executable).parent / "hoh"


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository of two commits, the second changing ``code.py``."""
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "config", "user.email", "t@example.com")
    _git(repo, "config", "user.name", "t")
    (repo / ".gitignore").write_text("ignored.txt\n")
    (repo / "code.py").write_text("VERSION = 1\n")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "first")
    (repo / "code.py").write_text("VERSION = 2\n")
    _git(repo, "commit", "-q", "-am", "second")
    return repo


def test_both_sides_run_from_fresh_sibling_folders_and_the_working_tree_is_copied_as_it_is(repo: Path) -> None:
    (repo / "code.py").write_text("VERSION = 3  # not committed\n")
    (repo / "new.py").write_text("NEW = True\n")  # untracked, not ignored: a new module being written
    (repo / "ignored.txt").write_text("build output\n")
    (repo / "link.py").symlink_to("code.py")  # a link stays a link
    (repo / "name with spaces.py").write_text("X = 1\n")
    with checked_out(repo, ["HEAD~1", WORKTREE]) as (base, head):
        assert base.parent == head.parent and len(str(base)) == len(str(head))
        assert (base / "code.py").read_text() == "VERSION = 1\n"
        assert (head / "code.py").read_text() == "VERSION = 3  # not committed\n"
        assert (head / "new.py").exists() and not (head / "ignored.txt").exists()
        assert (head / "link.py").is_symlink() and (head / "name with spaces.py").exists()
        assert not (head / "__pycache__").exists()
    assert not base.exists() and not head.exists()
    assert len(_git(repo, "worktree", "list").splitlines()) == 1
    assert (repo / "code.py").read_text() == "VERSION = 3  # not committed\n"  # the user's tree untouched


def test_accept_records_the_commit_and_compare_accepted_reads_it(repo: Path) -> None:
    with pytest.raises(UserError, match=r"accepted\.toml does not exist.*hoh bench accept"):
        resolve_base(repo, "accepted")
    first = _git(repo, "rev-parse", "HEAD~1")
    done = subprocess.run(
        [str(HOH), "bench", "accept", "HEAD~1", "--reason", "landed green"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert first[:10] in done.stdout
    record = tomllib.loads((repo / ACCEPTED_FILE).read_text())
    assert record["revision"] == first and record["reason"] == "landed green"
    assert resolve_base(repo, "accepted") == (first, f"accepted {first[:10]}")
    assert resolve_base(repo, "HEAD~1") == (first, "HEAD~1")

    reason = 'moved "forward"\r\n\x7f\\ on a pasted line'  # quotes, CRLF, DEL, a backslash: TOML escapes them all
    done = subprocess.run([str(HOH), "bench", "accept", "--reason", reason], cwd=repo, capture_output=True, text=True)
    assert done.returncode == 0 and "1 commit forward" in done.stdout, done.stdout + done.stderr
    assert read_accepted(repo).revision == _git(repo, "rev-parse", "HEAD")
    assert read_accepted(repo).reason == reason

    subject = "a long subject " + "word " * 30
    _git(repo, "commit", "-q", "--allow-empty", "-m", subject)
    accept(repo, "HEAD", "long")
    comment = (repo / ACCEPTED_FILE).read_text(encoding="utf-8").splitlines()[4]
    # the subject, cut after a whole word: "word…", not "wo"
    assert comment.startswith("# a long subject word") and comment.endswith(" word…") and len(comment) <= 102


def test_an_accepted_revision_gone_from_history_is_named_with_what_to_do(repo: Path) -> None:
    accept(repo, "HEAD", "the tip")
    _git(repo, "commit", "-q", "--amend", "-m", "second, amended")  # the accepted commit leaves HEAD's history
    with pytest.raises(UserError, match=r"accepted revision [0-9a-f]{10} of .*accepted\.toml is not in HEAD's history"):
        resolve_base(repo, "accepted")
    (repo / ACCEPTED_FILE).write_text('revision = "HEAD~1"\n')  # edited by hand: the gate would become per-commit
    with pytest.raises(UserError, match="not a full commit hash"):
        resolve_base(repo, "accepted")


def test_accepting_a_revision_outside_heads_history_is_refused(repo: Path) -> None:
    _git(repo, "checkout", "-q", "-b", "side", "HEAD~1")
    (repo / "code.py").write_text("VERSION = 'side'\n")
    _git(repo, "commit", "-q", "-am", "side")
    _git(repo, "checkout", "-q", "main")
    done = subprocess.run(
        [str(HOH), "bench", "accept", "side", "--reason", "x"], cwd=repo, capture_output=True, text=True
    )
    assert done.returncode == 2
    assert "is not in HEAD's history" in done.stderr and "Traceback" not in done.stderr
    assert not (repo / ACCEPTED_FILE).exists()


def _comparison(ratio: float, verdict: str) -> Comparison:
    return Comparison(ratio, ratio - 0.01, ratio + 0.01, 12, verdict)


@pytest.mark.parametrize(
    ("cpu", "wall", "metric", "expected"),
    [
        ("no significant change", "slower", "both", "slower (wall)"),
        ("slower", "slower", "both", "slower (CPU and wall)"),
        ("slower", "no significant change", "both", "slower (CPU)"),
        ("faster", "slower", "both", "slower (wall)"),
        ("faster", "no significant change", "both", "faster (CPU)"),
        ("no significant change", "slower", "cpu", "no significant change"),
        ("slower", "no significant change", "wall", "no significant change"),
        ("no significant change", "no significant change", "both", "no significant change"),
    ],
)
def test_a_workload_is_slower_when_either_time_is(cpu: str, wall: str, metric: str, expected: str) -> None:
    result = Result("runner fit", wall=_comparison(1.3, wall), cpu=_comparison(1.0, cpu), base_wall=1, head_wall=1)
    assert result.verdict(metric) == expected
