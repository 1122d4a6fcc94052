"""``hoh bench compare``: the command line of :mod:`framework.bench.compare`."""

from __future__ import annotations

import argparse
import os
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from rich.table import Table

from framework.atomic import write_json
from framework.commands import Command
from framework.errors import EnvironmentProblem, UserError
from framework.output_files import check_file_replaceable, json_mark, json_written_by_hoh
from framework.terminal.arguments import at_least
from framework.terminal.output import stdout_console
from framework.terminal.signals import interrupt_on_sigterm

if TYPE_CHECKING:  # numpy behind them: imported when the command runs, not when hoh builds its parser
    from framework.bench.compare import Result
    from framework.bench.stats import Comparison

VERDICT_STYLE = {"slower": "bold red", "faster": "green", "no": "dim"}


def _repo() -> Path:
    done = subprocess.run(["git", "rev-parse", "--show-toplevel"], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise UserError("hoh bench runs inside a git checkout of hoh; this folder is not one.")
    return Path(done.stdout.strip())


def _ratio(comparison: Comparison) -> str:
    return f"{comparison.ratio:.3f} [{comparison.low:.3f}, {comparison.high:.3f}]"


def table(results: list[Result], base: str, head: str, threshold: float, metric: str = "both") -> Table:
    """The report: per workload, HEAD/BASE of wall and CPU time per image, with 95 % intervals."""
    out = Table(
        title=f"HEAD ({head}) / BASE ({base}): time per image, median of paired rounds [95 % bootstrap interval]; "
        f"a change counts beyond {threshold:.0%} when significant; the verdict reads "
        + ("CPU and wall time" if metric == "both" else f"{metric} time only"),
        title_justify="left",
    )
    for column in ("workload", "BASE ms", "HEAD ms", "wall HEAD/BASE", "CPU HEAD/BASE", "pairs", "verdict"):
        out.add_column(column, justify="left" if column in {"workload", "verdict"} else "right")
    for r in results:
        out.add_row(
            r.name,
            f"{r.base_wall * 1000:.2f}",
            f"{r.head_wall * 1000:.2f}",
            _ratio(r.wall),
            _ratio(r.cpu),
            str(r.wall.rounds),
            f"[{VERDICT_STYLE[r.verdict(metric).split()[0]]}]{r.verdict(metric)}[/]",
        )
    return out


def compare_command(args: argparse.Namespace) -> int:
    """Exit 0 when no workload is significantly slower beyond the threshold, else 1."""
    from framework.bench.compare import compare, workloads_of
    from framework.bench.revisions import WORKTREE, resolve_base

    console = stdout_console()
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = 132  # a CI log or a file: rich's 80 columns would wrap every cell of the report
    repo = _repo()
    names = list(args.only or [])
    if args.ci:
        names = list(workloads_of(repo).CI_WORKLOADS)
    threshold = args.threshold / 100
    if args.json:  # before ten minutes of measuring: a file of someone else's is never written over
        check_file_replaceable(Path(args.json), "bench report", json_written_by_hoh)
    base, base_label = resolve_base(repo, args.base)
    interrupt_on_sigterm()  # `kill`, CI timeouts: as Ctrl-C, so the worktrees are removed
    try:
        results, skipped = compare(
            repo,
            base,
            args.head,
            names=names or None,
            rounds=args.rounds,
            quick=args.quick,
            threshold=threshold,
            threads=args.threads,
            duet=args.duet,
            progress=lambda text: console.print(f"[dim]{text}[/]"),
        )
    except (RuntimeError, ValueError) as error:  # a worker failed: its traceback is in the message
        raise EnvironmentProblem(f"the comparison could not finish: {error}") from None
    head = "working tree" if args.head == WORKTREE else args.head
    console.print(table(results, base_label, head, threshold, args.metric))
    for name, why in skipped.items():
        console.print(f"[yellow]skipped[/] {name}: one side cannot run it ({why})", highlight=False)
    slower = [r for r in results if r.verdict(args.metric).startswith("slower")]
    if args.json:
        write_json(
            Path(args.json),
            {
                "$comment": json_mark("bench compare"),
                "base": base_label,
                "base_commit": base,
                "head": head,
                "threshold": threshold,
                "metric": args.metric,
                "results": [
                    {
                        "workload": r.name,
                        "base_seconds_per_image": r.base_wall,
                        "head_seconds_per_image": r.head_wall,
                        "wall": vars(r.wall),
                        "cpu": vars(r.cpu),
                        "verdict": r.verdict(args.metric),
                        "pairs": list(r.pairs),
                    }
                    for r in results
                ],
                "skipped": skipped,
            },
        )
    if slower:
        named = "; ".join(f"{r.name} {r.verdict(args.metric).removeprefix('slower ')}" for r in slower)
        console.print(f"[bold red]slower[/]: {named} (beyond {threshold:.0%}, significant)")
        return 1
    console.print("no significant slowdown")
    return 0


def _compare_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "base",
        help="BASE revision: a branch, tag, commit or HEAD~N, or 'accepted' for the revision of "
        "benchmarks/accepted.toml (what CI compares with)",
    )
    parser.add_argument("head", nargs="?", default=".", help="HEAD revision (default: the working tree, '.')")
    parser.add_argument(
        "--rounds",
        type=at_least(5),
        default=8,
        help="rounds through the workloads (default 8); each runs at least 2 BASE/HEAD pairs of a workload after "
        "the first, a short one more (at least 4 s of them, up to 8)",
    )
    parser.add_argument(
        "--metric",
        choices=["both", "cpu", "wall"],
        default="both",
        help="which time decides (default both: a workload is slower when its CPU time or its wall time is; "
        "CPU time sees more work, wall time also sees waiting, e.g. a slower disk or a sleep)",
    )
    parser.add_argument("--threshold", type=float, default=10.0, help="slowdown that counts, in %% (default 10)")
    parser.add_argument(
        "--threads",
        type=int,
        default=0,
        help="TensorFlow threads of each side (default 0: TensorFlow's own choice, as users run it)",
    )
    parser.add_argument(
        "--duet",
        action="store_true",
        help="run BASE's and HEAD's rounds of a pair at the same time rather than one after the other, so that "
        "other programs' load slows both alike (for a busy machine; see docs/contributing/measurements.md)",
    )
    parser.add_argument("--quick", action="store_true", help="small images and few steps (what CI uses)")
    parser.add_argument("--only", action="append", metavar="WORKLOAD", help="run only this workload; repeatable")
    parser.add_argument("--ci", action="store_true", help="CI's small set of workloads")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")


def accept_command(args: argparse.Namespace) -> int:
    """Record REVISION in ``benchmarks/accepted.toml``; the user commits the change."""
    from framework.bench.revisions import ACCEPTED_FILE, accept

    repo = _repo()
    record, moved = accept(repo, args.revision, args.reason)
    console = stdout_console()
    console.print(
        f"accepted {record.revision[:10]} ({moved}): wrote {ACCEPTED_FILE}. Commit it; CI's gate "
        "(hoh bench compare accepted) compares with this revision from then on.",
        highlight=False,
    )
    return 0


def _accept_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("revision", nargs="?", default="HEAD", help="the revision to accept (default HEAD)")
    parser.add_argument(
        "--reason",
        required=True,
        help="why its speed is accepted, kept in the file (e.g. 'landed with CI green', or the slowdown it "
        "accepts and what it buys)",
    )


COMMAND = Command(
    "bench",
    "compare the speed of two revisions of hoh (in a git checkout)",
    subcommands=(
        Command(
            "compare",
            "run both revisions' workloads interleaved on this machine and compare them",
            _compare_arguments,
            compare_command,
            description="Check BASE out into a git worktree, run its workloads and HEAD's in two processes, in "
            "pairs of rounds one after the other (--duet: at the same time), and report per workload "
            "the ratio HEAD/BASE of wall and CPU time per image with a 95% bootstrap interval of the median of "
            "paired ratios. Exit 1 when a workload is significantly slower by more than the threshold.",
            epilog="Examples: hoh bench compare HEAD~1 (the last commit against the working tree); "
            "hoh bench compare accepted --quick --ci --threshold 25 (CI's gate)",
        ),
        Command(
            "accept",
            "record a revision as the base of CI's performance gate (benchmarks/accepted.toml)",
            _accept_arguments,
            accept_command,
            description="Write REVISION's commit into benchmarks/accepted.toml, the base that CI's gate "
            "(hoh bench compare accepted) compares each submission with, so that slowdowns spread over many "
            "commits add up where the gate sees them. Move it forward deliberately: after a submission "
            "lands with CI green, or to accept a slowdown, with the reason; commit the file.",
            epilog="Example: hoh bench accept HEAD --reason 'submission 29 landed with CI green'",
        ),
    ),
)
