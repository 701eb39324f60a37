"""When a channel wants its alerts: quiet hours and digests, in the channel's own time zone.

Pure functions over a channel's preferences and the time passed in. During quiet hours a
channel's alerts wait in the outbox (nothing is dropped) and go out in order when they end; a
channel on a digest gets one message per hour or per day that lists what arrived since the last one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DIGEST_MODES = ("off", "hourly", "daily")
DEFAULT_DIGEST_AT = "08:00"


@dataclass(frozen=True, slots=True)
class DeliveryPrefs:
    """A channel's delivery preferences; the defaults send every alert at once."""

    timezone: str = "UTC"
    quiet_start: str | None = None  # "22:00"
    quiet_end: str | None = None  # "07:00"
    digest: str = "off"  # off, hourly, daily
    digest_at: str = DEFAULT_DIGEST_AT  # the daily digest's local time
    last_digest_at: datetime | None = None


def parse_clock(text: str) -> str | None:
    """`7`, `07`, `7:30`, `22:00` as "HH:MM"; None when it is not a time of day."""
    hours, sep, minutes = text.strip().partition(":")
    if not hours.isdigit() or len(hours) > 2 or (sep and (not minutes.isdigit() or len(minutes) != 2)):
        return None
    h, m = int(hours), int(minutes) if sep else 0
    if h > 23 or m > 59:
        return None
    return f"{h:02d}:{m:02d}"


def parse_quiet_hours(text: str) -> tuple[str, str] | None:
    """`22:00-07:00` (also with `–` or `to`) as (start, end); None when it is not such a span."""
    normalized = text.strip().replace("–", "-").replace(" to ", "-").replace(" ", "")
    start, sep, end = normalized.partition("-")
    if not sep:
        return None
    start_clock, end_clock = parse_clock(start), parse_clock(end)
    if start_clock is None or end_clock is None or start_clock == end_clock:
        return None
    return start_clock, end_clock


def zone(name: str) -> ZoneInfo | None:
    """The IANA time zone of that name (`Europe/Berlin`, `UTC`); None when there is none."""
    if not name or len(name) > 64 or name.startswith(("/", ".")) or ".." in name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _tz(prefs: DeliveryPrefs) -> ZoneInfo:
    return zone(prefs.timezone) or ZoneInfo("UTC")


def _clock(value: str) -> time:
    hours, _, minutes = value.partition(":")
    return time(int(hours), int(minutes))


def in_quiet_hours(prefs: DeliveryPrefs, now: datetime) -> bool:
    """Whether `now` falls in the channel's quiet hours (a span may run over midnight)."""
    if prefs.quiet_start is None or prefs.quiet_end is None:
        return False
    local = now.astimezone(_tz(prefs)).time().replace(second=0, microsecond=0)
    start, end = _clock(prefs.quiet_start), _clock(prefs.quiet_end)
    if start < end:
        return start <= local < end
    return local >= start or local < end


def latest_digest_slot(prefs: DeliveryPrefs, now: datetime) -> datetime | None:
    """The most recent time at or before `now` when the channel's digest was due; None without one."""
    if prefs.digest == "hourly":
        return now.replace(minute=0, second=0, microsecond=0)
    if prefs.digest == "daily":
        tz = _tz(prefs)
        local = now.astimezone(tz)
        slot = datetime.combine(local.date(), _clock(prefs.digest_at), tzinfo=tz)
        if slot > local:
            slot = datetime.combine(local.date() - timedelta(days=1), _clock(prefs.digest_at), tzinfo=tz)
        return slot.astimezone(now.tzinfo)
    return None


def digest_due(prefs: DeliveryPrefs, now: datetime) -> bool:
    """Whether a digest should go out now: a slot has come since the last digest.

    A channel that never had one counts from when it chose the digest (`last_digest_at` is set then).
    """
    slot = latest_digest_slot(prefs, now)
    if slot is None:
        return False
    return prefs.last_digest_at is None or slot > prefs.last_digest_at


def delivery_now(prefs: DeliveryPrefs, now: datetime) -> Literal["wait", "digest", "each"]:
    """What becomes of a channel's waiting messages now: they wait (quiet hours, or a digest not
    yet due), go out as one digest, or go out each on its own, in order."""
    if in_quiet_hours(prefs, now):
        return "wait"
    if prefs.digest == "off":
        return "each"
    return "digest" if digest_due(prefs, now) else "wait"


def describe(prefs: DeliveryPrefs) -> list[str]:
    """The preferences as lines for `settings`."""
    quiet = f"{prefs.quiet_start}–{prefs.quiet_end}" if prefs.quiet_start else "off"
    digest = {
        "off": "off (every alert at once)",
        "hourly": "hourly (one message at the top of each hour)",
        "daily": f"daily at {prefs.digest_at}",
    }.get(prefs.digest, prefs.digest)
    return [f"Quiet hours: {quiet}", f"Digest: {digest}", f"Time zone: {prefs.timezone}"]
