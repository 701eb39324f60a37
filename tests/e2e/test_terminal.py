"""`newsbot run` on a real terminal (a pty): Ctrl-C, SIGTERM and Ctrl-D stop it promptly and cleanly."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest


def _read_until(fd: int, needle: bytes, timeout: float) -> bytes:
    """What the terminal showed until `needle` appeared (or the time ran out)."""
    seen = b""
    deadline = time.monotonic() + timeout
    while needle not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                seen += os.read(fd, 65536)
            except OSError:  # the other side closed
                break
    return seen


@pytest.mark.parametrize("stop", ["SIGINT", "SIGTERM", "Ctrl-D"])
def test_ctrl_c_sigterm_or_ctrl_d_stop_the_bot_on_a_terminal_within_three_seconds(
    tmp_path: Path, stop: str
) -> None:
    config = tmp_path / "newsbot.toml"
    config.write_text(f'data_dir = "{tmp_path / "data"}"\n[schedule]\ntick_seconds = 1\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    master, slave = os.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "--config", str(config), "run"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,
    )
    os.close(slave)
    try:
        shown = _read_until(master, b"Ctrl-D", 60)
        assert b"Type a command" in shown, shown.decode(errors="replace")
        os.write(master, b"list\n")  # the terminal is read: a command is answered
        shown = _read_until(master, b"tracks no topics", 20)
        assert b"tracks no topics" in shown, shown.decode(errors="replace")
        started = time.monotonic()
        if stop == "Ctrl-D":
            os.write(master, b"\x04")  # end of input on a terminal
        else:
            process.send_signal(getattr(signal, stop))
        code = process.wait(timeout=10)
        took = time.monotonic() - started
        rest = _read_until(master, b"\x00never", 0.5).decode(errors="replace")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(master)
    assert took < 3.0, f"took {took:.1f}s to stop"
    assert code == 0
    assert "Traceback" not in rest
