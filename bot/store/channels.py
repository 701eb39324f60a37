"""Channels in SQL: subscriptions, settings (threads, delivery, switches, pauses), readers' feedback."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from bot.core.windows import DEFAULT_DIGEST_AT, DeliveryPrefs
from bot.model import JudgedAlert
from bot.store.base import StoreBase, aware, row_as
from bot.store.rows import NewSubscription, SubscriptionRow
from bot.store.schema import alerts, channel_settings, entries, feedback, subscriptions


def _judged(row: Any, relevant: bool | None) -> JudgedAlert:
    payload = row.payload or {}
    return JudgedAlert(
        relevant=relevant,
        title=str(payload.get("title") or ""),
        summary=row.summary or "",
        source=str(payload.get("source") or ""),
    )


class SQLChannelStore(StoreBase):
    """What a channel asked for and what its readers said about the alerts it got."""

    def add_subscription(self, new: NewSubscription, now: datetime) -> bool:
        """False when the channel already tracks a topic of that name (the stored one is updated)."""
        with self._tx() as conn:
            existing = conn.execute(
                select(subscriptions.c.id).where(
                    subscriptions.c.channel == new.channel, subscriptions.c.name == new.name
                )
            ).first()
            if existing is not None:
                conn.execute(
                    update(subscriptions)
                    .where(subscriptions.c.id == existing.id)
                    .values(query=new.query, threshold=new.threshold, lang=new.lang)
                )
                return False
            conn.execute(insert(subscriptions).values(**asdict(new), created_at=now))
            return True

    def remove_subscription(self, channel: str, name: str) -> bool:
        with self._tx() as conn:
            query = subscriptions.delete().where(subscriptions.c.channel == channel, _named(name))
            return conn.execute(query).rowcount > 0

    def mute_subscription(self, channel: str, name: str, until: datetime | None) -> bool:
        """Mute a channel's topic until `until` (None unmutes); False when there is no such topic."""
        with self._tx() as conn:
            result = conn.execute(
                update(subscriptions)
                .where(subscriptions.c.channel == channel, _named(name))
                .values(muted_until=until)
            )
            return result.rowcount > 0

    def subscription(self, channel: str, name: str) -> SubscriptionRow | None:
        """The channel's topic of this name in any case (`nordkorea` is `Nordkorea`, also `Österreich`
        as `österreich`, which SQLite's ASCII-only lower() would miss)."""
        wanted = name.strip().casefold()
        return next((s for s in self.list_subscriptions(channel) if s.name.casefold() == wanted), None)

    def list_subscriptions(self, channel: str | None = None) -> list[SubscriptionRow]:
        query = select(subscriptions).order_by(subscriptions.c.channel, subscriptions.c.id)
        if channel is not None:
            query = query.where(subscriptions.c.channel == channel)
        with self._tx() as conn:
            return [row_as(SubscriptionRow, r) for r in conn.execute(query).mappings()]

    def add_feedback(
        self, channel: str, topic: str, alert_key: str, user: str | None, kind: str, now: datetime
    ) -> bool:
        """Record a reader's verdict on an alert; False when that reader already gave it."""
        try:
            with self._tx() as conn:
                conn.execute(
                    insert(feedback).values(
                        channel=channel,
                        topic=topic,
                        alert_key=alert_key,
                        user=user,
                        kind=kind,
                        created_at=now,
                    )
                )
        except IntegrityError:
            return False
        return True

    def feedback_counts(self, channel: str, kind: str = "not_relevant") -> dict[str, int]:
        """Per topic of a channel, how many alerts readers marked so."""
        with self._tx() as conn:
            rows = conn.execute(
                select(feedback.c.topic, func.count())
                .where(feedback.c.channel == channel, feedback.c.kind == kind)
                .group_by(feedback.c.topic)
            )
            return {topic: count for topic, count in rows}

    def verdicts(self, channel: str, topic: str) -> list[JudgedAlert]:
        """Readers' verdicts on a subscription's alerts, each with the alert's story text.

        Per alert the latest verdict counts; a verdict on an alert that no longer exists is left out.
        """
        with self._tx() as conn:
            rows = conn.execute(
                select(feedback.c.alert_key, feedback.c.kind, alerts.c.payload, entries.c.summary)
                .join(
                    alerts,
                    and_(alerts.c.channel == feedback.c.channel, alerts.c.message_id == feedback.c.alert_key),
                )
                .outerjoin(entries, entries.c.id == alerts.c.entry_id)
                .where(
                    feedback.c.channel == channel,
                    _same_name(feedback.c.topic, topic),
                    feedback.c.kind.in_(("relevant", "not_relevant")),
                    alerts.c.kind.in_(("alert", "followup")),
                )
                .order_by(feedback.c.id)
            )
            latest = {r.alert_key: _judged(r, r.kind == "relevant") for r in rows}
        return list(latest.values())

    def unjudged_alerts(self, channel: str, topic: str, since: datetime) -> list[JudgedAlert]:
        """A subscription's recent parent alerts that no reader judged (at most 500, newest first)."""
        judged = select(feedback.c.alert_key).where(feedback.c.channel == channel)
        with self._tx() as conn:
            rows = conn.execute(
                select(alerts.c.message_id.label("alert_key"), alerts.c.payload, entries.c.summary)
                .outerjoin(entries, entries.c.id == alerts.c.entry_id)
                .where(
                    alerts.c.channel == channel,
                    alerts.c.kind == "alert",
                    _same_name(alerts.c.topic, topic),
                    alerts.c.created_at >= since,
                    or_(alerts.c.message_id.is_(None), alerts.c.message_id.not_in(judged)),
                )
                .order_by(alerts.c.id.desc())
                .limit(500)
            )
            return [_judged(r, None) for r in rows]

    def forget_feedback(self, channel: str, topic: str) -> int:
        """Drop every verdict on a subscription's alerts (what was learned from them goes too)."""
        with self._tx() as conn:
            result = conn.execute(
                delete(feedback).where(feedback.c.channel == channel, _same_name(feedback.c.topic, topic))
            )
            return int(result.rowcount or 0)

    def alert_by_message(self, channel: str, message_id: str) -> dict[str, Any] | None:
        """The payload of the alert or reply posted as that message in the channel."""
        with self._tx() as conn:
            row = conn.execute(
                select(alerts.c.payload)
                .where(
                    alerts.c.channel == channel,
                    alerts.c.message_id == message_id,
                    alerts.c.kind.in_(("alert", "followup")),
                )
                .order_by(alerts.c.id)
                .limit(1)
            ).first()
            return dict(row.payload) if row is not None else None

    def latest_alert_message(self, channel: str, message_id: str | None = None) -> str | None:
        """The message id of the thread's alert (`message_id`) if it exists, else of the latest alert."""
        query = select(alerts.c.message_id).where(
            alerts.c.channel == channel,
            alerts.c.kind.in_(("alert", "followup")),
            alerts.c.status == "sent",
            alerts.c.message_id.is_not(None),
        )
        if message_id is not None:
            query = query.where(alerts.c.message_id == message_id)
        with self._tx() as conn:
            row = conn.execute(query.order_by(alerts.c.id.desc()).limit(1)).first()
            return str(row.message_id) if row is not None else None

    def last_alert(self, channel: str, message_id: str | None = None) -> dict[str, Any] | None:
        """The payload of the alert with that message id in the channel, else of its latest alert."""
        query = select(alerts.c.payload).where(
            alerts.c.channel == channel, alerts.c.kind.in_(("alert", "followup")), alerts.c.status == "sent"
        )
        if message_id is not None:
            query = query.where(alerts.c.message_id == message_id)
        with self._tx() as conn:
            row = conn.execute(query.order_by(alerts.c.id.desc()).limit(1)).first()
            return dict(row.payload) if row is not None else None

    def story_starts(self, channel: str, topic: str, since: datetime) -> list[str]:
        """The stories a subscription alerted on since then (its parent alerts), newest first."""
        with self._tx() as conn:
            rows = conn.execute(
                select(alerts.c.story)
                .where(
                    alerts.c.channel == channel,
                    alerts.c.kind == "alert",
                    _same_name(alerts.c.topic, topic),
                    alerts.c.created_at >= since,
                    alerts.c.story.is_not(None),
                )
                .order_by(alerts.c.id.desc())
                .limit(200)
            )
            return [r.story for r in rows]

    def channel_switches(self) -> dict[str, tuple[bool, bool]]:
        """Channels that let the bot learn or announce breaking stories: (learn, breaking)."""
        with self._tx() as conn:
            rows = conn.execute(
                select(channel_settings.c.channel, channel_settings.c.learn, channel_settings.c.breaking)
            )
            return {r.channel: (bool(r.learn), bool(r.breaking)) for r in rows if r.learn or r.breaking}

    def set_channel_switch(self, channel: str, **values: bool) -> None:
        """Turn `learn` or `breaking` on or off for a channel."""
        self._set_channel(channel, **values)

    def thread_modes(self) -> dict[str, str]:
        """Channels whose thread mode is not the default `thread`."""
        with self._tx() as conn:
            return {r.channel: r.thread_mode for r in conn.execute(select(channel_settings))}

    def _set_channel(self, channel: str, **values: Any) -> None:
        with self._tx() as conn:
            updated = conn.execute(
                update(channel_settings).where(channel_settings.c.channel == channel).values(**values)
            )
            if updated.rowcount == 0:
                conn.execute(
                    insert(channel_settings).values(channel=channel, **{"thread_mode": "thread", **values})
                )

    def set_thread_mode(self, channel: str, mode: str) -> None:
        self._set_channel(channel, thread_mode=mode)

    def delivery_prefs(self) -> dict[str, DeliveryPrefs]:
        """Every channel with settings, and when it wants its alerts (quiet hours, digest, zone)."""
        with self._tx() as conn:
            return {
                r.channel: DeliveryPrefs(
                    timezone=r.timezone or "UTC",
                    quiet_start=r.quiet_start if r.quiet_end else None,
                    quiet_end=r.quiet_end if r.quiet_start else None,
                    digest=r.digest or "off",
                    digest_at=r.digest_at or DEFAULT_DIGEST_AT,
                    last_digest_at=aware(r.last_digest_at),
                )
                for r in conn.execute(select(channel_settings))
            }

    def set_delivery_prefs(self, channel: str, **values: Any) -> None:
        """Change some of a channel's delivery preferences (columns of channel_settings)."""
        self._set_channel(channel, **values)

    def pause_channel(self, channel: str, reason: str) -> None:
        self._set_channel(channel, paused_reason=reason)

    def resume_channel(self, channel: str) -> bool:
        """True when the channel was paused."""
        with self._tx() as conn:
            result = conn.execute(
                update(channel_settings)
                .where(channel_settings.c.channel == channel, channel_settings.c.paused_reason.is_not(None))
                .values(paused_reason=None)
            )
            return result.rowcount > 0

    def paused_channels(self) -> dict[str, str]:
        """Paused channels with the reason."""
        with self._tx() as conn:
            rows = conn.execute(
                select(channel_settings.c.channel, channel_settings.c.paused_reason).where(
                    channel_settings.c.paused_reason.is_not(None)
                )
            )
            return {r.channel: r.paused_reason for r in rows}


def _named(name: str) -> ColumnElement[bool]:
    """A subscription of this name: exactly, or in another case."""
    return _same_name(subscriptions.c.name, name)


def _same_name(column: ColumnElement[str], name: str) -> ColumnElement[bool]:
    """A topic name in a column: exactly, or in another case (SQLite's lower() is ASCII-only, so a
    name like "Österreich" must also match as given)."""
    return or_(column == name, func.lower(column) == name.lower())
