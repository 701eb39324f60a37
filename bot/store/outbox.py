"""The outbox in SQL: claims in order per channel, retries, digests, and releasing a dead process's claims."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update

from bot.store.base import StoreBase, aware, row_as
from bot.store.rows import OutboxRow
from bot.store.schema import alerts, channel_settings, feeds


class SQLOutboxStore(StoreBase):
    """The alerts table as the deliverer works it, with one deliverer per channel."""

    @contextmanager
    def channel_lock(self, channel: str) -> Iterator[bool]:
        """Whether this process may deliver to `channel` now: one deliverer per channel at a time.

        PostgreSQL: a session advisory lock held for the block. SQLite: one process claims (its
        writes are serialised anyway), so the lock is always granted.
        """
        if self.is_sqlite:
            yield True
            return
        with self.engine.connect() as conn:
            got = bool(
                conn.execute(select(func.pg_try_advisory_lock(func.hashtextextended(channel, 0)))).scalar()
            )
            conn.commit()
            try:
                yield got
            finally:
                if got:
                    conn.execute(select(func.pg_advisory_unlock(func.hashtextextended(channel, 0))))
                    conn.commit()

    def story_parents(
        self, channel_story: Iterable[tuple[str, str]]
    ) -> dict[tuple[str, str], tuple[int, dict[str, Any]]]:
        """For (channel, story) pairs: the parent alert's id and its payload, where one exists."""
        pairs = set(channel_story)
        if not pairs:
            return {}
        found: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {}
        stories = {story for _, story in pairs}
        channels = {channel for channel, _ in pairs}
        with self._tx() as conn:
            # by the (channel, story) index, not a scan of every alert ever written; the few rows of
            # a story in a channel (its alert, replies and edits) are told apart here
            rows = list(
                conn.execute(
                    select(
                        alerts.c.id,
                        alerts.c.channel,
                        alerts.c.story,
                        alerts.c.kind,
                        alerts.c.parent_id,
                        alerts.c.payload,
                    )
                    .where(alerts.c.channel.in_(channels), alerts.c.story.in_(stories))
                    .order_by(alerts.c.id)
                )
            )
        for r in rows:
            key = (r.channel, r.story)
            if r.kind == "alert" and key in pairs and key not in found:
                found[key] = (r.id, r.payload)
        parents = {alert_id for alert_id, _ in found.values()}
        latest = {r.parent_id: r.payload for r in rows if r.kind == "edit" and r.parent_id in parents}
        return {key: (pid, latest.get(pid, payload)) for key, (pid, payload) in found.items()}

    def alert_story(self, alert_id: int) -> str | None:
        """The story an outbox row belongs to (a chat puts it in the message's metadata)."""
        with self._tx() as conn:
            story = conn.execute(select(alerts.c.story).where(alerts.c.id == alert_id)).scalar()
            return str(story) if story is not None else None

    def add_notice(self, channel: str, text: str, now: datetime) -> None:
        with self._tx() as conn:
            conn.execute(
                insert(alerts).values(
                    channel=channel,
                    kind="notice",
                    payload={"text": text},
                    status="pending",
                    attempts=0,
                    created_at=now,
                )
            )

    def release_claims(self) -> int:
        """After a restart of the one bot process: what the dead process held is free again.

        Claimed-but-unconfirmed alerts become pending, to be resent (the chat adapters look
        before they resend, so a message that did arrive is not doubled); returns their number.
        Feed leases are released too: the dead process will never finish those polls, and
        waiting for its leases to expire would stop all polling for minutes after a crash.
        (A second poller of a feed doubles nothing; entries and alerts are unique.)
        """
        with self._tx() as conn:
            result = conn.execute(update(alerts).where(alerts.c.status == "claimed").values(status="pending"))
            conn.execute(
                update(feeds)
                .where(feeds.c.lease_until.is_not(None))
                .values(lease_owner=None, lease_until=None)
            )
            return result.rowcount

    def release_orphaned_claims(self) -> int:
        """In scale-out: alerts claimed by a deliverer that died become pending; returns their number.

        Alerts are claimed only under their channel's lock, so a claimed alert of a channel whose
        lock no one holds belongs to a deliverer whose session (and so its lock) ended.
        """
        claimed = select(alerts.c.channel).where(alerts.c.status == "claimed").distinct()
        with self._tx() as conn:
            channels = [r.channel for r in conn.execute(claimed)]
        released = 0
        for channel in channels:
            with self.channel_lock(channel) as mine:
                if not mine:
                    continue  # a live deliverer is sending to it; its claims are its own
                with self._tx() as conn:
                    released += conn.execute(
                        update(alerts)
                        .where(alerts.c.channel == channel, alerts.c.status == "claimed")
                        .values(status="pending")
                    ).rowcount
        return released

    def pending_channels(self, now: datetime) -> list[str]:
        """Channels with alerts due, except paused ones (their alerts wait for the resume)."""
        paused = select(channel_settings.c.channel).where(channel_settings.c.paused_reason.is_not(None))
        with self._tx() as conn:
            rows = conn.execute(
                select(alerts.c.channel)
                .where(
                    alerts.c.status == "pending",
                    or_(alerts.c.not_before.is_(None), alerts.c.not_before <= now),
                    alerts.c.channel.not_in(paused),
                )
                .distinct()
            )
            return sorted(r.channel for r in rows)

    def claim_next(self, channel: str, now: datetime) -> OutboxRow | None:
        """The oldest pending alert of a channel, marked claimed; None when there is nothing to send.

        Alerts and follow-ups go out strictly in order: one that waits (not_before) holds back
        the later ones. Edits and notices never hold anything back. When a parent was given up,
        its follow-ups go out without a thread and its edits are given up too.
        """
        parent = alerts.alias("parent")
        with self._tx() as conn:
            query = (
                select(
                    alerts,
                    parent.c.message_id.label("parent_message_id"),
                    parent.c.status.label("parent_status"),
                )
                .outerjoin(parent, parent.c.id == alerts.c.parent_id)
                .where(alerts.c.channel == channel, alerts.c.status == "pending")
                .order_by(alerts.c.id)
                .limit(50)
            )
            if not self.is_sqlite:
                query = query.with_for_update(skip_locked=True, of=alerts)
            for r in conn.execute(query).mappings():
                orphan = r["parent_id"] is not None and r["parent_status"] == "failed"
                if orphan and r["kind"] == "edit":
                    conn.execute(
                        update(alerts)
                        .where(alerts.c.id == r["id"])
                        .values(status="failed", last_error="its alert could not be sent")
                    )
                    continue
                waiting = r["not_before"] is not None and aware(r["not_before"]) > now  # type: ignore[operator]
                needs_parent = r["kind"] in ("followup", "edit") and r["parent_id"] is not None and not orphan
                if waiting or (needs_parent and r["parent_message_id"] is None):
                    if r["kind"] in ("alert", "followup"):
                        return None
                    continue
                claimed = conn.execute(
                    update(alerts)
                    .where(and_(alerts.c.id == r["id"], alerts.c.status == "pending"))
                    .values(status="claimed", attempts=alerts.c.attempts + 1)
                )
                if claimed.rowcount == 0:
                    return None
                return claimed_row(r, now, orphan=orphan)
        return None

    def claim_waiting(self, channel: str, now: datetime) -> list[OutboxRow]:
        """Every pending row of a channel, in order, marked claimed: the content of its digest."""
        parent = alerts.alias("parent")
        with self._tx() as conn:
            query = (
                select(alerts, parent.c.message_id.label("parent_message_id"))
                .outerjoin(parent, parent.c.id == alerts.c.parent_id)
                .where(alerts.c.channel == channel, alerts.c.status == "pending")
                .order_by(alerts.c.id)
            )
            if not self.is_sqlite:
                query = query.with_for_update(skip_locked=True, of=alerts)
            rows = list(conn.execute(query).mappings())
            ids = [r["id"] for r in rows]
            for start in range(0, len(ids), 500):
                conn.execute(
                    update(alerts)
                    .where(alerts.c.id.in_(ids[start : start + 500]))
                    .values(status="claimed", attempts=alerts.c.attempts + 1)
                )
            return [claimed_row(r, now) for r in rows]

    def mark_digest_sent(
        self, channel: str, alert_ids: Sequence[int], message_id: str | None, now: datetime
    ) -> None:
        """The rows went out in a digest: sent, with the digest's message id; the digest time moves."""
        with self._tx() as conn:
            for start in range(0, len(alert_ids), 500):
                conn.execute(
                    update(alerts)
                    .where(alerts.c.id.in_(list(alert_ids[start : start + 500])))
                    .values(status="sent", message_id=message_id, sent_at=now, last_error=None)
                )
            conn.execute(
                update(channel_settings)
                .where(channel_settings.c.channel == channel)
                .values(last_digest_at=now)
            )

    def mark_sent(self, alert_id: int, message_id: str, now: datetime) -> None:
        with self._tx() as conn:
            conn.execute(
                update(alerts)
                .where(alerts.c.id == alert_id)
                .values(status="sent", message_id=message_id, sent_at=now, last_error=None)
            )

    def mark_retry(self, alert_id: int, error: str, not_before: datetime, *, give_up: bool = False) -> None:
        with self._tx() as conn:
            conn.execute(
                update(alerts)
                .where(alerts.c.id == alert_id)
                .values(status="failed" if give_up else "pending", last_error=error, not_before=not_before)
            )

    def alert_counts(self) -> dict[str, int]:
        with self._tx() as conn:
            rows = conn.execute(select(alerts.c.status, func.count()).group_by(alerts.c.status))
            return {status: count for status, count in rows}


def claimed_row(r: Any, now: datetime, *, orphan: bool = False) -> OutboxRow:
    """An outbox row just claimed (its attempt counted); an orphan's parent was given up, so it
    goes out without a thread."""
    parent = {"parent_id": None, "parent_message_id": None} if orphan else {}
    return row_as(
        OutboxRow, r, attempts=r["attempts"] + 1, created_at=aware(r["created_at"]) or now, **parent
    )
