"""The Slack forms and the Home tab as pure functions: which command a form stands for, and that
every view stays within Block Kit's limits however long the lists and texts are."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.chat.commands import QUIET_USAGE
from bot.chat.slack_home import ChannelState, home_view
from bot.chat.slack_modals import (
    feed_request,
    feed_view,
    settings_request,
    settings_view,
    topic_request,
    topic_view,
)
from bot.core.names import distinctive_names, names_in
from bot.core.windows import DeliveryPrefs
from bot.store.rows import FeedRow, SubscriptionRow
from tests.slack_standin import block_kit_problems

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def test_a_topic_form_becomes_the_subscribe_command_a_person_would_type() -> None:
    result = topic_request(
        {
            "topic": "Nordkorea",
            "aliases": "North Korea, DPRK",
            "required": "Raketen, Kim Jong Un",
            "excluded": "Südkorea",
            "threshold": "80",
            "lang": "de",
        }
    )
    assert result.errors == {}
    assert result.commands == [
        'subscribe Nordkorea | North Korea | DPRK +Raketen +"Kim Jong Un" -Südkorea --threshold 80 --lang de'
    ]
    assert topic_request({"topic": "NATO", "lang": "any"}).commands == ["subscribe NATO"]


def test_a_mistake_is_reported_at_the_field_that_brings_it() -> None:
    assert set(topic_request({"topic": "Nordkorea", "excluded": "🚀"}).errors) == {"excluded"}
    assert set(topic_request({"topic": "Nordkorea", "aliases": "a | b |"}).errors) == {"aliases"}
    both = topic_request({"topic": "der", "threshold": "-1"}).errors
    assert set(both) == {"topic", "threshold"}


def test_the_settings_form_changes_only_what_was_changed() -> None:
    prefs = DeliveryPrefs(timezone="Europe/Berlin", quiet_start="22:00", quiet_end="07:00")
    same = {"threads": "thread", "quiet": "22:00-07:00", "digest": "off", "digest_at": "08:00"}
    assert settings_request({**same, "timezone": "Europe/Berlin"}, "thread", prefs).commands == []
    changed = settings_request(
        {**same, "quiet": None, "digest": "daily", "digest_at": "06:30", "timezone": "UTC"}, "thread", prefs
    )
    assert changed.commands == ["settings quiet off", "settings digest daily 06:30", "settings timezone UTC"]
    bad = settings_request({**same, "quiet": "nachts", "timezone": "Europe/Berlin"}, "thread", prefs)
    assert bad.errors == {"quiet": QUIET_USAGE} and bad.commands == []


def test_the_feed_form_refuses_what_feeds_add_refuses() -> None:
    assert feed_request({"url": "https://news.example/rss"}).commands == [
        "feeds add https://news.example/rss"
    ]
    assert "not an http or https URL" in feed_request({"url": "file:///etc/passwd"}).errors["url"]
    assert "Which feed?" in feed_request({}).errors["url"]


def _sub(n: int, query: str) -> SubscriptionRow:
    return SubscriptionRow(
        n, "slack:C0NEWS", query[:200], query, 80.0, "U0ANN", NOW + timedelta(hours=1), "de"
    )


def _feed(n: int, status: str = "ok") -> FeedRow:
    return FeedRow(
        n,
        f"https://feeds.example/{n}?" + "q" * 1900,
        "T" * 500,
        True,
        status,
        None,
        None,
        None,
        None,
        None,
        8,
        "<!channel> " + "e" * 3000,
    )


@pytest.mark.parametrize("page", [0, 1, 2, 5, 99])
def test_every_page_of_a_huge_home_tab_is_within_block_kits_limits(page: int) -> None:
    channels = [
        ChannelState(
            f"C{n:04d}",
            [_sub(m, "Thema <@U0BOSS> " * 12) for m in range(40)],
            "thread+broadcast",
            DeliveryPrefs(
                timezone="America/Argentina/ComodRivadavia", quiet_start="22:00", quiet_end="07:00"
            ),
            paused="x" * 5000,
            not_relevant={"Thema": 3},
        )
        for n in range(30)
    ]
    feeds = [_feed(n, "paused" if n % 3 else "ok") for n in range(300)]
    view = home_view(channels, feeds, NOW, page)
    assert block_kit_problems(view, "home") == []
    shown = str(view["blocks"])
    assert "<@U0BOSS>" not in shown and "<!channel>" not in shown  # escaped, never a mention


def test_the_forms_are_within_block_kits_limits_with_the_longest_values() -> None:
    long = {name: "W" * 5000 for name in ("topic", "aliases", "required", "excluded")}
    views = [
        topic_view("C0NEWS", {**long, "threshold": "80", "lang": "en"}, "p" * 5000),
        topic_view("C0NEWS@T0TEAM", {}, None, home=True),
        settings_view("C0NEWS", "flat", DeliveryPrefs(timezone="Z" * 64, digest="daily")),
        feed_view(),
    ]
    for view in views:
        assert block_kit_problems(view, "modal") == []


def test_names_are_capitalised_runs_inside_sentences() -> None:
    text = "[NATO] Offenbar schickt Nordkorea Truppen. Laut Mark Rutte ist das neu; die USA schweigen."
    assert names_in(text) == ["NATO", "Nordkorea Truppen", "Mark Rutte", "USA"]


def test_the_most_distinctive_name_is_named_often_here_and_rarely_elsewhere() -> None:
    text = "Selenskyj trifft Macron in Paris. Danach spricht Selenskyj in Kiew über die Ukraine."
    background = ["Die Ukraine und Russland", "Hilfe für die Ukraine aus Paris", "Kiew meldet Luftalarm"]
    assert distinctive_names(text, background, 2) == ["Selenskyj", "Macron"]
    assert distinctive_names("keine namen hier.", background) == []


def test_the_home_tab_never_shows_feed_credentials_and_other_workspaces_see_only_hosts() -> None:
    now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    secret = "https://alice:s3cret@feeds.example/private.xml"
    feeds = [
        FeedRow(1, secret, None, True, "failing", None, None, now, None, now, 2, f"{secret}: HTTP 500"),
        FeedRow(
            2, "https://bob:pw@news.example/*bold*.xml", None, True, "ok", None, None, now, now, now, 0, None
        ),
    ]
    for shared in (False, True):
        text = str(home_view([], feeds, now, shared=shared))
        assert "s3cret" not in text and "bob:pw" not in text
        assert "*bold*" not in text  # feed text never turns into Slack formatting
        if shared:
            assert "https://feeds.example" in text and "private.xml" not in text and "HTTP 500" not in text
        else:
            assert "@feeds.example/private.xml" in text and "HTTP 500" in text
