"""Quiet hours and digest times, in the channel's time zone."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.core.windows import (
    DeliveryPrefs,
    delivery_now,
    digest_due,
    in_quiet_hours,
    latest_digest_slot,
    parse_clock,
    parse_quiet_hours,
    zone,
)


def test_times_of_day_are_read_loosely_and_checked() -> None:
    assert parse_clock("7") == "07:00"
    assert parse_clock("07:30") == "07:30"
    assert parse_clock("22:00") == "22:00"
    for bad in ("24:00", "7:5", "7:60", "seven", "", "-1", "12:00:00"):
        assert parse_clock(bad) is None, bad


def test_quiet_hours_are_a_span_of_two_different_times() -> None:
    assert parse_quiet_hours("22:00-07:00") == ("22:00", "07:00")
    assert parse_quiet_hours("22 – 7") == ("22:00", "07:00")
    assert parse_quiet_hours("22:00 to 07:00") == ("22:00", "07:00")
    assert parse_quiet_hours("22:00") is None
    assert parse_quiet_hours("08:00-08:00") is None


def test_quiet_hours_run_over_midnight_in_the_channels_zone() -> None:
    night = DeliveryPrefs(timezone="Europe/Berlin", quiet_start="22:00", quiet_end="07:00")
    # 21:30 UTC in November is 22:30 in Berlin
    assert in_quiet_hours(night, datetime(2026, 11, 24, 21, 30, tzinfo=UTC))
    assert in_quiet_hours(night, datetime(2026, 11, 25, 5, 59, tzinfo=UTC))  # 06:59 there
    assert not in_quiet_hours(night, datetime(2026, 11, 25, 6, 0, tzinfo=UTC))  # 07:00 there
    assert not in_quiet_hours(night, datetime(2026, 11, 24, 20, 59, tzinfo=UTC))
    lunch = DeliveryPrefs(quiet_start="12:00", quiet_end="13:00")
    assert in_quiet_hours(lunch, datetime(2026, 11, 24, 12, 30, tzinfo=UTC))
    assert not in_quiet_hours(lunch, datetime(2026, 11, 24, 13, 0, tzinfo=UTC))
    assert delivery_now(lunch, datetime(2026, 11, 24, 12, 30, tzinfo=UTC)) == "wait"
    assert delivery_now(lunch, datetime(2026, 11, 24, 13, 0, tzinfo=UTC)) == "each"


def test_a_daily_digest_is_due_once_its_local_time_has_come_since_the_last() -> None:
    last = datetime(2026, 11, 24, 7, 30, tzinfo=UTC)  # 08:30 in Berlin: today's digest went out
    daily = DeliveryPrefs(timezone="Europe/Berlin", digest="daily", digest_at="08:00", last_digest_at=last)
    assert not digest_due(daily, datetime(2026, 11, 24, 22, 0, tzinfo=UTC))
    assert not digest_due(daily, datetime(2026, 11, 25, 6, 59, tzinfo=UTC))  # 07:59 there
    assert digest_due(daily, datetime(2026, 11, 25, 7, 0, tzinfo=UTC))  # 08:00 there
    assert latest_digest_slot(daily, datetime(2026, 11, 25, 7, 0, tzinfo=UTC)) == datetime(
        2026, 11, 25, 7, 0, tzinfo=UTC
    )


def test_an_hourly_digest_is_due_at_the_top_of_each_hour() -> None:
    hourly = DeliveryPrefs(digest="hourly", last_digest_at=datetime(2026, 11, 24, 9, 0, 5, tzinfo=UTC))
    assert not digest_due(hourly, datetime(2026, 11, 24, 9, 59, tzinfo=UTC))
    assert digest_due(hourly, datetime(2026, 11, 24, 10, 0, 1, tzinfo=UTC))
    assert delivery_now(hourly, datetime(2026, 11, 24, 9, 59, tzinfo=UTC)) == "wait"
    assert delivery_now(hourly, datetime(2026, 11, 24, 10, 0, 1, tzinfo=UTC)) == "digest"
    assert not digest_due(DeliveryPrefs(), datetime(2026, 11, 24, 10, 0, tzinfo=UTC))


def test_only_real_time_zone_names_are_accepted() -> None:
    assert zone("Europe/Berlin") is not None and zone("UTC") is not None
    for bad in ("Mars/Olympus", "../../etc/passwd", "/etc/localtime", "", "x" * 100):
        assert zone(bad) is None, bad
