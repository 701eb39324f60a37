"""The command grammar against a real SQLite store: any text gets an answer, never an exception;
a rejected command stores nothing, and a command that `changes_settings` calls read-only changes
nothing (adapters skip their permission check for those)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bot.chat.commands import CommandContext, CommandHandler, changes_settings, strip_prefix
from bot.store.db import Store
from tests.property.strategies import FRAGMENTS, any_text, short_text

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)

PREFIXES = ("", "/news ", "!news ", "/news\t", "  /news  ", "!NEWS ", "/news", "/newsx ")
VERBS = (
    "subscribe", "unsubscribe", "list", "help", "feeds", "feeds add", "feeds remove", "feeds list",
    "SUBSCRIBE", "Feeds ADD", "feeds  add", "subscribe\t", "",
)  # fmt: skip
ARGUMENTS = (
    *FRAGMENTS, "Nordkorea", " | ", " +Raketen", " -Südkorea", "--threshold", " --threshold 80",
    " --threshold nan", " --threshold -1", " --threshold 1e400", "~80", "https://news.example/feed.xml",
    "http://", "http://[::1", "https://a.example:99999/", "ftp://x", " ", "\n",
)  # fmt: skip
command_text = st.builds(
    lambda prefix, verb, args: prefix + verb + " " + "".join(args),
    st.sampled_from(PREFIXES),
    st.sampled_from(VERBS) | short_text,
    st.lists(st.sampled_from(ARGUMENTS) | short_text, max_size=8),
)
any_command = command_text | any_text


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    path: Path = tmp_path_factory.mktemp("commands") / "x.sqlite"
    store = Store(f"sqlite:///{path}")
    store.upgrade()
    yield store
    store.close()


def _snapshot(store: Store) -> tuple[object, ...]:
    subs = tuple((s.channel, s.name, s.query, s.threshold) for s in store.list_subscriptions())
    feeds = tuple((f.url, f.title, f.status) for f in store.list_feeds())
    return subs, feeds


@given(text=any_command, channel=st.sampled_from(["console", "slack:C1", "matrix:!r:example.org"]))
@example(text="subscribe Nordkorea --threshold nan", channel="console")
@example(text="feeds add https://a.example:99999/", channel="console")
@example(text="subscribe \x00", channel="console")
def test_any_text_gets_an_answer_and_a_refusal_stores_nothing(store: Store, text: str, channel: str) -> None:
    handler = CommandHandler(store)
    before = _snapshot(store)
    reply = handler.handle(text, CommandContext(channel=channel, user="ann", now=NOW))
    assert reply.text.strip()
    after = _snapshot(store)
    if not reply.ok:
        assert after == before, f"a refused command changed the store: {reply.text!r}"
        assert reply.announce is None
    if not changes_settings(text):
        assert after == before, "a command the adapters let anyone run changed the settings"
        assert reply.announce is None


@given(any_command)
def test_strip_prefix_and_changes_settings_never_raise(text: str) -> None:
    body = strip_prefix(text)
    assert body == body.strip()
    assert strip_prefix(body) == body or body.startswith(("/news", "!news"))
    assert isinstance(changes_settings(text), bool)


@given(st.sampled_from(["http://[::1", "https://[evil/feed", "http://]x[/"]), st.sampled_from(PREFIXES[:3]))
def test_a_malformed_ipv6_feed_url_gets_an_answer(store: Store, url: str, prefix: str) -> None:
    before = _snapshot(store)
    reply = CommandHandler(store).handle(
        f"{prefix}feeds add {url}", CommandContext(channel="console", user="ann", now=NOW)
    )
    assert not reply.ok and _snapshot(store) == before
