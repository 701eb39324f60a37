"""Dates as feeds write them: any text is a UTC datetime or None, never an exception."""

from __future__ import annotations

from datetime import UTC

from hypothesis import example, given
from hypothesis import strategies as st

from bot.core.dates import parse_datetime
from tests.property.strategies import any_text

date_text = st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()) | st.sampled_from(
    ["Tue, 29 Oct 2024 06:12:00 +0100", "2024-10-29T05:12:00Z", "2024-10-29", "Mon, 01 Jan 0001 00:00:00 GMT"]
)


@given(any_text)
def test_parse_datetime_of_any_text_is_utc_or_none(text: str) -> None:
    parsed = parse_datetime(text)
    assert parsed is None or parsed.tzinfo == UTC


@given(date_text)
@example("0001-01-01T00:00:00+01:00")
def test_parse_datetime_of_any_date_is_utc_or_none(text: str) -> None:
    parsed = parse_datetime(text)
    assert parsed is None or parsed.tzinfo == UTC
