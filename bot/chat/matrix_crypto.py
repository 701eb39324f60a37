"""End-to-end encryption for the Matrix bot: where its keys live, whose devices get room keys.

The keys (the bot device's Olm account, its Olm sessions with members' devices, the Megolm
sessions of each room, the devices it has seen and trusted) are nio's SQLite store in
`data_dir/matrix-crypto/` (directory 0700, files 0600), pickled with a passphrase: the setting
`matrix_store_passphrase`, or else a random key created once in the same directory. One process
owns that store: the one that runs the Matrix sync loop (docs/operations.md).

Trust (`matrix_device_trust`): "tofu" trusts each member device the first time the bot sees it
(nio pins its keys: a later, different key for the same device id is refused); "verified" shares
room keys only with the devices an admin listed in `matrix_verified_devices` and blocks the rest.
"""

from __future__ import annotations

import fcntl
import logging
import os
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from bot.errors import ConfigError

log = logging.getLogger(__name__)

CRYPTO_DIR = "matrix-crypto"
STORE_NAME = "newsbot-crypto.db"
KEY_FILE = "store-key"
LOCK_FILE = "owner.lock"
MEGOLM = "m.megolm.v1.aes-sha2"
SUPPORTED_ALGORITHMS = frozenset({MEGOLM})


@dataclass(frozen=True)
class VerifiedDevice:
    """A device an admin vouched for: `@user:server DEVICEID` and, optionally, its ed25519 key."""

    user_id: str
    device_id: str
    ed25519: str | None = None


def parse_verified(entries: list[str]) -> list[VerifiedDevice]:
    """The `matrix_verified_devices` setting; a malformed entry is a ConfigError naming it."""
    devices = []
    for entry in entries:
        parts = entry.split()
        if len(parts) not in (2, 3) or not parts[0].startswith("@") or ":" not in parts[0]:
            raise ConfigError(
                f"matrix_verified_devices: {entry!r} is not '@user:server DEVICEID' or "
                "'@user:server DEVICEID ed25519key' (the session id and key from the member's "
                "client: Settings → Sessions)"
            )
        devices.append(VerifiedDevice(parts[0], parts[1], parts[2] if len(parts) == 3 else None))
    return devices


def crypto_dir(data_dir: Path) -> Path:
    """The store's directory, created readable by this user only (0700)."""
    directory = data_dir / CRYPTO_DIR
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    return directory


def lock_owner(directory: Path) -> int:
    """Hold the store for this process (an exclusive lock, released when the process ends, even by
    SIGKILL). Two processes on one device's Olm and Megolm sessions would corrupt them: the second
    gets a ConfigError saying who holds it."""
    fd = os.open(directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(fd, 32).decode(errors="replace").strip() or "?"
        os.close(fd)
        raise ConfigError(
            f"another newsbot process (pid {holder}) owns the Matrix keys in {directory}: only one "
            "process may run the Matrix sync (docs/operations.md); let the others only send"
        ) from None
    os.ftruncate(fd, 0)
    os.write(fd, str(os.getpid()).encode())
    return fd


def unlock_owner(fd: int | None) -> None:
    if fd is not None:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def store_key(directory: Path, passphrase: SecretStr | None) -> str:
    """The passphrase the store's pickles are encrypted with: the setting, else a random key made
    once and kept in the store's directory (0600) so a restart can read what it wrote."""
    if passphrase is not None:
        return passphrase.get_secret_value()
    path = directory / KEY_FILE
    try:
        key = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        key = ""
    if key:
        return key
    key = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, key.encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    return key


def store_problem(path: Path) -> str | None:
    """Why the store file cannot be used (not SQLite, damaged), or None when it is sound or absent."""
    if not path.exists():
        return None
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            (result,) = db.execute("PRAGMA quick_check").fetchone()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    return None if result == "ok" else str(result)


def quarantine(path: Path) -> Path:
    """Move a damaged store aside (kept for an admin to inspect, never deleted)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.damaged-{stamp}")
    os.replace(path, target)
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            os.replace(side, target.with_name(target.name + suffix))
    return target


def apply_trust(client: Any, room_id: str, policy: str, verified: list[VerifiedDevice]) -> None:
    """Mark every device of the room's members trusted or blocked, as the policy says, so that the
    room key goes to exactly the trusted ones. Trust is kept in the store: a restart keeps it."""
    room = client.rooms.get(room_id)
    if room is None or client.olm is None:
        return
    listed = {(d.user_id, d.device_id): d for d in verified}
    olm = client.olm
    for user_id in list(room.users):
        for device in client.device_store.active_user_devices(user_id):
            if user_id == client.user_id and device.id == client.device_id:
                continue
            name = f"{user_id} device {device.id} (ed25519 {device.ed25519})"
            if policy == "tofu":
                if not (olm.is_device_verified(device) or olm.is_device_blacklisted(device)):
                    client.verify_device(device)
                    log.info("Matrix: trusting %s on first use", name)
                continue
            # "verified": the list decides, every time (an admin may add or remove a device)
            wanted = listed.get((user_id, device.id))
            if wanted is not None and wanted.ed25519 in (None, device.ed25519):
                if not olm.is_device_verified(device):
                    client.unblacklist_device(device)
                    client.verify_device(device)
                    log.info("Matrix: trusting %s: listed in matrix_verified_devices", name)
            elif not olm.is_device_blacklisted(device):
                client.unverify_device(device)
                client.blacklist_device(device)
                log.warning(
                    "Matrix: %s gets no room keys: not listed in matrix_verified_devices "
                    "(matrix_device_trust = verified)",
                    name,
                )
