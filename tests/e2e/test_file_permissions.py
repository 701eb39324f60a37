"""The data directory and the SQLite file (OAuth tokens, the Matrix session) are private to the bot."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

from tests.e2e.test_run_once import newsbot


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def config_for(tmp_path: Path, data: Path) -> Path:
    config = tmp_path / "newsbot.toml"
    config.write_text(f'data_dir = "{data}"\n', encoding="utf-8")
    return config


def test_an_existing_open_data_dir_and_database_are_tightened(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    old = os.umask(0o022)
    try:  # a database left by an earlier version, world-readable
        sqlite3.connect(data / "newsbot.sqlite").close()
    finally:
        os.umask(old)
    assert (mode(data), mode(data / "newsbot.sqlite")) == (0o755, 0o644)
    result = newsbot("--config", str(config_for(tmp_path, data)), "db", "upgrade")
    assert result.returncode == 0, result.stderr
    assert (mode(data), mode(data / "newsbot.sqlite")) == (0o700, 0o600)
    assert "made it 0700" in result.stderr


def test_a_new_data_dir_and_database_are_created_private_even_with_an_open_umask(tmp_path: Path) -> None:
    data = tmp_path / "fresh" / "data"
    old = os.umask(0o000)  # the child inherits it: nothing but the bot's own care keeps the files private
    try:
        result = newsbot("--config", str(config_for(tmp_path, data)), "run", "--once")
    finally:
        os.umask(old)
    assert result.returncode == 0, result.stderr
    assert (mode(data), mode(data / "newsbot.sqlite")) == (0o700, 0o600)
    for leftover in data.glob("newsbot.sqlite-*"):  # -wal / -shm, when SQLite keeps them
        assert mode(leftover) == 0o600, leftover


def test_a_shared_directory_as_data_dir_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)  # like /tmp
    result = newsbot("--config", str(config_for(tmp_path, shared)), "db", "upgrade")
    assert result.returncode != 0
    assert "shared directory" in result.stderr and "Traceback" not in result.stderr
    assert mode(shared) == 0o1777 and not (shared / "newsbot.sqlite").exists()
