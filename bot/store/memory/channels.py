"""Channels in memory: subscriptions, settings, the alerts they were sent, readers' feedback."""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import datetime
from typing import Any

from bot.core.windows import DEFAULT_DIGEST_AT, DeliveryPrefs
from bot.model import JudgedAlert
from bot.store.memory.tables import POSTED_KINDS, MemoryTables, same_name
from bot.store.rows import NewSubscription, SubscriptionRow

SETTINGS_DEFAULTS: dict[str, Any] = {
    "thread_mode": "thread",
    "paused_reason": None,
    "timezone": None,
    "quiet_start": None,
    "quiet_end": None,
    "digest": None,
    "digest_at": None,
    "last_digest_at": None,
    "learn": False,
    "breaking": False,
}
VERDICT_KINDS = ("relevant", "not_relevant")


class MemoryChannels(MemoryTables):
    """What a channel asked for and what its readers said, as `SQLChannelStore` keeps it."""

    def list_subscriptions(self, channel: str | None = None) -> list[SubscriptionRow]:
        rows = [row for row in self._subscriptions.values() if channel is None or row.channel == channel]
        return sorted(rows, key=lambda row: (row.channel, row.id))

    def subscription(self, channel: str, name: str) -> SubscriptionRow | None:
        wanted = name.strip().casefold()
        return next((s for s in self.list_subscriptions(channel) if s.name.casefold() == wanted), None)

    def add_subscription(self, new: NewSubscription, now: datetime) -> bool:
        """False when the channel already tracks a topic of exactly that name (it is updated)."""
        for row in self._subscriptions.values():
            if row.channel == new.channel and row.name == new.name:
                self._subscriptions[row.id] = replace(
                    row, query=new.query, threshold=new.threshold, lang=new.lang
                )
                return False
        row_id = self._next_id()
        self._subscriptions[row_id] = SubscriptionRow(row_id, **asdict(new))
        return True

    def _named(self, channel: str, name: str) -> list[SubscriptionRow]:
        return [
            row
            for row in self._subscriptions.values()
            if row.channel == channel and same_name(row.name, name)
        ]

    def remove_subscription(self, channel: str, name: str) -> bool:
        found = self._named(channel, name)
        for row in found:
            del self._subscriptions[row.id]
        return bool(found)

    def mute_subscription(self, channel: str, name: str, until: datetime | None) -> bool:
        found = self._named(channel, name)
        for row in found:
            self._subscriptions[row.id] = replace(row, muted_until=until)
        return bool(found)

    def _set_channel(self, channel: str, **values: Any) -> None:
        self._settings.setdefault(channel, dict(SETTINGS_DEFAULTS)).update(values)

    def paused_channels(self) -> dict[str, str]:
        return {
            ch: row["paused_reason"] for ch, row in self._settings.items() if row["paused_reason"] is not None
        }

    def pause_channel(self, channel: str, reason: str) -> None:
        self._set_channel(channel, paused_reason=reason)

    def resume_channel(self, channel: str) -> bool:
        """True when the channel was paused."""
        if channel not in self.paused_channels():
            return False
        self._settings[channel]["paused_reason"] = None
        return True

    def thread_modes(self) -> dict[str, str]:
        return {channel: row["thread_mode"] for channel, row in self._settings.items()}

    def set_thread_mode(self, channel: str, mode: str) -> None:
        self._set_channel(channel, thread_mode=mode)

    def delivery_prefs(self) -> dict[str, DeliveryPrefs]:
        return {
            channel: DeliveryPrefs(
                timezone=row["timezone"] or "UTC",
                quiet_start=row["quiet_start"] if row["quiet_end"] else None,
                quiet_end=row["quiet_end"] if row["quiet_start"] else None,
                digest=row["digest"] or "off",
                digest_at=row["digest_at"] or DEFAULT_DIGEST_AT,
                last_digest_at=row["last_digest_at"],
            )
            for channel, row in self._settings.items()
        }

    def set_delivery_prefs(self, channel: str, **values: Any) -> None:
        self._set_channel(channel, **values)

    def channel_switches(self) -> dict[str, tuple[bool, bool]]:
        return {
            channel: (bool(row["learn"]), bool(row["breaking"]))
            for channel, row in self._settings.items()
            if row["learn"] or row["breaking"]
        }

    def set_channel_switch(self, channel: str, **values: bool) -> None:
        self._set_channel(channel, **values)

    def _posted(self, channel: str, message_id: str | None) -> list[dict[str, Any]]:
        """The channel's sent alerts and replies (with that message id when given), newest first."""
        return [
            row
            for row in reversed(self._alerts.values())
            if row["channel"] == channel
            and row["kind"] in POSTED_KINDS
            and row["status"] == "sent"
            and row["message_id"] is not None
            and (message_id is None or row["message_id"] == message_id)
        ]

    def latest_alert_message(self, channel: str, message_id: str | None = None) -> str | None:
        found = self._posted(channel, message_id)
        return str(found[0]["message_id"]) if found else None

    def last_alert(self, channel: str, message_id: str | None = None) -> dict[str, Any] | None:
        found = self._posted(channel, message_id)
        return dict(found[0]["payload"]) if found else None

    def _parents(self, channel: str, topic: str, since: datetime) -> list[dict[str, Any]]:
        """A subscription's parent alerts since then, newest first."""
        return [
            row
            for row in reversed(self._alerts.values())
            if row["channel"] == channel
            and row["kind"] == "alert"
            and same_name(row["topic"], topic)
            and row["created_at"] >= since
        ]

    def story_starts(self, channel: str, topic: str, since: datetime) -> list[str]:
        return [row["story"] for row in self._parents(channel, topic, since) if row["story"] is not None][
            :200
        ]

    def add_feedback(
        self, channel: str, topic: str, alert_key: str, user: str | None, kind: str, now: datetime
    ) -> bool:
        """False when that reader already gave it (an unknown reader never repeats, as in SQL)."""
        once = (channel, alert_key, user, kind)
        if user is not None and any(
            (row["channel"], row["alert_key"], row["user"], row["kind"]) == once for row in self._feedback
        ):
            return False
        self._feedback.append(
            {
                "channel": channel,
                "topic": topic,
                "alert_key": alert_key,
                "user": user,
                "kind": kind,
                "at": now,
            }
        )
        return True

    def feedback_counts(self, channel: str, kind: str = "not_relevant") -> dict[str, int]:
        counts: dict[str, int] = {}
        for row in self._feedback:
            if row["channel"] == channel and row["kind"] == kind:
                counts[row["topic"]] = counts.get(row["topic"], 0) + 1
        return counts

    def _judged(self, alert: dict[str, Any], relevant: bool | None) -> JudgedAlert:
        entry = self._entries.get(alert["entry_id"]) if alert["entry_id"] is not None else None
        payload = alert["payload"] or {}
        return JudgedAlert(
            relevant=relevant,
            title=str(payload.get("title") or ""),
            summary=(entry["summary"] if entry else "") or "",
            source=str(payload.get("source") or ""),
        )

    def verdicts(self, channel: str, topic: str) -> list[JudgedAlert]:
        """Per judged alert (or reply) of a subscription its latest verdict, with the alert's text."""
        latest: dict[str, JudgedAlert] = {}
        for row in self._feedback:
            if (
                row["channel"] != channel
                or row["kind"] not in VERDICT_KINDS
                or not same_name(row["topic"], topic)
            ):
                continue
            for alert in self._alerts.values():
                if (
                    alert["channel"] == channel
                    and alert["message_id"] == row["alert_key"]
                    and alert["kind"] in POSTED_KINDS
                ):
                    latest[row["alert_key"]] = self._judged(alert, row["kind"] == "relevant")
        return list(latest.values())

    def unjudged_alerts(self, channel: str, topic: str, since: datetime) -> list[JudgedAlert]:
        judged = {row["alert_key"] for row in self._feedback if row["channel"] == channel}
        unjudged = [row for row in self._parents(channel, topic, since) if row["message_id"] not in judged]
        return [self._judged(row, None) for row in unjudged[:500]]

    def alert_by_message(self, channel: str, message_id: str) -> dict[str, Any] | None:
        for row in self._alerts.values():
            if row["channel"] == channel and row["message_id"] == message_id and row["kind"] in POSTED_KINDS:
                return dict(row["payload"])
        return None

    def forget_feedback(self, channel: str, topic: str) -> int:
        kept = [
            row for row in self._feedback if row["channel"] != channel or not same_name(row["topic"], topic)
        ]
        forgotten = len(self._feedback) - len(kept)
        self._feedback = kept
        return forgotten
