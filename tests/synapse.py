"""A real Synapse homeserver on 127.0.0.1 for the Matrix tests, and a small client for test users.

One Synapse per test session (started on first use, stopped at exit): SQLite, no federation,
rate limits loosened, registration only through the shared-secret admin API. When Synapse cannot
start, the tests skip with the reason, or fail when NEWSBOT_REQUIRE_SERVICES is set.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import hashlib
import hmac
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.conftest import require_service

T = TypeVar("T")
SERVER_NAME = "localhost"
START_TIMEOUT = 60.0
LOOSE = {"per_second": 10000, "burst_count": 10000}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def homeserver_config(directory: Path, port: int, secret: str) -> dict[str, Any]:
    return {
        "server_name": SERVER_NAME,
        "public_baseurl": f"http://127.0.0.1:{port}/",
        "pid_file": str(directory / "homeserver.pid"),
        "listeners": [
            {
                "port": port,
                "bind_addresses": ["127.0.0.1"],
                "type": "http",
                "tls": False,
                "x_forwarded": False,
                "resources": [{"names": ["client"], "compress": False}],
            }
        ],
        "database": {"name": "sqlite3", "args": {"database": str(directory / "homeserver.db")}},
        "log_config": str(directory / "log.yaml"),
        "media_store_path": str(directory / "media"),
        "signing_key_path": str(directory / "signing.key"),
        "report_stats": False,
        "enable_metrics": False,
        "registration_shared_secret": secret,
        "enable_registration": False,
        "macaroon_secret_key": uuid.uuid4().hex,
        "form_secret": uuid.uuid4().hex,
        "bcrypt_rounds": 4,
        "federation_domain_whitelist": [],
        "trusted_key_servers": [],
        "suppress_key_server_warning": True,
        "presence": {"enabled": False},
        "url_preview_enabled": False,
        "rc_message": LOOSE,
        "rc_registration": LOOSE,
        "rc_login": {"address": LOOSE, "account": LOOSE, "failed_attempts": LOOSE},
        "rc_joins": {"local": LOOSE, "remote": LOOSE},
        "rc_joins_per_room": LOOSE,
        "rc_invites": {"per_room": LOOSE, "per_user": LOOSE, "per_issuer": LOOSE},
        "rc_admin_redaction": LOOSE,
        "rc_3pid_validation": LOOSE,
        "rc_room_creation": LOOSE,
        "rc_presence": {"per_user": LOOSE},
        "rc_delayed_event_mgmt": LOOSE,
        "rc_reports": LOOSE,
    }


LOG_CONFIG = """\
version: 1
formatters:
  precise:
    format: '%(asctime)s %(levelname)s %(name)s: %(message)s'
handlers:
  file:
    class: logging.FileHandler
    formatter: precise
    filename: {path}
root:
  level: WARNING
  handlers: [file]
disable_existing_loggers: false
"""


class HttpError(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(f"HTTP {status}: {body}")
        self.status = status
        self.body = body


def request(
    base_url: str, method: str, path: str, body: Any = None, token: str | None = None
) -> dict[str, Any]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base_url + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            result: dict[str, Any] = json.loads(resp.read() or b"{}")
            return result
    except urllib.error.HTTPError as exc:
        try:
            payload = json.loads(exc.read() or b"{}")
        except ValueError:
            payload = {}
        raise HttpError(exc.code, payload) from None


def _q(value: str) -> str:
    return urllib.parse.quote(value, safe="")


@dataclass
class MatrixUser:
    """A person in the test: creates rooms, invites the bot, types commands, reads the room."""

    base_url: str
    user_id: str
    token: str
    password: str

    def call(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        return request(self.base_url, method, path, body, self.token)

    def create_room(
        self,
        *,
        invite: tuple[str, ...] = (),
        encrypted: bool = False,
        name: str = "news",
        algorithm: str = "m.megolm.v1.aes-sha2",
    ) -> str:
        body: dict[str, Any] = {"preset": "private_chat", "name": name, "invite": list(invite)}
        if encrypted:
            body["initial_state"] = [
                {"type": "m.room.encryption", "state_key": "", "content": {"algorithm": algorithm}}
            ]
        return str(self.call("POST", "/_matrix/client/v3/createRoom", body)["room_id"])

    def invite(self, room_id: str, user_id: str) -> None:
        self.call("POST", f"/_matrix/client/v3/rooms/{_q(room_id)}/invite", {"user_id": user_id})

    def join(self, room_id: str) -> None:
        self.call("POST", f"/_matrix/client/v3/join/{_q(room_id)}", {})

    def kick(self, room_id: str, user_id: str) -> None:
        self.call("POST", f"/_matrix/client/v3/rooms/{_q(room_id)}/kick", {"user_id": user_id})

    def send(self, room_id: str, content: dict[str, Any], event_type: str = "m.room.message") -> str:
        txn = uuid.uuid4().hex
        path = f"/_matrix/client/v3/rooms/{_q(room_id)}/send/{_q(event_type)}/{txn}"
        return str(self.call("PUT", path, content)["event_id"])

    @staticmethod
    def _visible(event: Any) -> dict[str, Any]:
        """What a client shows: the decrypted content with the event's id and sender."""
        source = dict(event.source)
        source.setdefault("event_id", event.event_id)
        source.setdefault("sender", event.sender)
        return source

    def say(self, room_id: str, text: str) -> str:
        return self.send(room_id, {"msgtype": "m.text", "body": text})

    def set_power_level(self, room_id: str, user_id: str, level: int) -> None:
        path = f"/_matrix/client/v3/rooms/{_q(room_id)}/state/m.room.power_levels/"
        levels = self.call("GET", path)
        levels.setdefault("users", {})[user_id] = level
        self.call("PUT", path, levels)

    def messages(self, room_id: str, limit: int = 200) -> list[dict[str, Any]]:
        """The room's m.room.message events, oldest first."""
        path = f"/_matrix/client/v3/rooms/{_q(room_id)}/messages?dir=b&limit={limit}"
        events = self.call("GET", path)["chunk"]
        return [e for e in reversed(events) if e.get("type") == "m.room.message"]

    def members(self, room_id: str) -> dict[str, str]:
        path = f"/_matrix/client/v3/rooms/{_q(room_id)}/members"
        return {e["state_key"]: e["content"].get("membership", "") for e in self.call("GET", path)["chunk"]}

    def wait_for(
        self,
        room_id: str,
        predicate: Callable[[dict[str, Any]], bool],
        *,
        timeout: float = 20.0,
        what: str = "a message",
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            found = [e for e in self.messages(room_id) if predicate(e)]
            if found:
                return found[-1]
            if time.monotonic() > deadline:
                shown = [(e["sender"], e["content"].get("body", "")[:80]) for e in self.messages(room_id)]
                raise AssertionError(f"no {what} in {room_id} after {timeout:.0f}s; the room has: {shown}")
            time.sleep(0.2)


@dataclass
class Synapse:
    base_url: str
    secret: str
    directory: Path
    process: subprocess.Popen[bytes]

    def register(self, localpart: str, *, admin: bool = False) -> MatrixUser:
        """A new user with a password and an access token (shared-secret registration)."""
        localpart = f"{localpart}-{uuid.uuid4().hex[:6]}"
        password = uuid.uuid4().hex
        path = "/_synapse/admin/v1/register"
        nonce = request(self.base_url, "GET", path)["nonce"]
        mac = hmac.new(self.secret.encode(), digestmod=hashlib.sha1)
        mac.update(f"{nonce}\0{localpart}\0{password}\0{'admin' if admin else 'notadmin'}".encode())
        result = request(
            self.base_url,
            "POST",
            path,
            {
                "nonce": nonce,
                "username": localpart,
                "password": password,
                "admin": admin,
                "mac": mac.hexdigest(),
            },
        )
        return MatrixUser(self.base_url, result["user_id"], result["access_token"], password)

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join((self.directory / "homeserver.log").read_text().splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.directory, ignore_errors=True)


def _write_signing_key(path: Path) -> None:
    import signedjson.key

    key = signedjson.key.generate_signing_key("a_test")
    with path.open("w") as handle:
        signedjson.key.write_signing_keys(handle, [key])


def start_synapse() -> Synapse:
    """Start Synapse and wait until it answers; raises RuntimeError with the reason if it cannot."""
    directory = Path(tempfile.mkdtemp(prefix="newsbot-synapse-"))
    port = _free_port()
    secret = uuid.uuid4().hex
    config = homeserver_config(directory, port, secret)
    (directory / "log.yaml").write_text(LOG_CONFIG.format(path=directory / "homeserver.log"))
    # JSON is YAML: Synapse reads this file as it is.
    (directory / "homeserver.yaml").write_text(json.dumps(config, indent=2))
    try:
        _write_signing_key(directory / "signing.key")
    except ImportError:
        generate = subprocess.run(
            [
                sys.executable,
                "-m",
                "synapse.app.homeserver",
                "-c",
                str(directory / "homeserver.yaml"),
                "--generate-keys",
            ],
            capture_output=True,
            timeout=60,
            check=False,
        )
        if generate.returncode != 0:
            raise RuntimeError(f"synapse --generate-keys failed: {generate.stderr.decode()[-500:]}") from None
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "synapse.app.homeserver", "-c", str(directory / "homeserver.yaml")],
        cwd=directory,
        stdout=subprocess.DEVNULL,
        stderr=(directory / "stderr.log").open("wb"),
        env=env,
    )
    server = Synapse(f"http://127.0.0.1:{port}", secret, directory, process)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            stderr = (directory / "stderr.log").read_text(errors="replace")[-1500:]
            server.stop()
            raise RuntimeError(f"Synapse exited with {process.returncode}: {stderr or server.log_tail()}")
        try:
            request(server.base_url, "GET", "/_matrix/client/versions")
            return server
        except (OSError, HttpError):
            time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"Synapse did not answer within {START_TIMEOUT:.0f}s")


_SERVER: Synapse | None = None
_FAILURE: str | None = None


def _shared_synapse() -> Synapse:
    """One Synapse per test session, whichever module asks first."""
    global _SERVER, _FAILURE
    if _SERVER is None and _FAILURE is None:
        try:
            _SERVER = start_synapse()
        except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
            _FAILURE = str(exc)
        else:
            atexit.register(_SERVER.stop)
    if _SERVER is None:
        require_service("Synapse (python -m synapse.app.homeserver)", _FAILURE or "did not start")
    assert _SERVER is not None
    if _SERVER.process.poll() is not None:
        pytest.fail(f"Synapse died during the tests: {_SERVER.log_tail()}")
    return _SERVER


@pytest.fixture(scope="session")
def synapse() -> Iterator[Synapse]:
    yield _shared_synapse()


class EncryptedClient:
    """A person's end-to-end encrypting client (nio with vodozemac, as Element would be): one device
    of `user`, syncing on an event loop of its own, trusting every device it sees, and keeping the
    room messages it could decrypt (and those it could not)."""

    def __init__(
        self,
        server: Synapse,
        user: MatrixUser,
        store: Path,
        *,
        device_name: str = "phone",
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        """`loop`: run on this (running) loop instead of a thread of its own. nio's SQLite stores
        bind their tables per call, process-wide: two stores used from two threads at once (the
        bot's and this one, in one test process) trip over each other, one thread is safe."""
        from nio import AsyncClient, AsyncClientConfig, LoginResponse
        from nio.store import SqliteStore

        self.user = user
        store.mkdir(parents=True, exist_ok=True)
        self.own_loop = loop is None
        self.loop = loop or asyncio.new_event_loop()
        if self.own_loop:
            self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
            self.thread.start()
        config = AsyncClientConfig(encryption_enabled=True, store=SqliteStore, store_sync_tokens=True)
        self.client = AsyncClient(server.base_url, user.user_id, store_path=str(store), config=config)
        login = self.run(self.client.login(user.password, device_name=device_name))
        assert isinstance(login, LoginResponse), login
        self.device_id = str(login.device_id)
        self.decrypted: list[tuple[str, dict[str, Any]]] = []  # (room id, event source), oldest first
        self.undecryptable: list[tuple[str, dict[str, Any]]] = []
        self._pending: list[tuple[str, Any]] = []
        self._stop = False
        self._task = asyncio.run_coroutine_threadsafe(self._sync_loop(), self.loop)

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    async def _sync_loop(self) -> None:
        from nio import MegolmEvent, SyncResponse

        client = self.client
        while not self._stop:
            response = await client.sync(timeout=300, full_state=not client.next_batch or None)
            if not isinstance(response, SyncResponse):
                await asyncio.sleep(0.2)
                continue
            if client.should_upload_keys:
                await client.keys_upload()
            if client.should_query_keys:
                await client.keys_query()
            if client.should_claim_keys:
                await client.keys_claim(client.get_users_for_key_claiming())
            await client.send_to_device_messages()
            for device in list(client.device_store):
                if not client.olm.is_device_verified(device):
                    client.verify_device(device)
            for room_id, info in response.rooms.join.items():
                self._pending.extend((room_id, event) for event in info.timeline.events)
            still: list[tuple[str, Any]] = []
            for room_id, event in self._pending:
                if isinstance(event, MegolmEvent):  # the key may come later: try again next round
                    event.room_id = room_id
                    try:
                        event = client.decrypt_event(event)
                    except Exception:
                        still.append((room_id, event))
                        continue
                if isinstance(event, MegolmEvent):
                    still.append((room_id, event))
                elif getattr(event, "decrypted", False):  # plain messages don't count as readable here
                    self.decrypted.append((room_id, self._visible(event)))
            self.undecryptable = [(room_id, e.source) for room_id, e in still]
            self._pending = still

    @staticmethod
    def _visible(event: Any) -> dict[str, Any]:
        """What a client shows: the decrypted content with the event's id and sender."""
        source = dict(event.source)
        source.setdefault("event_id", event.event_id)
        source.setdefault("sender", event.sender)
        return source

    def say(self, room_id: str, text: str) -> str:
        """Send `text` encrypted; returns its event id."""
        from nio import RoomSendResponse

        async def send() -> Any:
            if self.client.should_query_keys:
                await self.client.keys_query()
            return await self.client.room_send(
                room_id, "m.room.message", {"msgtype": "m.text", "body": text}, ignore_unverified_devices=True
            )

        deadline = time.monotonic() + 20
        while True:
            try:
                response = self.run(send())
            except Exception:  # the room is not synced yet
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
                continue
            assert isinstance(response, RoomSendResponse), response
            return str(response.event_id)

    def wait_for(
        self,
        room_id: str,
        predicate: Callable[[dict[str, Any]], bool],
        *,
        timeout: float = 20.0,
        what: str = "a message",
    ) -> dict[str, Any]:
        """The newest decrypted event of the room that matches."""
        deadline = time.monotonic() + timeout
        while True:
            found = [e for r, e in list(self.decrypted) if r == room_id and predicate(e)]
            if found:
                return found[-1]
            if time.monotonic() > deadline:
                shown = [(e["sender"], e["content"].get("body", "")[:80]) for r, e in self.decrypted]
                raise AssertionError(
                    f"no {what} decrypted in {room_id} after {timeout:.0f}s; decrypted: {shown}; "
                    f"undecryptable: {len(self.undecryptable)}"
                )
            time.sleep(0.2)

    def close(self) -> None:
        self._stop = True
        with contextlib.suppress(Exception):
            self._task.result(5)
        self.run(self.client.close())
        if self.own_loop:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(5)
