"""The outbox in memory: claimed in order per channel, sent, retried or given up."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from bot.store.memory.tables import POSTED_KINDS, MemoryTables
from bot.store.outbox import claimed_row
from bot.store.rows import OutboxRow


class MemoryOutbox(MemoryTables):
    """The outbox as the deliverer works it, as `SQLOutboxStore` keeps it."""

    def story_parents(
        self, channel_story: Iterable[tuple[str, str]]
    ) -> dict[tuple[str, str], tuple[int, dict[str, Any]]]:
        """For (channel, story) pairs: the parent alert's id and its payload, or that of its latest
        edit of the same story."""
        pairs = set(channel_story)
        channels, stories = {channel for channel, _ in pairs}, {story for _, story in pairs}
        rows = [
            row for row in self._alerts.values() if row["channel"] in channels and row["story"] in stories
        ]
        found: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {}
        for row in rows:
            key = (row["channel"], row["story"])
            if row["kind"] == "alert" and key in pairs and key not in found:
                found[key] = (row["id"], row["payload"])
        parents = {alert_id for alert_id, _ in found.values()}
        latest = {
            row["parent_id"]: row["payload"]
            for row in rows
            if row["kind"] == "edit" and row["parent_id"] in parents
        }
        return {key: (pid, latest.get(pid, payload)) for key, (pid, payload) in found.items()}

    def add_notice(self, channel: str, text: str, now: datetime) -> None:
        self._add_alert(channel, "notice", {"text": text}, now)

    def pending_channels(self, now: datetime) -> list[str]:
        paused = {channel for channel, row in self._settings.items() if row["paused_reason"] is not None}
        return sorted(
            {
                row["channel"]
                for row in self._alerts.values()
                if row["status"] == "pending"
                and (row["not_before"] is None or row["not_before"] <= now)
                and row["channel"] not in paused
            }
        )

    @contextmanager
    def channel_lock(self, channel: str) -> Iterator[bool]:
        """Always granted: the one process holding the store is the only deliverer."""
        yield True

    def _pending(self, channel: str) -> list[dict[str, Any]]:
        return [
            row for row in self._alerts.values() if row["channel"] == channel and row["status"] == "pending"
        ]

    def claim_next(self, channel: str, now: datetime) -> OutboxRow | None:
        """The oldest sendable pending row of a channel, claimed; a waiting alert or follow-up holds
        back the later ones, edits and notices hold nothing back, an orphan's edit is given up."""
        for row in self._pending(channel)[:50]:  # as many as the SQL store looks at
            parent = self._alerts.get(row["parent_id"]) if row["parent_id"] is not None else None
            orphan = parent is not None and parent["status"] == "failed"
            if orphan and row["kind"] == "edit":
                row.update(status="failed", last_error="its alert could not be sent")
                continue
            waiting = row["not_before"] is not None and row["not_before"] > now
            needs_parent = row["kind"] in ("followup", "edit") and row["parent_id"] is not None and not orphan
            if waiting or (needs_parent and (parent is None or parent["message_id"] is None)):
                if row["kind"] in POSTED_KINDS:
                    return None
                continue
            return self._claim(row, now, orphan=orphan)
        return None

    def _claim(self, row: dict[str, Any], now: datetime, *, orphan: bool = False) -> OutboxRow:
        parent = self._alerts.get(row["parent_id"]) if row["parent_id"] is not None else None
        claimed = claimed_row(
            {**row, "parent_message_id": parent and parent["message_id"]}, now, orphan=orphan
        )
        row["status"], row["attempts"] = "claimed", claimed.attempts
        return claimed

    def claim_waiting(self, channel: str, now: datetime) -> list[OutboxRow]:
        return [self._claim(row, now) for row in self._pending(channel)]

    def mark_digest_sent(
        self, channel: str, alert_ids: Sequence[int], message_id: str | None, now: datetime
    ) -> None:
        for alert_id in alert_ids:
            self._alerts[alert_id].update(status="sent", message_id=message_id, sent_at=now, last_error=None)
        if channel in self._settings:
            self._settings[channel]["last_digest_at"] = now

    def mark_sent(self, alert_id: int, message_id: str, now: datetime) -> None:
        self._alerts[alert_id].update(status="sent", message_id=message_id, sent_at=now, last_error=None)

    def mark_retry(self, alert_id: int, error: str, not_before: datetime, *, give_up: bool = False) -> None:
        status = "failed" if give_up else "pending"
        self._alerts[alert_id].update(status=status, last_error=error, not_before=not_before)
