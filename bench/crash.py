"""Crash bench: the crash test's scenario (tests/e2e/test_crash.py) with as many kills as you like.

`newsbot serve` runs against three loopback feeds and the Slack stand-in and is killed with SIGKILL
at a random moment after each start, N times, while the feeds publish five stories in six phases;
a last run then finishes delivery and every channel is checked: each expected alert and reply
exactly once, replies in their parent's thread, in outbox order, parents naming every outlet.

Usage: .venv/bin/python bench/crash.py [--kills 200] [--seed 20240917] [--life 0.3 3.0] [--keep DIR]
Exit status 0 when nothing was lost, doubled, reordered or misthreaded; 1 otherwise.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.e2e import test_crash


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=200)
    parser.add_argument("--seed", type=int, default=test_crash.SEED)
    parser.add_argument(
        "--life", type=float, nargs=2, default=(0.3, 3.0), metavar=("MIN", "MAX"), help="seconds"
    )
    parser.add_argument("--keep", type=Path, help="work directory to keep (log, database)")
    parser.add_argument("--command", help="the bot's entry point instead of `python -m bot` (to try a fix)")
    args = parser.parse_args()
    if args.command:
        test_crash.BOT_COMMAND[:] = shlex.split(args.command)
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="newsbot-crash-"))
    print(
        f"seed {args.seed}, {args.kills} kills, lifetimes {args.life[0]}–{args.life[1]} s; work in {workdir}"
    )
    report = test_crash.run_crash(
        workdir, kills=args.kills, seed=args.seed, life=(args.life[0], args.life[1])
    )
    print(report.summary())
    problems = report.problems()
    for problem in problems:
        print("PROBLEM:", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
