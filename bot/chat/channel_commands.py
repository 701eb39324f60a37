"""The commands that set up a channel and what the bot polls: `settings …` and `feeds …`.

They only read and write the store's channel and feed settings, so they are functions over it;
`CommandHandler` routes to them like to its own handlers.
"""

from __future__ import annotations

from bot.chat.command_grammar import (
    DIGEST_TIME_USAGE,
    QUIET_USAGE,
    SETTINGS_USAGE,
    SWITCHES,
    THREAD_MODES,
    CommandContext,
    Reply,
    check_feed_url,
    unknown_zone,
)
from bot.core.windows import (
    DEFAULT_DIGEST_AT,
    DIGEST_MODES,
    DeliveryPrefs,
    describe,
    parse_clock,
    parse_quiet_hours,
    zone,
)
from bot.redact import redact, site_of
from bot.store.ports import CommandStore


def settings(store: CommandStore, rest: str, ctx: CommandContext) -> Reply:
    """`settings`: show the channel's settings, or change one of them."""
    words = rest.split()
    prefs = store.delivery_prefs().get(ctx.channel, DeliveryPrefs())
    if not words:
        mode = store.thread_modes().get(ctx.channel, "thread")
        switches = store.channel_switches().get(ctx.channel, (False, False))
        lines = [
            f"Follow-ups: {mode}",
            *describe(prefs),
            f"Learning from feedback: {'on' if switches[0] else 'off'}",
            f"Notices of breaking stories: {'on' if switches[1] else 'off'}",
        ]
        return Reply("Settings of this channel:\n• " + "\n• ".join(lines) + f"\n{SETTINGS_USAGE}")
    what, values = words[0].lower(), [w.lower() for w in words[1:]]
    if what == "threads" and len(values) == 1 and values[0] in THREAD_MODES:
        store.set_thread_mode(ctx.channel, values[0])
        return _changed(ctx, f"follow-ups in this channel to {values[0]}")
    if what == "quiet" and values == ["off"]:
        store.set_delivery_prefs(ctx.channel, quiet_start=None, quiet_end=None)
        return _changed(ctx, "no quiet hours for this channel")
    if what == "quiet" and values:
        span = parse_quiet_hours(" ".join(values))
        if span is None:
            return Reply(QUIET_USAGE, ok=False)
        store.set_delivery_prefs(ctx.channel, quiet_start=span[0], quiet_end=span[1])
        return _changed(
            ctx, f"quiet hours of this channel to {span[0]}–{span[1]} ({prefs.timezone}); alerts wait"
        )
    if what == "digest" and values and values[0] in DIGEST_MODES and len(values) <= 2:
        at = parse_clock(values[1]) if len(values) == 2 else DEFAULT_DIGEST_AT
        if at is None or (len(values) == 2 and values[0] != "daily"):
            return Reply(DIGEST_TIME_USAGE, ok=False)
        # the first digest comes at the next hour or day, with what arrives from now on
        store.set_delivery_prefs(
            ctx.channel,
            digest=values[0],
            digest_at=at,
            last_digest_at=ctx.now if values[0] != "off" else None,
        )
        shown = {"off": "off: every alert at once", "hourly": "hourly", "daily": f"daily at {at}"}
        return _changed(ctx, f"the digest of this channel to {shown[values[0]]}")
    if what in SWITCHES and len(values) == 1 and values[0] in ("on", "off"):
        store.set_channel_switch(ctx.channel, **{what: values[0] == "on"})
        return _changed(ctx, f"{SWITCHES[what]} in this channel {values[0]}")
    if what in ("timezone", "tz") and len(words) == 2:
        name = words[1]
        if zone(name) is None:
            return Reply(unknown_zone(name), ok=False)
        store.set_delivery_prefs(ctx.channel, timezone=name)
        return _changed(ctx, f"the time zone of this channel to {name}")
    return Reply(SETTINGS_USAGE, ok=False)


def _changed(ctx: CommandContext, what: str) -> Reply:
    """The answer to a changed setting, and its announcement to the channel."""
    who = f"{ctx.user} set" if ctx.user else "Set"
    return Reply(f"Set {what}.", announce=f"{who} {what}.")


def _feed_list(store: CommandStore, ctx: CommandContext) -> Reply:
    """`feeds`: every polled feed with its status (a shared install shows sites, not URLs)."""
    rows = store.list_feeds()
    if not rows:
        return Reply("No feeds yet. Add one with: feeds add https://www.tagesschau.de/index~rss2.xml")
    # Feeds are shared by every workspace of an OAuth install: there a workspace sees which
    # sites are polled, not another workspace's URLs (paths and queries can hold tokens too).
    shared = "@" in ctx.channel.partition(":")[2]
    count = f"{len(rows)} feed{'s' if len(rows) != 1 else ''}"
    lines = [f"{count}, shared by every workspace:" if shared else f"{count}:"]
    for feed in rows:
        shown = site_of(feed.url) if shared else redact(feed.url)
        failing = feed.last_error and feed.status != "ok" and not shared  # errors quote the URL
        error = f" — {redact(_problem_of(feed.url, feed.last_error or ''))}" if failing else ""
        name = f"{feed.title} <{shown}>" if feed.title else f"<{shown}>"
        lines.append(f"• [{feed.status}] {name}{error}")
    return Reply("\n".join(lines))


def feeds(store: CommandStore, rest: str, ctx: CommandContext) -> Reply:
    """`feeds`: list, add, remove or resume the feeds the bot polls."""
    action, _, argument = rest.strip().partition(" ")
    action = action.lower()
    if action in ("", "list"):
        return _feed_list(store, ctx)
    url = argument.strip()
    if action == "add":
        problem = check_feed_url(url)
        if problem:
            return Reply(problem, ok=False)
        _feed, added = store.add_feed(url, None, ctx.now)
        if not added:
            return Reply(f"I already poll {redact(url)}.")
        return Reply(f"Added feed {redact(url)}; it will be polled within the next minutes.")
    if action == "remove":
        if not url:
            return Reply("Which feed? Usage: feeds remove <url>", ok=False)
        if not store.remove_feed(url):
            return Reply(f"I don't poll {redact(url)}. See `feeds` for the list.", ok=False)
        return Reply(f"Removed feed {redact(url)}.")
    if action == "resume":
        if not url:
            return Reply("Which feed? Usage: feeds resume <url>", ok=False)
        if not store.resume_feed(url, ctx.now):
            return Reply(f"I don't poll {redact(url)}. See `feeds` for the list.", ok=False)
        return Reply(f"Resumed feed {redact(url)}; it will be polled within the next minutes.")
    return Reply("Usage: feeds | feeds add <url> | feeds remove <url> | feeds resume <url>", ok=False)


def _problem_of(url: str, error: str) -> str:
    """A feed's last error without the URL it starts with: the listing names the feed once."""
    return error.removeprefix(f"{url}: ").removeprefix(url).strip() or error
