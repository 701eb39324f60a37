"""The App Home tab as a pure function of what the store knows: per channel its topics, settings and
pause, then the feeds, with buttons that open the same forms the slash commands stand for.

Everything typed by people or taken from feeds is escaped (bot.chat.slack_blocks.escape). Slack
allows 100 blocks in a Home view and 3,000 characters per section; long lists are split into
sections and pages (Previous / Next buttons) instead of being cut.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.chat.slack_blocks import SECTION_LIMIT, Block, escape, fit
from bot.core.windows import DeliveryPrefs, describe
from bot.redact import redact, site_of
from bot.store.rows import FeedRow, SubscriptionRow

HOME_BLOCK_LIMIT = 100  # Slack's limit for a Home tab view
HOME_PAGE_BLOCKS = HOME_BLOCK_LIMIT - 6  # room for the header, the intro and the page buttons

ACTION_ADD_TOPIC = "newsbot_home_add_topic"
ACTION_SETTINGS = "newsbot_home_settings"
ACTION_ADD_FEED = "newsbot_home_add_feed"
ACTION_RESUME_FEED = "newsbot_home_resume_feed"
ACTION_PAGE = "newsbot_home_page"  # the prefix of the Previous and Next buttons' action ids


@dataclass(frozen=True, slots=True)
class ChannelState:
    """One channel as the Home tab shows it; `target` is the store's name without `slack:`."""

    target: str
    subscriptions: Sequence[SubscriptionRow]
    thread_mode: str
    prefs: DeliveryPrefs
    paused: str | None = None
    not_relevant: dict[str, int] | None = None


def mention(target: str) -> str:
    """`C0123@T0456` -> `<#C0123>`: Slack shows the channel's name to the reader."""
    return f"<#{target.partition('@')[0]}>"


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text, "verbatim": True}}


def _button(text: str, action_id: str, value: str, *, primary: bool = False) -> Block:
    button: Block = {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": text},
        "value": value,
    }
    if primary:
        button["style"] = "primary"
    return button


def _sections(lines: Sequence[str]) -> list[Block]:
    """Lines packed into as few sections as fit Slack's 3,000 characters each."""
    blocks: list[Block] = []
    current = ""
    for line in lines:
        line = line if len(line) <= SECTION_LIMIT else line[: SECTION_LIMIT - 1] + "…"
        if current and len(current) + 1 + len(line) > SECTION_LIMIT:
            blocks.append(_section(current))
            current = ""
        current = f"{current}\n{line}" if current else line
    if current:
        blocks.append(_section(current))
    return blocks


def topic_line(sub: SubscriptionRow, now: datetime, not_relevant: int = 0) -> str:
    """`• Nordkorea | North Korea (threshold 80, de only, muted until …)`, escaped."""
    notes = []
    if sub.threshold is not None:
        notes.append(f"threshold {sub.threshold:g}")
    if sub.lang:
        notes.append(f"{sub.lang} only")
    if sub.muted(now) and sub.muted_until is not None:
        forever = sub.muted_until.year - now.year > 50
        notes.append("muted" if forever else f"muted until {sub.muted_until:%d.%m.%Y %H:%M} UTC")
    if not_relevant:
        notes.append(f"{not_relevant} alerts marked not relevant")
    shown = fit(sub.query, 500)
    return f"• {shown}" + (f" _({escape(', '.join(notes))})_" if notes else "")


def channel_blocks(channel: ChannelState, now: datetime) -> list[Block]:
    """One channel: its name, pause, settings, topics and its two buttons."""
    blocks: list[Block] = [_section(f"*{mention(channel.target)}*")]
    if channel.paused:
        blocks.append(_section(":warning: Alerts are paused here: " + fit(channel.paused, 1000)))
    settings = [f"Follow-ups: {channel.thread_mode}", *describe(channel.prefs)]
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": escape(" · ".join(settings))}]})
    counts = channel.not_relevant or {}
    if channel.subscriptions:
        lines = [topic_line(sub, now, counts.get(sub.name, 0)) for sub in channel.subscriptions]
        blocks += _sections(lines)
    else:
        blocks.append(_section("_No topics yet._"))
    blocks.append(
        {
            "type": "actions",
            "elements": [
                _button("Track a topic", ACTION_ADD_TOPIC, channel.target, primary=True),
                _button("Channel settings", ACTION_SETTINGS, channel.target),
            ],
        }
    )
    blocks.append({"type": "divider"})
    return blocks


def feed_blocks(feeds: Sequence[FeedRow], shared: bool = False) -> list[list[Block]]:
    """The feeds: a list of the polling ones, and each paused or failing one with its reason.

    URLs never show `user:password@`; where the feeds are shared by every workspace of an OAuth
    install (`shared`), a workspace sees only their hosts and no error text (errors quote URLs)."""
    groups: list[list[Block]] = [
        [
            {"type": "header", "text": {"type": "plain_text", "text": "Feeds", "emoji": False}},
            {
                "type": "actions",
                "elements": [_button("Add a feed", ACTION_ADD_FEED, "add")],
            },
        ]
    ]
    fine = [f for f in feeds if f.status not in ("paused", "failing")]
    troubled = [f for f in feeds if f.status in ("paused", "failing")]
    if not feeds:
        groups.append([_section("_No feeds yet._")])

    def shown(feed: FeedRow) -> str:
        return site_of(feed.url) if shared else redact(feed.url)

    for feed in troubled:
        reason = (
            f" — {fit(redact(feed.last_error), 600, mrkdwn=True)}" if feed.last_error and not shared else ""
        )
        label = fit(feed.title or shown(feed), 300, mrkdwn=True)
        block = _section(f"*[{feed.status}]* {label}{reason}")
        if feed.status == "paused":
            block["accessory"] = _button("Resume", ACTION_RESUME_FEED, str(feed.id))
        groups.append([block])
    lines = [f"• [{escape(f.status)}] {fit(f.title or shown(f), 300, mrkdwn=True)}" for f in fine]
    groups += [[block] for block in _sections(lines)]
    return groups


def home_view(
    channels: Sequence[ChannelState],
    feeds: Sequence[FeedRow],
    now: datetime,
    page: int = 0,
    shared: bool = False,
) -> dict[str, object]:
    """The Home tab's view for views.publish: page `page` of the channels and feeds."""
    groups: list[list[Block]] = [channel_blocks(channel, now) for channel in channels]
    if not channels:
        groups.append(
            [
                _section(
                    "I'm in no channel of this workspace yet. Invite me with `/invite @newsbot` "
                    "in a channel, then track a topic there."
                )
            ]
        )
    groups += feed_blocks(feeds, shared)
    pages = paginate(groups, HOME_PAGE_BLOCKS)
    page = max(0, min(page, len(pages) - 1))
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": "newsbot", "emoji": False}},
        _section(
            "News alerts for this workspace's channels. Everything here is also a `/news` command; "
            "`/news help` lists them."
        ),
        *pages[page],
    ]
    if len(pages) > 1:
        nav = []
        if page > 0:
            nav.append(_button("Previous", ACTION_PAGE + "_previous", str(page - 1)))
        if page < len(pages) - 1:
            nav.append(_button("Next", ACTION_PAGE + "_next", str(page + 1)))
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": f"Page {page + 1} of {len(pages)}"}]}
        )
        blocks.append({"type": "actions", "elements": nav})
    return {"type": "home", "callback_id": "newsbot_home", "blocks": blocks}


def paginate(groups: Sequence[list[Block]], budget: int) -> list[list[Block]]:
    """Groups of blocks on pages of at most `budget` blocks; a group stays on one page if it fits."""
    pages: list[list[Block]] = [[]]
    for group in groups:
        for start in range(0, len(group), budget):  # a group longer than a page is split
            part = group[start : start + budget]
            if pages[-1] and len(pages[-1]) + len(part) > budget:
                pages.append([])
            pages[-1].extend(part)
    return pages
