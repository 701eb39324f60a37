"""The Matrix bot's key store and relay rules, without a homeserver: what an admin sees when the
store is damaged, held by another process, or a relayed send is forged."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.chat.matrix_crypto import (
    VerifiedDevice,
    crypto_dir,
    lock_owner,
    parse_verified,
    quarantine,
    store_key,
    store_problem,
    unlock_owner,
)
from bot.chat.matrix_relay import check, parse, relay_key, sign
from bot.errors import ConfigError


def test_verified_devices_are_read_from_the_setting_and_bad_entries_name_themselves() -> None:
    assert parse_verified(["@ann:example.org ABCDEF", "@bob:example.org XYZ ed25519key"]) == [
        VerifiedDevice("@ann:example.org", "ABCDEF"),
        VerifiedDevice("@bob:example.org", "XYZ", "ed25519key"),
    ]
    for bad in ("ABCDEF", "@ann ABCDEF", "@ann:example.org", "@a:b c d e"):
        with pytest.raises(ConfigError, match="matrix_verified_devices") as caught:
            parse_verified([bad])
        assert repr(bad) in str(caught.value)


def test_the_store_directory_is_private_and_its_key_is_made_once(tmp_path: Path) -> None:
    directory = crypto_dir(tmp_path / "data")
    assert directory.stat().st_mode & 0o777 == 0o700
    first = store_key(directory, None)
    assert len(first) >= 32 and store_key(directory, None) == first  # a restart reads what it wrote
    assert (directory / "store-key").stat().st_mode & 0o777 == 0o600
    assert store_key(directory, SecretStr("from the environment")) == "from the environment"


def test_a_damaged_store_is_recognised_and_moved_aside_never_deleted(tmp_path: Path) -> None:
    path = tmp_path / "newsbot-crypto.db"
    assert store_problem(path) is None  # none yet: a fresh one is made
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE accounts (x)")
    assert store_problem(path) is None
    path.write_bytes(b"not a database at all " * 200)
    assert store_problem(path) is not None
    moved = quarantine(path)
    assert not path.exists() and moved.read_bytes().startswith(b"not a database")
    assert moved.name.startswith("newsbot-crypto.db.damaged-")


def test_only_one_process_may_hold_the_keys(tmp_path: Path) -> None:
    directory = crypto_dir(tmp_path)
    held = lock_owner(directory)
    try:
        other = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys, pathlib; from bot.chat.matrix_crypto import lock_owner; "
                "lock_owner(pathlib.Path(sys.argv[1]))",
                str(directory),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert other.returncode != 0
        assert f"another newsbot process (pid {os.getpid()}) owns the Matrix keys" in other.stderr
    finally:
        unlock_owner(held)
    unlock_owner(lock_owner(directory))  # released: the next owner takes it


def test_relayed_sends_must_be_signed_with_the_bots_credential_and_recent() -> None:
    key = relay_key("the bot's password")
    body = b'{"room_id": "!r:x", "content": {"body": "hi"}, "tx_id": "t1"}'
    stamp = f"{time.time():.3f}"
    assert check(key, stamp, sign(key, stamp, body), body) is None
    assert "signature" in str(check(relay_key("another password"), stamp, sign(key, stamp, body), body))
    assert "signature" in str(check(key, stamp, sign(key, stamp, body), body.replace(b"hi", b"ho")))
    old = f"{time.time() - 3600:.3f}"
    assert "too old" in str(check(key, old, sign(key, old, body), body))
    assert parse(body) == ("!r:x", {"body": "hi"}, "t1")
    for bad in (
        b"[]",
        b'{"room_id": "#alias:x", "content": {}, "tx_id": "t"}',
        b'{"room_id": "!r", "tx_id": "t"}',
    ):
        with pytest.raises(ValueError):
            parse(bad)
