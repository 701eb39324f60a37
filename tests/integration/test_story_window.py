"""The story window a restarted process rebuilds from the store: read back in batches, every report
is back in its story, and a later report still finds its thread."""

from __future__ import annotations

import gc
from datetime import UTC, datetime, timedelta

import pytest

from bot import grouping
from bot.grouping import StoryWindow
from bot.model import StoryItem
from bot.store.db import Store
from bot.store.rows import NewEntry, story_item_id

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
REPORTS = [  # (headline, lead) of three events, each reported three times
    ("Earthquake of magnitude 6.8 hits Morocco", "The quake struck the Atlas mountains near Marrakech."),
    ("Morocco earthquake: death toll rises to 2,000", "Rescuers search the Atlas villages near Marrakech."),
    ("Marrakech quake survivors sleep in the streets", "The 6.8 earthquake in the Atlas destroyed villages."),
    ("Bridge collapses in Genoa, dozens feared dead", "The Morandi motorway bridge gave way in heavy rain."),
    ("Genoa bridge collapse: 35 dead", "Rescuers search the rubble of the Morandi bridge in Genoa."),
    ("Italy mourns Genoa bridge victims", "A state funeral for those killed when the Morandi bridge fell."),
    (
        "Central bank raises rates to 5.25 percent",
        "The Federal Reserve lifted its key rate by a quarter point.",
    ),
    (
        "Fed lifts key rate to 5.25%, highest in 22 years",
        "The Federal Reserve raised rates again on Wednesday.",
    ),
    ("Wall Street falls after Fed rate rise to 5.25%", "Stocks fell as the Federal Reserve raised its rate."),
]
LATER = ("Morocco earthquake death toll passes 2,900", "Rescuers in the Atlas near Marrakech still search.")


def _store_as_ingest_does(store: Store) -> list[str]:
    """Each report grouped by one process and stored with its story and features; their stories."""
    feed, _ = store.add_feed("https://wire.example/feed.xml", "Wire", NOW)
    first = StoryWindow(store, timedelta(hours=72))
    stories = []
    for n, (title, lead) in enumerate(REPORTS):
        when = NOW + timedelta(minutes=10 * n)
        item = StoryItem(
            id=story_item_id(feed.id, f"k{n}"), title=title, summary=lead, published=when, source="Wire"
        )
        decision, features = first.group(item)
        stories.append(decision.story)
        entry = NewEntry(
            key=f"k{n}",
            title=title,
            link=None,
            summary=lead,
            text="",
            lang="en",
            published=when,
            content_hash=str(n),
            story=decision.story,
            story_features=features.encode(),
        )
        store.record_poll(feed.id, [entry], [], [], {}, when)
    return stories


@pytest.mark.parametrize("batch", [2, 1000])
def test_a_restarted_window_read_in_batches_keeps_every_story(
    sqlite_store: Store, monkeypatch: pytest.MonkeyPatch, batch: int
) -> None:
    stories = _store_as_ingest_does(sqlite_store)
    assert len(set(stories)) == 3, "the three events are three stories when grouped live"
    monkeypatch.setattr(grouping, "CATCH_UP_BATCH", batch)
    restarted = StoryWindow(sqlite_store, timedelta(hours=72))
    restarted.catch_up(NOW + timedelta(hours=2))
    assert restarted.grouper.story_count == 3
    title, lead = LATER
    later = StoryItem(
        id="later", title=title, summary=lead, published=NOW + timedelta(hours=2), source="Other"
    )
    decision, _ = restarted.group(later)
    assert decision.story == stories[0] and decision.relation != "new"


def test_the_cyclic_collector_runs_again_after_a_catch_up_even_a_failed_one(sqlite_store: Store) -> None:
    """The rebuild pauses the collector for speed; a process left without it would leak cycles."""
    _store_as_ingest_does(sqlite_store)
    StoryWindow(sqlite_store, timedelta(hours=72)).catch_up(NOW + timedelta(hours=2))
    assert gc.isenabled()

    class Failing:
        def entries_after(self, *args: object, **kwargs: object) -> object:
            assert not gc.isenabled(), "the catch-up runs with the collector paused"
            raise OSError("database went away")

    window = StoryWindow(Failing(), timedelta(hours=72))  # type: ignore[arg-type]
    with pytest.raises(OSError):
        window.catch_up(NOW)
    assert gc.isenabled()
