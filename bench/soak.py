"""Fault soak bench: tests/e2e/test_soak.py's soak, longer, with the figures printed.

`newsbot serve` polls feeds that answer about half of all requests with a fault (hangs, resets,
5xx, 429 + Retry-After, truncated / malformed / non-feed documents, wrong encodings, gzip bombs,
redirect loops, redirects to 127.0.0.2) while they publish stories, and posts to a Slack stand-in
that answers some posts with 429, 5xx, a 500 after posting, or not at all. Reported: polls by
outcome, faults injected and failures seen by kind, alerts expected / delivered / duplicated / lost,
peak memory (VmHWM), /healthz failures, requests that reached the private address.

Usage: .venv/bin/python bench/soak.py [--seconds 300] [--feeds 40] [--seed 4711] [--keep DIR]
Exit status 0 when nothing was lost, doubled or let in and the bot stayed up under 400 MB.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.e2e import test_soak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=300.0, help="how long stories are published")
    parser.add_argument("--feeds", type=int, default=40)
    parser.add_argument("--story-every", type=float, default=1.0, help="seconds between new stories")
    parser.add_argument("--chat-fault-every", type=float, default=7.0, help="seconds between Slack faults")
    parser.add_argument("--hangs", type=int, default=3, help="Slack answers withheld past the timeout")
    parser.add_argument("--seed", type=int, default=test_soak.SEED)
    parser.add_argument("--keep", type=Path, help="work directory to keep (log, database)")
    args = parser.parse_args()
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="newsbot-soak-"))
    print(f"seed {args.seed}, {args.feeds} feeds, {args.seconds:g} s of stories; work in {workdir}")
    report = test_soak.run_soak(
        workdir,
        seconds=args.seconds,
        feeds=args.feeds,
        story_every=args.story_every,
        chat_fault_every=args.chat_fault_every,
        hangs=args.hangs,
        seed=args.seed,
        drain_seconds=max(60.0, args.seconds / 3),
    )
    print(report.summary())
    ok = (
        report.alive
        and report.health_failures == 0
        and not report.lost
        and not report.unexpected
        and report.duplicated == 0
        and report.private_hits == 0
        and 0 < report.peak_memory_mb < 400
    )
    print("OK" if ok else "PROBLEMS: see above")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
