"""The in-memory store's tables: dicts of the SQL tables' columns, ids from one counter."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.store.rows import SubscriptionRow

POSTED_KINDS = ("alert", "followup")


def same_name(value: str | None, name: str) -> bool:
    """A topic name as the SQL store compares it: exactly, or in another case."""
    return value is not None and (value == name or value.lower() == name.lower())


class MemoryTables:
    """The rows every aggregate of the in-memory store reads and writes."""

    def __init__(self) -> None:
        self._feeds: dict[int, dict[str, Any]] = {}
        self._entries: dict[int, dict[str, Any]] = {}
        self._entry_ids: dict[tuple[int, str], int] = {}  # the (feed, key) unique key
        self._alerts: dict[int, dict[str, Any]] = {}
        self._subscriptions: dict[int, SubscriptionRow] = {}
        self._settings: dict[str, dict[str, Any]] = {}
        self._feedback: list[dict[str, Any]] = []
        self._last_id = 0

    def _next_id(self) -> int:
        self._last_id += 1
        return self._last_id

    def _add_alert(
        self, channel: str, kind: str, payload: dict[str, Any], now: datetime, **columns: Any
    ) -> int:
        alert_id = self._next_id()
        self._alerts[alert_id] = {
            "id": alert_id,
            "channel": channel,
            "kind": kind,
            "payload": payload,
            "entry_id": None,
            "story": None,
            "topic": None,
            "parent_id": None,
            "status": "pending",
            "attempts": 0,
            "last_error": None,
            "message_id": None,
            "created_at": now,
            "not_before": None,
            "sent_at": None,
            **columns,
        }
        return alert_id
