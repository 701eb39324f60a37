"""The bot parses feeds in worker processes, and they never outlive it, even after a SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from tests.conftest import FIXTURES

SCRIPT = """
import asyncio, os, sys, time
from bot.ingest.parse import parse_in_pool
from bot.runtime import parse_pool
from bot.settings import Settings

async def main():
    with parse_pool(Settings(fetch={"parse_processes": 2})) as pool:
        body = open(sys.argv[1], "rb").read()
        parsed = await parse_in_pool(pool, body, "https://news.example/feed.xml")
        pids = sorted(pool._processes)
        print(len(parsed.entries), *pids, flush=True)
        time.sleep(60)

if __name__ == "__main__":
    asyncio.run(main())
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie waiting for its parent counts as gone
        return stat.read().split(") ")[-1].split()[0] != "Z"


def test_parse_workers_end_when_the_bot_is_killed(tmp_path: object) -> None:
    bot = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(FIXTURES / "seed-feed.xml")],
        stdout=subprocess.PIPE,
        text=True,
        cwd=os.getcwd(),
    )
    assert bot.stdout is not None
    entries, *workers = (int(word) for word in bot.stdout.readline().split())
    assert entries == 1 and workers and bot.pid not in workers  # parsed in another process
    assert all(_alive(pid) for pid in workers)
    bot.send_signal(signal.SIGKILL)
    bot.wait()
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_alive(pid) for pid in workers)
