"""The pipeline over a real store and a real HTTP feed server, with an injected clock."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.ingest.fetch import Fetcher
from bot.pipeline import Pipeline
from bot.runtime import fetch_policy
from bot.settings import Settings
from bot.store.db import Store
from bot.store.rows import NewSubscription
from tests.feedserver import EMPTY_FEED, feed_server

START = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        fetch={"allow_private_hosts": ["127.0.0.1"], "timeout_seconds": 5},
        schedule={"min_interval_seconds": 60, "max_interval_seconds": 3600, "max_failures": 5},
    )


def test_a_failing_feed_backs_off_then_pauses_and_each_channel_is_told_once(
    sqlite_store: Store, tmp_path: Path
) -> None:
    config = settings(tmp_path)
    with feed_server() as server:
        server.serve("/feed.xml", "oops", status=500)
        url = server.url("/feed.xml")
        sqlite_store.add_feed(url, None, START)
        for channel in ("console", "slack:C1"):
            sqlite_store.add_subscription(NewSubscription(channel, "NATO", "NATO", None, None), START)

        async def polls() -> list[tuple[str, int, timedelta]]:
            seen = []
            now = START
            async with Fetcher(fetch_policy(config)) as fetcher:
                pipeline = Pipeline(config, sqlite_store, fetcher, rng=random.Random(7))
                for _ in range(6):
                    await pipeline.run_cycle(now)
                    (feed,) = sqlite_store.list_feeds()
                    assert feed.next_poll_at is not None
                    seen.append((feed.status, feed.failures, feed.next_poll_at - now))
                    now = feed.next_poll_at + timedelta(seconds=1)
            return seen

        seen = asyncio.run(polls())
        requests = len(server.requests)
    statuses = [status for status, _, _ in seen]
    assert statuses == ["failing"] * 4 + ["paused", "paused"]
    assert [failures for _, failures, _ in seen[:5]] == [1, 2, 3, 4, 5]
    delays = [delay for _, _, delay in seen[:4]]
    assert delays == sorted(delays) and delays[-1] > delays[0]  # the backoff grows
    assert requests == 5  # a paused feed is not polled again
    (feed,) = sqlite_store.list_feeds()
    assert feed.last_error is not None and "500" in feed.last_error and url in feed.last_error
    notices = {channel: 0 for channel in ("console", "slack:C1")}
    for channel in notices:
        while (row := sqlite_store.claim_next(channel, START + timedelta(days=1))) is not None:
            assert row.kind == "notice" and "newsbot feeds resume" in row.payload["text"]
            notices[channel] += 1
            sqlite_store.mark_sent(row.id, "m", START)
    assert notices == {"console": 1, "slack:C1": 1}


def test_retry_after_on_a_successful_answer_is_a_floor_for_the_next_poll(
    sqlite_store: Store, tmp_path: Path
) -> None:
    config = settings(tmp_path)
    with feed_server() as server:
        server.serve("/feed.xml", EMPTY_FEED)
        server.headers["/feed.xml"] = {"Retry-After": "120"}
        sqlite_store.add_feed(server.url("/feed.xml"), None, START)

        async def poll() -> None:
            async with Fetcher(fetch_policy(config)) as fetcher:
                await Pipeline(config, sqlite_store, fetcher).run_cycle(START)

        asyncio.run(poll())
    (feed,) = sqlite_store.list_feeds()
    assert feed.status == "ok" and feed.next_poll_at is not None
    assert feed.next_poll_at - START >= timedelta(seconds=120)


def _feed(lang: str, title: str, summary: str) -> str:
    published = START.strftime("%a, %d %b %Y %H:%M:%S +0000")
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{lang}</title>'
        f"<link>https://news.example/{lang}</link><language>{lang}</language>"
        f"<item><title>{title}</title><link>https://news.example/{lang}/1</link>"
        f"<guid>{lang}-1</guid><pubDate>{published}</pubDate><description>{summary}</description></item>"
        "</channel></rss>"
    )


def test_a_subscription_with_a_language_alerts_only_for_stories_in_it(
    sqlite_store: Store, tmp_path: Path
) -> None:
    config = settings(tmp_path).model_copy(
        update={"alerts": settings(tmp_path).alerts.model_copy(update={"first_poll_window_seconds": 3600})}
    )
    with feed_server() as server:
        server.serve(
            "/de.xml",
            _feed(
                "de",
                "Ukraine: Neue Brücke über den Dnipro eröffnet",
                "Die Ukraine hat in Kiew eine Brücke eröffnet.",
            ),
        )
        server.serve(
            "/en.xml",
            _feed(
                "en", "Ukraine wins the Eurovision Song Contest", "Ukraine's entry won the contest in Basel."
            ),
        )
        for path in ("/de.xml", "/en.xml"):
            sqlite_store.add_feed(server.url(path), None, START)
        sqlite_store.add_subscription(
            NewSubscription("console", "Ukraine", "Ukraine", None, None, lang="en"), START
        )
        sqlite_store.add_subscription(NewSubscription("slack:C1", "Ukraine", "Ukraine", None, None), START)

        async def poll() -> None:
            async with Fetcher(fetch_policy(config)) as fetcher:
                await Pipeline(config, sqlite_store, fetcher).run_cycle(START, every_feed=True)

        asyncio.run(poll())
    titles: dict[str, list[str]] = {"console": [], "slack:C1": []}
    for channel, seen in titles.items():
        while (row := sqlite_store.claim_next(channel, START)) is not None:
            seen.append(row.payload["title"])
            sqlite_store.mark_sent(row.id, f"m{row.id}", START)
    assert titles["console"] == ["Ukraine wins the Eurovision Song Contest"]
    assert sorted(titles["slack:C1"]) == [
        "Ukraine wins the Eurovision Song Contest",
        "Ukraine: Neue Brücke über den Dnipro eröffnet",
    ]


def test_a_feed_that_moves_to_a_feed_already_polled_is_paused_and_the_others_go_on(
    sqlite_store: Store, tmp_path: Path
) -> None:
    config = settings(tmp_path)
    with feed_server() as server:
        server.serve("/old.xml", "", status=301)
        server.headers["/old.xml"] = {"Location": server.url("/new.xml")}
        server.serve("/new.xml", EMPTY_FEED)
        server.serve("/other.xml", EMPTY_FEED)
        for path in ("/old.xml", "/new.xml", "/other.xml"):
            sqlite_store.add_feed(server.url(path), None, START)

        async def poll() -> None:
            async with Fetcher(fetch_policy(config)) as fetcher:
                await Pipeline(config, sqlite_store, fetcher).run_cycle(START, every_feed=True)

        asyncio.run(poll())
        old, new, other = server.url("/old.xml"), server.url("/new.xml"), server.url("/other.xml")
    feeds = {feed.url: feed for feed in sqlite_store.list_feeds()}
    assert set(feeds) == {old, new, other}  # the URL was not moved onto the other feed's
    assert feeds[old].status == "paused"
    assert feeds[old].last_error is not None and new in feeds[old].last_error
    assert feeds[new].status == "ok" and feeds[other].status == "ok"


def test_a_feeds_ttl_is_a_floor_for_the_next_poll_also_after_a_304(
    sqlite_store: Store, tmp_path: Path
) -> None:
    config = settings(tmp_path)
    with feed_server() as server:
        server.serve("/feed.xml", EMPTY_FEED.replace("<language>de</language>", "<ttl>90</ttl>"))
        sqlite_store.add_feed(server.url("/feed.xml"), None, START)

        async def poll(now: datetime) -> timedelta:
            async with Fetcher(fetch_policy(config)) as fetcher:
                await Pipeline(config, sqlite_store, fetcher).run_cycle(now, every_feed=True)
            (feed,) = sqlite_store.list_feeds()
            assert feed.next_poll_at is not None and feed.status == "ok"
            return feed.next_poll_at - now

        first = asyncio.run(poll(START))
        server.serve("/feed.xml", "", status=304)  # nothing new since: the feed says so without a body
        later = START + timedelta(hours=2)
        second = asyncio.run(poll(later))
    assert first >= timedelta(minutes=90)  # <ttl> is in minutes; above the max interval of an hour
    assert second >= timedelta(minutes=90)


def _teaser_feed(name: str, link: str, summary: str) -> str:
    published = START.strftime("%a, %d %b %Y %H:%M:%S +0000")
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{name}</title>'
        f"<link>https://news.example/</link><language>de</language>"
        f"<item><title>Haushalt: Ampel ringt um Milliardenlücke</title><link>{link}</link>"
        f"<guid>{name}-1</guid><pubDate>{published}</pubDate><description>{summary}</description></item>"
        "</channel></rss>"
    )


def test_full_text_is_fetched_per_feed_always_never_or_for_teasers(
    sqlite_store: Store, tmp_path: Path
) -> None:
    from tests.integration.test_fetch import ARTICLE

    config = settings(tmp_path)
    long_summary = "Die Koalition verhandelt über den Haushalt. " * 12  # longer than a teaser
    with feed_server() as server:
        for page in ("/artikel-a", "/artikel-b", "/artikel-c"):
            server.serve(page, ARTICLE)
            server.headers[page] = {"Content-Type": "text/html; charset=utf-8"}
        server.serve("/always.xml", _teaser_feed("always", server.url("/artikel-a"), long_summary))
        server.serve("/never.xml", _teaser_feed("never", server.url("/artikel-b"), "Kurz."))
        server.serve("/teasers.xml", _teaser_feed("teasers", server.url("/artikel-c"), "Kurz."))
        sqlite_store.add_feed(server.url("/always.xml"), None, START, full_text="always")
        sqlite_store.add_feed(server.url("/never.xml"), None, START, full_text="never")
        sqlite_store.add_feed(server.url("/teasers.xml"), None, START)
        alerting = config.model_copy(
            update={"alerts": config.alerts.model_copy(update={"first_poll_window_seconds": 3600})}
        )

        async def poll() -> None:
            async with Fetcher(fetch_policy(alerting)) as fetcher:
                await Pipeline(alerting, sqlite_store, fetcher).run_cycle(START, every_feed=True)

        asyncio.run(poll())
        fetched = set(server.requests)
    assert "/artikel-a" in fetched  # always, although the feed's text is long
    assert "/artikel-b" not in fetched  # never, although it is a teaser
    assert "/artikel-c" in fetched  # a teaser, by default
    stored = {e.link: e.text for e in sqlite_store.recent_entries(START - timedelta(days=1))}
    with_article = {
        link.rsplit("/", 1)[1] for link, text in stored.items() if link and "17 Milliarden" in text
    }
    assert with_article == {"artikel-a", "artikel-c"}  # the page's text is what gets analysed


def _item_feed(name: str, items: list[tuple[str | None, str, str]]) -> str:
    """A feed of (guid or None, title, link) items, all published at START."""
    published = START.strftime("%a, %d %b %Y %H:%M:%S +0000")
    body = "".join(
        f"<item><title>{title}</title><link>{link}</link>"
        + (f"<guid isPermaLink='false'>{guid}</guid>" if guid else "")
        + f"<pubDate>{published}</pubDate><description>{title}: Näheres im Artikel.</description></item>"
        for guid, title, link in items
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{name}</title>'
        f"<link>https://news.example/</link><language>de</language>{body}</channel></rss>"
    )


def test_an_item_that_loses_or_gains_its_guid_is_not_a_second_alert(
    sqlite_store: Store, tmp_path: Path
) -> None:
    config = settings(tmp_path)
    alerting = config.model_copy(
        update={"alerts": config.alerts.model_copy(update={"first_poll_window_seconds": 3600})}
    )
    link = "https://news.example/nato-gipfel?utm_source=rss"
    with feed_server() as server:
        server.serve("/loses.xml", _item_feed("Eins", [("g-1", "NATO-Gipfel in Den Haag beginnt", link)]))
        server.serve(
            "/gains.xml", _item_feed("Zwei", [(None, "NATO erhöht das Ausgabenziel", link + "&x=2")])
        )
        for path in ("/loses.xml", "/gains.xml"):
            sqlite_store.add_feed(server.url(path), None, START)
        sqlite_store.add_subscription(NewSubscription("console", "NATO", "NATO", None, None), START)

        async def poll(now: datetime) -> None:
            async with Fetcher(fetch_policy(alerting)) as fetcher:
                await Pipeline(alerting, sqlite_store, fetcher).run_cycle(now, every_feed=True)

        asyncio.run(poll(START))
        # a truncated document drops one item's guid; the other feed starts sending one
        server.serve("/loses.xml", _item_feed("Eins", [(None, "NATO-Gipfel in Den Haag beginnt", link)]))
        server.serve(
            "/gains.xml",
            _item_feed(
                "Zwei",
                [
                    ("g-2", "NATO erhöht das Ausgabenziel", link + "&x=2"),
                    ("g-3", "NATO: Einigung auf fünf Prozent", link + "&x=2"),  # a new item, same link
                ],
            ),
        )
        asyncio.run(poll(START + timedelta(minutes=5)))
    titles = []
    while (row := sqlite_store.claim_next("console", START + timedelta(hours=1))) is not None:
        if row.kind in ("alert", "followup"):
            titles.append(row.payload["title"])
        sqlite_store.mark_sent(row.id, f"m{row.id}", START)
    assert sorted(titles) == [
        "NATO erhöht das Ausgabenziel",
        "NATO-Gipfel in Den Haag beginnt",
        "NATO: Einigung auf fünf Prozent",
    ]
    stored = [e.title for e in sqlite_store.recent_entries(START - timedelta(days=1))]
    assert len(stored) == 3  # each item once, whichever identity it came with


def _story_feed(items: list[tuple[str, str, str]]) -> str:
    """One RSS feed of (guid, title, description) items, published a few minutes apart, in order."""
    body = "".join(
        f"<item><title>{title}</title><link>https://news.example/{guid}</link><guid>{guid}</guid>"
        f"<pubDate>{(START - timedelta(minutes=30 - n)).strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate>"
        f"<description>{text}</description></item>"
        for n, (guid, title, text) in enumerate(items)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Wire</title>'
        f"<link>https://news.example/</link>{body}</channel></rss>"
    )


def test_a_report_of_the_story_that_misses_a_channels_topic_is_not_posted_in_its_thread(
    sqlite_store: Store, tmp_path: Path
) -> None:
    config = settings(tmp_path).model_copy(
        update={
            "alerts": settings(tmp_path).alerts.model_copy(
                update={"first_poll_window_seconds": 3600, "edit_interval_seconds": 0}
            )
        }
    )
    troops = (  # the title and lead of tests/fixtures/seed-feed.xml
        "seed",
        "Krieg gegen die Ukraine Offenbar 10.000 Soldaten aus Nordkorea in Russland",
        "Berichte über eine Beteiligung Nordkoreas am Ukraine-Krieg lösen weltweit Besorgnis aus. Das "
        "US-Pentagon spricht von etwa 10.000 nordkoreanischen Soldaten zur Unterstützung Russlands. Die "
        "NATO bestätigt entsprechende Meldungen.",
    )
    nato = (
        "wire-nato",
        "NATO bestätigt Entsendung nordkoreanischer Truppen",
        "NATO-Generalsekretär Mark Rutte hat bestätigt, dass nordkoreanische Truppen nach Russland "
        "entsandt worden sind. Einige der Soldaten seien bereits in der russischen Region Kursk im Einsatz. "
        "„Das ist eine erhebliche Eskalation“, sagte Rutte.",
    )
    brussels = (
        "wire-brussels",
        "Nordkoreanische Soldaten: NATO-Treffen in Brüssel",
        "In Brüssel kommen die Außenminister der NATO zusammen. Thema sind 3.000 weitere Soldaten aus "
        "Pjöngjang, die nach Angaben Seouls auf dem Weg nach Russland sind.",
    )
    with feed_server() as server:
        server.serve("/wire.xml", _story_feed([troops, nato, brussels]))
        sqlite_store.add_feed(server.url("/wire.xml"), None, START)
        # the second report is a follow-up of the first (the same story); one channel follows the
        # story's topic, another a word only the first report has, a third that word and a topic of
        # the second report
        sqlite_store.add_subscription(
            NewSubscription("console", "Nordkorea", "Nordkorea | North Korea", None, None), START
        )
        sqlite_store.add_subscription(NewSubscription("slack:C1", "Pentagon", "Pentagon", None, None), START)
        sqlite_store.add_subscription(NewSubscription("slack:C2", "Pentagon", "Pentagon", None, None), START)
        sqlite_store.add_subscription(NewSubscription("slack:C2", "NATO", "NATO", None, None), START)

        async def poll() -> None:
            async with Fetcher(fetch_policy(config)) as fetcher:
                await Pipeline(config, sqlite_store, fetcher).run_cycle(START, every_feed=True)

        asyncio.run(poll())
    sent: dict[str, list[tuple[str, str, str, str | None]]] = {"console": [], "slack:C1": [], "slack:C2": []}
    titles: dict[int, str] = {}
    for channel, rows in sent.items():
        while (row := sqlite_store.claim_next(channel, START)) is not None:
            titles[row.id] = row.payload["title"]
            parent = titles.get(row.parent_id) if row.parent_id is not None else None
            rows.append((row.kind, row.payload["topic"], row.payload["title"], parent))
            sqlite_store.mark_sent(row.id, f"m{row.id}", START)
    # the channel of the story's topic gets the later reports in its thread, as before
    assert ("followup", "Nordkorea", nato[1], troops[1]) in sent["console"]
    assert ("followup", "Nordkorea", brussels[1], troops[1]) in sent["console"]
    # "Pentagon" gets its alert and nothing of the reports that do not mention it: no reply, no
    # "+1 source" edit of its alert
    assert sent["slack:C1"] == [("alert", "Pentagon", troops[1], None)]
    # where a report matches another topic of the channel, it starts that topic's own thread of the
    # story, and the next such report is a reply there, not an alert of its own
    alert, nato_alert, *rest = sent["slack:C2"]
    assert alert == ("alert", "Pentagon", troops[1], None)
    assert nato_alert == ("alert", "NATO", nato[1], None)
    assert rest[0] == ("followup", "NATO", brussels[1], nato[1])
    assert [(kind, parent) for kind, _, _, parent in rest[1:]] == [("edit", nato[1])]  # "+1 source"
