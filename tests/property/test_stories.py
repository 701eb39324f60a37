"""Story grouping over arbitrary items: no date (None, far future, far past, out of order) and no text
makes `assign` raise, and every decision names a story that an item of the stream started."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import example, given
from hypothesis import strategies as st

from bot.core.stories import StoryFeatures, StoryGrouper
from bot.model import StoryItem
from tests.property.strategies import feed_text, short_text

any_date = st.none() | st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
)
# Dates at the ends of what datetime holds: `0001-01-01T00:00:00Z` is the zero date .NET and Go feeds
# write for "no date", `9999-12-31` a "never expires" placeholder; both parse as valid dates.
edge_date = st.sampled_from(
    [
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, tzinfo=UTC),
        datetime(9999, 12, 31, 23, tzinfo=UTC),
    ]
)
near_date = st.integers(-72 * 3600, 72 * 3600).map(
    lambda s: datetime(2024, 10, 29, 5, 12, tzinfo=UTC) + timedelta(seconds=s)
)
SOURCES = ("tagesschau", "spiegel", "bbc", "dw")


@st.composite
def items(draw: st.DrawFn, dates: st.SearchStrategy[datetime | None]) -> StoryItem:
    return StoryItem(
        id=draw(st.sampled_from(["a", "b", "c"]) | st.uuids().map(str)),
        title=draw(feed_text),
        summary=draw(feed_text),
        published=draw(dates),
        source=draw(st.sampled_from(SOURCES) | short_text),
        lang=draw(st.sampled_from([None, "de", "en", "xx"])),
        text=draw(st.just("") | feed_text),
    )


def _check_stream(stream: list[StoryItem], window_hours: int) -> None:
    grouper = StoryGrouper(window=timedelta(hours=window_hours), aliases=[("Nordkorea", "North Korea")])
    started: set[str] = set()
    for item in stream:
        decision = grouper.assign(item)
        assert decision.relation in ("new", "same", "followup")
        assert 0.0 <= decision.similarity <= 1.0 + 1e-9
        if decision.relation == "new":
            assert decision.story == item.id
            started.add(item.id)
        else:
            assert decision.story in started
        # the window never holds more stories than the stream started (none is made up or doubled)
        assert grouper.story_count <= len(started)


@given(st.lists(items(any_date), max_size=12), st.sampled_from([1, 72]))
def test_assign_never_raises_on_any_dates(stream: list[StoryItem], window_hours: int) -> None:
    _check_stream(stream, window_hours)


@given(st.lists(items(near_date | st.none()), max_size=12))
def test_assign_never_raises_on_out_of_order_dates_in_one_window(stream: list[StoryItem]) -> None:
    _check_stream(stream, 72)


@given(items(near_date | st.none()))
def test_the_same_item_again_is_the_same_story(item: StoryItem) -> None:
    grouper = StoryGrouper()
    first = grouper.assign(item)
    again = grouper.assign(item)
    assert again.relation == "same" and again.story == first.story


ZERO_DATE = datetime(1, 1, 1, tzinfo=UTC)


@given(st.lists(items(edge_date | near_date), min_size=2, max_size=6))
@example(
    [
        StoryItem(id="a", title="Nordkorea", summary="", published=ZERO_DATE, source="x"),
        StoryItem(id="b", title="Iran", summary="", published=ZERO_DATE, source="y"),
    ]
)
def test_assign_never_raises_on_dates_at_the_ends_of_the_calendar(stream: list[StoryItem]) -> None:
    _check_stream(stream, 72)


@given(items(near_date | st.none()))
def test_stored_story_features_read_back_as_computed(item: StoryItem) -> None:
    features = StoryGrouper().analyse(item)
    back = StoryFeatures.decode(features.encode())
    assert back.weights.keys() == features.weights.keys()
    assert all(abs(back.weights[t] - w) <= 5e-4 for t, w in features.weights.items())
    assert (back.kinds, back.title, back.body, back.runs, back.lang) == (
        features.kinds,
        features.title,
        features.body,
        features.runs,
        features.lang,
    )
