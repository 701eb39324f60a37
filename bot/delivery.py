"""The outbox deliverer: claims pending alerts per channel, sends them, records the message id.

Per channel, alerts and follow-ups leave strictly in the order they were written, a parent always
before its follow-ups. A failed send is retried with backoff and holds back that channel's later
alerts, so nothing overtakes it; other channels go on. After a crash, claimed-but-unconfirmed
alerts are released and sent again (at-least-once), with the alert id as the idempotency key.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from bot.core.digest import Queued, build_digests
from bot.core.payload import alert_from_dict
from bot.core.windows import DeliveryPrefs, delivery_now
from bot.errors import ChannelUnavailable, ChatUnavailable
from bot.ports import Chat, TimeSource
from bot.store.ports import DeliveryStore
from bot.store.rows import OutboxRow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8  # for failures that are not the platform being busy or away (ChatUnavailable)
TRANSIENT_MAX_DELAY = 60.0


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    latencies: list[float] = field(default_factory=list)  # seconds from outbox write to chat


class Deliverer:
    def __init__(self, store: DeliveryStore, chats: Sequence[Chat], clock: TimeSource) -> None:
        self.store = store
        self.chats = list(chats)
        self.clock = clock

    def _chat_for(self, channel: str) -> Chat | None:
        return next((chat for chat in self.chats if chat.handles(channel)), None)

    async def deliver(self, channels: Sequence[str] | None = None) -> DeliveryReport:
        """Send everything that is due, channel by channel (only `channels` when given)."""
        report = DeliveryReport()
        now = self.clock.now()
        prefs = self.store.delivery_prefs()
        for channel in self.store.pending_channels(now):
            if channels is not None and channel not in channels:
                continue
            chat = self._chat_for(channel)
            if chat is None:
                continue  # that platform is not configured in this process; its alerts wait
            mode = delivery_now(prefs.get(channel, DeliveryPrefs()), now)
            if mode == "wait":
                continue  # quiet hours, or collected for the next digest: they wait in order
            with self.store.channel_lock(channel) as mine:
                if not mine:
                    continue  # another deliverer is sending to this channel; order stays intact
                if mode == "digest":
                    await self._send_digest(chat, channel, report)
                    continue
                while (row := self.store.claim_next(channel, self.clock.now())) is not None:
                    if not await self._send(chat, row, report):
                        break
        return report

    async def _send_digest(self, chat: Chat, channel: str, report: DeliveryReport) -> None:
        """Everything the channel collected since its last digest, as one message (or a few)."""
        rows = self.store.claim_waiting(channel, self.clock.now())
        if not rows:
            return
        queued = [
            Queued(
                id=row.id,
                kind=row.kind,
                parent_id=row.parent_id,
                alert=alert_from_dict(row.payload) if row.kind != "notice" else None,
                notice=str(row.payload.get("text", "")) if row.kind == "notice" else None,
            )
            for row in rows
        ]
        message_id: str | None = None
        try:
            for number, digest in enumerate(build_digests(queued)):
                key = f"newsbot-digest-{rows[0].id}-{number}"
                message_id = await chat.send_digest(channel, digest, key=key)
        except Exception as exc:
            report.failed += 1
            delay = self._retry_delay(exc, rows[0].attempts)
            for row in rows:
                self.store.mark_retry(
                    row.id, f"{type(exc).__name__}: {exc}", self.clock.now() + timedelta(seconds=delay)
                )
            if isinstance(exc, ChannelUnavailable):
                self.store.pause_channel(channel, str(exc))
            log.warning("sending the digest of %s: %s; retrying in %.0fs", channel, exc, delay)
            return
        sent_at = self.clock.now()
        self.store.mark_digest_sent(channel, [row.id for row in rows], message_id, sent_at)
        report.sent += 1
        report.latencies.extend((sent_at - row.created_at).total_seconds() for row in rows)

    @staticmethod
    def _retry_delay(exc: Exception, attempts: int) -> float:
        """Seconds to wait before the next try: a rate limit's own delay, else a capped backoff."""
        if isinstance(exc, ChatUnavailable):
            if exc.retry_after is not None:
                return exc.retry_after
            return min(TRANSIENT_MAX_DELAY, 2.0 * 2.0 ** min(attempts - 1, 10))
        return min(3600.0, 5.0 * 2.0 ** min(attempts - 1, 10))

    async def _send(self, chat: Chat, row: OutboxRow, report: DeliveryReport) -> bool:
        key = f"newsbot-alert-{row.id}"
        try:
            if row.kind == "notice":
                message_id = await chat.send_notice(row.channel, str(row.payload.get("text", "")), key=key)
            elif row.kind == "edit":
                assert row.parent_message_id is not None
                await chat.edit_alert(row.channel, row.parent_message_id, alert_from_dict(row.payload))
                message_id = row.parent_message_id
            else:
                thread = row.parent_message_id if row.kind == "followup" else None
                message_id = await chat.send_alert(
                    row.channel, alert_from_dict(row.payload), key=key, thread=thread
                )
        except ChannelUnavailable as exc:
            # the channel is gone for now (archived, bot removed or kicked): pause it, keep its alerts
            report.failed += 1
            self.store.mark_retry(row.id, f"{type(exc).__name__}: {exc}", self.clock.now())
            self.store.pause_channel(row.channel, str(exc))
            log.warning("paused channel %s: %s", row.channel, exc)
            return False
        except ChatUnavailable as exc:
            # The platform is busy or unreachable, the message itself is fine: wait exactly as long
            # as a rate limit says, else a short capped backoff, and never give up.
            report.failed += 1
            delay = self._retry_delay(exc, row.attempts)
            self.store.mark_retry(
                row.id, f"{type(exc).__name__}: {exc}", self.clock.now() + timedelta(seconds=delay)
            )
            log.warning(
                "sending %s %d to %s: %s; retrying in %.0fs", row.kind, row.id, row.channel, exc, delay
            )
            return False
        except Exception as exc:  # anything else is retried with backoff, given up only after many tries
            report.failed += 1
            give_up = row.attempts >= MAX_ATTEMPTS
            delay = self._retry_delay(exc, row.attempts)
            self.store.mark_retry(
                row.id,
                f"{type(exc).__name__}: {exc}",
                self.clock.now() + timedelta(seconds=delay),
                give_up=give_up,
            )
            log.warning(
                "sending %s %d to %s failed (attempt %d): %s%s",
                row.kind,
                row.id,
                row.channel,
                row.attempts,
                exc,
                "; giving up" if give_up else f"; retrying in {delay:.0f}s",
            )
            return False
        sent_at = self.clock.now()
        self.store.mark_sent(row.id, message_id, sent_at)
        report.sent += 1
        report.latencies.append((sent_at - row.created_at).total_seconds())
        return True
