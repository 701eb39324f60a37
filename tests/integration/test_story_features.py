"""Story features stored with entries: written at ingest, backfilled by `newsbot db upgrade`, read at
start-up instead of analysing the entry again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.core.stories import StoryFeatures, StoryGrouper
from bot.model import StoryItem
from bot.store.db import Store
from bot.store.rows import NewEntry
from tests.e2e.test_run_once import newsbot


def _entry(key: str, title: str, summary: str, when: datetime, features: str | None) -> NewEntry:
    return NewEntry(
        key=key,
        title=title,
        link=None,
        summary=summary,
        text="",
        lang="en",
        published=when,
        content_hash=key,
        story=key,
        story_features=features,
    )


def test_db_upgrade_analyses_entries_stored_before_features_were_kept(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    store = Store(f"sqlite:///{tmp_path / 'data' / 'newsbot.sqlite'}")
    store.upgrade()
    feed, _ = store.add_feed("https://wire.example/feed.xml", "Wire", now)
    feed_id = feed.id
    old = [
        _entry(f"k{i}", f"Bridge collapse in Genoa kills {i + 10}", "Rescuers search the rubble.", now, None)
        for i in range(3)
    ]
    store.record_poll(feed_id, old, [], [], {}, now)
    assert store.count_unanalysed(now - timedelta(hours=1)) == 3
    store.close()

    config = tmp_path / "newsbot.toml"
    config.write_text(f'data_dir = "{tmp_path / "data"}"\n', encoding="utf-8")
    run = newsbot("--config", str(config), "db", "upgrade")
    assert run.returncode == 0, run.stderr
    assert "story features computed for 3 entries" in run.stdout

    store = Store(f"sqlite:///{tmp_path / 'data' / 'newsbot.sqlite'}")
    assert store.count_unanalysed(now - timedelta(hours=1)) == 0
    recent, _ = store.entries_after(now - timedelta(hours=1), text_of_analysed=False)
    store.close()
    # start-up reads the stored features, and no longer the text
    assert all(r.story_features and not r.summary for r in recent)
    features = StoryFeatures.decode(recent[0].story_features or "")
    item = StoryItem(
        id="x", title=old[0].title, summary=old[0].summary, published=now, source="Wire", lang="en"
    )
    assert features.weights.keys() == StoryGrouper().analyse(item).weights.keys()


def test_stories_explain_prints_the_candidates_and_their_features(tmp_path: Path) -> None:
    import json

    rows = [
        {
            "id": "de1",
            "title": "Schweres Erdbeben in Marokko: mehr als 820 Tote",
            "summary": "Ein Erdbeben der Stärke 6,8 erschütterte das Atlasgebirge südlich von Marrakesch.",
            "published": "2026-09-09T06:00:00+00:00",
            "source": "tagesblatt.example",
            "lang": "de",
        },
        {
            "id": "en1",
            "title": "Morocco earthquake: death toll passes 820",
            "summary": "A magnitude 6.8 earthquake struck the Atlas mountains south of Marrakesh.",
            "published": "2026-09-09T07:00:00+00:00",
            "source": "wire.example",
            "lang": "en",
        },
    ]
    path = tmp_path / "entries.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    run = newsbot("stories", "--json", "--explain", str(path))
    assert run.returncode == 0, run.stderr
    first, second = (json.loads(line) for line in run.stdout.splitlines())
    assert first["candidates"] == []
    assert second["story"] == "de1"
    (candidate,) = second["candidates"]
    assert candidate["story"] == "de1" and candidate["features"]["other_language"] == 1.0
    assert candidate["features"]["figures"] >= 1.0  # 6,8 and 6.8, 820 and 820
